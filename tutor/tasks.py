"""Background work for conversations."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import ConversationSession


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def summarize_session_audio(session_id: str) -> dict:
    """Measure the stored learner audio of a session and keep the figures on the row."""
    from .sessions import audio_path

    session = ConversationSession.objects.get(pk=session_id)
    path = audio_path(session)
    pcm = path.read_bytes()[: session.audio_bytes] if path.exists() else b""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    frame = session.sample_rate // 50  # 20 ms
    usable = len(samples) // frame * frame
    frame_rms = np.sqrt(np.mean(samples[:usable].reshape(-1, frame) ** 2, axis=1)) if usable else np.zeros(0)
    voiced = frame_rms > 0.01
    stats = {
        "audio_seconds": round(len(samples) / session.sample_rate, 3),
        "voiced_seconds": round(float(voiced.sum()) * 0.02, 3),
        "peak_dbfs": round(float(20 * np.log10(max(np.max(np.abs(samples), initial=0.0), 1e-9))), 1),
        "frames_stored": session.frames_stored,
        "frames_missing": session.frames_missing,
        "summarized_at": timezone.now().isoformat(),
    }
    ConversationSession.objects.filter(pk=session_id).update(stats=stats)
    return stats


@shared_task
def end_abandoned_sessions() -> int:
    """Sessions not heard from for a while (a server restart, a closed laptop) end here.

    A connected consumer touches its row at least once a minute, so only orphans match."""
    from .sessions import end_session

    cutoff = timezone.now() - timedelta(seconds=settings.PARLEY_WS["abandoned_after_seconds"])
    stale = ConversationSession.objects.filter(
        status__in=[
            ConversationSession.Status.LIVE,
            ConversationSession.Status.DISCONNECTED,
            ConversationSession.Status.PAUSED,
        ],
        updated_at__lt=cutoff,
    ).values_list("pk", flat=True)
    count = 0
    for session_id in stale:
        end_session(session_id)
        count += 1
    return count
