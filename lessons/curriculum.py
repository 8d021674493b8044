"""The starter curriculum: original English lessons stored as lesson documents in lessons/curriculum/*.json."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from tutor.models import User

from . import services, transfer
from .models import Classroom, Lesson

CURRICULUM_DIR = Path(__file__).resolve().parent / "curriculum"


@dataclass(frozen=True)
class LoadResult:
    created: list[Lesson]
    already_there: list[str]


def curriculum_files() -> list[Path]:
    return sorted(CURRICULUM_DIR.glob("*.json"))


@transaction.atomic
def load_starter_curriculum(teacher: User, classroom: Classroom | None = None) -> LoadResult:
    """Create the starter lessons for `teacher` (published as in the files) and assign them to `classroom`.

    Idempotent: a lesson whose title the teacher already has is left alone.
    """
    created: list[Lesson] = []
    already_there: list[str] = []
    for path in curriculum_files():
        document = transfer.parse_document(path.read_bytes())
        for lesson_document in document.lessons:
            existing = services.lessons_owned_by(teacher).filter(title=lesson_document.title).first()
            if existing is None:
                where = f"{path.name}: "
                lesson = transfer.create_lesson_from_document(teacher, lesson_document, publish=None, where=where)
                created.append(lesson)
            else:
                already_there.append(existing.title)
                lesson = existing
            if classroom is not None:
                services.do_assign_lesson(teacher, lesson, classroom=classroom)
    return LoadResult(created, already_there)
