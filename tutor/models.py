import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from speech.accents import ENGLISH_ACCENTS
from speech.learner_channel import MAX_STORED_CEPSTRAL_MEAN


class User(AbstractUser):
    class Role(models.TextChoices):
        LEARNER = "learner", "Learner"
        TEACHER = "teacher", "Teacher"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.LEARNER)
    accent = models.CharField(
        max_length=16,
        blank=True,
        choices=[("", "American (the reference)"), *ENGLISH_ACCENTS.items()],
        help_text="Your own English accent: its forms of each word count as correct, as American ones do.",
    )
    # Where the listener's cepstral-mean normalisation starts in this learner's next session: what their
    # microphone, room and voice left at the end of the last one (speech.scoring.LearnerChannel).
    listening_cepstral_mean = models.CharField(max_length=MAX_STORED_CEPSTRAL_MEAN, blank=True, editable=False)

    @property
    def is_teacher(self) -> bool:
        return self.role == self.Role.TEACHER

    @property
    def is_learner(self) -> bool:
        return self.role == self.Role.LEARNER


class ConversationSession(models.Model):
    """One live conversation; survives reconnects (the client resumes it by id)."""

    class Status(models.TextChoices):
        LIVE = "live", "Live"
        PAUSED = "paused", "Paused"
        DISCONNECTED = "disconnected", "Disconnected"
        ENDED = "ended", "Ended"

    class Mode(models.TextChoices):
        ECHO = "echo", "Microphone check (echo)"
        LESSON = "lesson", "Lesson"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations")
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.ECHO)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.LIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(default=16000)
    # What has reached storage: the stored file holds exactly audio_bytes bytes,
    # the learner frames up to and including last_seq.
    audio_bytes = models.BigIntegerField(default=0)
    last_seq = models.BigIntegerField(default=-1)
    frames_stored = models.BigIntegerField(default=0)
    frames_missing = models.BigIntegerField(default=0)
    connections = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def audio_seconds(self) -> float:
        return self.audio_bytes / (2 * self.sample_rate)

    @property
    def audio_relpath(self) -> str:
        return f"sessions/{self.user_id}/{self.id}/learner.pcm"


class ConversationEvent(models.Model):
    """Everything the tutor said, heard and judged in a session, in order (the record of the conversation)."""

    session = models.ForeignKey(ConversationSession, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    audio_time = models.FloatField(help_text="learner-audio time in seconds when the event happened")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "id"]
        indexes = [models.Index(fields=["session", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} at {self.audio_time:.2f} s"
