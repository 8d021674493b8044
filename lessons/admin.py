from django.contrib import admin

from .models import ApiToken, Assignment, Classroom, Enrollment, Lesson, LessonItem


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "teacher", "join_code", "created_at")
    inlines = [EnrollmentInline]


class LessonItemInline(admin.StackedInline):
    model = LessonItem
    extra = 0
    ordering = ["position"]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "language", "level", "is_published", "updated_at")
    list_filter = ("is_published", "language", "level")
    search_fields = ("title", "owner__username")
    inlines = [LessonItemInline]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("lesson", "classroom", "learner", "due_at", "assigned_by")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")
