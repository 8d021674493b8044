"""Every lesson page, with every persona: the owner teacher, another teacher, the learner the
lesson is assigned to (through her class), and an outsider learner. Anonymous visitors go to the login."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import reverse

from lessons import tokens
from lessons.models import Lesson
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

OWNER, OTHER_TEACHER, LEARNER, OUTSIDER = "teacher", "other_teacher", "learner", "outsider"


@dataclass
class Route:
    name: str
    method: str
    url: Any  # callable(world) -> str
    statuses: dict[str, int]
    data: Any = field(default_factory=dict)  # dict or callable(world) -> dict
    json_body: bool = False


def _item(world, kind):
    return world["lesson"].items.get(kind=kind)


ROUTES = [
    Route(
        "list", "get", lambda w: reverse("lessons:list"), {OWNER: 200, OTHER_TEACHER: 200, LEARNER: 200, OUTSIDER: 200}
    ),
    Route(
        "create",
        "post",
        lambda w: reverse("lessons:create"),
        {OWNER: 302, OTHER_TEACHER: 302, LEARNER: 403, OUTSIDER: 403},
        {
            "title": "New",
            "language": "en-us",
            "level": "A1",
            "correction_policy": "off",
            "patience": 1,
            "think_time_seconds": 3,
            "speaking_time_limit_seconds": 20,
        },
    ),
    Route(
        "detail",
        "get",
        lambda w: reverse("lessons:detail", args=[w["lesson"].pk]),
        {OWNER: 200, OTHER_TEACHER: 403, LEARNER: 200, OUTSIDER: 403},
    ),
    Route(
        "draft detail",
        "get",
        lambda w: reverse("lessons:detail", args=[w["draft"].pk]),
        {OWNER: 200, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "editor",
        "get",
        lambda w: reverse("lessons:edit", args=[w["lesson"].pk]),
        {OWNER: 200, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "save settings",
        "post",
        lambda w: reverse("lessons:edit", args=[w["lesson"].pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
        {
            "title": "Renamed",
            "language": "en-us",
            "level": "B1",
            "focus_phonemes": "θ ð",
            "correction_policy": "immediate",
            "patience": 1.5,
            "think_time_seconds": 4,
            "speaking_time_limit_seconds": 40,
        },
    ),
    Route(
        "duplicate",
        "post",
        lambda w: reverse("lessons:duplicate", args=[w["lesson"].pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "unpublish",
        "post",
        lambda w: reverse("lessons:publish", args=[w["lesson"].pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
        {"published": "0"},
    ),
    Route(
        "delete",
        "post",
        lambda w: reverse("lessons:delete", args=[w["lesson"].pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "export",
        "get",
        lambda w: reverse("lessons:export", args=[w["lesson"].pk]),
        {OWNER: 200, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "export all",
        "get",
        lambda w: reverse("lessons:export_all"),
        {OWNER: 200, OTHER_TEACHER: 200, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "import",
        "post",
        lambda w: reverse("lessons:import"),
        {OWNER: 302, OTHER_TEACHER: 302, LEARNER: 403, OUTSIDER: 403},
        lambda w: {"document": w["upload"]()},
    ),
    Route(
        "add item",
        "post",
        lambda w: reverse("lessons:add_item", args=[w["lesson"].pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
        {"kind": "repeat", "new-repeat-kind": "repeat", "new-repeat-text": "Thank you."},
    ),
    Route(
        "reorder",
        "post",
        lambda w: reverse("lessons:reorder_items", args=[w["lesson"].pk]),
        {OWNER: 200, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
        lambda w: {"order": list(reversed(w["lesson"].items.values_list("pk", flat=True)))},
        json_body=True,
    ),
    Route(
        "assign",
        "post",
        lambda w: reverse("lessons:assign", args=[w["lesson"].pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
        lambda w: {"target": f"learner:{w['learner'].pk}", "due_at": "2027-01-15T10:00"},
    ),
    Route(
        "unassign",
        "post",
        lambda w: reverse("lessons:unassign", args=[w["lesson"].assignments.get().pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "edit item",
        "post",
        lambda w: reverse("lessons:edit_item", args=[_item(w, "question").pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
        lambda w: {
            f"item-{_item(w, 'question').pk}-kind": "question",
            f"item-{_item(w, 'question').pk}-prompt": "How old are you?",
            f"item-{_item(w, 'question').pk}-accepted_answers": "I am twenty\nTwenty",
        },
    ),
    Route(
        "move item",
        "post",
        lambda w: reverse("lessons:move_item", args=[_item(w, "question").pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
        {"direction": "up"},
    ),
    Route(
        "unpublish item",
        "post",
        lambda w: reverse("lessons:publish_item", args=[_item(w, "question").pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
        {"published": "0"},
    ),
    Route(
        "delete item",
        "post",
        lambda w: reverse("lessons:delete_item", args=[_item(w, "question").pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "item audio",
        "get",
        lambda w: reverse("lessons:item_audio", args=[_item(w, "repeat").pk]),
        {OWNER: 200, OTHER_TEACHER: 403, LEARNER: 200, OUTSIDER: 403},
    ),
    Route(
        "check answer",
        "post",
        lambda w: reverse("lessons:check_answer", args=[_item(w, "question").pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 302, OUTSIDER: 403},
        {"answer": "Twenty"},
    ),
    Route(
        "say",
        "get",
        lambda w: reverse("lessons:say") + "?text=Thank+you",
        {OWNER: 200, OTHER_TEACHER: 200, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "ipa preview",
        "get",
        lambda w: reverse("lessons:ipa_preview") + "?text=three",
        {OWNER: 200, OTHER_TEACHER: 200, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "api tokens",
        "get",
        lambda w: reverse("lessons:api_tokens"),
        {OWNER: 200, OTHER_TEACHER: 200, LEARNER: 403, OUTSIDER: 403},
    ),
    Route(
        "create api token",
        "post",
        lambda w: reverse("lessons:api_tokens"),
        {OWNER: 200, OTHER_TEACHER: 200, LEARNER: 403, OUTSIDER: 403},
        {"name": "sync"},
    ),
    Route(
        "revoke api token",
        "post",
        lambda w: reverse("lessons:revoke_api_token", args=[w["token"].pk]),
        {OWNER: 302, OTHER_TEACHER: 403, LEARNER: 403, OUTSIDER: 403},
    ),
]
PERSONAS = [OWNER, OTHER_TEACHER, LEARNER, OUTSIDER]


@pytest.fixture
def world(personas, other_teacher, lesson, draft_lesson):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lessons import transfer

    document = json.dumps(transfer.export_lessons(Lesson.objects.filter(pk=lesson.pk))).encode()
    token, _secret = tokens.do_create_api_token(personas["teacher"], "school sync")
    return {
        **personas,
        OTHER_TEACHER: other_teacher,
        "lesson": lesson,
        "draft": draft_lesson,
        "token": token,
        "upload": lambda: SimpleUploadedFile("lessons.json", document, content_type="application/json"),
    }


def _request(client, route: Route, world):
    url = route.url(world)
    data = route.data(world) if callable(route.data) else route.data
    if route.method == "get":
        return client.get(url)
    if route.json_body:
        return client.post(url, json.dumps(data), content_type="application/json")
    return client.post(url, data)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_route_by_persona(world, route, persona):
    before = _snapshot(world["lesson"])
    response = _request(client_for(world[persona]), route, world)
    assert response.status_code == route.statuses[persona], response.content[:300]
    if response.status_code == 403:
        assert _snapshot(world["lesson"]) == before, "a refused request changed the lesson"


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_route_needs_a_login(world, client, route):
    response = _request(client, route, world)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def _snapshot(lesson: Lesson):
    lesson = Lesson.objects.filter(pk=lesson.pk).first()
    if lesson is None:
        return None
    return (
        lesson.title,
        lesson.is_published,
        list(lesson.items.values_list("pk", "position", "is_published", "accepted_answers")),
        list(lesson.assignments.values_list("pk", "due_at")),
    )
