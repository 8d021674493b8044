"""The starter curriculum loads, validates against the same rules as any import, and loads only once."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from lessons import services
from lessons.curriculum import curriculum_files, load_starter_curriculum
from lessons.models import Lesson, LessonItem
from tutor.models import User

pytestmark = pytest.mark.django_db

PRONUNCIATION_TOPICS = {"θ", "ð", "ɹ", "l", "v", "w", "b", "ɪ", "iː", "æ", "ɛ", "ʌ", "ə"}


def test_curriculum_covers_the_common_problems_with_mixed_item_kinds(personas):
    result = load_starter_curriculum(personas["teacher"], personas["classroom"])
    lessons = result.created
    assert len(lessons) >= 12 and not result.already_there
    focus = {phoneme for lesson in lessons for phoneme in lesson.focus_phonemes}
    assert focus >= PRONUNCIATION_TOPICS
    for lesson in lessons:
        kinds = set(lesson.items.values_list("kind", flat=True))
        assert len(kinds) >= 3, lesson.title
        assert lesson.is_published
    assert LessonItem.objects.filter(kind="repeat", ipa="").count() == 0
    assert set(services.lessons_visible_to(personas["learner"])) == set(lessons)


def test_loading_twice_creates_nothing_new(personas):
    load_starter_curriculum(personas["teacher"], personas["classroom"])
    again = load_starter_curriculum(personas["teacher"], personas["classroom"])
    assert again.created == [] and len(again.already_there) == len(curriculum_files())
    assert Lesson.objects.count() == len(curriculum_files())


def test_files_use_the_export_format():
    for path in curriculum_files():
        document = json.loads(path.read_text())
        assert document["format"] == "parley-lessons" and document["version"] == 1, path.name


def test_demo_data_includes_the_curriculum_for_the_demo_class(capsys):
    call_command("load_demo")
    call_command("load_demo")
    learner = User.objects.get(username="learner")
    assert services.lessons_visible_to(learner).count() == len(curriculum_files())
    assert "Starter curriculum:" in capsys.readouterr().out
