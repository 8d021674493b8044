"""Lesson fixtures on top of the three personas: a second teacher, and a lesson of each item kind."""

from __future__ import annotations

import pytest

from lessons import services
from lessons.models import Assignment, Lesson
from tutor.models import User


@pytest.fixture
def other_teacher(db):
    return User.objects.create_user("theo", password="pw-theo-123456", role=User.Role.TEACHER)


def make_lesson(teacher: User, title: str = "Think and thank") -> Lesson:
    lesson = services.do_create_lesson(
        teacher, {"title": title, "level": "A2", "focus_phonemes": ["θ"], "correction_policy": "at_pause"}
    )
    services.do_add_item(teacher, lesson, "repeat", {"text": "Thank you for the three things."})
    services.do_add_item(
        teacher,
        lesson,
        "minimal_pair",
        {
            "target_phoneme": "θ",
            "pairs": [{"target": "think", "contrast": "sink"}, {"target": "three", "contrast": "tree"}],
        },
    )
    services.do_add_item(
        teacher,
        lesson,
        "question",
        {"prompt": "How old are you?", "accepted_answers": ["I am twenty years old", "Twenty"]},
    )
    services.do_add_item(teacher, lesson, "free_talk", {"prompt": "Talk about your weekend.", "time_limit_seconds": 60})
    return lesson


@pytest.fixture
def lesson(personas):
    """A published lesson of the teacher persona, assigned to her class (so the learner sees it)."""
    lesson = make_lesson(personas["teacher"])
    services.do_set_lesson_published(personas["teacher"], lesson, True)
    services.do_assign_lesson(personas["teacher"], lesson, classroom=personas["classroom"])
    return lesson


@pytest.fixture
def draft_lesson(personas):
    """An unpublished lesson assigned to the class: the learner must not see it."""
    lesson = make_lesson(personas["teacher"], title="Draft")
    Assignment.objects.create(lesson=lesson, classroom=personas["classroom"], assigned_by=personas["teacher"])
    return lesson
