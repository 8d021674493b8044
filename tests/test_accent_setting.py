"""The accent setting: a user chooses their native accent; lesson sessions score with it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse

from lessons.conversation import plan_for
from speech.scoring import LearnerChannel
from tests.conftest import client_for
from tests.lessons.conftest import lesson  # noqa: F401 (fixture)
from tutor.engine.engine import streaming_assessor_for
from tutor.engine.plan import LessonPlan, LessonPlanError
from tutor.live import _lesson_plan
from tutor.models import User

pytestmark = pytest.mark.django_db

INLINE = {"lang": "en-us", "items": [{"kind": "repeat", "text": "I think so."}]}


def test_a_learner_sets_their_accent_and_sees_it_kept(personas):
    client = client_for(personas["learner"])
    page = client.get(reverse("account_settings")).content.decode()
    assert "Caribbean" in page and "American (the reference)" in page
    response = client.post(reverse("account_settings"), {"accent": "en-029"}, follow=True)
    assert "Saved." in response.content.decode()
    assert User.objects.get(pk=personas["learner"].pk).accent == "en-029"
    assert 'value="en-029" selected' in client.get(reverse("account_settings")).content.decode()


def test_an_unknown_accent_is_refused_and_the_saved_one_kept(personas):
    client = client_for(personas["learner"])
    client.post(reverse("account_settings"), {"accent": "en-gb-scotland"})
    response = client.post(reverse("account_settings"), {"accent": "<script>"})
    assert response.status_code == 200 and "Not saved" in response.content.decode()
    assert User.objects.get(pk=personas["learner"].pk).accent == "en-gb-scotland"


def test_the_setting_is_the_users_own(personas):
    client_for(personas["learner"]).post(reverse("account_settings"), {"accent": "en-029"})
    assert User.objects.get(pk=personas["outsider"].pk).accent == ""
    anonymous = client_for(personas["learner"])
    anonymous.logout()
    response = anonymous.get(reverse("account_settings"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_lesson_plans_carry_the_learners_accent(personas, lesson):  # noqa: F811
    learner = personas["learner"]
    assert plan_for(learner, lesson.pk).accent is None
    learner.accent = "en-029"
    learner.save()
    assert plan_for(learner, lesson.pk).accent == "en-029"
    inline = _lesson_plan(learner, SimpleNamespace(lesson_id=None, lesson=INLINE))
    assert inline.accent == "en-029"
    spelled_out = _lesson_plan(learner, SimpleNamespace(lesson_id=None, lesson={**INLINE, "accent": "en-gb"}))
    assert spelled_out.accent == "en-gb"


def test_an_inline_lesson_with_an_unknown_accent_is_refused():
    with pytest.raises(LessonPlanError, match="accent must be one of"):
        LessonPlan.from_dict({**INLINE, "accent": "en-mars"})


def test_the_streaming_assessor_of_a_reading_item_gets_the_accent():
    plan = LessonPlan.from_dict({**INLINE, "accent": "en-029"})
    assessor = streaming_assessor_for(plan, plan.items[0], LearnerChannel())
    assert assessor is not None and assessor.accent == "en-029"
