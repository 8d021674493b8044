"""Accounts, roles, classes and per-user isolation, with the three personas on every page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lessons.models import Classroom, Enrollment
from tests.conftest import client_for
from tutor.models import ConversationSession, User
from tutor.sessions import audio_path

pytestmark = pytest.mark.django_db


def test_signup_as_teacher_logs_in_and_creates_a_class_with_a_join_code(client):
    response = client.post(
        reverse("signup"),
        {
            "username": "mrs-k",
            "email": "",
            "role": "teacher",
            "password1": "S3cure-pass-77",
            "password2": "S3cure-pass-77",
        },
    )
    assert response.status_code == 302
    teacher = User.objects.get(username="mrs-k")
    assert teacher.is_teacher
    response = client.post(reverse("create_class"), {"name": "Evening B1"})
    classroom = Classroom.objects.get(teacher=teacher)
    assert response.status_code == 302 and len(classroom.join_code) == 8
    assert classroom.join_code in client.get(reverse("dashboard")).content.decode()


def test_learner_joins_with_the_code_in_any_case_and_spacing(personas):
    outsider = client_for(personas["outsider"])
    code = personas["classroom"].join_code
    outsider.post(reverse("join_class"), {"code": f" {code[:4].lower()}-{code[4:]} "})
    assert Enrollment.objects.filter(classroom=personas["classroom"], learner=personas["outsider"]).exists()


def test_wrong_join_code_says_so_and_joins_nothing(personas):
    response = client_for(personas["outsider"]).post(reverse("join_class"), {"code": "NOPE0000"}, follow=True)
    assert "No class has that join code" in response.content.decode()
    assert not Enrollment.objects.filter(learner=personas["outsider"]).exists()


def test_only_teachers_create_classes_and_only_learners_join(personas):
    assert client_for(personas["learner"]).post(reverse("create_class"), {"name": "Mine"}).status_code == 403
    code = personas["classroom"].join_code
    assert client_for(personas["teacher"]).post(reverse("join_class"), {"code": code}).status_code == 403


def test_empty_class_name_is_refused_with_a_message(personas):
    response = client_for(personas["teacher"]).post(reverse("create_class"), {"name": "   "}, follow=True)
    assert "class needs a name" in response.content.decode()
    assert Classroom.objects.filter(teacher=personas["teacher"]).count() == 1


@pytest.mark.parametrize(("persona", "status"), [("teacher", 200), ("learner", 200), ("outsider", 403)])
def test_class_page_by_persona(personas, persona, status):
    response = client_for(personas[persona]).get(reverse("class_detail", args=[personas["classroom"].pk]))
    assert response.status_code == status
    if persona == "learner":
        assert personas["classroom"].join_code not in response.content.decode()


def test_the_teacher_sees_each_learners_accent_on_the_class_page(personas):
    learner = personas["learner"]
    learner.accent = "en-029"
    learner.save()
    page = client_for(personas["teacher"]).get(reverse("class_detail", args=[personas["classroom"].pk]))
    assert "leo — accent: Caribbean" in page.content.decode()
    learner.accent = ""
    learner.save()
    page = client_for(personas["teacher"]).get(reverse("class_detail", args=[personas["classroom"].pk]))
    assert "leo — accent: American (the reference)" in page.content.decode()


def test_pages_need_a_login(client, personas):
    for name in ["dashboard", "conversation"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.get(reverse("class_detail", args=[personas["classroom"].pk])).status_code == 302


@pytest.fixture
def learner_session(personas):
    session = ConversationSession.objects.create(user=personas["learner"], audio_bytes=6, last_seq=2)
    path = audio_path(session)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x01\x00\x02\x00\x03\x00")
    return session


@pytest.mark.parametrize(("persona", "status"), [("learner", 200), ("teacher", 200), ("outsider", 403)])
def test_recorded_audio_by_persona(personas, learner_session, persona, status):
    response = client_for(personas[persona]).get(reverse("session_audio", args=[learner_session.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "audio/wav" and response.content.endswith(b"\x01\x00\x02\x00\x03\x00")


@pytest.mark.parametrize(("persona", "visible"), [("learner", True), ("teacher", True), ("outsider", False)])
def test_dashboard_lists_only_visible_conversations(personas, learner_session, persona, visible):
    page = client_for(personas[persona]).get(reverse("dashboard")).content.decode()
    assert (str(learner_session.pk) in page) is visible


def test_health_endpoint_checks_database_and_redis(client):
    assert client.get(reverse("healthz")).json() == {"ok": True}


def test_demo_data_is_idempotent_and_prints_logins(capsys):
    from django.core.management import call_command

    call_command("load_demo")
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "teacher / parley-teacher-demo" in out
    assert User.objects.filter(username__in=["teacher", "learner", "admin"]).count() == 3
    assert Enrollment.objects.filter(learner__username="learner").count() == 1


def test_the_live_page_runs_only_lessons_the_user_may_take(personas):
    from lessons.models import Assignment, Lesson, LessonItem

    lesson = Lesson.objects.create(owner=personas["teacher"], title="Vowels", is_published=True)
    LessonItem.objects.create(lesson=lesson, position=0, kind=LessonItem.Kind.REPEAT, text="A big ship.")
    Assignment.objects.create(lesson=lesson, classroom=personas["classroom"], assigned_by=personas["teacher"])
    url = reverse("conversation") + f"?lesson={lesson.pk}"
    page = client_for(personas["learner"]).get(url)
    assert page.status_code == 200 and f'data-lesson-id="{lesson.pk}"' in page.content.decode()
    assert client_for(personas["outsider"]).get(url).status_code == 403
    assert client_for(personas["teacher"]).get(url).status_code == 200
    assert client_for(personas["learner"]).get(reverse("conversation") + "?lesson=abc").status_code == 403


def test_the_model_pronunciation_needs_a_login_and_a_short_text(client, personas):
    assert client.get(reverse("say") + "?text=think").status_code == 302
    learner = client_for(personas["learner"])
    assert learner.get(reverse("say") + "?text=" + "x" * 61).status_code == 400
    assert learner.get(reverse("say")).status_code == 400
    response = learner.get(reverse("say") + "?text=think")
    assert response.status_code == 200 and response.content[:4] == b"RIFF"
