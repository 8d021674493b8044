"""Streaming, cancellable speech: text in, PCM16 chunks of at most 40 ms out, first sentence first.

A `SpeechStream` renders one sentence (or the first clause) at a time. The first piece is rendered
when the consumer asks for the first chunk (or earlier, with `prepare()`); the next piece starts
rendering in the background once the consumer has taken the first chunk of the current one, so
rendering keeps ahead of playback without delaying the first audio.

`cancel()` may be called from any thread. Every chunk passes one lock-guarded check just before it
is handed out, and `cancel()` takes the same lock, so once `cancel()` returns no further chunk
leaves the stream; at most the one chunk that had already passed the check is in the consumer's
hands. Pending renders are dropped.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np

from speech.audio import Audio, float_to_pcm16, resample
from speech.synthesis.loudness import normalize_loudness
from speech.synthesis.voices import PLAIN, CancelSignal, RenderCancelled, Style, Voice

DEFAULT_OUTPUT_RATE = 22050
MAX_CHUNK_MS = 40
_LEADING_SILENCE_KEPT_S = 0.03
_SILENCE_THRESHOLD = 10 ** (-50 / 20)


@dataclass(frozen=True)
class TutorAudioChunk:
    """A piece of the tutor's voice: PCM16 little-endian mono at `rate`."""

    pcm: bytes
    rate: int
    text: str  # caption: the sentence or clause being said
    sentence_index: int
    start_sample: int  # position of the first sample within the whole utterance
    final: bool  # the last chunk of the utterance

    @property
    def sample_count(self) -> int:
        return len(self.pcm) // 2

    @property
    def seconds(self) -> float:
        return self.sample_count / self.rate


@dataclass(frozen=True)
class Piece:
    """One unit of rendering: its caption and a function that renders it at the output rate.

    The function gets the stream's cancel signal and may raise `RenderCancelled` once it is set.
    """

    text: str
    render: Callable[[CancelSignal], np.ndarray]


