"""The duplex WebSocket over the real Redis channel layer and the real database."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from speech.audio import read_wav
from tests.conftest import FIXTURES, websocket
from tutor.models import ConversationSession
from tutor.protocol import HEADER, LEARNER_FRAME_BYTES, PROTOCOL_VERSION, BinaryFrame, CloseCode, FrameKind
from tutor.sessions import audio_path

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def learner_frames() -> list[bytes]:
    pcm = read_wav(FIXTURES / "learner_fox.wav").pcm16()
    usable = len(pcm) // LEARNER_FRAME_BYTES * LEARNER_FRAME_BYTES
    return [pcm[offset : offset + LEARNER_FRAME_BYTES] for offset in range(0, usable, LEARNER_FRAME_BYTES)]


def audio_frame(seq: int, pcm: bytes) -> bytes:
    return BinaryFrame(FrameKind.LEARNER_AUDIO, seq, seq * 20_000, pcm).encode()


async def open_conversation(communicator, session_id: str | None = None) -> dict:
    # generous: the connect checks the session in PostgreSQL, slow when the machine is busy (not a timing test)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    await communicator.send_json_to({"type": "hello", "protocol": PROTOCOL_VERSION, "session_id": session_id})
    welcome = await communicator.receive_json_from(timeout=5)
    assert welcome["type"] == "welcome", welcome
    return welcome


async def expect_close(communicator, code: int) -> None:
    """The server closes with `code`; the client then hangs up, as a browser does, so that the consumer
    ends inside the test: one left waiting on the Redis channel layer can hang the event loop's teardown."""
    while True:
        message = await communicator.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            assert message.get("code") == code
            await communicator.disconnect()
            return


async def next_event(communicator) -> dict:
    """The next JSON event, skipping any tutor audio in between."""
    while True:
        message = await communicator.receive_output(timeout=5)
        if message.get("text"):
            return json.loads(message["text"])


async def session_row(session_id: str) -> ConversationSession:
    return await sync_to_async(ConversationSession.objects.get)(pk=session_id)


async def test_unauthenticated_connection_is_closed_with_4401(personas):
    communicator = websocket(cookie=None)
    connected, _ = await communicator.connect()
    assert connected
    await expect_close(communicator, CloseCode.UNAUTHENTICATED)


@pytest.mark.parametrize("origin", [None, (b"origin", b"https://evil.example")])
async def test_foreign_or_missing_origin_is_closed_with_4403(personas, origin):
    communicator = websocket(personas["cookies"]["learner"], origin=origin)
    connected, _ = await communicator.connect()
    assert connected
    await expect_close(communicator, CloseCode.FORBIDDEN_ORIGIN)


async def test_handshake_declares_both_streams(personas):
    communicator = websocket(personas["cookies"]["learner"])
    welcome = await open_conversation(communicator)
    assert welcome["protocol"] == PROTOCOL_VERSION
    assert welcome["upstream"] == {
        "format": "pcm16le",
        "sample_rate": 16000,
        "channels": 1,
        "frame_ms": 20,
        "header_bytes": 16,
    }
    assert welcome["downstream"]["sample_rate"] > 0 and welcome["downstream"]["max_chunk_ms"] == 40
    assert welcome["resumed"] is False and welcome["next_seq"] == 0
    row = await session_row(welcome["session_id"])
    assert row.user_id == personas["learner"].pk and row.status == "live"
    await communicator.disconnect()


async def test_ping_is_answered_with_pong_echoing_seq_and_timestamp(personas):
    communicator = websocket(personas["cookies"]["learner"])
    await open_conversation(communicator)
    await communicator.send_to(bytes_data=BinaryFrame(FrameKind.PING, 41, 987_654_321, b"abc").encode())
    pong = await communicator.receive_from(timeout=5)
    assert pong == BinaryFrame(FrameKind.PONG, 41, 987_654_321, b"abc").encode()
    await communicator.disconnect()


