"""The tutor's mouth: plays speech streams into the downstream, one after another, stoppable at once."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from speech.synthesis import SpeechStream

from ..downstream import Downstream

MAX_AHEAD_MS = 300.0  # rendered audio handed to the downstream ahead of playout
RESUMABLE_KINDS = {"greeting", "prompt", "answer"}  # what is worth saying again after a false stop


class TutorSpeaker:
    def __init__(self, downstream: Downstream, send_event: Callable[..., Awaitable[None]]):
        self._downstream = downstream
        self._send_event = send_event
        self._streams: deque[tuple[SpeechStream, str]] = deque()
        self._current: SpeechStream | None = None
        self._pump: asyncio.Task | None = None
        self.utterances_started = 0
        self.on_audio: Callable[[bytes, int], None] | None = None  # sees every chunk played (echo reference)
        self._current_kind = ""
        self.interrupted: tuple[str, str] | None = None  # (text, kind) a barge-in cut off, until the tutor speaks

    @property
    def can_resume(self) -> bool:
        return self.interrupted is not None and not self.speaking

    def resume(self, synthesizer) -> None:
        """Say again what the last barge-in cut off (the learner only said "mm-hm")."""
        if self.interrupted is not None:
            text, kind = self.interrupted
            self.say(synthesizer.speak(text), kind)

    @property
    def speaking(self) -> bool:
        return self._current is not None or bool(self._streams) or self._downstream.busy

    def say(self, stream: SpeechStream, kind: str) -> None:
        self.interrupted = None
        self._streams.append((stream, kind))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._play_all())

    async def stop(self, reason: str) -> bool:
        """Cancel everything not yet played; returns whether anything was playing."""
        was_speaking = self.speaking
        if reason == "barge_in" and self._current is not None and self._current_kind in RESUMABLE_KINDS:
            unplayed = [self._current.unplayed_text, *(stream.unplayed_text for stream, _kind in self._streams)]
            self.interrupted = (" ".join(text for text in unplayed if text), self._current_kind)
        for stream, _kind in self._streams:
            stream.cancel()
        self._streams.clear()
        if self._current is not None:
            self._current.cancel()
        self._downstream.clear()
        if was_speaking:
            await self._send_event("stop_playback", reason=reason)
        return was_speaking

    async def close(self) -> None:
        await self.stop("closing")
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)

    async def _play_all(self) -> None:
        while self._streams:
            stream, kind = self._streams.popleft()
            self._current, self._current_kind = stream, kind
            self.utterances_started += 1
            caption = None
            try:
                while True:
                    chunk = await asyncio.to_thread(stream.next_chunk)
                    if chunk is None:
                        break
                    if chunk.text != caption:
                        caption = chunk.text
                        start_ms = round(self._downstream.samples_ahead_of_caption / self._downstream.rate * 1000)
                        await self._send_event("caption", text=caption, kind=kind, start_ms=start_ms)
                    self._downstream.enqueue(chunk.pcm, caption)
                    if self.on_audio is not None:
                        self.on_audio(chunk.pcm, chunk.rate)
                    while self._downstream.queued_ms > MAX_AHEAD_MS and not stream.cancelled:
                        await asyncio.sleep(0.02)
            finally:
                self._current = None
