"""Streaming speech recognition: push PCM16 16 kHz chunks (20-200 ms), read growing partial words.

`StreamingRecognizer` is the interface the session engine uses; `PocketsphinxRecognizer` implements it
for US English with the acoustic model, language model and dictionary inside the pocketsphinx wheel.
Other languages plug in with `register_recognizer`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

import pocketsphinx

from speech.audio import LEARNER_RATE
from speech.frames import Partial, PartialWord

BYTES_PER_SAMPLE = 2
_FILLERS = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\+\+.*\+\+)$")
_ALTERNATE = re.compile(r"\(\d+\)$")


@runtime_checkable
class StreamingRecognizer(Protocol):
    """One learner's stream. Not thread-safe: one instance per session, driven from one place."""

    lang: str
    sample_rate: int

    def push(self, pcm16: bytes) -> Partial:
        """Add mono PCM16 little-endian audio at sample_rate; return the hypothesis so far."""
        ...

    def finish(self) -> Partial:
        """Close the current utterance and return its final words; the next push starts a new one."""
        ...

    def reset(self) -> None:
        """Forget everything; times start again from zero."""
        ...


class UnsupportedLanguageError(ValueError):
    pass


RecognizerFactory = Callable[[str], StreamingRecognizer]
_registry: dict[str, RecognizerFactory] = {}


def register_recognizer(lang: str, factory: RecognizerFactory) -> None:
    """Make `streaming_recognizer(lang)` build recognisers with factory (lang as in "en-us")."""
    _registry[lang.lower()] = factory


def streaming_recognizer(lang: str = "en-us") -> StreamingRecognizer:
    factory = _registry.get(lang.lower())
    if factory is None:
        known = ", ".join(sorted(_registry))
        raise UnsupportedLanguageError(f"no streaming recogniser for {lang!r} (available: {known})")
    return factory(lang.lower())


class PocketsphinxRecognizer:
    """CMU pocketsphinx with its US English models; about 13-25 ms of CPU per 200 ms chunk."""

    sample_rate = LEARNER_RATE

    def __init__(self, lang: str = "en-us", **decoder_options: object) -> None:
        if lang.lower() != "en-us":
            raise UnsupportedLanguageError(f"pocketsphinx has models for en-us only, not {lang!r}")
        self.lang = "en-us"
        model = Path(pocketsphinx.get_model_path()) / "en-us"
        # bestpath=False: the lattice rescoring pass sometimes loses words and breaks forced alignment.
        options = {
            "hmm": str(model / "en-us"),
            "lm": str(model / "en-us.lm.bin"),
            "dict": str(model / "cmudict-en-us.dict"),
            "samprate": self.sample_rate,
            "bestpath": False,
            "loglevel": "FATAL",
            **decoder_options,
        }
        self._decoder = pocketsphinx.Decoder(**options)
        self._frames_per_second = int(self._decoder.config["frate"])
        self._in_utterance = False
        self.reset()

    def reset(self) -> None:
        if self._in_utterance:
            self._decoder.end_utt()
        self._in_utterance = False
        self._carry = b""
        self._samples_pushed = 0
        self._utterance_offset = 0.0

    def push(self, pcm16: bytes) -> Partial:
        data = self._carry + pcm16
        usable = len(data) - len(data) % BYTES_PER_SAMPLE
        self._carry = data[usable:]
        if not self._in_utterance:
            self._decoder.start_utt()
            self._in_utterance = True
            self._utterance_offset = self._samples_pushed / self.sample_rate
        if usable:
            self._decoder.process_raw(data[:usable], no_search=False, full_utt=False)
            self._samples_pushed += usable // BYTES_PER_SAMPLE
        return self._partial(final=False)

    def finish(self) -> Partial:
        if not self._in_utterance:
            return Partial(final=True, audio_seconds=self._samples_pushed / self.sample_rate)
        self._decoder.end_utt()
        self._in_utterance = False
        self._carry = b""
        return self._partial(final=True)

    def _partial(self, final: bool) -> Partial:
        words = []
        if self._decoder.hyp() is not None:
            for segment in self._decoder.seg():
                if _FILLERS.match(segment.word):
                    continue
                words.append(
                    PartialWord(
                        text=_ALTERNATE.sub("", segment.word),
                        start=self._utterance_offset + segment.start_frame / self._frames_per_second,
                        end=self._utterance_offset + (segment.end_frame + 1) / self._frames_per_second,
                    )
                )
        return Partial(words=tuple(words), final=final, audio_seconds=self._samples_pushed / self.sample_rate)


register_recognizer("en-us", PocketsphinxRecognizer)
