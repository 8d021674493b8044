"""The duplex wire format (docs/protocol.md): typed frames and their codec.

Binary WebSocket messages carry audio and pings: a 16-byte little-endian header
(kind, flags, reserved, sequence number, sender timestamp in microseconds)
followed by the payload. Text messages carry JSON events. Nothing here touches
sockets or the database, so both the server and the bench client use it.
"""

from __future__ import annotations

import enum
import json
import struct
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1
HEADER = struct.Struct("<BBHIQ")  # kind, flags, reserved, seq, timestamp_us
LEARNER_RATE = 16000
LEARNER_FRAME_MS = 20
LEARNER_FRAME_BYTES = LEARNER_RATE * LEARNER_FRAME_MS // 1000 * 2
MAX_TUTOR_CHUNK_MS = 40
TUTOR_RATE = 22050  # the synthesiser's output rate (speech.synthesis.DEFAULT_OUTPUT_RATE)
MAX_PING_PAYLOAD = 64


class FrameKind(enum.IntEnum):
    LEARNER_AUDIO = 1  # client -> server, PCM16LE mono 16 kHz
    TUTOR_AUDIO = 2  # server -> client, PCM16LE mono at the handshake's downstream rate
    PING = 3  # either way; the peer answers PONG with the same seq and timestamp
    PONG = 4


class CloseCode(enum.IntEnum):
    """WebSocket close codes Parley uses; the 4xxx range is application-defined."""

    NORMAL = 1000
    BAD_HELLO = 4400
    UNAUTHENTICATED = 4401
    FORBIDDEN_ORIGIN = 4403
    UNKNOWN_SESSION = 4404
    HELLO_TIMEOUT = 4408
    REPLACED = 4409
    SESSION_LIMIT = 4413
    ABUSE = 4429


class ProtocolError(ValueError):
    """A frame or event that does not follow the protocol; `code` goes into the error event."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class BinaryFrame:
    kind: FrameKind
    seq: int
    timestamp_us: int
    payload: bytes
    flags: int = 0

    def encode(self) -> bytes:
        return HEADER.pack(self.kind, self.flags, 0, self.seq & 0xFFFFFFFF, self.timestamp_us) + self.payload


def decode_binary(data: bytes, max_bytes: int) -> BinaryFrame:
    if len(data) > max_bytes:
        raise ProtocolError("frame_too_large", f"binary frame of {len(data)} bytes exceeds {max_bytes}")
    if len(data) < HEADER.size:
        raise ProtocolError("bad_frame", f"binary frame shorter than the {HEADER.size}-byte header")
    kind_value, flags, _reserved, seq, timestamp_us = HEADER.unpack_from(data)
    try:
        kind = FrameKind(kind_value)
    except ValueError:
        raise ProtocolError("bad_frame", f"unknown frame kind {kind_value}") from None
    payload = data[HEADER.size :]
    if kind == FrameKind.LEARNER_AUDIO:
        if not payload or len(payload) % 2:
            raise ProtocolError("bad_frame", "learner audio must be a non-empty whole number of PCM16 samples")
    elif kind == FrameKind.PING:
        if len(payload) > MAX_PING_PAYLOAD:
            raise ProtocolError("bad_frame", f"ping payload over {MAX_PING_PAYLOAD} bytes")
    else:
        raise ProtocolError("bad_frame", f"{kind.name} frames only travel from server to client")
    return BinaryFrame(kind, seq, timestamp_us, payload, flags)


# JSON events. Client -> server: hello, control. Server -> client: welcome, state,
# error, and the tutor's events (transcript, verdict, stop_playback, caption, ...).
CLIENT_EVENT_TYPES = {"hello", "control", "playback"}
CONTROL_ACTIONS = {"start", "stop", "pause", "resume"}
SESSION_MODES = {"echo", "lesson"}


@dataclass(frozen=True, slots=True)
class Hello:
    protocol: int
    session_id: str | None
    mode: str
    lesson: dict | None = None  # an inline lesson plan (see tutor.engine.plan) for mode "lesson"
    lesson_id: int | None = None  # or a stored lesson the user may take
    policy: str | None = None  # the turn-taking policy to run, for benchmarks
    trace: bool = False  # also send the engine's per-tick state as "tick" events (training data)


def decode_text(text: str, max_bytes: int) -> dict[str, Any]:
    if len(text.encode()) > max_bytes:
        raise ProtocolError("message_too_large", f"text message exceeds {max_bytes} bytes")
    try:
        event = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProtocolError("bad_json", f"text message is not JSON: {error.msg}") from None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise ProtocolError("bad_message", 'a text message must be a JSON object with a string "type"')
    if event["type"] not in CLIENT_EVENT_TYPES:
        raise ProtocolError("unknown_type", f'unknown message type "{event["type"]}"')
    if event["type"] == "control" and event.get("action") not in CONTROL_ACTIONS:
        raise ProtocolError("bad_message", f"control action must be one of {sorted(CONTROL_ACTIONS)}")
    return event


def parse_hello(event: dict[str, Any]) -> Hello:
    if event.get("type") != "hello":
        raise ProtocolError("hello_expected", 'the first message must be {"type": "hello", ...}')
    version = event.get("protocol")
    if version != PROTOCOL_VERSION:
        raise ProtocolError("bad_version", f"this server speaks protocol {PROTOCOL_VERSION}, not {version!r}")
    session_id = event.get("session_id")
    if session_id is not None and not isinstance(session_id, str):
        raise ProtocolError("bad_message", "session_id must be a string")
    mode = event.get("mode", "echo")
    if mode not in SESSION_MODES:
        raise ProtocolError("bad_message", f"mode must be one of {sorted(SESSION_MODES)}")
    lesson = event.get("lesson")
    lesson_id = event.get("lesson_id")
    if lesson_id is not None and (not isinstance(lesson_id, int) or isinstance(lesson_id, bool) or lesson_id < 1):
        raise ProtocolError("bad_message", "lesson_id must be a positive integer")
    if mode == "lesson" and not isinstance(lesson, dict) and lesson_id is None:
        raise ProtocolError("bad_message", 'mode "lesson" needs a "lesson_id" or a "lesson" object')
    policy = event.get("policy")
    if policy is not None and not isinstance(policy, str):
        raise ProtocolError("bad_message", "policy must be a string")
    trace = event.get("trace", False)
    if not isinstance(trace, bool):
        raise ProtocolError("bad_message", "trace must be true or false")
    if mode != "lesson":
        lesson, lesson_id = None, None
    return Hello(version, session_id, mode, lesson if isinstance(lesson, dict) else None, lesson_id, policy, trace)


def event(event_type: str, /, **fields: Any) -> str:
    return json.dumps({"type": event_type, **fields}, separators=(",", ":"))
