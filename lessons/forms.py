"""Forms of the authoring pages. They parse what a browser sends; lessons.services decides what is valid."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from . import services
from .models import Classroom, Lesson, LessonItem
from .schemas import MAX_DOCUMENT_BYTES

PAIR_WORD = re.compile(r"^\s*(?P<word>[^/|]+?)\s*(?:/(?P<ipa>[^/]*)/)?\s*$")


class LessonForm(forms.Form):
    title = forms.CharField(max_length=services.MAX_TITLE_CHARS)
    description = forms.CharField(
        max_length=services.MAX_DESCRIPTION_CHARS, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    language = forms.ChoiceField(choices=Lesson.Language.choices, initial=Lesson.Language.EN_US)
    level = forms.ChoiceField(choices=Lesson.Level.choices, initial=Lesson.Level.A2, label="CEFR level")
    focus_phonemes = forms.CharField(
        max_length=80, required=False, help_text="IPA symbols separated by spaces, e.g. θ ð", label="Focus phonemes"
    )
    correction_policy = forms.ChoiceField(
        choices=Lesson.CorrectionPolicy.choices, initial=Lesson.CorrectionPolicy.AT_PAUSE, label="Correct mistakes"
    )
    patience = forms.FloatField(
        min_value=services.PATIENCE_RANGE[0],
        max_value=services.PATIENCE_RANGE[1],
        initial=1.0,
        help_text="0.5 brisk … 2.0 very patient",
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )
    think_time_seconds = forms.IntegerField(
        min_value=services.THINK_TIME_RANGE[0],
        max_value=services.THINK_TIME_RANGE[1],
        initial=5,
        label="Think time (s)",
    )
    speaking_time_limit_seconds = forms.IntegerField(
        min_value=services.SPEAKING_TIME_RANGE[0],
        max_value=services.SPEAKING_TIME_RANGE[1],
        initial=30,
        label="Speaking time limit (s)",
    )

    @classmethod
    def for_lesson(cls, lesson: Lesson) -> LessonForm:
        initial = {name: getattr(lesson, name) for name in services.LESSON_FIELDS}
        initial["focus_phonemes"] = " ".join(lesson.focus_phonemes)
        return cls(initial=initial)


def pairs_to_text(pairs: list[dict]) -> str:
    return "\n".join(
        f"{pair['target']} /{pair['target_ipa']}/ | {pair['contrast']} /{pair['contrast_ipa']}/" for pair in pairs
    )


def text_to_pairs(text: str) -> list[dict]:
    """One pair a line: `think | sink`, IPA optional between slashes: `think /θɪŋk/ | sink /sɪŋk/`."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        halves = line.split("|")
        matches = [PAIR_WORD.match(half) for half in halves]
        if len(halves) != 2 or not all(matches):
            raise ValidationError(f"Line {number}: write a pair as “think | sink” (IPA between slashes is optional).")
        pair: dict[str, Any] = {}
        for role, match in zip(("target", "contrast"), matches, strict=True):
            pair[role] = match["word"]
            pair[f"{role}_ipa"] = (match["ipa"] or "").strip()
        pairs.append(pair)
    return pairs


class ItemForm(forms.Form):
    kind = forms.ChoiceField(choices=LessonItem.Kind.choices, widget=forms.HiddenInput)
    prompt = forms.CharField(max_length=services.MAX_PROMPT_CHARS, required=False)
    text = forms.CharField(max_length=services.MAX_TEXT_CHARS, required=False, label="Sentence to repeat")
    ipa = forms.CharField(
        max_length=services.MAX_IPA_CHARS, required=False, label="IPA", help_text="Leave empty to generate it."
    )
    target_phoneme = forms.CharField(max_length=8, required=False, label="Target phoneme")
    pairs = forms.CharField(
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One pair a line: think | sink. IPA between slashes, or leave it out to generate it.",
    )
    accepted_answers = forms.CharField(
        max_length=services.MAX_ACCEPTED_ANSWERS * (services.MAX_ANSWER_CHARS + 1),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line. Answers with the same meaning count too.",
        label="Accepted answers",
    )
    time_limit_seconds = forms.IntegerField(required=False, label="Time limit (s)")

    @classmethod
    def for_item(cls, item: LessonItem, prefix: str) -> ItemForm:
        initial = {
            "kind": item.kind,
            "prompt": item.prompt,
            "text": item.text,
            "ipa": item.ipa,
            "target_phoneme": item.target_phoneme,
            "pairs": pairs_to_text(item.pairs),
            "accepted_answers": "\n".join(item.accepted_answers),
            "time_limit_seconds": item.time_limit_seconds,
        }
        return cls(initial=initial, prefix=prefix)

    def clean_pairs(self) -> list[dict]:
        return text_to_pairs(self.cleaned_data["pairs"])

    def clean_accepted_answers(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["accepted_answers"].splitlines() if line.strip()]

    def item_data(self) -> dict[str, Any]:
        fields = services.FIELDS_BY_KIND[self.cleaned_data["kind"]]
        return {name: value for name, value in self.cleaned_data.items() if name in fields}


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ImportForm(forms.Form):
    document = forms.FileField(label="Lesson file (JSON)")

    def clean_document(self):
        upload = self.cleaned_data["document"]
        if upload.size > MAX_DOCUMENT_BYTES:
            raise ValidationError(f"The file is larger than {MAX_DOCUMENT_BYTES // 1024} KiB.")
        return upload.read()


class AssignForm(forms.Form):
    target = forms.ChoiceField(label="Assign to")
    due_at = forms.DateTimeField(
        required=False, label="Due", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, teacher, **kwargs):
        super().__init__(*args, **kwargs)
        classes = Classroom.objects.filter(teacher=teacher).prefetch_related("learners")
        choices: list[tuple[str, str]] = [(f"class:{c.pk}", f"Class: {c.name}") for c in classes]
        learners = {learner.pk: learner for c in classes for learner in c.learners.all()}
        choices += [(f"learner:{pk}", f"Learner: {learner.username}") for pk, learner in sorted(learners.items())]
        self.fields["target"].choices = choices
        self.classes = {c.pk: c for c in classes}
        self.learners = learners

    def target_kwargs(self) -> dict[str, Any]:
        kind, _, pk = self.cleaned_data["target"].partition(":")
        if kind == "class":
            return {"classroom": self.classes[int(pk)]}
        return {"learner": self.learners[int(pk)]}


class AnswerForm(forms.Form):
    answer = forms.CharField(max_length=300, label="Your answer")


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, label="Token name", help_text="What will use it, e.g. “school sync script”.")
