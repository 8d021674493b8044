"""Pronunciation scoring: whole utterances (`assess`) and streaming word verdicts (`StreamingAssessor`).

See docs/speech-scoring.md for the method, the JSON schema and measured figures.
"""

from speech.accents import ENGLISH_ACCENTS, UnknownAccentError
from speech.pronunciation.scorer import PronunciationScorer, assess
from speech.pronunciation.sphinx import UnknownWordError
from speech.pronunciation.streaming import LearnerChannel, StreamingAssessor
from speech.pronunciation.types import (
    SUPPORTED_LANGUAGES,
    Assessment,
    Fluency,
    PhoneAssessment,
    UnsupportedLanguageError,
    WordAssessment,
    WordVerdict,
)

__all__ = [
    "ENGLISH_ACCENTS",
    "SUPPORTED_LANGUAGES",
    "Assessment",
    "Fluency",
    "LearnerChannel",
    "PhoneAssessment",
    "PronunciationScorer",
    "StreamingAssessor",
    "UnknownAccentError",
    "UnknownWordError",
    "UnsupportedLanguageError",
    "WordAssessment",
    "WordVerdict",
    "assess",
]
