import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in class


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


class Classroom(models.Model):
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="classes_taught")
    name = models.CharField(max_length=120)
    join_code = models.CharField(max_length=8, unique=True, default=new_join_code)
    created_at = models.DateTimeField(auto_now_add=True)
    learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Enrollment", related_name="classes_joined", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Enrollment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE)
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "learner"], name="one_enrollment_per_class")]

    def __str__(self) -> str:
        return f"{self.learner} in {self.classroom}"


class Lesson(models.Model):
    """What a teacher wrote: settings for the tutor and an ordered list of items."""

    class Language(models.TextChoices):
        EN_US = "en-us", "English (US)"
        EN_GB = "en-gb", "English (UK)"
        FR_FR = "fr-fr", "French"
        DE_DE = "de-de", "German"
        ES_ES = "es-es", "Spanish"
        IT_IT = "it-it", "Italian"

    class Level(models.TextChoices):
        A1 = "A1"
        A2 = "A2"
        B1 = "B1"
        B2 = "B2"
        C1 = "C1"
        C2 = "C2"

    class CorrectionPolicy(models.TextChoices):
        OFF = "off", "Off: never correct"
        AT_PAUSE = "at_pause", "At the next pause"
        IMMEDIATE = "immediate", "Immediately"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lessons_owned")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.EN_US)
    level = models.CharField(max_length=2, choices=Level.choices, default=Level.A2)
    focus_phonemes = models.JSONField(default=list, blank=True, help_text='IPA symbols, e.g. ["θ", "ð"]')
    correction_policy = models.CharField(
        max_length=16, choices=CorrectionPolicy.choices, default=CorrectionPolicy.AT_PAUSE
    )
    patience = models.FloatField(default=1.0, help_text="How long the tutor waits: 0.5 (brisk) to 2.0 (very patient).")
    think_time_seconds = models.PositiveSmallIntegerField(default=5)
    speaking_time_limit_seconds = models.PositiveSmallIntegerField(default=30)
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["owner", "title"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(patience__gte=0.5, patience__lte=2.0), name="lesson_patience_range"
            ),
            models.CheckConstraint(condition=models.Q(think_time_seconds__lte=60), name="lesson_think_time_range"),
            models.CheckConstraint(
                condition=models.Q(speaking_time_limit_seconds__gte=5, speaking_time_limit_seconds__lte=600),
                name="lesson_speaking_time_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lessons:edit", args=[self.pk])

    def get_learner_url(self) -> str:
        return reverse("lessons:detail", args=[self.pk])


class LessonItem(models.Model):
    """One step of a lesson. Which fields matter depends on `kind`; services.clean_item_fields says which."""

    class Kind(models.TextChoices):
        REPEAT = "repeat", "Repeat after me"
        MINIMAL_PAIR = "minimal_pair", "Minimal-pair drill"
        QUESTION = "question", "Question"
        FREE_TALK = "free_talk", "Free talk"

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    is_published = models.BooleanField(default=True)
    # What the tutor says or shows first (instruction, question, topic).
    prompt = models.CharField(max_length=300, blank=True)
    # repeat: the sentence to say and its IPA (words separated by spaces).
    text = models.CharField(max_length=200, blank=True)
    ipa = models.CharField(max_length=600, blank=True)
    # minimal_pair: the phoneme drilled and [{"target", "target_ipa", "contrast", "contrast_ipa"}].
    target_phoneme = models.CharField(max_length=8, blank=True)
    pairs = models.JSONField(default=list, blank=True)
    # question: accepted answers, matched by wording and by meaning.
    accepted_answers = models.JSONField(default=list, blank=True)
    # free_talk: how long the learner may talk.
    time_limit_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "position"], name="one_item_per_position", deferrable=models.Deferrable.DEFERRED
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson} #{self.position + 1} ({self.get_kind_display()})"

    @property
    def spoken_text(self) -> str:
        """What the tutor would say aloud for this item."""
        return self.text or self.prompt


class Assignment(models.Model):
    """A lesson given to a whole class or to one learner, with an optional due date."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="assignments")
    classroom = models.ForeignKey(
        Classroom, on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="assignments"
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(classroom__isnull=False, learner__isnull=True))
                | (models.Q(classroom__isnull=True, learner__isnull=False)),
                name="assignment_to_class_xor_learner",
            ),
            models.UniqueConstraint(
                fields=["lesson", "classroom"],
                condition=models.Q(classroom__isnull=False),
                name="one_assignment_per_class",
            ),
            models.UniqueConstraint(
                fields=["lesson", "learner"],
                condition=models.Q(learner__isnull=False),
                name="one_assignment_per_learner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson} → {self.classroom or self.learner}"


class ApiToken(models.Model):
    """A teacher's token for the lessons API. Only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise the token.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
