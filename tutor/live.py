"""One live duplex connection: the protocol's behaviour, free of Channels.

The consumer hands every WebSocket message to a `LiveConnection` and gives it
three callbacks (send text, send bytes, close). The connection owns the
per-session state: the recorder that stores learner audio, the downstream
sender that paces tutor audio, the limits, and the link to the session row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from channels.db import database_sync_to_async

from . import sessions
from .downstream import Downstream
from .limits import TokenBucket, ViolationCounter
from .models import ConversationSession, User
from .protocol import (
    HEADER,
    LEARNER_FRAME_MS,
    LEARNER_RATE,
    MAX_TUTOR_CHUNK_MS,
    PROTOCOL_VERSION,
    TUTOR_RATE,
    BinaryFrame,
    CloseCode,
    FrameKind,
    Hello,
    ProtocolError,
    decode_binary,
    decode_text,
    event,
    parse_hello,
)
from .recording import AudioRecorder, FrameOutcome

if TYPE_CHECKING:
    from .engine.engine import ConversationEngine

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 60.0
MAX_AUDIO_BEFORE_ENGINE = 30 * 2 * LEARNER_RATE  # 30 s of learner audio held while the engine loads


@dataclass(frozen=True)
class Limits:
    max_binary_frame_bytes: int
    max_text_frame_bytes: int
    frames_per_second: float
    frame_burst: int
    max_session_seconds: float
    hello_timeout_seconds: float
    violations_before_close: int
    violation_window_seconds: float
    flush_interval_seconds: float
    abandoned_after_seconds: float

    def public(self) -> dict:
        return {
            "max_binary_frame_bytes": self.max_binary_frame_bytes,
            "max_text_frame_bytes": self.max_text_frame_bytes,
            "frames_per_second": self.frames_per_second,
            "max_session_seconds": self.max_session_seconds,
        }


class LiveConnection:
    def __init__(
        self,
        user: User,
        limits: Limits,
        send_text: Callable[[str], Awaitable[None]],
        send_bytes: Callable[[bytes], Awaitable[None]],
        close: Callable[[int], Awaitable[None]],
    ):
        self.user = user
        self.limits = limits
        self._send_text, self._send_bytes, self._close = send_text, send_bytes, close
        self._frames = TokenBucket(limits.frames_per_second, limits.frame_burst)
        self._messages = TokenBucket(20.0, 40)
        self._violations = ViolationCounter(limits.violations_before_close, limits.violation_window_seconds)
        self.session: ConversationSession | None = None
        self._recorder: AudioRecorder | None = None
        self._downstream: Downstream | None = None
        self._paused = False
        self._closed = False
        self.replaced = False  # a newer connection took this session over; it owns the row now
        self.client_buffer_ms = 0.0
        self.engine: ConversationEngine | None = None
        self._engine_task: asyncio.Task | None = None
        self._audio_before_engine = bytearray()
        self._events: list[tuple[str, float, dict]] = []
        self._housekeeping: asyncio.Task | None = None
        self._hello_deadline = asyncio.get_running_loop().call_later(
            limits.hello_timeout_seconds, lambda: asyncio.ensure_future(self._close_with(CloseCode.HELLO_TIMEOUT))
        )

    # --- messages from the client -------------------------------------------------

    async def receive_text(self, text: str) -> None:
        try:
            if not self._messages.allow():
                raise ProtocolError("rate_limited", "too many text messages")
            message = decode_text(text, self.limits.max_text_frame_bytes)
            if self.session is None:
                await self._hello(message)
            elif message["type"] == "hello":
                raise ProtocolError("bad_message", "hello was already received")
            elif message["type"] == "control":
                await self._control(message["action"])
            elif message["type"] == "playback":
                self.client_buffer_ms = float(message.get("buffered_ms") or 0.0)
        except ProtocolError as error:
            fatal = self.session is None and error.code in {"hello_expected", "bad_version", "bad_lesson"}
            await self._violation(error, fatal=fatal)

    async def receive_bytes(self, data: bytes) -> None:
        try:
            if not self._frames.allow():
                raise ProtocolError("rate_limited", f"more than {self.limits.frames_per_second:g} frames a second")
            frame = decode_binary(data, self.limits.max_binary_frame_bytes)
            if frame.kind == FrameKind.PING:
                await self._send_bytes(
                    BinaryFrame(FrameKind.PONG, frame.seq, frame.timestamp_us, frame.payload).encode()
                )
                return
            if self.session is None:
                raise ProtocolError("hello_expected", "send hello before audio")
            await self._learner_audio(frame)
        except ProtocolError as error:
            await self._violation(error)

    async def disconnected(self) -> None:
        self._closed = True
        self._hello_deadline.cancel()
        if self._housekeeping:
            self._housekeeping.cancel()
        if self._engine_task is not None and not self._engine_task.done():
            self._engine_task.cancel()
            await asyncio.gather(self._engine_task, return_exceptions=True)
        if self.engine is not None:
            await self.engine.close()
        if self._downstream:
            await self._downstream.stop()
        if self.session is not None and self._recorder is not None:
            if self.replaced:  # the newer connection owns the file and the row now
                self._recorder.close()
            else:
                await self._persist()
                self._recorder.close()
                ended = self.session.status == ConversationSession.Status.ENDED
                await database_sync_to_async(sessions.save_checkpoint)(
                    self.session.pk, self._recorder.stored, None if ended else ConversationSession.Status.DISCONNECTED
                )
        if self.engine is not None:  # after the audio: what the learner said matters more than where it starts
            await database_sync_to_async(sessions.keep_learner_channel)(self.user.pk, self.engine.learner_channel)

    # --- behaviour ------------------------------------------------------------------

    async def _hello(self, message: dict) -> None:
        self._hello_deadline.cancel()
        hello = parse_hello(message)
        plan = await database_sync_to_async(_lesson_plan)(self.user, hello)
        try:
            session = await database_sync_to_async(sessions.open_session)(self.user, hello.session_id, hello.mode)
        except sessions.SessionNotFound as error:
            await self._send_text(event("error", code="unknown_session", message=str(error), fatal=True))
            await self._close_with(CloseCode.UNKNOWN_SESSION)
            return
        self._hello_deadline.cancel()
        self.session = session
        self._recorder = AudioRecorder(
            sessions.audio_path(session), sessions.checkpoint_of(session), self.limits.flush_interval_seconds
        )
        self._downstream = Downstream(self._send_bytes, rate=LEARNER_RATE if plan is None else TUTOR_RATE)
        self._downstream.start()
        self._housekeeping = asyncio.create_task(self._keep_house())
        await self._send_text(
            event(
                "welcome",
                protocol=PROTOCOL_VERSION,
                session_id=str(session.pk),
                resumed=hello.session_id is not None,
                mode=session.mode,
                next_seq=self._recorder.next_seq,
                stored_bytes=self._recorder.audio_bytes,
                upstream={
                    "format": "pcm16le",
                    "sample_rate": LEARNER_RATE,
                    "channels": 1,
                    "frame_ms": LEARNER_FRAME_MS,
                    "header_bytes": HEADER.size,
                },
                downstream={
                    "format": "pcm16le",
                    "sample_rate": self._downstream.rate,
                    "channels": 1,
                    "max_chunk_ms": MAX_TUTOR_CHUNK_MS,
                    "header_bytes": HEADER.size,
                },
                limits=self.limits.public(),
            )
        )
        if plan is not None:
            # The engine loads in the background (the voice may still be warming up): pings and
            # audio keep flowing meanwhile, and the audio reaches the engine once it is ready.
            resume_at = await database_sync_to_async(sessions.last_item_index)(session.pk) if hello.session_id else 0
            self._engine_task = asyncio.create_task(self._start_engine(plan, hello, resume_at))

    async def _start_engine(self, plan, hello: Hello, resume_at: int) -> None:
        from .engine.engine import ConversationEngine
        from .engine.policy import DEFAULT_POLICY, POLICIES
        from .engine.speaker import TutorSpeaker

        policy = POLICIES.get(hello.policy or DEFAULT_POLICY, POLICIES[DEFAULT_POLICY])()
        speaker = TutorSpeaker(self._downstream, self.emit)
        channel = await database_sync_to_async(sessions.learner_channel)(self.user.pk)
        engine = await ConversationEngine.create(
            plan, speaker, self.emit, policy=policy, hand_off=self.hand_off, trace=hello.trace, learner_channel=channel
        )
        if self._closed:
            await engine.close()
            return
        engine.feed(bytes(self._audio_before_engine))
        self._audio_before_engine.clear()
        self.engine = engine
        await engine.start(resume_at=resume_at)

    async def hand_off(self, item: int, kind: str, pcm: bytes, prompt: str, accepted: tuple[str, ...]) -> None:
        """Send an answer to the background workers; their result comes back to `background_result`."""
        from lessons.tasks import evaluate_answer

        from .consumers import session_group
        from .recording import write_answer_wav

        relpath = await asyncio.to_thread(write_answer_wav, self.session, item, pcm)
        lang = self.engine.plan.lang if self.engine else "en-us"
        await asyncio.to_thread(
            evaluate_answer.delay,
            str(self.session.pk),
            session_group(self.session.pk),
            item,
            kind,
            relpath,
            prompt,
            list(accepted),
            lang,
        )

    async def background_result(self, message: dict) -> None:
        if self.engine is not None:
            await self.emit("transcript", item=message["item"], words=message["words"], final=True)
            self.engine.deliver_feedback(message["item"], message["feedback"])

    async def emit(self, event_type: str, /, **fields) -> None:
        """A tutor event: to the client now, to the conversation record at the next checkpoint."""
        audio_time = self.engine.now if self.engine else self._recorder.audio_bytes / (2 * LEARNER_RATE)
        if event_type != "tick":  # per-tick traces go to the client only
            self._events.append((event_type, round(audio_time, 3), fields))
        await self._send_text(event(event_type, **fields))

    async def _control(self, action: str) -> None:
        assert self.session is not None and self._downstream is not None
        if action == "stop":
            await self._end()
            return
        self._paused = action == "pause"
        if self._paused:
            self._downstream.clear()
        status = ConversationSession.Status.PAUSED if self._paused else ConversationSession.Status.LIVE
        self.session.status = status
        await database_sync_to_async(sessions.set_status)(self.session.pk, status)
        await self._send_text(event("state", state=status))

    async def _learner_audio(self, frame: BinaryFrame) -> None:
        assert self._recorder is not None and self._downstream is not None
        if self._recorder.audio_bytes / (2 * LEARNER_RATE) >= self.limits.max_session_seconds:
            await self._send_text(
                event("error", code="session_limit", message="this session reached its length limit", fatal=True)
            )
            await self._end(code=CloseCode.SESSION_LIMIT)
            return
        if self._recorder.write(frame.seq, frame.payload) == FrameOutcome.DUPLICATE:
            return
        if self.engine is not None:
            self.engine.feed(frame.payload)
        elif self._engine_task is not None:
            if len(self._audio_before_engine) < MAX_AUDIO_BEFORE_ENGINE:
                self._audio_before_engine += frame.payload
        elif self.session.mode == ConversationSession.Mode.ECHO and not self._paused:
            self._downstream.enqueue(frame.payload)
        if self._recorder.flush_due():
            await self._persist()

    async def _end(self, code: int = CloseCode.NORMAL) -> None:
        assert self.session is not None
        if self.engine is not None:
            await self.emit("engine_stats", **self.engine.stats.summary())
        await self._persist()
        self.session.status = ConversationSession.Status.ENDED
        await database_sync_to_async(sessions.end_session)(self.session.pk)
        await self._send_text(event("state", state="ended"))
        await self._close_with(code)

    async def _persist(self) -> None:
        assert self._recorder is not None and self.session is not None
        checkpoint = self._recorder.flush()
        if checkpoint is not None:
            await database_sync_to_async(sessions.save_checkpoint)(self.session.pk, checkpoint)
        if self._events:
            events, self._events = self._events, []
            await database_sync_to_async(sessions.record_events)(self.session.pk, events)

    async def _keep_house(self) -> None:
        """Flush audio at least every flush interval and touch the row while connected."""
        last_touch = time.monotonic()
        while not self._closed:
            await asyncio.sleep(min(0.25, self.limits.flush_interval_seconds / 2))
            if self._recorder and self._recorder.flush_due():
                await self._persist()
            if time.monotonic() - last_touch > HEARTBEAT_SECONDS:
                last_touch = time.monotonic()
                await database_sync_to_async(sessions.set_status)(self.session.pk, self.session.status)

    async def _violation(self, error: ProtocolError, fatal: bool = False) -> None:
        self._violations.record()
        if self._closed:
            return
        await self._send_text(event("error", code=error.code, message=str(error), fatal=fatal))
        if fatal:
            await self._close_with(CloseCode.BAD_HELLO)
        elif self._violations.exceeded:
            await self._send_text(event("error", code="abuse", message="too many invalid or excess frames", fatal=True))
            await self._close_with(CloseCode.ABUSE)

    async def _close_with(self, code: int) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._close(code)
        except Exception:  # the socket may already be gone; the close is then moot
            log.exception("closing the connection with %s failed", code)


def _lesson_plan(user: User, hello):
    """The plan for a lesson session: a stored lesson the user may take, or one sent inline."""
    from lessons.conversation import LessonUnavailable, plan_for

    from .engine.plan import LessonPlan, LessonPlanError

    try:
        if hello.lesson_id is not None:
            return plan_for(user, hello.lesson_id)
        if hello.lesson is not None:
            plan = LessonPlan.from_dict(hello.lesson)
            return plan if plan.accent else replace(plan, accent=user.accent or None)
    except (LessonPlanError, LessonUnavailable) as error:
        raise ProtocolError("bad_lesson", str(error)) from None
    return None
