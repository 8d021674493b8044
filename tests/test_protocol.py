import json

import pytest

from tutor.limits import TokenBucket, ViolationCounter
from tutor.protocol import (
    HEADER,
    PROTOCOL_VERSION,
    BinaryFrame,
    FrameKind,
    ProtocolError,
    decode_binary,
    decode_text,
    parse_hello,
)
from tutor.recording import AudioRecorder, Checkpoint, FrameOutcome


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_binary_frame_round_trip():
    frame = BinaryFrame(FrameKind.LEARNER_AUDIO, seq=7, timestamp_us=123_456_789, payload=b"\x01\x00" * 320)
    data = frame.encode()
    assert len(data) == HEADER.size + 640
    assert decode_binary(data, 10_000) == frame


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x01\x00", "bad_frame"),
        (BinaryFrame(FrameKind.LEARNER_AUDIO, 0, 0, b"\x00").encode(), "bad_frame"),
        (BinaryFrame(FrameKind.TUTOR_AUDIO, 0, 0, b"\x00\x00").encode(), "bad_frame"),
        (bytes([9]) + bytes(15) + b"\x00\x00", "bad_frame"),
        (BinaryFrame(FrameKind.LEARNER_AUDIO, 0, 0, bytes(20_000)).encode(), "frame_too_large"),
    ],
)
def test_malformed_binary_frames_are_refused_with_a_code(data, code):
    with pytest.raises(ProtocolError) as error:
        decode_binary(data, 10_000)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('{"type": "shout"}', "unknown_type"),
        ('{"type": "control", "action": "explode"}', "bad_message"),
        (json.dumps({"type": "hello", "pad": "x" * 9000}), "message_too_large"),
    ],
)
def test_malformed_text_messages_are_refused_with_a_code(text, code):
    with pytest.raises(ProtocolError) as error:
        decode_text(text, 8192)
    assert error.value.code == code


def test_hello_checks_version_and_mode():
    assert parse_hello({"type": "hello", "protocol": PROTOCOL_VERSION}).mode == "echo"
    with pytest.raises(ProtocolError, match="protocol"):
        parse_hello({"type": "hello", "protocol": 99})
    with pytest.raises(ProtocolError):
        parse_hello({"type": "hello", "protocol": PROTOCOL_VERSION, "mode": "karaoke"})
    assert parse_hello({"type": "hello", "protocol": PROTOCOL_VERSION, "trace": True}).trace
    with pytest.raises(ProtocolError, match="trace"):
        parse_hello({"type": "hello", "protocol": PROTOCOL_VERSION, "trace": "yes"})


def test_token_bucket_allows_burst_then_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    assert [bucket.allow() for _ in range(6)] == [True] * 5 + [False]
    clock.now += 0.1
    assert bucket.allow() and not bucket.allow()


def test_violation_counter_forgets_old_violations():
    clock = FakeClock()
    counter = ViolationCounter(limit=3, window_seconds=10, clock=clock)
    counter.record()
    counter.record()
    clock.now = 11
    counter.record()
    assert not counter.exceeded
    counter.record()
    counter.record()
    assert counter.exceeded


def test_recorder_skips_duplicates_counts_gaps_and_flushes_on_interval(tmp_path):
    clock = FakeClock()
    recorder = AudioRecorder(tmp_path / "a.pcm", Checkpoint(0, -1, 0, 0), flush_interval=1.0, clock=clock)
    assert recorder.write(0, b"aa") == FrameOutcome.STORED
    assert recorder.write(0, b"aa") == FrameOutcome.DUPLICATE
    recorder.write(3, b"bb")
    assert not recorder.flush_due()
    clock.now = 1.5
    assert recorder.flush_due()
    checkpoint = recorder.flush()
    assert checkpoint == Checkpoint(audio_bytes=4, last_seq=3, frames_stored=2, frames_missing=2)
    assert (tmp_path / "a.pcm").read_bytes() == b"aabb"
    recorder.close()


def test_recorder_truncates_bytes_written_after_the_last_checkpoint(tmp_path):
    path = tmp_path / "a.pcm"
    path.write_bytes(b"aabbcc")
    recorder = AudioRecorder(path, Checkpoint(4, 1, 2, 0))
    assert recorder.next_seq == 2
    recorder.write(2, b"dd")
    recorder.close()
    assert path.read_bytes() == b"aabbdd"