async def test_wav_streams_up_while_echo_streams_down_complete_and_in_order(personas):
    frames = learner_frames()
    communicator = websocket(personas["cookies"]["learner"])
    welcome = await open_conversation(communicator)
    received: list[BinaryFrame] = []

    async def send_up():
        for seq, pcm in enumerate(frames):
            await communicator.send_to(bytes_data=audio_frame(seq, pcm))
            await asyncio.sleep(0.002)

    async def receive_down():
        total = sum(len(pcm) for pcm in frames)
        while sum(len(frame.payload) for frame in received) < total:
            data = await communicator.receive_from(timeout=5)
            assert isinstance(data, bytes), data
            kind, _flags, _reserved, seq, timestamp_us = HEADER.unpack_from(data)
            received.append(BinaryFrame(FrameKind(kind), seq, timestamp_us, data[HEADER.size :]))

    await asyncio.gather(send_up(), receive_down())
    assert [frame.kind for frame in received] == [FrameKind.TUTOR_AUDIO] * len(received)
    assert [frame.seq for frame in received] == list(range(len(received)))
    assert b"".join(frame.payload for frame in received) == b"".join(frames)
    assert all(
        later.timestamp_us >= earlier.timestamp_us for earlier, later in zip(received, received[1:], strict=False)
    )
    await communicator.disconnect()
    row = await session_row(welcome["session_id"])
    assert audio_path(row).read_bytes() == b"".join(frames)
    assert (row.audio_bytes, row.last_seq, row.frames_missing) == (
        len(frames) * LEARNER_FRAME_BYTES,
        len(frames) - 1,
        0,
    )


async def test_disconnect_mid_stream_keeps_every_byte_and_resume_continues_the_same_session(personas):
    frames = learner_frames()
    half = len(frames) // 2
    first = websocket(personas["cookies"]["learner"])
    welcome = await open_conversation(first)
    for seq, pcm in enumerate(frames[:half]):
        await first.send_to(bytes_data=audio_frame(seq, pcm))
    await first.disconnect()  # the connection drops without a goodbye

    row = await session_row(welcome["session_id"])
    assert row.status == "disconnected"
    assert audio_path(row).read_bytes() == b"".join(frames[:half])

    second = websocket(personas["cookies"]["learner"])
    resumed = await open_conversation(second, session_id=welcome["session_id"])
    assert resumed["resumed"] is True and resumed["session_id"] == welcome["session_id"]
    assert resumed["next_seq"] == half and resumed["stored_bytes"] == half * LEARNER_FRAME_BYTES
    # The client resends a few frames it was not sure about; they are stored once.
    for seq in range(half - 5, len(frames)):
        await second.send_to(bytes_data=audio_frame(seq, frames[seq]))
    await second.send_json_to({"type": "control", "action": "stop"})
    assert (await next_event(second)) == {"type": "state", "state": "ended"}
    await expect_close(second, CloseCode.NORMAL)

    row = await session_row(welcome["session_id"])
    assert audio_path(row).read_bytes() == b"".join(frames)
    assert row.status == "ended" and row.connections == 2 and row.frames_missing == 0


async def test_a_second_connection_to_the_same_session_replaces_the_first(personas):
    first = websocket(personas["cookies"]["learner"])
    welcome = await open_conversation(first)
    second = websocket(personas["cookies"]["learner"])
    await open_conversation(second, session_id=welcome["session_id"])
    await expect_close(first, CloseCode.REPLACED)
    await second.disconnect()


async def test_the_replaced_connection_leaves_the_live_session_marked_live(personas):
    first = websocket(personas["cookies"]["learner"])
    welcome = await open_conversation(first)
    second = websocket(personas["cookies"]["learner"])
    await open_conversation(second, session_id=welcome["session_id"])
    await expect_close(first, CloseCode.REPLACED)  # and the replaced consumer learns its socket is gone

    row = await session_row(welcome["session_id"])
    assert row.status == "live", "the newer connection is still live"
    await second.disconnect()
    assert (await session_row(welcome["session_id"])).status == "disconnected"


