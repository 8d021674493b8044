"""Stop 25: could the tutor tell a learner's native accent from their readings, so that a learner who
never set it in Settings is not marked wrong for it?

    PYTHONPATH=. python docs/experiments/accent_detection_probe.py [FOLDER ...]   # default: dev dev-accents dev-voices

For each voice's first 12 readings in the given dev folders: the Whisper phone head's posteriors, and
the CTC log-likelihood of the reference with each word in its best accepted form, US forms only and
then with each accent's forms added (speech.accents, as `assess(..., accent=...)` accepts them). An
accent speaker's readings should gain much under their own accent and a US learner's little. Prints,
per voice, the gain in nats per word under every accent and the accent that gains most. About 30 s.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from speech.accents import ENGLISH_ACCENTS
from speech.audio import read_wav
from speech.corpus import voice_group
from speech.pronunciation.phone_model import best_base
from speech.pronunciation.scorer import reference_words
from speech.pronunciation.sphinx import word_slots
from speech.pronunciation.whisper_phones import default_whisper_phone_recognizer

READINGS_PER_VOICE = 12


def main(folders: list[str]) -> None:
    recognizer = default_whisper_phone_recognizer()
    gains: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(ENGLISH_ACCENTS, 0.0))
    words_heard: dict[str, int] = defaultdict(int)
    readings: dict[str, int] = defaultdict(int)
    for folder in folders:
        for path in sorted((Path("var/corpus") / folder).glob("*.json")):
            if path.name == "index.json":
                continue
            annotation = json.loads(path.read_text())
            voice = voice_group(annotation["voice"])
            if readings[voice] >= READINGS_PER_VOICE:
                continue
            readings[voice] += 1
            log_probs = recognizer.log_posteriors(read_wav(path.with_suffix(".wav")).to(16000).samples)
            words = reference_words(annotation["text"])
            us = best_base(log_probs, [slot.canonical for slot in word_slots(words)])[1]
            words_heard[voice] += len(words)
            for accent in ENGLISH_ACCENTS:
                with_accent = best_base(log_probs, [slot.canonical for slot in word_slots(words, accent)])[1]
                gains[voice][accent] += with_accent - us
    for voice, by_accent in gains.items():
        per_word = {accent: round(gain / words_heard[voice], 3) for accent, gain in by_accent.items()}
        best = max(per_word, key=per_word.get)
        print(f"{voice}: most {best} {per_word[best]} nats/word;", per_word, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["dev", "dev-accents", "dev-voices"])
