"""The tutor's voice, shared by every session in a process: loaded and warmed once."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from speech.phrases import PhraseBank
from speech.synthesis import Synthesizer, voice_for

log = logging.getLogger(__name__)
_lock = threading.Lock()
_voices: dict[str, TutorVoice] = {}


@dataclass
class TutorVoice:
    synthesizer: Synthesizer
    phrases: PhraseBank

    @property
    def rate(self) -> int:
        return self.synthesizer.rate


def tutor_voice(lang: str) -> TutorVoice:
    """The synthesiser and warmed stock phrases for `lang` (blocking the first time: call it off the loop)."""
    with _lock:
        voice = _voices.get(lang)
        if voice is None:
            synthesizer = Synthesizer(voice_for(lang))
            voice = TutorVoice(synthesizer, PhraseBank(synthesizer).warm())
            _voices[lang] = voice
            log.info("tutor voice for %s ready", lang)
        return voice


def voice_ready(lang: str = "en-us") -> bool:
    return lang in _voices


def warm_in_background(lang: str = "en-us") -> threading.Thread:
    """Load and warm a voice without holding up start-up, so the first lesson starts at once."""
    thread = threading.Thread(target=tutor_voice, args=(lang,), name=f"warm-voice-{lang}", daemon=True)
    thread.start()
    return thread
