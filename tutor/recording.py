"""Learner audio to storage as it arrives.

The file holds the learner's PCM16 frames back to back, in sequence order,
without duplicates. The database row is the checkpoint: after every flush the
row records how many bytes and which last sequence number reached the file, so
a reconnect knows where to resume and a crash between flush and checkpoint is
repaired by truncating the file back to the checkpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    audio_bytes: int
    last_seq: int
    frames_stored: int
    frames_missing: int


class FrameOutcome:
    STORED = "stored"
    DUPLICATE = "duplicate"  # already stored: a client resending after a reconnect


class AudioRecorder:
    def __init__(
        self,
        path: Path,
        checkpoint: Checkpoint,
        flush_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.path = path
        self._clock = clock
        self._flush_interval = flush_interval
        path.parent.mkdir(parents=True, exist_ok=True)
        size = path.stat().st_size if path.exists() else 0
        if size > checkpoint.audio_bytes:
            log.warning("%s: %d bytes past the checkpoint, truncating to %d", path, size, checkpoint.audio_bytes)
        elif size < checkpoint.audio_bytes:
            log.error("%s: file has %d bytes, checkpoint says %d; keeping the file", path, size, checkpoint.audio_bytes)
            checkpoint = Checkpoint(size, checkpoint.last_seq, checkpoint.frames_stored, checkpoint.frames_missing)
        # Unbuffered: every frame reaches the OS as it arrives, and a connection replaced by a
        # newer one has nothing left to write when it closes.
        self._file: BinaryIO = open(path, "r+b" if path.exists() else "wb", buffering=0)  # noqa: SIM115
        self._file.truncate(checkpoint.audio_bytes)
        self._file.seek(checkpoint.audio_bytes)
        self._written = checkpoint
        self._flushed = checkpoint
        self._last_flush = clock()

    @property
    def next_seq(self) -> int:
        return self._written.last_seq + 1

    @property
    def audio_bytes(self) -> int:
        return self._written.audio_bytes

    def write(self, seq: int, pcm: bytes) -> str:
        current = self._written
        if seq <= current.last_seq:
            return FrameOutcome.DUPLICATE
        self._file.write(pcm)
        self._written = Checkpoint(
            audio_bytes=current.audio_bytes + len(pcm),
            last_seq=seq,
            frames_stored=current.frames_stored + 1,
            frames_missing=current.frames_missing + (seq - current.last_seq - 1),
        )
        return FrameOutcome.STORED

    @property
    def stored(self) -> Checkpoint:
        """What has reached the file (and should be in the row)."""
        return self._flushed

    def flush_due(self) -> bool:
        return self._written != self._flushed and self._clock() - self._last_flush >= self._flush_interval

    def flush(self) -> Checkpoint | None:
        """Push written frames to the OS; returns the new checkpoint to persist, or None if nothing changed."""
        self._last_flush = self._clock()
        if self._written == self._flushed:
            return None
        self._file.flush()
        self._flushed = self._written
        return self._flushed

    def close(self) -> Checkpoint | None:
        checkpoint = self.flush()
        self._file.close()
        return checkpoint


def write_answer_wav(session, item: int, pcm: bytes) -> str:
    """One answer as a WAV beside the session's recording, for the background workers; returns its media path."""
    from django.conf import settings

    from speech.audio import wav_bytes

    relpath = f"{Path(session.audio_relpath).parent}/answer-{item:03d}-{int(time.time() * 1000)}.wav"
    path = Path(settings.MEDIA_ROOT) / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(pcm, 16000))
    return relpath
