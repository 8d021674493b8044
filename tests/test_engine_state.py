"""Per-session engine state: what the lesson engine keeps for the one learner of its session."""

from __future__ import annotations

from types import SimpleNamespace

from tutor.engine.engine import ConversationEngine
from tutor.engine.plan import LessonPlan

PLAN = {
    "lang": "en-us",
    "items": [
        {"kind": "repeat", "text": "I think so."},
        {"kind": "free", "prompt": "Say anything.", "time_limit_s": 2},
        {"kind": "repeat", "text": "Then it sits down."},
    ],
}


async def _send_event(*args, **fields) -> None:
    return None


def engine_for(plan: LessonPlan) -> ConversationEngine:
    # the assessors are built without the tutor's voice or loudspeaker: neither is needed for them
    return ConversationEngine(plan, SimpleNamespace(on_audio=None), _send_event, voice=None)


async def test_every_reading_of_a_session_starts_from_its_learners_channel_and_no_other_sessions():
    plan = LessonPlan.from_dict(PLAN)
    session, other_session = engine_for(plan), engine_for(plan)
    first, free_answer, last = [await session._prepare_assessor(index) for index in range(3)]
    assert free_answer is None
    assert first.channel is last.channel is session.learner_channel
    assert (await other_session._prepare_assessor(0)).channel is not session.learner_channel
