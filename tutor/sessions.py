"""Conversation sessions: open, resume, checkpoint, end. Synchronous ORM code;
the consumer calls it through database_sync_to_async."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from speech.learner_channel import LearnerChannel, is_cepstral_mean

from .models import ConversationSession, User
from .recording import Checkpoint


class SessionNotFound(LookupError):
    pass


def audio_path(session: ConversationSession) -> Path:
    return Path(settings.MEDIA_ROOT) / session.audio_relpath


def open_session(user: User, session_id: str | None, mode: str) -> ConversationSession:
    """A new session, or the caller's own earlier session when `session_id` names one."""
    if session_id is None:
        return ConversationSession.objects.create(user=user, mode=mode, connections=1)
    try:
        wanted = uuid.UUID(session_id)
    except ValueError:
        raise SessionNotFound(f"{session_id!r} is not a session id") from None
    with transaction.atomic():
        session = ConversationSession.objects.select_for_update().filter(pk=wanted, user=user).first()
        if session is None:
            raise SessionNotFound(f"no session {session_id} for this user")
        if session.status == ConversationSession.Status.ENDED:
            raise SessionNotFound(f"session {session_id} has ended")
        session.status = ConversationSession.Status.LIVE
        session.connections = F("connections") + 1
        session.save(update_fields=["status", "connections", "updated_at"])
    session.refresh_from_db()
    return session


def checkpoint_of(session: ConversationSession) -> Checkpoint:
    return Checkpoint(session.audio_bytes, session.last_seq, session.frames_stored, session.frames_missing)


def save_checkpoint(session_id: uuid.UUID, checkpoint: Checkpoint, status: str | None = None) -> None:
    fields = {
        "audio_bytes": checkpoint.audio_bytes,
        "last_seq": checkpoint.last_seq,
        "frames_stored": checkpoint.frames_stored,
        "frames_missing": checkpoint.frames_missing,
        "updated_at": timezone.now(),
    }
    if status:
        fields["status"] = status
    ConversationSession.objects.filter(pk=session_id).update(**fields)


def set_status(session_id: uuid.UUID, status: str) -> None:
    ConversationSession.objects.filter(pk=session_id).exclude(status=ConversationSession.Status.ENDED).update(
        status=status, updated_at=timezone.now()
    )


def end_session(session_id: uuid.UUID) -> None:
    from .tasks import summarize_session_audio

    updated = (
        ConversationSession.objects.filter(pk=session_id)
        .exclude(status=ConversationSession.Status.ENDED)
        .update(status=ConversationSession.Status.ENDED, ended_at=timezone.now(), updated_at=timezone.now())
    )
    if updated:
        transaction.on_commit(lambda: summarize_session_audio.delay(str(session_id)))


def sessions_visible_to(user: User):
    """A learner sees their own sessions; a teacher also those of learners in their classes."""
    if user.is_staff:
        return ConversationSession.objects.all()
    if user.is_teacher:
        taught = User.objects.filter(classes_joined__teacher=user)
        return ConversationSession.objects.filter(Q(user=user) | Q(user__in=taught))
    return ConversationSession.objects.filter(user=user)


def record_events(session_id: uuid.UUID, events: list[tuple[str, float, dict]]) -> None:
    from .models import ConversationEvent

    ConversationEvent.objects.bulk_create(
        ConversationEvent(session_id=session_id, kind=kind, audio_time=audio_time, payload=payload)
        for kind, audio_time, payload in events
    )


def last_item_index(session_id: uuid.UUID) -> int:
    """Where a resumed lesson goes on: the item the tutor presented last (0 if none)."""
    from .models import ConversationEvent

    last = ConversationEvent.objects.filter(session_id=session_id, kind="item").order_by("-id").first()
    return int(last.payload.get("index", 0)) if last else 0


def learner_channel(user_id: int) -> LearnerChannel:
    """Where the learner's listening starts: what their last session's readings left (see LearnerChannel)."""
    stored = User.objects.filter(pk=user_id).values_list("listening_cepstral_mean", flat=True).first()
    return LearnerChannel.restored(stored)


def keep_learner_channel(user_id: int, channel: LearnerChannel) -> None:
    """Keep what this session's readings left for the learner's next session; a session that heard no
    reading of a second or more leaves the last one's."""
    if is_cepstral_mean(channel.cepstral_mean):
        User.objects.filter(pk=user_id).update(listening_cepstral_mean=channel.cepstral_mean)
