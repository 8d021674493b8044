"""A lesson conversation through the WebSocket: the engine listens, judges, and speaks."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from speech.audio import read_wav
from speech.learner_channel import is_cepstral_mean
from speech.pronunciation.calibration import default_calibration
from tests.conftest import FIXTURES, FOX, websocket
from tutor.models import ConversationEvent, User
from tutor.protocol import HEADER, LEARNER_FRAME_BYTES, PROTOCOL_VERSION, BinaryFrame, FrameKind

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.slow]


@pytest.fixture(scope="module", autouse=True)
def _warm_voice():
    from tutor.engine.voice import tutor_voice

    tutor_voice("en-us")


SILENCE = bytes(LEARNER_FRAME_BYTES)


class Learner:
    """Plays the learner's side in real time and keeps everything the tutor sends."""

    def __init__(self, communicator):
        self.communicator = communicator
        self.seq = 0
        self.events: list[dict] = []
        self.tutor_frames = 0
        self.last_tutor_audio = 0.0

    async def say(self, frames: list[bytes]) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index, pcm in enumerate(frames):
            await self.communicator.send_to(bytes_data=BinaryFrame(FrameKind.LEARNER_AUDIO, self.seq, 0, pcm).encode())
            self.seq += 1
            await self.drain(until=start + (index + 1) * 0.02)

    async def drain(self, until: float) -> None:
        loop = asyncio.get_running_loop()
        while (remaining := until - loop.time()) > 0:
            # receive_output's own timeout would cancel the application: poll instead.
            if await self.communicator.receive_nothing(timeout=remaining, interval=0.002):
                return
            message = await self.communicator.receive_output(timeout=1)
            if message.get("bytes"):
                kind = HEADER.unpack_from(message["bytes"])[0]
                if kind == FrameKind.TUTOR_AUDIO:
                    self.tutor_frames += 1
                    self.last_tutor_audio = loop.time()
            elif message.get("text"):
                self.events.append(json.loads(message["text"]))

    async def wait_for_tutor_to_finish(self, quiet: float = 0.6, limit: float = 30.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while loop.time() < deadline:
            await self.say([SILENCE] * 10)
            prompted = any(caption["kind"] == "prompt" for caption in self.of("caption"))
            if prompted and loop.time() - self.last_tutor_audio > quiet:
                return
        raise AssertionError("the tutor never stopped talking")

    def of(self, kind: str) -> list[dict]:
        return [event for event in self.events if event["type"] == kind]


def fox_frames() -> list[bytes]:
    pcm = read_wav(FIXTURES / "learner_fox.wav").pcm16()
    return [pcm[i : i + LEARNER_FRAME_BYTES] for i in range(0, len(pcm) - LEARNER_FRAME_BYTES + 1, LEARNER_FRAME_BYTES)]


async def start_lesson(personas, items, policy=None, trace=False) -> Learner:
    communicator = websocket(personas["cookies"]["learner"])
    connected, _ = await communicator.connect()
    assert connected
    hello = {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "mode": "lesson",
        "lesson": {"lang": "en-us", "items": items},
    }
    if policy:
        hello["policy"] = policy
    if trace:
        hello["trace"] = True
    await communicator.send_json_to(hello)
    welcome = await communicator.receive_json_from(timeout=60)
    assert welcome["type"] == "welcome" and welcome["downstream"]["sample_rate"] == 22050
    learner = Learner(communicator)
    learner.session_id = welcome["session_id"]
    return learner


async def test_a_correct_reading_is_judged_word_by_word_and_the_tutor_answers_at_once(personas):
    learner = await start_lesson(personas, [{"kind": "repeat", "text": FOX}])
    await learner.wait_for_tutor_to_finish()
    assert [event["kind"] for event in learner.of("caption")][:1] == ["greeting"]
    assert learner.of("item")[0]["text"] == FOX
    await learner.say(fox_frames())
    await learner.say([SILENCE] * 75)
    verdicts = learner.of("verdict")
    words = [word.strip(".").lower() for word in FOX.split()]
    assert [verdict["word_index"] for verdict in verdicts] == list(range(len(words)))
    assert [verdict["text"] for verdict in verdicts] == words
    assert all(verdict["end"] < verdict["decided_at"] for verdict in verdicts)
    # A correct reading: word-level accuracy belongs to the scorer's benchmark; here most words must pass.
    assert sum(verdict["error"] != "none" for verdict in verdicts) <= 3
    assert learner.of("summary"), learner.events
    await learner.communicator.disconnect()
    kinds = await sync_to_async(
        lambda: list(ConversationEvent.objects.filter(session_id=learner.session_id).values_list("kind", flat=True))
    )()
    assert {"lesson", "item", "verdict", "caption", "summary"} <= set(kinds)


async def test_a_learners_next_session_listens_from_where_their_last_reading_left_their_channel(personas, monkeypatch):
    from tutor.engine.engine import ConversationEngine

    engines: list[ConversationEngine] = []
    create = ConversationEngine.create.__func__

    async def create_and_keep(cls, *args, **options):
        engine = await create(cls, *args, **options)
        engines.append(engine)
        return engine

    monkeypatch.setattr(ConversationEngine, "create", classmethod(create_and_keep))
    # what an earlier session of this learner left: a mean near the dev voices', as a real one would be
    dev_mean = [float(value) for value in default_calibration().cepstral_mean.split(",")]
    earlier = ",".join(f"{value + 0.5:g}" for value in dev_mean)
    await sync_to_async(User.objects.filter(pk=personas["learner"].pk).update)(listening_cepstral_mean=earlier)

    learner = await start_lesson(personas, [{"kind": "repeat", "text": FOX}])
    await learner.wait_for_tutor_to_finish()
    assert engines[0].learner_channel.cepstral_mean == earlier
    await learner.say(fox_frames())
    await learner.say([SILENCE] * 75)
    assert learner.of("summary")
    heard = engines[0].learner_channel.cepstral_mean
    assert is_cepstral_mean(heard) and heard != earlier
    await learner.communicator.disconnect()

    stored = await sync_to_async(lambda: dict(User.objects.values_list("username", "listening_cepstral_mean")))()
    assert stored == {"leo": heard, "tara": "", "olga": ""}  # only this learner's next session starts from it


async def test_the_learned_policy_answers_a_finished_reading_and_traces_every_tick(personas):
    learner = await start_lesson(personas, [{"kind": "repeat", "text": FOX}], policy="learned", trace=True)
    await learner.wait_for_tutor_to_finish()
    await learner.say(fox_frames())
    await learner.say([SILENCE] * 75)
    ticks = learner.of("tick")
    assert ticks and {"now", "learner_speaking", "words_heard", "patience", "action"} <= set(ticks[-1])
    assert max(tick["words_heard"] for tick in ticks) == len(FOX.split())
    assert ticks[-1]["action"] == "take_turn"
    assert learner.of("summary"), learner.events
    await learner.communicator.disconnect()
    kinds = await sync_to_async(
        lambda: set(ConversationEvent.objects.filter(session_id=learner.session_id).values_list("kind", flat=True))
    )()
    assert "summary" in kinds and "tick" not in kinds  # traces go to the client only


async def test_the_learner_cutting_in_stops_the_tutor(personas):
    learner = await start_lesson(personas, [{"kind": "repeat", "text": FOX}])
    for _ in range(100):  # until the greeting has begun
        await learner.say([SILENCE] * 10)
        if learner.tutor_frames > 10:
            break
    assert learner.tutor_frames > 10
    await learner.say(fox_frames()[:60])  # the learner starts reading over the tutor
    stops = learner.of("stop_playback")
    assert stops and stops[0]["reason"] == "barge_in"
    await learner.communicator.disconnect()


async def test_an_invalid_lesson_is_refused_with_a_clear_error(personas):
    communicator = websocket(personas["cookies"]["learner"])
    await communicator.connect()
    await communicator.send_json_to(
        {"type": "hello", "protocol": PROTOCOL_VERSION, "mode": "lesson", "lesson": {"items": [{"kind": "sing"}]}}
    )
    error = await communicator.receive_json_from(timeout=10)
    assert error["code"] == "bad_lesson" and "kind must be one of" in error["message"]
    closed = await communicator.receive_output(timeout=10)
    assert closed["type"] == "websocket.close"
    await communicator.disconnect()  # the client's side of the close, so nothing is left running


async def test_a_resumed_lesson_goes_on_from_the_item_it_was_on(personas):
    items = [
        {"kind": "free", "prompt": "Say anything.", "time_limit_s": 2},
        {"kind": "repeat", "text": "Then it sits down."},
    ]
    learner = await start_lesson(personas, items)
    for _ in range(100):
        await learner.say([SILENCE] * 10)
        if any(item["index"] == 1 for item in learner.of("item")):
            break
    assert [item["index"] for item in learner.of("item")] == [0, 1]
    await learner.say([SILENCE] * 60)  # the conversation record is written at the next checkpoint
    await learner.communicator.disconnect()

    communicator = websocket(personas["cookies"]["learner"])
    await communicator.connect()
    await communicator.send_json_to(
        {
            "type": "hello",
            "protocol": PROTOCOL_VERSION,
            "mode": "lesson",
            "session_id": learner.session_id,
            "lesson": {"lang": "en-us", "items": items},
        }
    )
    welcome = await communicator.receive_json_from(timeout=60)
    assert welcome["resumed"] is True
    resumed = Learner(communicator)
    resumed.seq = learner.seq
    for _ in range(50):
        await resumed.say([SILENCE] * 10)
        if resumed.of("item"):
            break
    assert [item["index"] for item in resumed.of("item")] == [1]
    assert "greeting" not in [caption["kind"] for caption in resumed.of("caption")]
    await communicator.disconnect()


async def test_an_answer_is_graded_by_a_real_worker_and_the_feedback_is_said_at_the_next_pause(
    personas, celery_worker_process
):
    items = [
        {"kind": "question", "prompt": "What colour is the sky on a clear day?", "accepted": ["blue", "it is blue"]}
    ]
    learner = await start_lesson(personas, items)
    await learner.wait_for_tutor_to_finish()
    answer = read_wav(FIXTURES / "answer_blue.wav").pcm16()
    frames = [answer[i : i + LEARNER_FRAME_BYTES] for i in range(0, len(answer) - LEARNER_FRAME_BYTES + 1, 640)]
    await learner.say(frames)
    for _ in range(150):  # the worker loads Whisper on its first answer
        await learner.say([SILENCE] * 10)
        if learner.of("feedback"):
            break
    feedback = learner.of("feedback")
    assert feedback and feedback[0]["text"] == "That's right.", learner.events
    transcript = learner.of("transcript")[0]
    assert "blue" in " ".join(word["text"].lower() for word in transcript["words"])
    await learner.say([SILENCE] * 50)
    assert any(caption["kind"] == "answer" for caption in learner.of("caption"))
    await learner.communicator.disconnect()
