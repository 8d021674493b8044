from django.contrib import admin

from .models import Classroom, Enrollment


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "teacher", "join_code", "created_at")
    inlines = [EnrollmentInline]
