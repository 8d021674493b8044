"""Typed values that flow out of the listening side of speech/ every tick."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PartialWord:
    text: str
    start: float  # seconds since the recogniser's stream started (or was last reset)
    end: float


@dataclass(frozen=True)
class Partial:
    """The recogniser's best guess so far; earlier words may still change while the utterance goes on."""

    words: tuple[PartialWord, ...] = field(default_factory=tuple)
    final: bool = False  # True once the utterance was closed with finish()
    audio_seconds: float = 0.0  # audio pushed since the stream started

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)