async def test_someone_elses_session_cannot_be_resumed(personas):
    owner = websocket(personas["cookies"]["learner"])
    welcome = await open_conversation(owner)
    await owner.disconnect()
    intruder = websocket(personas["cookies"]["outsider"])
    await intruder.connect()
    await intruder.send_json_to({"type": "hello", "protocol": PROTOCOL_VERSION, "session_id": welcome["session_id"]})
    error = await intruder.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["code"] == "unknown_session"
    await expect_close(intruder, CloseCode.UNKNOWN_SESSION)


async def test_malformed_frames_get_an_error_event_and_the_connection_stays(personas):
    communicator = websocket(personas["cookies"]["learner"])
    await open_conversation(communicator)
    await communicator.send_to(bytes_data=b"\x07garbage")
    assert (await communicator.receive_json_from(timeout=5))["code"] == "bad_frame"
    await communicator.send_to(text_data="{not json")
    assert (await communicator.receive_json_from(timeout=5))["code"] == "bad_json"
    await communicator.send_to(bytes_data=BinaryFrame(FrameKind.PING, 1, 1, b"").encode())
    assert await communicator.receive_from(timeout=5) == BinaryFrame(FrameKind.PONG, 1, 1, b"").encode()
    await communicator.disconnect()


async def test_sustained_abuse_closes_with_4429(personas, settings):
    settings.PARLEY_WS = {**settings.PARLEY_WS, "violations_before_close": 5}
    communicator = websocket(personas["cookies"]["learner"])
    await open_conversation(communicator)
    for _ in range(5):
        await communicator.send_to(bytes_data=b"\x01")
    await expect_close(communicator, CloseCode.ABUSE)


async def test_frames_over_the_rate_are_refused(personas, settings):
    settings.PARLEY_WS = {**settings.PARLEY_WS, "frames_per_second": 1.0, "frame_burst": 3}
    communicator = websocket(personas["cookies"]["learner"])
    await open_conversation(communicator)
    for seq in range(4):
        await communicator.send_to(bytes_data=audio_frame(seq, bytes(LEARNER_FRAME_BYTES)))
    assert (await next_event(communicator))["code"] == "rate_limited"
    await communicator.disconnect()


async def test_session_length_limit_ends_the_session_with_4413(personas, settings):
    settings.PARLEY_WS = {**settings.PARLEY_WS, "max_session_seconds": 0.1}
    communicator = websocket(personas["cookies"]["learner"])
    welcome = await open_conversation(communicator)
    for seq in range(6):
        await communicator.send_to(bytes_data=audio_frame(seq, bytes(LEARNER_FRAME_BYTES)))
    assert (await next_event(communicator))["code"] == "session_limit"
    await expect_close(communicator, CloseCode.SESSION_LIMIT)
    row = await session_row(welcome["session_id"])
    assert row.status == "ended" and row.audio_bytes == 5 * LEARNER_FRAME_BYTES


async def test_no_hello_in_time_closes_with_4408(personas, settings):
    settings.PARLEY_WS = {**settings.PARLEY_WS, "hello_timeout_seconds": 0.2}
    communicator = websocket(personas["cookies"]["learner"])
    await communicator.connect()
    await expect_close(communicator, CloseCode.HELLO_TIMEOUT)


async def test_pause_and_resume_report_state(personas):
    communicator = websocket(personas["cookies"]["learner"])
    welcome = await open_conversation(communicator)
    await communicator.send_json_to({"type": "control", "action": "pause"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "state", "state": "paused"}
    assert (await session_row(welcome["session_id"])).status == "paused"
    await communicator.send_json_to({"type": "control", "action": "resume"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "state", "state": "live"}
    await communicator.disconnect()
