"""What the pronunciation scorer returns. Times are seconds from the start of the audio; scores are 0-100."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

WordError = Literal["none", "mispronunciation", "omission", "insertion"]
Mode = Literal["scripted", "unscripted"]

SUPPORTED_LANGUAGES = ("en-us",)


class UnsupportedLanguageError(NotImplementedError):
    def __init__(self, lang: str) -> None:
        super().__init__(
            f"pronunciation scoring for {lang!r} is not implemented; supported: {', '.join(SUPPORTED_LANGUAGES)}"
        )
        self.lang = lang


def check_language(lang: str) -> None:
    if lang.lower() not in SUPPORTED_LANGUAGES:
        raise UnsupportedLanguageError(lang)


@dataclass(frozen=True)
class PhoneAssessment:
    ipa: str | None  # expected phone (None: a sound the learner added)
    start: float
    end: float
    accuracy: float
    heard: str | None = None  # IPA actually heard, only where the evidence says it differs ("" = nothing heard)


@dataclass(frozen=True)
class WordAssessment:
    text: str
    start: float
    end: float
    accuracy: float
    error: WordError
    expected_ipa: str
    heard_ipa: str | None = None  # what was said instead, when known
    rule: str | None = None  # learner rule that explains the error ("TH>S", "final-deletion", ...)
    phones: list[PhoneAssessment] = field(default_factory=list)


@dataclass(frozen=True)
class Fluency:
    score: float
    speech_rate: float  # phones per second of speaking time
    words_per_minute: float
    long_pauses: int  # silences over 300 ms between words
    filled_pauses: int  # "uh", "um"


@dataclass(frozen=True)
class Assessment:
    lang: str
    mode: Mode
    confidence: Literal["normal", "low"]  # low in unscripted mode: the reference is what was recognised
    reference_text: str
    words: list[WordAssessment]
    accuracy: float
    fluency: Fluency
    completeness: float
    overall: float
    duration: float
    accent: str | None = None  # the learner's native accent whose own forms counted as correct

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class WordVerdict:
    """A final streaming verdict on one reference word (inserted words come with the whole-utterance
    assessment)."""

    index: int  # position in the reference
    text: str
    start: float
    end: float
    error: WordError
    accuracy: float
    expected_ipa: str
    heard_ipa: str | None
    rule: str | None
    decided_at: float  # audio time (s) at which the verdict became final
    confidence: float = 1.0  # 0..1 that `error` is right: for a mispronunciation, the streaming head's P
    # mispronounced, and sure enough to correct the learner aloud (the calibrated correction bar)
    correct_aloud: bool = False

    def to_dict(self) -> dict:
        return asdict(self)
