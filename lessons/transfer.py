"""Export lessons as a versioned JSON document and import such documents (all or nothing)."""

from __future__ import annotations

import json
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.db import transaction

from tutor.models import User

from . import services
from .models import Lesson, LessonItem
from .schemas import FORMAT, MAX_DOCUMENT_BYTES, VERSION, Document, LessonDocument


class ImportRefused(Exception):
    """The document was not imported; `errors` says where and why (nothing was changed)."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def item_document(item: LessonItem) -> dict[str, Any]:
    document: dict[str, Any] = {"kind": item.kind}
    for name in ("prompt", *sorted(services.FIELDS_BY_KIND[item.kind] - {"prompt"})):
        document[name] = getattr(item, name)
    document["is_published"] = item.is_published
    return document


def lesson_document(lesson: Lesson, items: list[LessonItem] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {name: getattr(lesson, name) for name in services.LESSON_FIELDS}
    document["is_published"] = lesson.is_published
    document["items"] = [item_document(item) for item in (items if items is not None else lesson.items.all())]
    return document


def export_lessons(lessons) -> dict[str, Any]:
    lessons = lessons.prefetch_related("items") if hasattr(lessons, "prefetch_related") else lessons
    return {"format": FORMAT, "version": VERSION, "lessons": [lesson_document(lesson) for lesson in lessons]}


def parse_document(raw: bytes | str) -> Document:
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise ImportRefused([f"The file is larger than {MAX_DOCUMENT_BYTES // 1024} KiB."])
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ImportRefused([f"This is not JSON: {error}."]) from error
    if isinstance(data, dict) and data.get("format") == FORMAT and data.get("version") not in (None, VERSION):
        raise ImportRefused([f"Version {data.get('version')!r} of the lesson format is not known; this is version 1."])
    try:
        return Document.model_validate(data)
    except pydantic.ValidationError as error:
        raise ImportRefused([_where(problem["loc"]) + problem["msg"] for problem in error.errors()[:20]]) from error


def _where(location: tuple) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("repeat", "minimal_pair", "question", "free_talk"):
            path += f".{part}" if path else str(part)
    return f"{path}: " if path else ""


def create_lesson_from_document(
    teacher: User, document: LessonDocument, *, publish: bool | None = None, where: str = ""
) -> Lesson:
    """Create one lesson with its items; raises ImportRefused with the path of each problem."""
    fields = document.model_dump(exclude={"items", "is_published"})
    try:
        lesson = services.do_create_lesson(teacher, fields)
    except ValidationError as error:
        raise ImportRefused(_messages(error, where)) from error
    add_items_from_document(teacher, lesson, document, where=where)
    should_publish = document.is_published if publish is None else publish
    if should_publish:
        try:
            services.do_set_lesson_published(teacher, lesson, True)
        except ValidationError as error:
            raise ImportRefused(_messages(error, where)) from error
    return lesson


def add_items_from_document(teacher: User, lesson: Lesson, document: LessonDocument, *, where: str = "") -> None:
    """Append the document's items to the lesson; raises ImportRefused naming every bad item."""
    problems: list[str] = []
    for index, item in enumerate(document.items):
        data = item.model_dump(exclude={"kind"})
        try:
            services.do_add_item(teacher, lesson, item.kind, data)
        except ValidationError as error:
            problems.extend(_messages(error, f"{where}items[{index}]."))
    if problems:
        raise ImportRefused(problems)


@transaction.atomic
def replace_lesson_from_document(teacher: User, lesson: Lesson, document: LessonDocument) -> Lesson:
    """Replace a lesson's settings and items (its assignments stay); all or nothing."""
    try:
        services.do_update_lesson(teacher, lesson, document.model_dump(exclude={"items", "is_published"}))
    except ValidationError as error:
        raise ImportRefused(_messages(error, "")) from error
    lesson.items.all().delete()
    add_items_from_document(teacher, lesson, document)
    try:
        return services.do_set_lesson_published(teacher, lesson, document.is_published)
    except ValidationError as error:
        raise ImportRefused(_messages(error, "")) from error


def _messages(error: ValidationError, where: str) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{where}{field}: {message}" for field, messages in error.message_dict.items() for message in messages]
    prefix = f"{where.rstrip('.')}: " if where else ""
    return [f"{prefix}{message}" for message in error.messages]


@transaction.atomic
def import_lessons(teacher: User, raw: bytes | str, *, publish: bool | None = False) -> list[Lesson]:
    """Import every lesson of the document or none. `publish=None` keeps the document's flags."""
    services.check_is_teacher(teacher)
    document = parse_document(raw)
    room = services.MAX_LESSONS_PER_TEACHER - services.lessons_owned_by(teacher).count()
    if len(document.lessons) > room:
        raise ImportRefused([f"This would pass the limit of {services.MAX_LESSONS_PER_TEACHER} lessons per teacher."])
    created: list[Lesson] = []
    problems: list[str] = []
    for index, lesson_doc in enumerate(document.lessons):
        try:
            with transaction.atomic():
                created.append(
                    create_lesson_from_document(teacher, lesson_doc, publish=publish, where=f"lessons[{index}].")
                )
        except ImportRefused as refused:
            problems.extend(refused.errors)
    if problems:
        raise ImportRefused(problems[:50])  # leaving the atomic block by an exception rolls everything back
    return created
