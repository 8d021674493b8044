"""Per-session engine state: what the lesson engine keeps for the one learner of its session."""

from __future__ import annotations

from types import SimpleNamespace

from speech.pronunciation.types import WordVerdict
from tutor.engine.engine import ConversationEngine, ItemProgress
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


def flagged(index: int, text: str, sure: bool) -> WordVerdict:
    return WordVerdict(
        index=index,
        text=text,
        start=0.1 * index,
        end=0.1 * index + 0.1,
        error="mispronunciation",
        accuracy=40.0,
        expected_ipa="θɪŋk",
        heard_ipa="sɪŋk",
        rule="TH>S",
        decided_at=0.1 * index + 0.3,
        confidence=0.8 if sure else 0.35,
        correct_aloud=sure,
    )


async def test_every_flagged_word_is_shown_and_only_the_ones_the_scorer_is_sure_of_are_corrected_aloud():
    plan = LessonPlan.from_dict(PLAN)
    session = engine_for(plan)
    item = ItemProgress(index=0, presented_at=0.0, assessor=None, audio_offset=0.0, expected_words=3)
    shown: list[dict] = []

    async def send_event(kind: str, **fields) -> None:
        shown.append(fields)

    session._send_event = send_event
    await session._on_verdict(item, flagged(0, "i", sure=False))
    await session._on_verdict(item, flagged(1, "think", sure=True))
    assert [event["word"] for event in shown] == ["i", "think"]
    assert [verdict.text for verdict in item.verdicts] == ["i", "think"]
    assert [verdict.text for verdict in item.corrections_pending] == ["think"]

    quiet = LessonPlan.from_dict({**PLAN, "items": [{**PLAN["items"][0], "correction_policy": "off"}]})
    untold = ItemProgress(index=0, presented_at=0.0, assessor=None, audio_offset=0.0, expected_words=3)
    await engine_for(quiet)._on_verdict(untold, flagged(1, "think", sure=True))
    assert untold.verdicts and not untold.corrections_pending
