from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import ConversationSession, User


@admin.register(User)
class ParleyUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Parley", {"fields": ("role",)}))
    list_display = ("username", "email", "role", "is_staff")
    list_filter = ("role", "is_staff")


@admin.register(ConversationSession)
class ConversationSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "mode", "status", "created_at", "audio_bytes", "frames_missing")
    list_filter = ("status", "mode")
    readonly_fields = ("audio_bytes", "last_seq", "frames_stored", "frames_missing", "stats")
