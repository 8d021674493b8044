"""Lesson pages (namespace "lessons") and the lessons API (namespace "lessons-api"), both under /lessons/."""

from django.urls import include, path

from . import views
from .api import api

pages = [
    path("", views.lesson_list, name="list"),
    path("new/", views.create_lesson, name="create"),
    path("import/", views.import_lessons, name="import"),
    path("export.json", views.export_all, name="export_all"),
    path("<int:pk>/", views.lesson_detail, name="detail"),
    path("<int:pk>/edit/", views.edit_lesson, name="edit"),
    path("<int:pk>/duplicate/", views.duplicate_lesson, name="duplicate"),
    path("<int:pk>/publish/", views.publish_lesson, name="publish"),
    path("<int:pk>/delete/", views.delete_lesson, name="delete"),
    path("<int:pk>/export.json", views.export_lesson, name="export"),
    path("<int:pk>/items/add/", views.add_item, name="add_item"),
    path("<int:pk>/items/reorder/", views.reorder_items, name="reorder_items"),
    path("<int:pk>/assign/", views.assign_lesson, name="assign"),
    path("items/<int:pk>/edit/", views.edit_item, name="edit_item"),
    path("items/<int:pk>/move/", views.move_item, name="move_item"),
    path("items/<int:pk>/publish/", views.publish_item, name="publish_item"),
    path("items/<int:pk>/delete/", views.delete_item, name="delete_item"),
    path("items/<int:pk>/say.wav", views.item_audio, name="item_audio"),
    path("items/<int:pk>/answer/", views.check_answer, name="check_answer"),
    path("assignments/<int:pk>/delete/", views.unassign, name="unassign"),
    path("say.wav", views.say, name="say"),
    path("ipa/", views.ipa_preview, name="ipa_preview"),
    path("api-tokens/", views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", views.revoke_api_token, name="revoke_api_token"),
]

# django-ninja reverses its own namespace from the root, so the API sits beside the pages, not inside them.
urlpatterns = [
    path("", include((pages, "lessons"))),
    path("api/", api.urls),
]
