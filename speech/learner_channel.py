"""What a learner's earlier readings leave for the next ones (import-light: the web models read it)."""

from __future__ import annotations

import math
from dataclasses import dataclass

CEPSTRAL_COEFFICIENTS = 13  # pocketsphinx's en-us model: its `ceplen`
MAX_STORED_CEPSTRAL_MEAN = 400  # characters; get_cmn() writes about 110


@dataclass
class LearnerChannel:
    """What a learner's earlier utterances leave for the next one: the live cepstral mean that their last
    utterance of a second or more ended with (the same voice, microphone and room). Live cepstral mean
    normalisation starts cold and needs a second or two of speech to settle; until then the partial
    paths skip words. One per learner, passed to each of their assessors; the tutor keeps it from one
    session to the next (`restored`), and a new one starts from the dev corpus's mean saved with the
    calibration. Never shared between learners: one learner's audio must not move another's verdicts."""

    cepstral_mean: str | None = None

    @classmethod
    def restored(cls, stored: str | None) -> LearnerChannel:
        """The channel a learner's earlier session left (`stored` is a saved `cepstral_mean`), or a new one
        when nothing usable was saved: pocketsphinx takes the mean as text, so only 13 finite numbers pass."""
        return cls(stored if is_cepstral_mean(stored) else None)


def is_cepstral_mean(text: str | None) -> bool:
    """Whether `text` is what pocketsphinx's get_cmn() writes and set_cmn() takes."""
    if not text or len(text) > MAX_STORED_CEPSTRAL_MEAN:
        return False
    values = text.split(",")
    if len(values) != CEPSTRAL_COEFFICIENTS:
        return False
    try:
        return all(math.isfinite(float(value)) for value in values)
    except ValueError:
        return False
