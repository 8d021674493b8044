"""Pronunciation scoring, the public face: `from speech.scoring import assess, StreamingAssessor`.

The implementation lives in the `speech.pronunciation` package.
"""

from speech.pronunciation import (
    SUPPORTED_LANGUAGES,
    Assessment,
    Fluency,
    PhoneAssessment,
    StreamingAssessor,
    UnknownWordError,
    UnsupportedLanguageError,
    WordAssessment,
    WordVerdict,
    assess,
)

__all__ = [
    "SUPPORTED_LANGUAGES",
    "Assessment",
    "Fluency",
    "PhoneAssessment",
    "StreamingAssessor",
    "UnknownWordError",
    "UnsupportedLanguageError",
    "WordAssessment",
    "WordVerdict",
    "assess",
]
