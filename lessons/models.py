import secrets

from django.conf import settings
from django.db import models

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
