"""How patient the tutor is with this learner: the lesson's patience, stretched for slow or hesitant speakers.

Every pause after which the learner went on with their own turn shows how long
they need. Once two such pauses are known, the tutor waits long enough for the
second-longest of the recent ones (one outlier does not count) with a margin,
never less than the lesson asks for, and never more than the lesson's limit.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

FREE_ANSWER_WAIT_S = 0.8  # what patience 1.0 waits before answering a free answer (ExpectationPolicy)
MARGIN = 1.3
MAX_PATIENCE = 3.0
SHORTEST_PAUSE_S = 0.15  # shorter gaps are the voice-activity detector's, not the learner's
LONGEST_PAUSE_S = 10.0  # longer ones are not a pause in a turn


@dataclass
class LearnerPace:
    lesson_patience: float
    resumed_pauses: deque[float] = field(default_factory=lambda: deque(maxlen=8))

    def resumed_after(self, pause_s: float) -> None:
        """The learner spoke again, in their own turn, after `pause_s` of silence."""
        if SHORTEST_PAUSE_S <= pause_s <= LONGEST_PAUSE_S:
            self.resumed_pauses.append(pause_s)

    @property
    def patience(self) -> float:
        if len(self.resumed_pauses) < 2:
            return self.lesson_patience
        needed = sorted(self.resumed_pauses)[-2] * MARGIN / FREE_ANSWER_WAIT_S
        return round(min(MAX_PATIENCE, max(self.lesson_patience, needed)), 2)
