"""Unscripted mode: recognise the words first (pocketsphinx with its general English language model).

The recogniser's language model pulls a mispronounced word towards a real word, so scores against its
output are less certain than against a known reference; assessments made this way say so.
"""

from __future__ import annotations

import os
import re
import threading
from functools import cache

import pocketsphinx

from speech.audio import LEARNER_RATE, Audio
from speech.pronunciation.sphinx import FILLER_WORDS

_MODEL_DIR = os.path.join(pocketsphinx.get_model_path(), "en-us")


@cache
def _recogniser() -> tuple[pocketsphinx.Decoder, threading.Lock]:
    decoder = pocketsphinx.Decoder(
        hmm=os.path.join(_MODEL_DIR, "en-us"),
        dict=os.path.join(_MODEL_DIR, "cmudict-en-us.dict"),
        lm=os.path.join(_MODEL_DIR, "en-us.lm.bin"),
        loglevel="FATAL",
    )
    return decoder, threading.Lock()


def recognise_words(audio: Audio) -> list[str]:
    decoder, lock = _recogniser()
    pcm = (audio if audio.rate == LEARNER_RATE else audio.to(LEARNER_RATE)).pcm16()
    with lock:
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
    if hypothesis is None:
        return []
    words = [re.sub(r"\(\d+\)$", "", w) for w in hypothesis.hypstr.split()]
    return [w for w in words if w not in FILLER_WORDS and not w.startswith(("<", "["))]
