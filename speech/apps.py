from django.apps import AppConfig


class SpeechConfig(AppConfig):
    name = "speech"
    default_auto_field = "django.db.models.BigAutoField"
