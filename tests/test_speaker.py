"""The tutor's mouth: a barge-in remembers what it cut off, so a false stop can be undone."""

from __future__ import annotations

import asyncio

import pytest

from speech.synthesis import Synthesizer, voice_for
from tutor.downstream import Downstream
from tutor.engine.speaker import TutorSpeaker

PROMPT = "Tell me about a place you like. Say what you do there and who you go with."


@pytest.fixture(scope="module")
def english() -> Synthesizer:
    return Synthesizer(voice_for("en-us"))


async def speaking(english: Synthesizer, kind: str) -> tuple[TutorSpeaker, list[tuple[str, dict]], Downstream]:
    events: list[tuple[str, dict]] = []

    async def send_event(event_type: str, /, **fields) -> None:
        events.append((event_type, fields))

    async def send(_frame: bytes) -> None:
        return None

    downstream = Downstream(send, english.rate)
    downstream.start()
    speaker = TutorSpeaker(downstream, send_event)
    speaker.say(english.speak(PROMPT), kind)
    for _ in range(500):
        if any(event_type == "caption" for event_type, _fields in events):
            break
        await asyncio.sleep(0.01)
    assert speaker.speaking
    return speaker, events, downstream


async def test_a_barge_in_keeps_what_it_cut_off_and_resume_says_it_again(english):
    speaker, _events, downstream = await speaking(english, "prompt")
    await speaker.stop("barge_in")
    assert speaker.interrupted is not None
    text, kind = speaker.interrupted
    assert kind == "prompt" and "who you go with" in text
    for _ in range(500):  # the playing stream lets go at its next chunk
        if not speaker.speaking:
            break
        await asyncio.sleep(0.01)
    assert speaker.can_resume
    speaker.resume(english)
    assert speaker.speaking and speaker.interrupted is None and not speaker.can_resume
    await speaker.close()
    await downstream.stop()


async def test_other_stops_and_other_kinds_leave_nothing_to_resume(english):
    speaker, _events, downstream = await speaking(english, "prompt")
    await speaker.stop("closing")
    assert speaker.interrupted is None and not speaker.can_resume
    await speaker.close()
    await downstream.stop()
    speaker, _events, downstream = await speaking(english, "praise")
    await speaker.stop("barge_in")
    assert speaker.interrupted is None  # praise is not worth repeating
    await speaker.close()
    await downstream.stop()
