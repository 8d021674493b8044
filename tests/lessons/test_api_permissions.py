"""Every API route with every persona: the owner teacher and another teacher (tokens), the assigned
learner and an outsider (browser sessions), and an anonymous caller."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from lessons import tokens
from lessons.models import Lesson
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

API = "/lessons/api"
OWNER, OTHER_TEACHER, LEARNER, OUTSIDER, ANONYMOUS = "teacher", "other_teacher", "learner", "outsider", "anonymous"
PERSONAS = [OWNER, OTHER_TEACHER, LEARNER, OUTSIDER, ANONYMOUS]
NEW_LESSON = {"title": "Scripted", "items": [{"kind": "repeat", "text": "Good morning."}]}


def _question(world):
    return world["lesson"].items.get(kind="question").pk


# (name, method, path(world), body(world) or None, expected status by persona)
ROUTES = [
    ("list lessons", "get", lambda w: "/lessons", None, [200, 200, 200, 200, 401]),
    ("create lesson", "post", lambda w: "/lessons", lambda w: NEW_LESSON, [201, 201, 403, 403, 401]),
    ("get lesson", "get", lambda w: f"/lessons/{w['lesson'].pk}", None, [200, 403, 200, 403, 401]),
    ("get draft", "get", lambda w: f"/lessons/{w['draft'].pk}", None, [200, 403, 403, 403, 401]),
    ("replace lesson", "put", lambda w: f"/lessons/{w['lesson'].pk}", lambda w: NEW_LESSON, [200, 403, 403, 403, 401]),
    ("delete lesson", "delete", lambda w: f"/lessons/{w['lesson'].pk}", None, [204, 403, 403, 403, 401]),
    ("publish", "post", lambda w: f"/lessons/{w['lesson'].pk}/publish", None, [200, 403, 403, 403, 401]),
    ("unpublish", "post", lambda w: f"/lessons/{w['lesson'].pk}/unpublish", None, [200, 403, 403, 403, 401]),
    ("duplicate", "post", lambda w: f"/lessons/{w['lesson'].pk}/duplicate", None, [201, 403, 403, 403, 401]),
    ("list assignments", "get", lambda w: "/assignments", None, [200, 200, 200, 200, 401]),
    (
        "assign",
        "post",
        lambda w: "/assignments",
        lambda w: {"lesson_id": w["draft"].pk, "learner_username": "leo"},
        [201, 403, 403, 403, 401],
    ),
    (
        "unassign",
        "delete",
        lambda w: f"/assignments/{w['lesson'].assignments.get().pk}",
        None,
        [204, 403, 403, 403, 401],
    ),
    (
        "check answer",
        "post",
        lambda w: f"/items/{_question(w)}/check-answer",
        lambda w: {"answer": "Twenty"},
        [200, 403, 200, 403, 401],
    ),
    ("pronunciation", "get", lambda w: "/pronunciation?text=three", None, [200, 200, 403, 403, 401]),
    ("openapi schema", "get", lambda w: "/openapi.json", None, [200, 200, 200, 200, 200]),
]


@pytest.fixture
def world(personas, other_teacher, lesson, draft_lesson):
    return {
        **personas,
        OTHER_TEACHER: other_teacher,
        "lesson": lesson,
        "draft": draft_lesson,
        "secrets": {
            OWNER: tokens.do_create_api_token(personas["teacher"], "owner")[1],
            OTHER_TEACHER: tokens.do_create_api_token(other_teacher, "other")[1],
        },
    }


def caller(world, persona: str) -> tuple[Client, dict]:
    if persona in world["secrets"]:
        return Client(), {"HTTP_AUTHORIZATION": f"Bearer {world['secrets'][persona]}"}
    if persona == ANONYMOUS:
        return Client(), {}
    return client_for(world[persona]), {}  # learners: browser session, no token


def snapshot(world):
    lessons = Lesson.objects.order_by("pk")
    return [
        (lesson.pk, lesson.title, lesson.is_published, list(lesson.items.values_list("pk", "text")))
        for lesson in lessons
    ], sorted(world["lesson"].assignments.values_list("pk", flat=True))


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method", "path", "body", "statuses"), ROUTES, ids=[route[0] for route in ROUTES])
def test_api_route_by_persona(world, persona, name, method, path, body, statuses):
    client, headers = caller(world, persona)
    before = snapshot(world)
    data = json.dumps(body(world)) if body else None
    response = getattr(client, method)(f"{API}{path(world)}", data, content_type="application/json", **headers)
    expected = statuses[PERSONAS.index(persona)]
    assert response.status_code == expected, response.content[:300]
    if expected in (401, 403):
        assert snapshot(world) == before, "a refused call changed data"
        assert b"CSRF" not in response.content  # refused for who they are, not for a missing token
