"""Pronunciation scoring, the public face: `from speech.scoring import assess, StreamingAssessor`.

The implementation lives in the `speech.pronunciation` package.
"""

from speech.pronunciation import (
    ENGLISH_ACCENTS,
    SUPPORTED_LANGUAGES,
    Assessment,
    Fluency,
    LearnerChannel,
    PhoneAssessment,
    StreamingAssessor,
    UnknownAccentError,
    UnknownWordError,
    UnsupportedLanguageError,
    WordAssessment,
    WordVerdict,
    assess,
)

__all__ = [
    "ENGLISH_ACCENTS",
    "SUPPORTED_LANGUAGES",
    "Assessment",
    "Fluency",
    "LearnerChannel",
    "PhoneAssessment",
    "StreamingAssessor",
    "UnknownAccentError",
    "UnknownWordError",
    "UnsupportedLanguageError",
    "WordAssessment",
    "WordVerdict",
    "assess",
]
