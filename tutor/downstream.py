"""Tutor audio to the client, paced in real time and stoppable at once.

Chunks are queued by whatever produces the tutor's voice; a sender task sends
each one when the client's playout needs it, keeping at most `lead_ms` of audio
ahead of real time, so "stop playback" can drop everything not yet sent.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .protocol import MAX_TUTOR_CHUNK_MS, BinaryFrame, FrameKind


@dataclass(frozen=True, slots=True)
class TutorChunk:
    pcm: bytes
    caption: str = ""


class Downstream:
    def __init__(self, send: Callable[[bytes], Awaitable[None]], rate: int, lead_ms: float = 120.0):
        self.rate = rate
        self._send = send
        self._lead = lead_ms / 1000.0
        self._queue: deque[TutorChunk] = deque()
        self._wake = asyncio.Event()
        self._seq = 0
        self._media_end = 0.0  # monotonic time at which the client's playout of what was sent ends
        self._task: asyncio.Task | None = None
        self.frames_sent = 0
        self.samples_sent = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def enqueue(self, pcm: bytes, caption: str = "") -> None:
        max_bytes = self.rate * MAX_TUTOR_CHUNK_MS // 1000 * 2
        for offset in range(0, len(pcm), max_bytes):
            self._queue.append(TutorChunk(pcm[offset : offset + max_bytes], caption))
        self._wake.set()

    def clear(self) -> int:
        """Drop everything not yet sent; returns how many chunks were dropped."""
        dropped = len(self._queue)
        self._queue.clear()
        self._media_end = time.monotonic()
        return dropped

    @property
    def samples_ahead_of_caption(self) -> int:
        """Tutor audio sent or queued so far: where the next enqueued chunk sits in the stream."""
        return self.samples_sent + sum(len(chunk.pcm) // 2 for chunk in self._queue)

    @property
    def busy(self) -> bool:
        """Audio is queued here or still playing out at the client."""
        return bool(self._queue) or self._media_end > time.monotonic()

    @property
    def queued_ms(self) -> float:
        return sum(len(chunk.pcm) for chunk in self._queue) / 2 / self.rate * 1000

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            now = time.monotonic()
            ahead = self._media_end - now
            if ahead > self._lead:
                await asyncio.sleep(ahead - self._lead)
                continue
            chunk = self._queue.popleft()
            frame = BinaryFrame(FrameKind.TUTOR_AUDIO, self._seq, int(now * 1e6), chunk.pcm)
            self._seq += 1
            self._media_end = max(self._media_end, now) + len(chunk.pcm) / 2 / self.rate
            await self._send(frame.encode())
            self.frames_sent += 1
            self.samples_sent += len(chunk.pcm) // 2
