from django.core.management.base import BaseCommand, CommandError

from lessons.curriculum import load_starter_curriculum
from lessons.models import Classroom
from tutor.models import User


class Command(BaseCommand):
    help = "Load the starter curriculum (lessons/curriculum/*.json) for a teacher; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("teacher", help="username of the teacher who will own the lessons")
        parser.add_argument("--class-id", type=int, help="assign every lesson to this class of the teacher")

    def handle(self, *args, teacher, class_id=None, **options):
        owner = User.objects.filter(username=teacher, role=User.Role.TEACHER).first()
        if owner is None:
            raise CommandError(f"No teacher called {teacher!r}.")
        classroom = None
        if class_id is not None:
            classroom = Classroom.objects.filter(pk=class_id, teacher=owner).first()
            if classroom is None:
                raise CommandError(f"{teacher} has no class with id {class_id}.")
        result = load_starter_curriculum(owner, classroom)
        self.stdout.write(
            f"Starter curriculum: {len(result.created)} lessons created, {len(result.already_there)} already there."
        )
