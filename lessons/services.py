"""Lessons, items and assignments: check_* validate and authorise, do_* change data.

Pages, the JSON API and the importer all go through these functions, so a rule
(a size limit, who may edit what, which IPA is automatic) is written once.
Validation errors are `ValidationError`s keyed by field name.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from tutor.models import User

from . import pronunciation
from .models import Assignment, Classroom, Lesson, LessonItem

MAX_LESSONS_PER_TEACHER = 1000
MAX_ITEMS_PER_LESSON = 100
MAX_FOCUS_PHONEMES = 6
MAX_PAIRS = 12
MAX_ACCEPTED_ANSWERS = 20
MAX_TITLE_CHARS = 120
MAX_DESCRIPTION_CHARS = 2000
MAX_PROMPT_CHARS = 300
MAX_TEXT_CHARS = 200
MAX_IPA_CHARS = 600
MAX_ANSWER_CHARS = 200
MAX_WORD_CHARS = 40
PATIENCE_RANGE = (0.5, 2.0)
THINK_TIME_RANGE = (0, 60)
SPEAKING_TIME_RANGE = (5, 600)
FREE_TALK_TIME_RANGE = (10, 600)

LESSON_FIELDS = (
    "title",
    "description",
    "language",
    "level",
    "focus_phonemes",
    "correction_policy",
    "patience",
    "think_time_seconds",
    "speaking_time_limit_seconds",
)
ITEM_FIELDS = ("prompt", "text", "ipa", "target_phoneme", "pairs", "accepted_answers", "time_limit_seconds")
FIELDS_BY_KIND = {
    LessonItem.Kind.REPEAT: {"prompt", "text", "ipa"},
    LessonItem.Kind.MINIMAL_PAIR: {"prompt", "target_phoneme", "pairs"},
    LessonItem.Kind.QUESTION: {"prompt", "accepted_answers"},
    LessonItem.Kind.FREE_TALK: {"prompt", "time_limit_seconds"},
}
EMPTY_ITEM_VALUES: dict[str, Any] = {
    "prompt": "",
    "text": "",
    "ipa": "",
    "target_phoneme": "",
    "pairs": [],
    "accepted_answers": [],
    "time_limit_seconds": None,
}


# ---------------------------------------------------------------- who sees what


def check_is_teacher(user: User) -> None:
    if not (user.is_authenticated and user.is_teacher):
        raise PermissionDenied("Only teachers write lessons.")


def check_can_edit_lesson(user: User, lesson: Lesson) -> None:
    if not user.is_authenticated or lesson.owner_id != user.pk:
        raise PermissionDenied("This lesson is not yours to edit.")


def lessons_owned_by(teacher: User) -> QuerySet[Lesson]:
    return Lesson.objects.filter(owner=teacher)


def assignments_for_learner(learner: User) -> QuerySet[Assignment]:
    return Assignment.objects.filter(Q(learner=learner) | Q(classroom__learners=learner)).distinct()


def lessons_assigned_to(learner: User) -> QuerySet[Lesson]:
    """Published lessons given to the learner directly or through one of their classes."""
    return Lesson.objects.filter(
        Q(assignments__learner=learner) | Q(assignments__classroom__learners=learner), is_published=True
    ).distinct()


def lessons_visible_to(user: User) -> QuerySet[Lesson]:
    if not user.is_authenticated:
        return Lesson.objects.none()
    if user.is_teacher:
        return lessons_owned_by(user)
    return lessons_assigned_to(user)


def check_can_view_lesson(user: User, lesson: Lesson) -> None:
    if user.is_authenticated and lesson.owner_id == user.pk:
        return
    if user.is_authenticated and user.is_learner and lessons_assigned_to(user).filter(pk=lesson.pk).exists():
        return
    raise PermissionDenied("This lesson is not assigned to you.")


def items_visible_to(user: User, lesson: Lesson) -> QuerySet[LessonItem]:
    items = lesson.items.all()
    if lesson.owner_id == user.pk:
        return items
    return items.filter(is_published=True)


def check_can_view_item(user: User, item: LessonItem) -> None:
    check_can_view_lesson(user, item.lesson)
    if item.lesson.owner_id != user.pk and not item.is_published:
        raise PermissionDenied("This item is not published.")


# ---------------------------------------------------------------- validation


def _text(value: Any, field: str, limit: int, errors: dict, *, required: bool = False, label: str = "") -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(field, []).append(f"{label or field} must be text.")
        return ""
    value = " ".join(value.split())
    if required and not value:
        errors.setdefault(field, []).append(f"{label or field.capitalize()} cannot be empty.")
    elif len(value) > limit:
        errors.setdefault(field, []).append(
            f"{label or field.capitalize()} has {len(value)} characters; the limit is {limit}."
        )
    return value


def _number(value: Any, field: str, bounds: tuple[float, float], errors: dict, kind: type = int, label: str = ""):
    try:
        number = kind(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(f"{label or field} must be a number.")
        return None
    if not bounds[0] <= number <= bounds[1]:
        errors.setdefault(field, []).append(f"{label or field} must be between {bounds[0]} and {bounds[1]}.")
    return number


def is_ipa_text(text: str) -> bool:
    """Letters of the IPA, stress and length marks, diacritics, spaces and syllable dots."""
    for character in text:
        code = ord(character)
        if character.isspace() or character in "ˈˌːˑ.|‿-" or "a" <= character <= "z":
            continue
        if 0x250 <= code <= 0x36F or character in "æðøœçθβχɡŋʃʒɹɾɐᵻ":
            continue
        return False
    return True


def check_ipa(value: str, field: str, errors: dict) -> str:
    value = " ".join(value.split())
    if len(value) > MAX_IPA_CHARS:
        errors.setdefault(field, []).append(f"The IPA has {len(value)} characters; the limit is {MAX_IPA_CHARS}.")
    elif value and not is_ipa_text(value.strip("/[]")):
        errors.setdefault(field, []).append(
            f"“{value}” is not IPA: use IPA letters (θ, ð, ɪ, iː …), stress marks ˈ ˌ and spaces."
        )
    return value.strip("/[]")


def unknown_words_message(words: list[str]) -> str:
    quoted = ", ".join(f"“{word}”" for word in words)
    return f"No known pronunciation for {quoted}. Check the spelling, write numbers as words, or type the IPA yourself."


def resolve_ipa(text: str, submitted_ipa: str, old_text: str, old_ipa: str) -> str | None:
    """The IPA to keep, or None when it should be generated from the text.

    Generated when left empty, or when the text changed but the IPA was left as it was;
    otherwise what the teacher typed is kept.
    """
    if not submitted_ipa:
        return None
    if text != old_text and submitted_ipa == old_ipa:
        return None
    return submitted_ipa


def _spoken_ipa(text: str, submitted: str, old_text: str, old_ipa: str, lang: str, field: str, errors: dict) -> str:
    kept = resolve_ipa(text, submitted, old_text, old_ipa)
    if kept is not None or not text:
        return kept or ""
    spoken = pronunciation.pronounce(text, lang)
    if spoken.fallback_words:
        errors.setdefault(field, []).append(unknown_words_message(spoken.fallback_words))
    return spoken.ipa


def clean_focus_phonemes(value: Any, language: str, errors: dict) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list) or not all(isinstance(symbol, str) for symbol in value):
        errors.setdefault("focus_phonemes", []).append("Focus phonemes are a list of IPA symbols.")
        return []
    phonemes: list[str] = []
    for symbol in value:
        phoneme = pronunciation.normalize_phoneme(symbol)
        if not phoneme:
            continue
        if language.startswith("en") and phoneme not in pronunciation.ENGLISH_PHONEMES:
            choices = " ".join(pronunciation.ENGLISH_PHONEMES)
            errors.setdefault("focus_phonemes", []).append(
                f"/{symbol}/ is not an English phoneme here; choose from: {choices}."
            )
        elif len(phoneme) > 4 or not is_ipa_text(phoneme):
            errors.setdefault("focus_phonemes", []).append(f"“{symbol}” is not an IPA symbol.")
        elif phoneme not in phonemes:
            phonemes.append(phoneme)
    if len(phonemes) > MAX_FOCUS_PHONEMES:
        errors.setdefault("focus_phonemes", []).append(f"At most {MAX_FOCUS_PHONEMES} focus phonemes.")
    return phonemes


def clean_lesson_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise lesson settings; raises ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    cleaned["title"] = _text(data.get("title"), "title", MAX_TITLE_CHARS, errors, required=True, label="The title")
    cleaned["description"] = _text(
        data.get("description"), "description", MAX_DESCRIPTION_CHARS, errors, label="The description"
    )
    language = data.get("language") or Lesson.Language.EN_US
    if language not in Lesson.Language.values:
        errors["language"] = [f"Unknown language “{language}”; choose one of {', '.join(Lesson.Language.values)}."]
        language = Lesson.Language.EN_US
    cleaned["language"] = language
    level = data.get("level") or Lesson.Level.A2
    if level not in Lesson.Level.values:
        errors["level"] = [f"The level is one of {', '.join(Lesson.Level.values)} (CEFR)."]
    cleaned["level"] = level
    policy = data.get("correction_policy") or Lesson.CorrectionPolicy.AT_PAUSE
    if policy not in Lesson.CorrectionPolicy.values:
        errors["correction_policy"] = [f"Correction is one of {', '.join(Lesson.CorrectionPolicy.values)}."]
    cleaned["correction_policy"] = policy
    cleaned["focus_phonemes"] = clean_focus_phonemes(data.get("focus_phonemes") or [], language, errors)
    cleaned["patience"] = _number(
        data.get("patience", 1.0), "patience", PATIENCE_RANGE, errors, float, label="Patience"
    )
    cleaned["think_time_seconds"] = _number(
        data.get("think_time_seconds", 5), "think_time_seconds", THINK_TIME_RANGE, errors, label="Think time"
    )
    cleaned["speaking_time_limit_seconds"] = _number(
        data.get("speaking_time_limit_seconds", 30),
        "speaking_time_limit_seconds",
        SPEAKING_TIME_RANGE,
        errors,
        label="Speaking time limit",
    )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_pairs(value: Any, target_phoneme: str, old_pairs: list[dict], lang: str, errors: dict) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(pair, dict) for pair in value):
        errors.setdefault("pairs", []).append("Pairs are a list of {target, contrast} words.")
        return []
    if not value:
        errors.setdefault("pairs", []).append("A minimal-pair drill needs at least one pair of words.")
    if len(value) > MAX_PAIRS:
        errors.setdefault("pairs", []).append(f"At most {MAX_PAIRS} pairs in one drill.")
        value = value[:MAX_PAIRS]
    pairs = []
    unknown: list[str] = []
    for index, pair in enumerate(value):
        old = old_pairs[index] if index < len(old_pairs) else {}
        cleaned = {}
        for role in ("target", "contrast"):
            word = _text(pair.get(role), "pairs", MAX_WORD_CHARS, errors, required=True, label=f"Pair {index + 1}")
            if word and pronunciation.words_of(word) != [word]:
                errors.setdefault("pairs", []).append(f"Pair {index + 1}: “{word}” should be one word.")
            submitted = check_ipa(pair.get(f"{role}_ipa") or "", "pairs", errors)
            kept = resolve_ipa(word, submitted, old.get(role, ""), old.get(f"{role}_ipa", ""))
            if kept is None and word:
                spoken = pronunciation.pronounce(word, lang)
                unknown.extend(spoken.fallback_words)
                kept = spoken.ipa
            cleaned[role], cleaned[f"{role}_ipa"] = word, kept or ""
        if cleaned["target"] and cleaned["target"].lower() == cleaned["contrast"].lower():
            errors.setdefault("pairs", []).append(f"Pair {index + 1}: the two words are the same.")
        carries_phoneme = target_phoneme in pronunciation.phonemes_of_ipa(cleaned["target_ipa"])
        if target_phoneme and cleaned["target_ipa"] and not carries_phoneme:
            errors.setdefault("pairs", []).append(
                f"Pair {index + 1}: “{cleaned['target']}” /{cleaned['target_ipa']}/ has no /{target_phoneme}/; "
                "put the word with the target sound first."
            )
        pairs.append(cleaned)
    if unknown:
        errors.setdefault("pairs", []).append(unknown_words_message(unknown))
    return pairs


def _clean_answers(value: Any, errors: dict) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list) or not all(isinstance(answer, str) for answer in value):
        errors.setdefault("accepted_answers", []).append("Accepted answers are a list of sentences.")
        return []
    answers = []
    for answer in value:
        answer = _text(answer, "accepted_answers", MAX_ANSWER_CHARS, errors, label="An accepted answer")
        if answer and answer not in answers:
            answers.append(answer)
    if not answers:
        errors.setdefault("accepted_answers", []).append("A question needs at least one accepted answer.")
    if len(answers) > MAX_ACCEPTED_ANSWERS:
        errors.setdefault("accepted_answers", []).append(f"At most {MAX_ACCEPTED_ANSWERS} accepted answers.")
    return answers


def clean_item_fields(kind: str, data: dict[str, Any], language: str, old: LessonItem | None = None) -> dict[str, Any]:
    """Validate an item of `kind`; fills IPA the teacher did not write. Raises ValidationError keyed by field."""
    if kind not in LessonItem.Kind.values:
        raise ValidationError({"kind": [f"Unknown item kind “{kind}”; one of {', '.join(LessonItem.Kind.values)}."]})
    errors: dict[str, list[str]] = {}
    cleaned = dict(EMPTY_ITEM_VALUES)
    needs_prompt = kind in (LessonItem.Kind.QUESTION, LessonItem.Kind.FREE_TALK)
    cleaned["prompt"] = _text(
        data.get("prompt"), "prompt", MAX_PROMPT_CHARS, errors, required=needs_prompt, label="The prompt"
    )
    if kind == LessonItem.Kind.REPEAT:
        text = _text(data.get("text"), "text", MAX_TEXT_CHARS, errors, required=True, label="The sentence")
        submitted = check_ipa(data.get("ipa") or "", "ipa", errors)
        old_text, old_ipa = (old.text, old.ipa) if old else ("", "")
        cleaned["text"] = text
        if "text" not in errors:
            cleaned["ipa"] = _spoken_ipa(text, submitted, old_text, old_ipa, language, "text", errors)
    elif kind == LessonItem.Kind.MINIMAL_PAIR:
        phoneme = pronunciation.normalize_phoneme(data.get("target_phoneme") or "")
        if not phoneme:
            errors.setdefault("target_phoneme", []).append("Say which phoneme the drill is about.")
        elif language.startswith("en") and phoneme not in pronunciation.ENGLISH_PHONEMES:
            errors.setdefault("target_phoneme", []).append(f"/{phoneme}/ is not an English phoneme here.")
        cleaned["target_phoneme"] = phoneme
        old_pairs = old.pairs if old else []
        cleaned["pairs"] = _clean_pairs(data.get("pairs") or [], phoneme, old_pairs, language, errors)
    elif kind == LessonItem.Kind.QUESTION:
        cleaned["accepted_answers"] = _clean_answers(data.get("accepted_answers") or [], errors)
    elif kind == LessonItem.Kind.FREE_TALK:
        cleaned["time_limit_seconds"] = _number(
            60 if data.get("time_limit_seconds") in (None, "") else data["time_limit_seconds"],
            "time_limit_seconds",
            FREE_TALK_TIME_RANGE,
            errors,
            label="Time limit",
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


# ---------------------------------------------------------------- lessons


def do_create_lesson(teacher: User, data: dict[str, Any]) -> Lesson:
    check_is_teacher(teacher)
    fields = clean_lesson_fields(data)
    if lessons_owned_by(teacher).count() >= MAX_LESSONS_PER_TEACHER:
        raise ValidationError(f"A teacher can have at most {MAX_LESSONS_PER_TEACHER} lessons.")
    return Lesson.objects.create(owner=teacher, **fields)


def do_update_lesson(teacher: User, lesson: Lesson, data: dict[str, Any]) -> Lesson:
    check_can_edit_lesson(teacher, lesson)
    current = {name: getattr(lesson, name) for name in LESSON_FIELDS}
    fields = clean_lesson_fields({**current, **data})
    for name, value in fields.items():
        setattr(lesson, name, value)
    lesson.save()
    return lesson


def do_set_lesson_published(teacher: User, lesson: Lesson, published: bool) -> Lesson:
    check_can_edit_lesson(teacher, lesson)
    if published and not lesson.items.filter(is_published=True).exists():
        raise ValidationError("Publish at least one item before publishing the lesson.")
    lesson.is_published = published
    lesson.published_at = timezone.now() if published else None
    lesson.save(update_fields=["is_published", "published_at", "updated_at"])
    return lesson


@transaction.atomic
def do_duplicate_lesson(teacher: User, lesson: Lesson) -> Lesson:
    check_can_edit_lesson(teacher, lesson)
    if lessons_owned_by(teacher).count() >= MAX_LESSONS_PER_TEACHER:
        raise ValidationError(f"A teacher can have at most {MAX_LESSONS_PER_TEACHER} lessons.")
    fields = {name: copy.deepcopy(getattr(lesson, name)) for name in LESSON_FIELDS}
    fields["title"] = f"Copy of {lesson.title}"[:MAX_TITLE_CHARS]
    duplicate = Lesson.objects.create(owner=teacher, **fields)
    LessonItem.objects.bulk_create(
        LessonItem(
            lesson=duplicate,
            position=item.position,
            kind=item.kind,
            is_published=item.is_published,
            **{name: copy.deepcopy(getattr(item, name)) for name in ITEM_FIELDS},
        )
        for item in lesson.items.all()
    )
    return duplicate


def do_delete_lesson(teacher: User, lesson: Lesson) -> None:
    check_can_edit_lesson(teacher, lesson)
    lesson.delete()


# ---------------------------------------------------------------- items


@transaction.atomic
def do_add_item(teacher: User, lesson: Lesson, kind: str, data: dict[str, Any]) -> LessonItem:
    check_can_edit_lesson(teacher, lesson)
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    fields = clean_item_fields(kind, data, lesson.language)
    count = lesson.items.count()
    if count >= MAX_ITEMS_PER_LESSON:
        raise ValidationError(f"A lesson can have at most {MAX_ITEMS_PER_LESSON} items.")
    last = lesson.items.aggregate(last=Max("position"))["last"]
    published = bool(data.get("is_published", True))
    item = LessonItem.objects.create(
        lesson=lesson, kind=kind, position=0 if last is None else last + 1, is_published=published, **fields
    )
    Lesson.objects.filter(pk=lesson.pk).update(updated_at=timezone.now())
    return item


def do_update_item(teacher: User, item: LessonItem, data: dict[str, Any]) -> LessonItem:
    check_can_edit_lesson(teacher, item.lesson)
    current = {name: getattr(item, name) for name in FIELDS_BY_KIND[item.kind]}
    fields = clean_item_fields(item.kind, {**current, **data}, item.lesson.language, old=item)
    for name, value in fields.items():
        setattr(item, name, value)
    item.save()
    return item


def do_set_item_published(teacher: User, item: LessonItem, published: bool) -> LessonItem:
    check_can_edit_lesson(teacher, item.lesson)
    item.is_published = published
    item.save(update_fields=["is_published", "updated_at"])
    return item


@transaction.atomic
def do_delete_item(teacher: User, item: LessonItem) -> None:
    check_can_edit_lesson(teacher, item.lesson)
    lesson = item.lesson
    position = LessonItem.objects.select_for_update().get(pk=item.pk).position  # the object may be stale
    item.delete()
    lesson.items.filter(position__gt=position).update(position=F("position") - 1)


@transaction.atomic
def do_move_item(teacher: User, item: LessonItem, offset: int) -> None:
    """Move an item up (offset -1) or down (+1) by swapping it with its neighbour."""
    check_can_edit_lesson(teacher, item.lesson)
    items = list(item.lesson.items.select_for_update().order_by("position"))
    index = next(i for i, candidate in enumerate(items) if candidate.pk == item.pk)
    target = index + offset
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    _renumber(items)


@transaction.atomic
def do_reorder_items(teacher: User, lesson: Lesson, item_ids: list[int]) -> None:
    """Put the lesson's items in the order given; the ids must be exactly the lesson's items."""
    check_can_edit_lesson(teacher, lesson)
    items = {item.pk: item for item in lesson.items.select_for_update()}
    if len(item_ids) != len(set(item_ids)) or set(item_ids) != set(items):
        raise ValidationError("The new order must list every item of the lesson once.")
    _renumber([items[pk] for pk in item_ids])


def _renumber(items: list[LessonItem]) -> None:
    # The unique (lesson, position) constraint is deferred to the end of the transaction.
    for position, item in enumerate(items):
        item.position = position
    LessonItem.objects.bulk_update(items, ["position"])


# ---------------------------------------------------------------- assignments


def check_can_assign(teacher: User, lesson: Lesson, classroom: Classroom | None, learner: User | None) -> None:
    check_can_edit_lesson(teacher, lesson)
    if (classroom is None) == (learner is None):
        raise ValidationError("Assign a lesson to a class or to a learner.")
    if classroom is not None and classroom.teacher_id != teacher.pk:
        raise PermissionDenied("This class is not yours.")
    if learner is not None and not Classroom.objects.filter(teacher=teacher, learners=learner).exists():
        raise ValidationError("You can assign lessons only to learners in your classes.")


def do_assign_lesson(
    teacher: User,
    lesson: Lesson,
    *,
    classroom: Classroom | None = None,
    learner: User | None = None,
    due_at: dt.datetime | None = None,
) -> Assignment:
    check_can_assign(teacher, lesson, classroom, learner)
    target = {"classroom": classroom} if classroom is not None else {"learner": learner}
    assignment, _ = Assignment.objects.update_or_create(
        lesson=lesson, **target, defaults={"due_at": due_at, "assigned_by": teacher}
    )
    return assignment


def do_unassign(teacher: User, assignment: Assignment) -> None:
    check_can_edit_lesson(teacher, assignment.lesson)
    assignment.delete()


def assignments_by(teacher: User) -> QuerySet[Assignment]:
    return Assignment.objects.filter(lesson__owner=teacher)
