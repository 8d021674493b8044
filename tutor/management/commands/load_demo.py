from django.core.management.base import BaseCommand
from django.db import transaction

from lessons.curriculum import load_starter_curriculum
from lessons.models import Classroom, Enrollment
from tutor.models import User

DEMO_USERS = [
    ("teacher", "parley-teacher-demo", User.Role.TEACHER),
    ("learner", "parley-learner-demo", User.Role.LEARNER),
]


class Command(BaseCommand):
    help = "Create the demo teacher, learner and class (idempotent) and print their logins."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {}
        for username, password, role in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username, defaults={"role": role})
            if created:
                user.set_password(password)
                user.save()
            users[role] = user
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True, "role": User.Role.TEACHER}
        )
        if created:
            admin.set_password("parley-admin-demo")
            admin.save()
        classroom, _ = Classroom.objects.get_or_create(
            teacher=users[User.Role.TEACHER], name="Demo class: English pronunciation"
        )
        Enrollment.objects.get_or_create(classroom=classroom, learner=users[User.Role.LEARNER])
        curriculum = load_starter_curriculum(users[User.Role.TEACHER], classroom)
        self.stdout.write("Demo logins (change them before real use):")
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"  {role:8} {username} / {password}")
        self.stdout.write("  staff    admin / parley-admin-demo  (Django admin at /admin/)")
        self.stdout.write(f"Demo class “{classroom.name}”, join code {classroom.join_code}")
        lessons = len(curriculum.created) + len(curriculum.already_there)
        self.stdout.write(f"Starter curriculum: {lessons} published lessons assigned to the demo class")
