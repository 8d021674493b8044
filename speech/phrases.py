"""Stock phrases and backchannels, rendered once at start-up so that saying one costs nothing.

Each phrase is rendered in several prosodic variants (statement / question / trailing-off
punctuation, a little faster or slower, slightly higher or lower by resampling) and `get` never
plays the same variant, nor the same backchannel, twice in a row.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from speech.audio import resample
from speech.synthesis import EspeakVoice, SpeechStream, Style, Synthesizer
from speech.synthesis.ipa import ipa_to_espeak


@dataclass(frozen=True)
class Phrase:
    key: str  # what callers ask for: "mm-hm"
    text: str  # what is written in captions: "Mm-hm"
    spoken: str | None = None  # what the voice reads, where the caption's spelling misleads it
    ipa: str | None = None  # exact sounds, for what no spelling gets right


@dataclass(frozen=True)
class Variant:
    """How one rendering differs: end punctuation, speed and pitch."""

    mark: str
    length_scale: float
    semitones: float


@dataclass(frozen=True)
class RenderedPhrase:
    phrase: Phrase
    variant: Variant
    samples: np.ndarray  # float32 at the bank's output rate, loudness-normalised


# Whisper hears every variant of these words as meant (bench/speech_speaking.py checks). "Uh-huh" is
# read as "uh huh": hyphenated, the neural voice says "oh". "Mm-hm" is its own kind: spelled, every
# front end says the letters M-M-H-M; from IPA it is a hum, but Whisper hears it as "mem"/"amen", so it
# stays out of the default backchannel rotation until someone has judged it by ear.
STOCK_PHRASES: dict[str, tuple[Phrase, ...]] = {
    "backchannel": (
        Phrase("uh-huh", "Uh-huh", spoken="Uh huh"),
        Phrase("yeah", "Yeah"),
        Phrase("right", "Right"),
        Phrase("okay", "Okay"),
        Phrase("i see", "I see"),
    ),
    "hum": (Phrase("mm-hm", "Mm-hm", ipa="ʔm̩ˈhm̩"),),
    "encourage": (
        Phrase("go on", "Go on"),
        Phrase("take your time", "Take your time"),
        Phrase("keep going", "Keep going"),
    ),
    "praise": (
        Phrase("good", "Good"),
        Phrase("nice", "Nice"),
        Phrase("well done", "Well done"),
    ),
    "retry": (
        Phrase("let's try that again", "Let's try that again"),
        Phrase("one more time", "One more time"),
    ),
}

# Rendered in this order; a bank with n variants per phrase takes the first n.
VARIANT_PLAN: tuple[Variant, ...] = (
    Variant(".", 1.0, 0.0),
    Variant("?", 1.0, 0.6),
    Variant("...", 1.15, -0.6),
    Variant(".", 0.92, 0.8),
    Variant("!", 1.0, -0.4),
    Variant("...", 1.05, 0.3),
)


class PhraseNotWarmError(RuntimeError):
    pass


class PhraseBank:
    """`PhraseBank(synthesizer).warm()`, then `get("backchannel")` or `get("mm-hm")` -> a stream."""

    def __init__(
        self,
        synthesizer: Synthesizer,
        phrases: Mapping[str, Sequence[Phrase]] = STOCK_PHRASES,
        variants_per_phrase: int = 4,
        seed: int | None = None,
    ) -> None:
        if not 2 <= variants_per_phrase <= len(VARIANT_PLAN):
            raise ValueError(f"variants_per_phrase must be between 2 and {len(VARIANT_PLAN)}")
        self.synthesizer = synthesizer
        self.phrases = {kind: tuple(group) for kind, group in phrases.items()}
        self._by_key = {phrase.key: phrase for group in self.phrases.values() for phrase in group}
        self._variant_plan = VARIANT_PLAN[:variants_per_phrase]
        self._rendered: dict[str, tuple[RenderedPhrase, ...]] = {}
        self._last_variant: dict[str, int] = {}
        self._last_key: dict[str, str] = {}
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def keys(self) -> list[str]:
        return list(self._by_key)

    @property
    def warmed(self) -> bool:
        return len(self._rendered) == len(self._by_key)

    def warm(self) -> PhraseBank:
        """Render every variant of every phrase (seconds, once, at start-up)."""
        for key, phrase in self._by_key.items():
            if key not in self._rendered:
                self._rendered[key] = tuple(self._render(phrase, variant) for variant in self._variant_plan)
        return self

    def warm_in_background(self) -> threading.Thread:
        """Start `warm()` on a daemon thread; phrases become available one by one as they are rendered."""
        thread = threading.Thread(target=self.warm, name="parley-phrase-bank", daemon=True)
        thread.start()
        return thread

    def get(self, name: str) -> SpeechStream:
        """A stream of a phrase kind ("backchannel") or of one phrase ("mm-hm"); never the same twice running."""
        rendered = self.pick(name)
        return self.synthesizer.play(rendered.phrase.text, rendered.samples)

    def pick(self, name: str) -> RenderedPhrase:
        with self._lock:
            if name in self.phrases:
                keys = [phrase.key for phrase in self.phrases[name]]
                key = self._choose_other(keys, self._last_key.get(name))
                self._last_key[name] = key
            elif name in self._by_key:
                key = name
            else:
                raise KeyError(f"no stock phrase or phrase kind called {name!r}")
            variants = self._rendered.get(key)
            if variants is None:
                raise PhraseNotWarmError(f"phrase {key!r} is not rendered yet: call warm() at start-up")
            index = self._choose_other(list(range(len(variants))), self._last_variant.get(key))
            self._last_variant[key] = index
            return variants[index]

    def variants(self, key: str) -> tuple[RenderedPhrase, ...]:
        return self._rendered.get(key, ())

    def _choose_other(self, options: list, last: object) -> object:
        fresh = [option for option in options if option != last] or options
        return self._random.choice(fresh)

    def _render(self, phrase: Phrase, variant: Variant) -> RenderedPhrase:
        text = self._spoken_text(phrase, variant.mark)
        samples = self.synthesizer.render(text, Style(length_scale=variant.length_scale))
        return RenderedPhrase(phrase, variant, _shift_pitch(samples, self.synthesizer.rate, variant.semitones))

    def _spoken_text(self, phrase: Phrase, mark: str) -> str:
        if phrase.ipa is None:
            return (phrase.spoken or phrase.text) + mark
        if isinstance(self.synthesizer.voice, EspeakVoice):
            return f"[[{ipa_to_espeak(phrase.ipa)}]]"
        # piper reads [[...]] as IPA, punctuation included; "..." is not one of its symbols.
        return f"[[{phrase.ipa}{'.' if mark == '...' else mark}]]"


def _shift_pitch(samples: np.ndarray, rate: int, semitones: float) -> np.ndarray:
    """Raise (or lower) pitch by playing faster (or slower): the small tempo change is part of the variety."""
    if semitones == 0:
        return samples
    factor = 2 ** (semitones / 12)
    return resample(samples, rate, round(rate / factor))
