"""Background tasks run by a real Celery worker process over the real Redis broker."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from tutor.models import ConversationSession
from tutor.sessions import audio_path
from tutor.tasks import end_abandoned_sessions, summarize_session_audio

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def stored_session(user, seconds: float) -> ConversationSession:
    rate = 16000
    tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(int(rate * seconds)) / rate) * 32767).astype("<i2").tobytes()
    session = ConversationSession.objects.create(user=user, audio_bytes=len(tone), frames_stored=int(seconds * 50))
    path = audio_path(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tone)
    return session


def test_worker_summarizes_stored_audio(personas, celery_worker_process):
    session = stored_session(personas["learner"], seconds=1.5)
    stats = summarize_session_audio.delay(str(session.pk)).get(timeout=60)
    assert stats["audio_seconds"] == 1.5 and stats["voiced_seconds"] == pytest.approx(1.5, abs=0.02)
    session.refresh_from_db()
    assert session.stats["audio_seconds"] == 1.5


def test_worker_ends_abandoned_sessions(personas, celery_worker_process):
    stale = ConversationSession.objects.create(user=personas["learner"], status="disconnected")
    fresh = ConversationSession.objects.create(user=personas["learner"], status="disconnected")
    ConversationSession.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert end_abandoned_sessions.delay().get(timeout=60) == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == "ended" and stale.ended_at is not None
    assert fresh.status == "disconnected"