class SpeechStream:
    """Iterator (sync or async) of `TutorAudioChunk`; `cancel()` from any thread stops it for good."""

    def __init__(self, pieces: Sequence[Piece], rate: int, chunk_ms: int = MAX_CHUNK_MS) -> None:
        if not 1 <= chunk_ms <= MAX_CHUNK_MS:
            raise ValueError(f"chunk_ms must be between 1 and {MAX_CHUNK_MS}, not {chunk_ms}")
        self.rate = rate
        self.pieces = tuple(pieces)
        self._chunk_bytes = 2 * max(1, rate * chunk_ms // 1000)
        self._emit_lock = threading.Lock()  # guards the cancelled check and the emission counter
        self._next_lock = threading.Lock()  # one consumer at a time
        self._cancelled = False
        self._cancel_signal = CancelSignal()
        self._chunks_emitted = 0
        self._renders_started = 0
        self._renders_aborted = 0
        self._renders: dict[int, Future[bytes]] = {}
        self._piece_index = -1
        self._piece_pcm = b""
        self._offset_in_piece = 0
        self._samples_emitted = 0
        self._next_piece_scheduled = False

    # -- state, for callers and tests -------------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def unplayed_text(self) -> str:
        """The captions of the piece being played and of those after it: what to say again after a false stop."""
        return " ".join(piece.text for piece in self.pieces[max(self._piece_index, 0) :])

    @property
    def chunks_emitted(self) -> int:
        return self._chunks_emitted

    @property
    def renders_started(self) -> int:
        """How many pieces have begun rendering (the first-chunk-before-the-rest guarantee is visible here)."""
        return self._renders_started

    @property
    def renders_aborted(self) -> int:
        """How many renders were stopped part-way by `cancel()`."""
        return self._renders_aborted

    # -- control ------------------------------------------------------------------------------------
    def prepare(self) -> SpeechStream:
        """Start rendering the first piece now, in the background (e.g. while the learner is still talking)."""
        if self.pieces:
            self._schedule(0)
        return self

    def cancel(self) -> int:
        """Stop the stream; returns how many chunks left it. No chunk leaves after this returns.

        Renders not yet started are dropped and a render in progress is aborted (its engine stops
        within a few milliseconds), so the CPU is free for listening at once.
        """
        with self._emit_lock:
            self._cancelled = True
            emitted = self._chunks_emitted
        self._cancel_signal.set()
        for future in list(self._renders.values()):
            future.cancel()
        return emitted

    def __enter__(self) -> SpeechStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cancel()  # leaving the block early (barge-in, error) must not leave renders running

    # -- iteration ----------------------------------------------------------------------------------
    def __iter__(self) -> SpeechStream:
        return self

    def __next__(self) -> TutorAudioChunk:
        chunk = self.next_chunk()
        if chunk is None:
            raise StopIteration
        return chunk

    def __aiter__(self) -> SpeechStream:
        return self

    async def __anext__(self) -> TutorAudioChunk:
        chunk = await asyncio.to_thread(self.next_chunk)
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    def next_chunk(self) -> TutorAudioChunk | None:
        """The next chunk, or None once the stream is finished or cancelled."""
        with self._next_lock:
            while not self._cancelled:
                if self._offset_in_piece < len(self._piece_pcm):
                    return self._emit()
                if self._piece_index + 1 >= len(self.pieces):
                    return None
                self._piece_index += 1
                self._piece_pcm = self._rendered(self._piece_index)
                self._offset_in_piece = 0
                self._next_piece_scheduled = False
            return None

    def collect(self) -> Audio:
        """Drain the rest of the stream into one `Audio`."""
        pcm = b"".join(chunk.pcm for chunk in self)
        return Audio(np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0, self.rate)

    # -- internals ----------------------------------------------------------------------------------
    def _emit(self) -> TutorAudioChunk | None:
        if not self._next_piece_scheduled and self._offset_in_piece > 0:
            # The consumer has taken this piece's first chunk: render the next one behind its back.
            self._next_piece_scheduled = True
            if self._piece_index + 1 < len(self.pieces):
                self._schedule(self._piece_index + 1)
        start = self._offset_in_piece
        pcm = self._piece_pcm[start : start + self._chunk_bytes]
        is_last_piece = self._piece_index == len(self.pieces) - 1
        with self._emit_lock:
            if self._cancelled:
                return None
            chunk = TutorAudioChunk(
                pcm=pcm,
                rate=self.rate,
                text=self.pieces[self._piece_index].text,
                sentence_index=self._piece_index,
                start_sample=self._samples_emitted,
                final=is_last_piece and start + len(pcm) >= len(self._piece_pcm),
            )
            self._chunks_emitted += 1
        self._offset_in_piece += len(pcm)
        self._samples_emitted += len(pcm) // 2
        return chunk

    def _schedule(self, index: int) -> Future[bytes]:
        if index not in self._renders:
            self._renders[index] = _render_pool().submit(self._render, index)
        return self._renders[index]

    def _rendered(self, index: int) -> bytes:
        future = self._renders.get(index)
        if future is None:
            return self._render(index)  # the first piece: render right here, no hand-off cost
        try:
            return future.result()
        except Exception:
            if future.cancelled():
                return b""
            raise

    def _render(self, index: int) -> bytes:
        if self._cancelled:
            return b""
        self._renders_started += 1
        try:
            samples = self.pieces[index].render(self._cancel_signal)
        except RenderCancelled:
            self._renders_aborted += 1
            return b""
        if index == 0:
            samples = _trim_leading_silence(samples, self.rate)
        return float_to_pcm16(samples)


class Synthesizer:
    """A voice at a declared output rate: `speak(text)` gives a `SpeechStream`."""

    def __init__(self, voice: Voice, rate: int = DEFAULT_OUTPUT_RATE, chunk_ms: int = MAX_CHUNK_MS) -> None:
        self.voice = voice
        self.rate = rate
        self.chunk_ms = chunk_ms

    def speak(self, text: str, style: Style = PLAIN) -> SpeechStream:
        pieces = [Piece(part, self._renderer(part, style)) for part in split_for_speaking(text)]
        return SpeechStream(pieces, self.rate, self.chunk_ms)

    def render(self, text: str, style: Style = PLAIN) -> np.ndarray:
        """The whole of `text` at the output rate, loudness-normalised (for pre-rendering)."""
        return self._renderer(text, style)(CancelSignal())

    def play(self, text: str, samples: np.ndarray) -> SpeechStream:
        """A stream over audio already rendered at the output rate."""
        return SpeechStream([Piece(text, lambda _cancel: samples)], self.rate, self.chunk_ms)

    def _renderer(self, text: str, style: Style) -> Callable[[CancelSignal], np.ndarray]:
        def render(cancel: CancelSignal) -> np.ndarray:
            parts = list(self.voice.synthesize(text, style, cancel))
            samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
            samples = normalize_loudness(samples, self.voice.rate)
            return resample(samples, self.voice.rate, self.rate)

        return render


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:])\s+|\s+[—–]\s+")
_MIN_CLAUSE_WORDS = 2
# A first sentence this long with no punctuation inside is cut before a conjunction instead.
_LONG_SENTENCE_WORDS = 12
_MIN_PHRASE_WORDS = 4
_CONJUNCTIONS = {"and", "but", "because", "which", "although", "until"}  # never nouns or adverbs


def split_for_speaking(text: str) -> list[str]:
    """Sentences, with the first one cut at its first clause break so the first audio comes sooner."""
    sentences = [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]
    if not sentences:
        return []
    first, *rest = sentences
    return [*_first_clause_split(first), *rest]


def _first_clause_split(sentence: str) -> list[str]:
    clauses = _CLAUSE_BREAK.split(sentence, maxsplit=1)
    if len(clauses) == 2 and all(len(clause.split()) >= _MIN_CLAUSE_WORDS for clause in clauses):
        return [clauses[0].strip(), clauses[1].strip()]
    words = sentence.split()
    if len(clauses) == 1 and len(words) > _LONG_SENTENCE_WORDS:
        for position in range(_MIN_PHRASE_WORDS, len(words) - _MIN_PHRASE_WORDS + 1):
            if words[position].lower() in _CONJUNCTIONS:
                return [" ".join(words[:position]), " ".join(words[position:])]
    return [sentence]


def _trim_leading_silence(samples: np.ndarray, rate: int) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples) > _SILENCE_THRESHOLD)
    if len(loud) == 0:
        return samples
    start = max(0, int(loud[0]) - int(_LEADING_SILENCE_KEPT_S * rate))
    return samples[start:]


@cache
def _render_pool() -> ThreadPoolExecutor:
    # One rendering thread: the engines already use every core for one render.
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="parley-tts")
