"""Lessons, items, ordering, duplication and assignments through the service layer."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lessons import services
from lessons.models import Lesson, LessonItem
from tests.lessons.conftest import make_lesson

pytestmark = pytest.mark.django_db


def test_new_lesson_gets_items_in_order_with_generated_ipa(personas):
    lesson = make_lesson(personas["teacher"])
    items = list(lesson.items.all())
    assert [item.kind for item in items] == ["repeat", "minimal_pair", "question", "free_talk"]
    assert [item.position for item in items] == [0, 1, 2, 3]
    assert items[0].ipa.split()[0] == "ˈθæŋk" and "θ" in items[0].ipa
    assert items[1].pairs[0] == {"target": "think", "target_ipa": "ˈθɪŋk", "contrast": "sink", "contrast_ipa": "ˈsɪŋk"}


def test_empty_and_overlong_text_are_refused_with_clear_messages(personas):
    lesson = make_lesson(personas["teacher"])
    with pytest.raises(ValidationError) as empty:
        services.do_add_item(personas["teacher"], lesson, "repeat", {"text": "   "})
    assert empty.value.message_dict["text"] == ["The sentence cannot be empty."]
    with pytest.raises(ValidationError) as long:
        services.do_add_item(personas["teacher"], lesson, "repeat", {"text": "word " * 60})
    assert "the limit is 200" in long.value.message_dict["text"][0]


def test_words_without_a_known_pronunciation_are_named(personas):
    lesson = make_lesson(personas["teacher"])
    with pytest.raises(ValidationError) as error:
        services.do_add_item(personas["teacher"], lesson, "repeat", {"text": "I saw 3 zorblaxes"})
    message = error.value.message_dict["text"][0]
    assert "No known pronunciation for “3”, “zorblaxes”" in message and "type the IPA yourself" in message


def test_typed_ipa_is_kept_and_unknown_words_then_pass(personas):
    lesson = make_lesson(personas["teacher"])
    item = services.do_add_item(personas["teacher"], lesson, "repeat", {"text": "Zorblax", "ipa": "ˈzɔːɹblæks"})
    assert item.ipa == "ˈzɔːɹblæks"


def test_ipa_follows_a_changed_text_unless_the_teacher_edited_it(personas):
    lesson = make_lesson(personas["teacher"])
    item = lesson.items.get(kind="repeat")
    services.do_update_item(personas["teacher"], item, {"text": "Three trees", "ipa": item.ipa})
    assert item.ipa == "ˈθɹiː ˈtɹiːz"
    services.do_update_item(personas["teacher"], item, {"text": "Three trees", "ipa": "θɹi tɹiz"})
    assert item.ipa == "θɹi tɹiz"


def test_minimal_pair_target_word_must_carry_the_phoneme(personas):
    lesson = make_lesson(personas["teacher"])
    with pytest.raises(ValidationError) as error:
        services.do_add_item(
            personas["teacher"],
            lesson,
            "minimal_pair",
            {"target_phoneme": "θ", "pairs": [{"target": "sink", "contrast": "think"}]},
        )
    assert "“sink” /ˈsɪŋk/ has no /θ/" in error.value.message_dict["pairs"][0]


def test_question_needs_an_answer_and_free_talk_a_sane_limit(personas):
    lesson = make_lesson(personas["teacher"])
    with pytest.raises(ValidationError) as question:
        services.do_add_item(personas["teacher"], lesson, "question", {"prompt": "Why?", "accepted_answers": []})
    assert "at least one accepted answer" in question.value.message_dict["accepted_answers"][0]
    with pytest.raises(ValidationError) as talk:
        services.do_add_item(personas["teacher"], lesson, "free_talk", {"prompt": "Go", "time_limit_seconds": 5000})
    assert "between 10 and 600" in talk.value.message_dict["time_limit_seconds"][0]


def test_lesson_settings_are_validated(personas):
    with pytest.raises(ValidationError) as error:
        services.do_create_lesson(
            personas["teacher"], {"title": "", "level": "Z9", "focus_phonemes": ["q"], "patience": 7}
        )
    assert set(error.value.message_dict) == {"title", "level", "focus_phonemes", "patience"}


def test_focus_phonemes_accept_what_teachers_type(personas):
    lesson = services.do_create_lesson(personas["teacher"], {"title": "R and L", "focus_phonemes": "r, l, /i/"})
    assert lesson.focus_phonemes == ["ɹ", "l", "iː"]


def test_move_and_reorder_keep_positions_dense(personas):
    lesson = make_lesson(personas["teacher"])
    first, second, third, fourth = lesson.items.all()
    services.do_move_item(personas["teacher"], third, -1)
    assert list(lesson.items.values_list("pk", flat=True)) == [first.pk, third.pk, second.pk, fourth.pk]
    services.do_move_item(personas["teacher"], first, -1)  # already first: nothing moves
    services.do_reorder_items(personas["teacher"], lesson, [fourth.pk, third.pk, second.pk, first.pk])
    assert list(lesson.items.values_list("pk", "position")) == [
        (fourth.pk, 0),
        (third.pk, 1),
        (second.pk, 2),
        (first.pk, 3),
    ]
    with pytest.raises(ValidationError):
        services.do_reorder_items(personas["teacher"], lesson, [fourth.pk, third.pk])
    services.do_delete_item(personas["teacher"], third)
    assert list(lesson.items.values_list("position", flat=True)) == [0, 1, 2]


def test_duplicate_copies_items_as_a_draft(personas):
    lesson = make_lesson(personas["teacher"])
    services.do_set_lesson_published(personas["teacher"], lesson, True)
    copy = services.do_duplicate_lesson(personas["teacher"], lesson)
    assert copy.title == "Copy of Think and thank" and not copy.is_published
    assert [i.pairs for i in copy.items.all()] == [i.pairs for i in lesson.items.all()]
    assert Lesson.objects.filter(owner=personas["teacher"]).count() == 2


def test_publishing_needs_a_published_item(personas):
    lesson = services.do_create_lesson(personas["teacher"], {"title": "Empty"})
    with pytest.raises(ValidationError, match="at least one item"):
        services.do_set_lesson_published(personas["teacher"], lesson, True)


def test_other_teachers_and_learners_cannot_change_a_lesson(personas, other_teacher):
    lesson = make_lesson(personas["teacher"])
    item = lesson.items.first()
    for intruder in (other_teacher, personas["learner"]):
        with pytest.raises(PermissionDenied):
            services.do_update_lesson(intruder, lesson, {"title": "Mine now"})
        with pytest.raises(PermissionDenied):
            services.do_update_item(intruder, item, {"text": "Mine now"})
        with pytest.raises(PermissionDenied):
            services.do_duplicate_lesson(intruder, lesson)
    with pytest.raises(PermissionDenied):
        services.do_create_lesson(personas["learner"], {"title": "Learners write no lessons"})


def test_learner_sees_published_lessons_assigned_through_class_or_directly(
    personas, lesson, draft_lesson, other_teacher
):
    learner, outsider = personas["learner"], personas["outsider"]
    assert list(services.lessons_visible_to(learner)) == [lesson]
    assert list(services.lessons_visible_to(outsider)) == []
    assert set(services.lessons_visible_to(personas["teacher"])) == {lesson, draft_lesson}
    assert list(services.lessons_visible_to(other_teacher)) == []
    with pytest.raises(ValidationError, match="only to learners in your classes"):
        services.do_assign_lesson(personas["teacher"], lesson, learner=outsider)
    personas["classroom"].learners.add(outsider)
    services.do_assign_lesson(personas["teacher"], draft_lesson, learner=outsider)
    services.do_set_lesson_published(personas["teacher"], draft_lesson, True)
    assert set(services.lessons_visible_to(outsider)) == {lesson, draft_lesson}


def test_learners_do_not_see_unpublished_items(personas, lesson):
    item = lesson.items.first()
    services.do_set_item_published(personas["teacher"], item, False)
    assert item not in services.items_visible_to(personas["learner"], lesson)
    assert item in services.items_visible_to(personas["teacher"], lesson)
    with pytest.raises(PermissionDenied):
        services.check_can_view_item(personas["learner"], LessonItem.objects.get(pk=item.pk))
