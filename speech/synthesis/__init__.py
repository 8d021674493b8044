"""Speaking: cancellable, streaming speech synthesis for the tutor's voice."""

from speech.synthesis.stream import (
    DEFAULT_OUTPUT_RATE,
    MAX_CHUNK_MS,
    Piece,
    SpeechStream,
    Synthesizer,
    TutorAudioChunk,
    split_for_speaking,
)
from speech.synthesis.voices import (
    PLAIN,
    EspeakVoice,
    PiperEnglishVoice,
    Style,
    UnknownLanguageError,
    Voice,
    espeak_voice,
    voice_for,
)

__all__ = [
    "DEFAULT_OUTPUT_RATE",
    "MAX_CHUNK_MS",
    "PLAIN",
    "EspeakVoice",
    "Piece",
    "PiperEnglishVoice",
    "SpeechStream",
    "Style",
    "Synthesizer",
    "TutorAudioChunk",
    "UnknownLanguageError",
    "Voice",
    "espeak_voice",
    "split_for_speaking",
    "voice_for",
]
