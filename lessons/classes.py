"""Classes and join codes: check_* validate and authorise, do_* change data."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from tutor.models import User

from .models import Classroom, Enrollment

MAX_CLASSES_PER_TEACHER = 200


def do_create_class(teacher: User, name: str) -> Classroom:
    if not teacher.is_teacher:
        raise PermissionDenied("Only teachers create classes.")
    name = name.strip()
    if not name:
        raise ValidationError("A class needs a name.")
    if len(name) > 120:
        raise ValidationError("A class name has at most 120 characters.")
    if Classroom.objects.filter(teacher=teacher).count() >= MAX_CLASSES_PER_TEACHER:
        raise ValidationError(f"A teacher can have at most {MAX_CLASSES_PER_TEACHER} classes.")
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Classroom.objects.create(teacher=teacher, name=name)
        except IntegrityError:  # join code collision; draw another
            continue
    raise RuntimeError("could not draw a unique join code")


def do_join_class(learner: User, code: str) -> Classroom:
    if not learner.is_learner:
        raise PermissionDenied("Only learners join classes with a code.")
    normalized = code.strip().upper().replace(" ", "").replace("-", "")
    classroom = Classroom.objects.filter(join_code=normalized).first()
    if classroom is None:
        raise ValidationError("No class has that join code. Check it with your teacher.")
    Enrollment.objects.get_or_create(classroom=classroom, learner=learner)
    return classroom


def classes_for(user: User):
    if user.is_teacher:
        return Classroom.objects.filter(teacher=user)
    return Classroom.objects.filter(learners=user)


def check_can_view_class(user: User, classroom: Classroom) -> None:
    if user.is_staff or classroom.teacher_id == user.pk:
        return
    if user.is_learner and classroom.learners.filter(pk=user.pk).exists():
        return
    raise PermissionDenied("This class is not yours.")
