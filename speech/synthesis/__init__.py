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
    CancelSignal,
    EspeakVoice,
    PiperEnglishVoice,
    RenderCancelled,
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
    "CancelSignal",
    "EspeakVoice",
    "Piece",
    "PiperEnglishVoice",
    "RenderCancelled",
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
