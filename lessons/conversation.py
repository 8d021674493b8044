"""A stored lesson as the plan the conversation engine runs (tutor.engine.plan)."""

from __future__ import annotations

from tutor.engine.plan import LessonItem as PlannedItem
from tutor.engine.plan import LessonPlan
from tutor.models import User

from .models import Lesson, LessonItem
from .services import items_visible_to, lessons_visible_to


class LessonUnavailable(LookupError):
    pass


def plan_for(user: User, lesson_id: int) -> LessonPlan:
    """The lesson `user` may take (published and assigned to a learner; their own for a teacher)."""
    lesson = lessons_visible_to(user).filter(pk=lesson_id).first()
    if lesson is None:
        raise LessonUnavailable(f"lesson {lesson_id} is not available to you")
    items = [item for item in items_visible_to(user, lesson).order_by("position") if _plannable(item)]
    if not items:
        raise LessonUnavailable(f"lesson {lesson_id} has no items to practise")
    return LessonPlan(
        lang=lesson.language,
        items=tuple(_planned(lesson, item) for item in items),
        patience=min(3.0, max(0.5, lesson.patience)),
        title=lesson.title,
        accent=user.accent or None,
    )


def _plannable(item: LessonItem) -> bool:
    return bool(item.text or item.prompt or item.pairs)


def _planned(lesson: Lesson, item: LessonItem) -> PlannedItem:
    policy = lesson.correction_policy
    if item.kind == LessonItem.Kind.REPEAT:
        return PlannedItem(kind="repeat", text=item.text, prompt=item.prompt, correction_policy=policy)
    if item.kind == LessonItem.Kind.MINIMAL_PAIR:
        words = [word for pair in item.pairs for word in (pair.get("target"), pair.get("contrast")) if word]
        text = ", ".join(words)
        prompt = item.prompt or f"Listen and repeat: {text}."
        return PlannedItem(kind="repeat", text=text, prompt=prompt, correction_policy=policy)
    if item.kind == LessonItem.Kind.QUESTION:
        return PlannedItem(
            kind="question",
            text=item.text,
            prompt=item.prompt or item.text,
            accepted=tuple(item.accepted_answers),
            correction_policy="off",
        )
    limit = item.time_limit_seconds or lesson.speaking_time_limit_seconds
    return PlannedItem(
        kind="free",
        prompt=item.prompt or item.text,
        correction_policy="off",
        time_limit_s=float(limit) if limit else None,
    )
