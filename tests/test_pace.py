"""Patience adapts to the learner: long pauses they come back from make the tutor wait longer."""

from tutor.engine.pace import MAX_PATIENCE, LearnerPace


def test_patience_stays_at_the_lessons_until_two_pauses_are_known():
    pace = LearnerPace(lesson_patience=1.0)
    pace.resumed_after(1.5)
    assert pace.patience == 1.0


def test_a_hesitant_learner_gets_more_patience_but_one_outlier_does_not_count():
    pace = LearnerPace(lesson_patience=1.0)
    for pause in (0.3, 1.2, 1.0, 6.0):
        pace.resumed_after(pause)
    assert pace.patience == round(1.2 * 1.3 / 0.8, 2)  # the second-longest pause, with a margin


def test_a_brisk_learner_never_gets_less_than_the_lesson_asks_and_never_more_than_the_limit():
    brisk = LearnerPace(lesson_patience=1.5)
    for pause in (0.2, 0.25, 0.3):
        brisk.resumed_after(pause)
    assert brisk.patience == 1.5
    slow = LearnerPace(lesson_patience=1.0)
    for pause in (5.0, 6.0, 7.0):
        slow.resumed_after(pause)
    assert slow.patience == MAX_PATIENCE


def test_detector_gaps_and_abandoned_turns_are_not_pauses():
    pace = LearnerPace(lesson_patience=1.0)
    for pause in (0.05, 0.1, 30.0, 60.0):
        pace.resumed_after(pause)
    assert not pace.resumed_pauses
