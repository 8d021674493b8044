"""Grammar weights and thresholds of the scorer (whether a word was mispronounced is the word model's
decision, see word_model.py), calibrated on the DEV corpus only and saved as JSON in speech/data/.

`python -m speech.pronunciation.calibrate var/corpus/dev` rewrites the file; evaluation (bench/) never does.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from speech.pronunciation.sphinx import GrammarWeights

CALIBRATION_PATH = Path(__file__).resolve().parent.parent / "data" / "scoring_calibration.json"


@dataclass(frozen=True)
class Calibration:
    # phone accuracy = 100 * sigmoid((gop - centre) / scale)
    gop_centre: float = -30.0
    gop_scale: float = 10.0
    grammar: GrammarWeights = GrammarWeights()
    # where live cepstral-mean normalisation starts in a learner's first streaming reading (LearnerChannel)
    cepstral_mean: str | None = None
    # how sure the streaming head must be before the tutor corrects a word aloud (calibrate_corrections.py),
    # and the fingerprint of the streaming head it was picked for (None: every flagged word, as verdicts)
    correction_bar: float | None = None
    correction_bar_head: str | None = None
    source: str = "defaults"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        data = json.loads(text)
        data["grammar"] = GrammarWeights(**data.get("grammar", {}))
        return cls(**data)


@cache
def default_calibration() -> Calibration:
    if CALIBRATION_PATH.exists():
        return Calibration.from_json(CALIBRATION_PATH.read_text())
    return Calibration()
