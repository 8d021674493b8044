"""The lessons JSON API (django-ninja), OpenAPI schema at /lessons/api/openapi.json.

Who may call it:
- teachers, with a token from the “API tokens” page (`Authorization: Bearer plt_…`) or their
  browser session: everything on their own lessons and assignments;
- learners, with their browser session only (no tokens): read their assigned, published
  lessons (published items only, accepted answers left out) and check an answer.
Unsafe methods through a session need the CSRF token, as in the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Query, Schema, Status
from ninja.security import HttpBearer, SessionAuth
from pydantic import Field

from tutor.models import User

from . import answers, pronunciation, services, tokens, transfer
from .models import Assignment, Classroom, Lesson, LessonItem
from .schemas import FreeTalkItem, LessonDocument, LessonFields, MinimalPairItem, RepeatItem, Strict


class TeacherToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = tokens.user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Parley lessons API",
    version="1",
    description=__doc__,
    urls_namespace="lessons-api",
    auth=[TeacherToken(), SessionAuth()],
)


class Problem(Schema):
    detail: str | list[str] | dict[str, list[str]]


@api.exception_handler(PermissionDenied)
def permission_denied(request, error):
    return api.create_response(request, {"detail": str(error) or "Not allowed."}, status=403)


@api.exception_handler(ValidationError)
def invalid(request, error):
    detail = error.message_dict if hasattr(error, "error_dict") else error.messages
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(transfer.ImportRefused)
def refused(request, error):
    return api.create_response(request, {"detail": error.errors}, status=422)


class QuestionItemOut(Strict):
    kind: Literal["question"]
    prompt: str
    accepted_answers: list[str] = Field([], description="Left out for learners.")
    is_published: bool = True


ItemOut = Annotated[RepeatItem | MinimalPairItem | QuestionItemOut | FreeTalkItem, Field(discriminator="kind")]


class LessonSummary(LessonFields):
    id: int
    is_published: bool
    item_count: int
    updated_at: dt.datetime


class LessonOut(LessonFields):
    id: int
    is_published: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    items: list[ItemOut]


class Page(Schema):
    count: int
    results: list[LessonSummary]


class AssignmentIn(Strict):
    lesson_id: int
    classroom_id: int | None = None
    learner_username: Annotated[str, Field(max_length=150)] | None = None
    due_at: dt.datetime | None = None


class AssignmentOut(Schema):
    id: int
    lesson_id: int
    classroom_id: int | None
    learner_username: str | None
    due_at: dt.datetime | None


class AnswerIn(Strict):
    answer: Annotated[str, Field(min_length=1, max_length=answers.MAX_ANSWER_CHARS)]


class AnswerOut(Schema):
    accepted: bool
    method: str
    matched_answer: str | None
    wording_score: float
    meaning_score: float | None


class PronunciationOut(Schema):
    ipa: str
    unknown_words: list[str]


def _teacher(request: HttpRequest) -> User:
    services.check_is_teacher(request.user)
    return request.user


def _lesson_out(user: User, lesson: Lesson) -> dict:
    items = list(services.items_visible_to(user, lesson))
    document = transfer.lesson_document(lesson, items)
    if lesson.owner_id != user.pk:
        for item in document["items"]:
            item.pop("accepted_answers", None)
    return {**document, "id": lesson.pk, "created_at": lesson.created_at, "updated_at": lesson.updated_at}


def _visible_lesson(request: HttpRequest, lesson_id: int) -> Lesson:
    lesson = get_object_or_404(Lesson, pk=lesson_id)
    services.check_can_view_lesson(request.user, lesson)
    return lesson


def _own_lesson(request: HttpRequest, lesson_id: int) -> Lesson:
    lesson = get_object_or_404(Lesson, pk=lesson_id)
    services.check_can_edit_lesson(_teacher(request), lesson)
    return lesson


@api.get("/lessons", response=Page, tags=["lessons"])
def list_lessons(
    request, limit: Annotated[int, Field(ge=1, le=100)] = 50, offset: Annotated[int, Field(ge=0)] = 0
) -> dict:
    """Your lessons (teachers) or the published lessons assigned to you (learners)."""
    lessons = services.lessons_visible_to(request.user).order_by("title", "pk")
    page = _page(lessons, request.user, limit, offset)
    return {"count": lessons.count(), "results": page}


def _page(lessons, user: User, limit: int, offset: int) -> list[dict]:
    if user.is_teacher:
        lessons = lessons.annotate(item_count=Count("items"))
    else:
        lessons = lessons.annotate(item_count=Count("items", filter=Q(items__is_published=True)))
    return [
        {
            **{name: getattr(lesson, name) for name in services.LESSON_FIELDS},
            "id": lesson.pk,
            "is_published": lesson.is_published,
            "item_count": lesson.item_count,
            "updated_at": lesson.updated_at,
        }
        for lesson in lessons[offset : offset + limit]
    ]


@api.post("/lessons", response={201: LessonOut, 422: Problem}, tags=["lessons"])
def create_lesson(request, payload: LessonDocument):
    """Create a lesson with its items (the same shape as one lesson of an export)."""
    teacher = _teacher(request)
    with transaction.atomic():
        lesson = transfer.create_lesson_from_document(teacher, payload)
    return Status(201, _lesson_out(teacher, lesson))


@api.get("/lessons/{lesson_id}", response=LessonOut, tags=["lessons"])
def get_lesson(request, lesson_id: int) -> dict:
    return _lesson_out(request.user, _visible_lesson(request, lesson_id))


@api.put("/lessons/{lesson_id}", response={200: LessonOut, 422: Problem}, tags=["lessons"])
def replace_lesson(request, lesson_id: int, payload: LessonDocument):
    """Replace the settings and all items of a lesson; its assignments stay."""
    lesson = transfer.replace_lesson_from_document(request.user, _own_lesson(request, lesson_id), payload)
    lesson.refresh_from_db()
    return Status(200, _lesson_out(request.user, lesson))


@api.delete("/lessons/{lesson_id}", response={204: None}, tags=["lessons"])
def delete_lesson(request, lesson_id: int):
    services.do_delete_lesson(request.user, _own_lesson(request, lesson_id))
    return Status(204, None)


@api.post("/lessons/{lesson_id}/publish", response={200: LessonOut, 422: Problem}, tags=["lessons"])
def publish_lesson(request, lesson_id: int):
    lesson = services.do_set_lesson_published(request.user, _own_lesson(request, lesson_id), True)
    return Status(200, _lesson_out(request.user, lesson))


@api.post("/lessons/{lesson_id}/unpublish", response=LessonOut, tags=["lessons"])
def unpublish_lesson(request, lesson_id: int) -> dict:
    lesson = services.do_set_lesson_published(request.user, _own_lesson(request, lesson_id), False)
    return _lesson_out(request.user, lesson)


@api.post("/lessons/{lesson_id}/duplicate", response={201: LessonOut}, tags=["lessons"])
def duplicate_lesson(request, lesson_id: int):
    copy = services.do_duplicate_lesson(request.user, _own_lesson(request, lesson_id))
    return Status(201, _lesson_out(request.user, copy))


@api.get("/assignments", response=list[AssignmentOut], tags=["assignments"])
def list_assignments(request) -> list[dict]:
    """Assignments of your lessons (teachers) or your assignments of published lessons (learners)."""
    if request.user.is_teacher:
        assignments = services.assignments_by(request.user)
    else:
        assignments = services.assignments_for_learner(request.user).filter(lesson__is_published=True)
    return [_assignment_out(a) for a in assignments.select_related("learner")[:1000]]


def _assignment_out(assignment: Assignment) -> dict:
    return {
        "id": assignment.pk,
        "lesson_id": assignment.lesson_id,
        "classroom_id": assignment.classroom_id,
        "learner_username": assignment.learner.username if assignment.learner_id else None,
        "due_at": assignment.due_at,
    }


@api.post("/assignments", response={201: AssignmentOut, 422: Problem}, tags=["assignments"])
def create_assignment(request, payload: AssignmentIn):
    """Assign a lesson to one of your classes (classroom_id) or to a learner in one of them (learner_username)."""
    lesson = _own_lesson(request, payload.lesson_id)
    classroom = get_object_or_404(Classroom, pk=payload.classroom_id) if payload.classroom_id is not None else None
    learner = None
    if payload.learner_username is not None:
        learner = User.objects.filter(username=payload.learner_username, role=User.Role.LEARNER).first()
        if learner is None:
            raise ValidationError("You can assign lessons only to learners in your classes.")
    assignment = services.do_assign_lesson(
        request.user, lesson, classroom=classroom, learner=learner, due_at=payload.due_at
    )
    return Status(201, _assignment_out(assignment))


@api.delete("/assignments/{assignment_id}", response={204: None}, tags=["assignments"])
def delete_assignment(request, assignment_id: int):
    assignment = get_object_or_404(Assignment.objects.select_related("lesson"), pk=assignment_id)
    services.do_unassign(_teacher(request), assignment)
    return Status(204, None)


@api.post("/items/{item_id}/check-answer", response=AnswerOut, tags=["answers"])
def check_answer(request, item_id: int, payload: AnswerIn) -> dict:
    """Match an answer to a question item by wording and by meaning."""
    item = get_object_or_404(LessonItem.objects.select_related("lesson"), pk=item_id, kind=LessonItem.Kind.QUESTION)
    services.check_can_view_item(request.user, item)
    result = answers.match_answer(payload.answer, item.accepted_answers)
    return result.__dict__


class PronunciationQuery(Schema):
    text: Annotated[str, Field(max_length=services.MAX_TEXT_CHARS)]
    language: Literal["en-us", "en-gb", "fr-fr", "de-de", "es-es", "it-it"] = "en-us"


@api.get("/pronunciation", response=PronunciationOut, tags=["pronunciation"])
def pronunciation_of(request, query: Query[PronunciationQuery]) -> dict:
    """The IPA Parley would generate for a text, and the words it had to guess."""
    _teacher(request)
    spoken = pronunciation.pronounce(query.text, query.language)
    return {"ipa": spoken.ipa, "unknown_words": spoken.fallback_words}
