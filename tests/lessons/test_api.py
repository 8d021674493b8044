"""The lessons JSON API: token auth for teachers, session read access for learners, OpenAPI served."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from lessons import tokens, transfer
from lessons.models import ApiToken, Assignment, Lesson
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

API = "/lessons/api"


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def teacher_secret(personas):
    return tokens.do_create_api_token(personas["teacher"], "school sync")[1]


@pytest.fixture
def other_secret(other_teacher):
    return tokens.do_create_api_token(other_teacher, "other school")[1]


def lesson_payload(title: str = "Weather talk") -> dict:
    return {
        "title": title,
        "level": "A2",
        "focus_phonemes": ["ð"],
        "items": [
            {"kind": "repeat", "text": "The weather is better than yesterday."},
            {"kind": "question", "prompt": "What is the weather like?", "accepted_answers": ["It is sunny"]},
        ],
    }


def test_the_interactive_docs_load_swagger_ui_from_our_own_static_files(client):
    page = client.get(f"{API}/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()


def test_openapi_schema_is_served_and_names_the_routes(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Parley lessons API"
    assert {"/lessons/api/lessons", "/lessons/api/lessons/{lesson_id}", "/lessons/api/assignments"} <= set(
        schema["paths"]
    )
    assert (
        "BearerAuth" in json.dumps(schema["components"]["securitySchemes"]) or schema["components"]["securitySchemes"]
    )


def test_teacher_scripts_a_lesson_with_a_token(client, personas, teacher_secret):
    response = client.post(
        f"{API}/lessons", lesson_payload(), content_type="application/json", **bearer(teacher_secret)
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["items"][0]["ipa"].startswith("ðə ˈwɛðɚ")
    lesson_id = created["id"]
    assert Lesson.objects.get(pk=lesson_id).owner == personas["teacher"]

    listing = client.get(f"{API}/lessons", **bearer(teacher_secret)).json()
    assert listing["count"] == 1 and listing["results"][0]["item_count"] == 2

    replaced = client.put(
        f"{API}/lessons/{lesson_id}",
        lesson_payload("Weather, again"),
        content_type="application/json",
        **bearer(teacher_secret),
    )
    assert replaced.status_code == 200 and replaced.json()["title"] == "Weather, again"
    assert client.post(f"{API}/lessons/{lesson_id}/publish", **bearer(teacher_secret)).json()["is_published"] is True

    assignment = client.post(
        f"{API}/assignments",
        {"lesson_id": lesson_id, "classroom_id": personas["classroom"].pk, "due_at": "2027-03-01T09:00:00Z"},
        content_type="application/json",
        **bearer(teacher_secret),
    )
    assert assignment.status_code == 201, assignment.content
    assert client.get(f"{API}/assignments", **bearer(teacher_secret)).json()[0]["lesson_id"] == lesson_id

    deleted = client.delete(f"{API}/assignments/{assignment.json()['id']}", **bearer(teacher_secret))
    assert deleted.status_code == 204 and not Assignment.objects.exists()
    assert client.delete(f"{API}/lessons/{lesson_id}", **bearer(teacher_secret)).status_code == 204


def test_invalid_lessons_get_clear_errors_and_change_nothing(client, personas, teacher_secret):
    payload = lesson_payload()
    payload["items"][0]["text"] = "I saw a zorblax"
    response = client.post(f"{API}/lessons", payload, content_type="application/json", **bearer(teacher_secret))
    assert response.status_code == 422
    assert "No known pronunciation for “zorblax”" in json.dumps(response.json(), ensure_ascii=False)
    payload["items"][0]["text"] = "x" * 201
    assert (
        client.post(f"{API}/lessons", payload, content_type="application/json", **bearer(teacher_secret)).status_code
        == 422
    )
    payload["items"][0] = {"kind": "karaoke"}
    assert (
        client.post(f"{API}/lessons", payload, content_type="application/json", **bearer(teacher_secret)).status_code
        == 422
    )
    assert not Lesson.objects.exists()


def test_other_teachers_token_cannot_touch_the_lesson(client, lesson, other_secret):
    for method, path in [
        ("get", f"/lessons/{lesson.pk}"),
        ("put", f"/lessons/{lesson.pk}"),
        ("delete", f"/lessons/{lesson.pk}"),
        ("post", f"/lessons/{lesson.pk}/unpublish"),
        ("post", f"/lessons/{lesson.pk}/duplicate"),
    ]:
        body = json.dumps(lesson_payload()) if method == "put" else None
        response = getattr(client, method)(
            f"{API}{path}", body, content_type="application/json", **bearer(other_secret)
        )
        assert response.status_code == 403, (method, path)
    assert client.get(f"{API}/lessons", **bearer(other_secret)).json()["count"] == 0
    assert Lesson.objects.get(pk=lesson.pk).is_published


def test_revoked_and_wrong_tokens_are_refused(client, personas, teacher_secret):
    assert client.get(f"{API}/lessons", **bearer(teacher_secret)).status_code == 200
    tokens.do_revoke_api_token(personas["teacher"], ApiToken.objects.get())
    assert client.get(f"{API}/lessons", **bearer(teacher_secret)).status_code == 401
    assert client.get(f"{API}/lessons", **bearer("plt_guess")).status_code == 401
    assert client.get(f"{API}/lessons").status_code == 401


def test_tokens_are_stored_hashed(personas, teacher_secret):
    token = ApiToken.objects.get()
    assert teacher_secret not in (token.token_hash, token.prefix) and len(token.token_hash) == 64
    assert tokens.user_for_token(teacher_secret) == personas["teacher"]


def test_learners_read_their_lessons_by_session_without_the_answers(personas, lesson, draft_lesson):
    learner = client_for(personas["learner"])
    listing = learner.get(f"{API}/lessons").json()
    assert [entry["id"] for entry in listing["results"]] == [lesson.pk]
    document = learner.get(f"{API}/lessons/{lesson.pk}").json()
    question = next(item for item in document["items"] if item["kind"] == "question")
    assert question["accepted_answers"] == []
    assert learner.get(f"{API}/lessons/{draft_lesson.pk}").status_code == 403
    assert client_for(personas["outsider"]).get(f"{API}/lessons/{lesson.pk}").status_code == 403


def test_learners_cannot_write_and_get_no_tokens(personas, lesson):
    learner = Client(enforce_csrf_checks=False)
    learner.force_login(personas["learner"])
    response = learner.post(f"{API}/lessons", lesson_payload(), content_type="application/json")
    assert response.status_code == 403
    assert learner.delete(f"{API}/lessons/{lesson.pk}").status_code == 403
    assert client_for(personas["learner"]).get(reverse("lessons:api_tokens")).status_code == 403


def test_session_writes_need_the_csrf_token(personas):
    teacher = Client(enforce_csrf_checks=True)
    teacher.force_login(personas["teacher"])
    response = teacher.post(f"{API}/lessons", lesson_payload(), content_type="application/json")
    assert response.status_code == 403 and not Lesson.objects.filter(title="Weather talk").exists()


@pytest.mark.slow
def test_check_answer_by_meaning_through_the_api(personas, lesson):
    item = lesson.items.get(kind="question")
    learner = client_for(personas["learner"])
    url = f"{API}/items/{item.pk}/check-answer"
    by_meaning = learner.post(url, {"answer": "My age is twenty"}, content_type="application/json").json()
    assert by_meaning["accepted"] and by_meaning["method"] == "meaning"
    wrong = learner.post(url, {"answer": "I live in Paris"}, content_type="application/json").json()
    assert not wrong["accepted"]
    outsider = client_for(personas["outsider"]).post(url, {"answer": "Twenty"}, content_type="application/json")
    assert outsider.status_code == 403


def test_api_lists_are_limited(client, personas, teacher_secret):
    assert client.get(f"{API}/lessons?limit=1000", **bearer(teacher_secret)).status_code == 422


def test_export_of_the_api_matches_the_file_export(client, lesson, teacher_secret):
    from_api = client.get(f"{API}/lessons/{lesson.pk}", **bearer(teacher_secret)).json()
    from_file = transfer.export_lessons(Lesson.objects.filter(pk=lesson.pk))["lessons"][0]
    assert from_api["items"] == from_file["items"]


def test_a_refused_replacement_leaves_the_lesson_as_it_was(client, lesson, teacher_secret):
    before = transfer.export_lessons(Lesson.objects.filter(pk=lesson.pk))
    payload = lesson_payload("Should not stick")
    payload["items"][1]["accepted_answers"] = []
    response = client.put(
        f"{API}/lessons/{lesson.pk}", payload, content_type="application/json", **bearer(teacher_secret)
    )
    assert response.status_code == 422
    payload = lesson_payload("Should not stick either")
    payload["items"].append({"kind": "repeat", "text": "Hello Zorblax"})
    response = client.put(
        f"{API}/lessons/{lesson.pk}", payload, content_type="application/json", **bearer(teacher_secret)
    )
    assert response.status_code == 422 and "items[2].text" in json.dumps(response.json())
    assert transfer.export_lessons(Lesson.objects.filter(pk=lesson.pk)) == before
