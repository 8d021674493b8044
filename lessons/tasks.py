"""Background grading: the engine hands a learner's answer over; the result comes back through the channel layer."""

from __future__ import annotations

import logging
from pathlib import Path

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer
from django.conf import settings

log = logging.getLogger(__name__)


def compose_feedback(kind: str, transcript: str, accepted: list[str], seconds: float) -> tuple[str, dict]:
    """What the tutor says about an answer, and the facts behind it."""
    from .answers import match_answer

    words = len(transcript.split())
    if not words:
        return "I didn't catch that, but let's keep going.", {"word_count": 0}
    if kind == "question" and accepted:
        match = match_answer(transcript, accepted)
        facts = {"accepted": match.accepted, "method": match.method, "word_count": words}
        if match.accepted:
            return "That's right.", facts
        return f"A good answer would be: {accepted[0]}", facts
    rate = words / seconds * 60 if seconds > 0 else 0.0
    facts = {"word_count": words, "words_per_minute": round(rate)}
    if words < 8:
        return f"You said {words} words. Next time, try to say a little more.", facts
    return f"Nice, you said {words} words there.", facts


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=2, soft_time_limit=60, time_limit=90)
def evaluate_answer(
    session_id: str, group: str, item: int, kind: str, wav_path: str, prompt: str, accepted: list[str], lang: str
) -> dict:
    """Transcribe the answer (Whisper), judge it against the accepted answers, and send feedback to the session."""
    from speech.audio import read_wav
    from speech.transcriber import Transcriber
    from tutor.models import ConversationEvent

    path = Path(settings.MEDIA_ROOT) / wav_path
    audio = read_wav(path).to(16000)
    whisper_lang = lang.split("-")[0] if lang else None
    transcript = Transcriber.get(whisper_lang).transcribe(audio, lang=whisper_lang)
    text, facts = compose_feedback(kind, transcript.text, accepted, audio.seconds)
    result = {
        "item": item,
        "prompt": prompt,
        "transcript": transcript.text,
        "words": [
            {"text": word.text, "start": round(word.start, 2), "end": round(word.end, 2)} for word in transcript.words
        ],
        "feedback": text,
        **facts,
    }
    ConversationEvent.objects.create(session_id=session_id, kind="answer_evaluated", audio_time=-1, payload=result)
    async_to_sync(get_channel_layer().group_send)(group, {"type": "tutor.feedback", **result})
    return result
