"""What a conversation is about: the lesson items the engine works through.

The same shape is used by the duplex bench's scenario.json ("lang", "items")
and by the `lesson` field of a hello, so a lesson can be run without a lesson
row (bench, mic-check pages) and a stored lesson maps onto it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from speech.accents import ENGLISH_ACCENTS

ITEM_KINDS = ("repeat", "question", "free")
CORRECTION_POLICIES = ("off", "at_pause", "immediate")
MAX_ITEMS = 50
MAX_TEXT_CHARS = 300


class LessonPlanError(ValueError):
    pass


@dataclass(frozen=True)
class LessonItem:
    kind: str
    text: str = ""  # the sentence to say (repeat) or a model answer
    prompt: str = ""  # what the tutor says to present the item
    accepted: tuple[str, ...] = ()
    correction_policy: str = "at_pause"
    time_limit_s: float | None = None

    @property
    def spoken_prompt(self) -> str:
        if self.prompt:
            return self.prompt
        if self.kind == "repeat":
            return f"Please say: {self.text}"
        return self.text


@dataclass(frozen=True)
class LessonPlan:
    lang: str
    items: tuple[LessonItem, ...]
    patience: float = 1.0  # multiplies every waiting time; slow or hesitant speakers get more
    title: str = ""
    greeting: str = "Hi! Let's practise."
    closing: str = "That's all for today. Well done!"
    extra: dict = field(default_factory=dict)
    accent: str | None = None  # the learner's native accent (speech.accents), accepted by the scorer

    @classmethod
    def from_dict(cls, data: Any) -> LessonPlan:
        if not isinstance(data, dict):
            raise LessonPlanError("a lesson must be a JSON object")
        lang = data.get("lang", "en-us")
        if not isinstance(lang, str) or not 2 <= len(lang) <= 16:
            raise LessonPlanError("lang must be a language code such as en-us")
        raw_items = data.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            raise LessonPlanError("a lesson needs a non-empty list of items")
        if len(raw_items) > MAX_ITEMS:
            raise LessonPlanError(f"a lesson has at most {MAX_ITEMS} items")
        patience = data.get("patience", 1.0)
        if not isinstance(patience, int | float) or not 0.5 <= patience <= 3.0:
            raise LessonPlanError("patience must be a number between 0.5 and 3")
        accent = data.get("accent") or None
        if accent is not None and accent not in ENGLISH_ACCENTS:
            raise LessonPlanError(f"accent must be one of {', '.join(ENGLISH_ACCENTS)}")
        return cls(
            lang=lang,
            items=tuple(_item(index, raw) for index, raw in enumerate(raw_items)),
            patience=float(patience),
            title=_text(data.get("title", ""), "title"),
            accent=accent,
        )


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise LessonPlanError(f"{name} must be text")
    if len(value) > MAX_TEXT_CHARS:
        raise LessonPlanError(f"{name} has more than {MAX_TEXT_CHARS} characters")
    return value.strip()


def _item(index: int, raw: Any) -> LessonItem:
    where = f"item {index + 1}"
    if not isinstance(raw, dict):
        raise LessonPlanError(f"{where} must be an object")
    kind = raw.get("kind")
    if kind not in ITEM_KINDS:
        raise LessonPlanError(f"{where}: kind must be one of {', '.join(ITEM_KINDS)}")
    text = _text(raw.get("text", ""), f"{where} text")
    prompt = _text(raw.get("prompt", ""), f"{where} prompt")
    if kind == "repeat" and not text:
        raise LessonPlanError(f"{where}: a repeat item needs the text to say")
    if kind != "repeat" and not (prompt or text):
        raise LessonPlanError(f"{where}: a {kind} item needs a prompt")
    accepted = raw.get("accepted", [])
    if not isinstance(accepted, list) or len(accepted) > 20:
        raise LessonPlanError(f"{where}: accepted must be a list of at most 20 answers")
    policy = raw.get("correction_policy", "at_pause")
    if policy not in CORRECTION_POLICIES:
        raise LessonPlanError(f"{where}: correction_policy must be one of {', '.join(CORRECTION_POLICIES)}")
    limit = raw.get("time_limit_s")
    if limit is not None and (not isinstance(limit, int | float) or not 1 <= limit <= 600):
        raise LessonPlanError(f"{where}: time_limit_s must be between 1 and 600 seconds")
    return LessonItem(
        kind=kind,
        text=text,
        prompt=prompt,
        accepted=tuple(_text(answer, f"{where} accepted answer") for answer in accepted),
        correction_policy=policy,
        time_limit_s=float(limit) if limit is not None else None,
    )
