"""The lesson document: one schema for export, import, the starter curriculum and the JSON API.

Version 1:

    {"format": "parley-lessons", "version": 1, "lessons": [LessonDocument, ...]}

Shapes and sizes are checked here (pydantic); the rules that need the lexicon or
the database (known pronunciations, phoneme in the target word, per-teacher
limits) are checked by lessons.services when the document is imported.
"""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from . import services as limits

FORMAT = "parley-lessons"
VERSION = 1
MAX_LESSONS_PER_DOCUMENT = 200
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024

Prompt = Annotated[str, Field(max_length=limits.MAX_PROMPT_CHARS)]
Ipa = Annotated[str, Field(max_length=limits.MAX_IPA_CHARS)]
Word = Annotated[str, Field(min_length=1, max_length=limits.MAX_WORD_CHARS)]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class RepeatItem(Strict):
    kind: Literal["repeat"]
    prompt: Prompt = ""
    text: Annotated[str, Field(min_length=1, max_length=limits.MAX_TEXT_CHARS)]
    ipa: Ipa = Field("", description="Leave empty to have it generated from the text.")
    is_published: bool = True


class Pair(Strict):
    target: Word = Field(description="The word with the target phoneme.")
    target_ipa: Ipa = ""
    contrast: Word = Field(description="The word learners confuse it with.")
    contrast_ipa: Ipa = ""


class MinimalPairItem(Strict):
    kind: Literal["minimal_pair"]
    prompt: Prompt = ""
    target_phoneme: Annotated[str, Field(min_length=1, max_length=8)]
    pairs: Annotated[list[Pair], Field(min_length=1, max_length=limits.MAX_PAIRS)]
    is_published: bool = True


class QuestionItem(Strict):
    kind: Literal["question"]
    prompt: Annotated[str, Field(min_length=1, max_length=limits.MAX_PROMPT_CHARS)]
    accepted_answers: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=limits.MAX_ANSWER_CHARS)]],
        Field(min_length=1, max_length=limits.MAX_ACCEPTED_ANSWERS),
    ]
    is_published: bool = True


class FreeTalkItem(Strict):
    kind: Literal["free_talk"]
    prompt: Annotated[str, Field(min_length=1, max_length=limits.MAX_PROMPT_CHARS)]
    time_limit_seconds: Annotated[int, Field(ge=limits.FREE_TALK_TIME_RANGE[0], le=limits.FREE_TALK_TIME_RANGE[1])] = 60
    is_published: bool = True


Item = Annotated[RepeatItem | MinimalPairItem | QuestionItem | FreeTalkItem, Field(discriminator="kind")]


class LessonFields(Strict):
    title: Annotated[str, Field(min_length=1, max_length=limits.MAX_TITLE_CHARS)]
    description: Annotated[str, Field(max_length=limits.MAX_DESCRIPTION_CHARS)] = ""
    language: Literal["en-us", "en-gb", "fr-fr", "de-de", "es-es", "it-it"] = "en-us"
    level: Literal["A1", "A2", "B1", "B2", "C1", "C2"] = "A2"
    focus_phonemes: Annotated[
        list[Annotated[str, Field(max_length=8)]], Field(max_length=limits.MAX_FOCUS_PHONEMES)
    ] = []
    correction_policy: Literal["off", "at_pause", "immediate"] = "at_pause"
    patience: Annotated[float, Field(ge=limits.PATIENCE_RANGE[0], le=limits.PATIENCE_RANGE[1])] = 1.0
    think_time_seconds: Annotated[int, Field(ge=limits.THINK_TIME_RANGE[0], le=limits.THINK_TIME_RANGE[1])] = 5
    speaking_time_limit_seconds: Annotated[
        int, Field(ge=limits.SPEAKING_TIME_RANGE[0], le=limits.SPEAKING_TIME_RANGE[1])
    ] = 30


class LessonDocument(LessonFields):
    is_published: bool = False
    items: Annotated[list[Item], Field(max_length=limits.MAX_ITEMS_PER_LESSON)] = []


class Document(Strict):
    format: Literal["parley-lessons"]
    version: Literal[1]
    lessons: Annotated[list[LessonDocument], Field(min_length=1, max_length=MAX_LESSONS_PER_DOCUMENT)]
