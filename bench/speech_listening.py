"""Benchmark: how well and how fast Parley listens. Prints one JSON object.

    python bench/speech_listening.py [--voices piper,espeak,...] [--limit 20]

Whisper base (speech.transcriber) word error rate and seconds per utterance on sentences synthesised
by every English engine available here: piper (joe, neural, without sampled noise, so that every run
hears the same audio) and espeak-ng (formant) from pip; Debian's Festival (kal and ked: diphone; slt:
HTS) and flite (awb, rms, slt, kal16) when installed (a voice that is not installed is listed under
"skipped"). Also the streaming recogniser's (pocketsphinx) CPU time per 200 ms chunk, with its own
word error rate on the same audio. Sentences are used nowhere else.
"synthetic_english" pools the Whisper word errors of every voice measured.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch

from speech.audio import LEARNER_RATE, Audio
from speech.g2p import normalise
from speech.recognizer import streaming_recognizer
from speech.sequences import edit_distance
from speech.transcriber import Transcriber

SENTENCES = [
    "My brother fixed the old bicycle in the garage yesterday.",
    "Please close the window before the rain comes in.",
    "She bought fresh bread and cheese at the market.",
    "The train to the city leaves from platform four.",
    "We watched the birds fly south over the lake.",
    "Could you tell me where the nearest pharmacy is?",
    "He forgot his umbrella at the restaurant again.",
    "The children built a snowman in the park this morning.",
    "I would like a cup of tea with a little milk.",
    "Our teacher asked us to read the first chapter tonight.",
    "The museum is closed on Mondays during the winter.",
    "They painted the kitchen a bright shade of yellow.",
    "Turn left at the bakery and walk past the bank.",
    "The doctor said I should drink more water every day.",
    "A small dog was sleeping under the wooden table.",
    "We need to leave early to avoid the heavy traffic.",
    "The concert was cancelled because the singer was ill.",
    "Can you help me carry these boxes upstairs?",
    "The farmer grows potatoes, carrots and onions.",
    "It was so quiet that we could hear the clock ticking.",
]
CHUNK_SECONDS = 0.2


def words_of(text: str) -> list[str]:
    """Spoken words for scoring: numbers spelled, case and punctuation dropped ("4" and "four" agree)."""
    return [spoken for spoken, _ in normalise(text, "en-us")]


def word_errors(pairs: list[tuple[str, str]]) -> tuple[int, int]:
    """(word errors, reference words) over (said, heard) pairs."""
    return (
        sum(edit_distance(words_of(ref), words_of(hyp)) for ref, hyp in pairs),
        sum(len(words_of(ref)) for ref, _ in pairs),
    )


def word_error_rate(pairs: list[tuple[str, str]]) -> float:
    errors, words = word_errors(pairs)
    return errors / words


def piper_voice() -> Callable[[str], Audio]:
    from speech.corpus_voices import PiperVoice, SpokenWord

    voice = PiperVoice()
    return lambda text: voice.render([[SpokenWord(text)]])[0]


def espeak_voice() -> Callable[[str], Audio]:
    from speech.synthesis.espeak import espeak_engine

    engine = espeak_engine()

    def say(text: str) -> Audio:
        samples = engine.synthesize(text, "en-us").astype(np.float32) / 32768.0
        return Audio(samples, engine.rate).to(LEARNER_RATE)

    return say


def festival_voice(name: str) -> Callable[[str], Audio] | None:
    """None when Debian's festival or this voice is not installed."""
    from speech.corpus_voices import FestivalVoice, SpokenWord

    voice = FestivalVoice(name)
    return (lambda text: voice.render([[SpokenWord(text)]])[0]) if voice.available() else None


def flite_voice(name: str) -> Callable[[str], Audio] | None:
    """None when Debian's flite is not installed."""
    from speech.audio import read_wav

    def say(text: str) -> Audio:
        with tempfile.TemporaryDirectory(prefix="parley-flite-") as folder:
            wav = Path(folder) / "say.wav"
            subprocess.run(["flite", "-voice", name, "-t", text, "-o", str(wav)], check=True, timeout=60)
            return read_wav(wav).to(LEARNER_RATE)

    return say if shutil.which("flite") else None


# each makes a text-to-audio function, or None when its engine is not installed
VOICES: dict[str, Callable[[], Callable[[str], Audio] | None]] = {
    "piper": piper_voice,
    "espeak": espeak_voice,
    "festival-kal": partial(festival_voice, "kal_diphone"),
    "festival-ked": partial(festival_voice, "ked_diphone"),
    "festival-slt": partial(festival_voice, "cmu_us_slt_arctic_hts"),
    "flite-awb": partial(flite_voice, "awb"),
    "flite-rms": partial(flite_voice, "rms"),
    "flite-slt": partial(flite_voice, "slt"),
    "flite-kal16": partial(flite_voice, "kal16"),
}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def bench_voice(say: Callable[[str], Audio], sentences: list[str], transcriber: Transcriber) -> dict:
    clips = [say(sentence) for sentence in sentences]
    whisper_pairs, sphinx_pairs = [], []
    wall, cpu, chunk_cpu = [], [], []
    recognizer = streaming_recognizer("en-us")
    for sentence, clip in zip(sentences, clips, strict=True):
        cpu_started = time.process_time()
        transcript = transcriber.transcribe(clip, lang="en")
        cpu.append(time.process_time() - cpu_started)
        wall.append(transcript.seconds)
        whisper_pairs.append((sentence, transcript.text))

        recognizer.reset()
        pcm = clip.pcm16()
        chunk_bytes = int(CHUNK_SECONDS * LEARNER_RATE) * 2
        for offset in range(0, len(pcm), chunk_bytes):
            started = time.process_time()
            recognizer.push(pcm[offset : offset + chunk_bytes])
            chunk_cpu.append(time.process_time() - started)
        sphinx_pairs.append((sentence, recognizer.finish().text))
    errors, words = word_errors(whisper_pairs)
    return {
        "utterances": len(sentences),
        "audio_seconds_mean": round(statistics.mean(clip.seconds for clip in clips), 2),
        "whisper_wer": round(errors / words, 4),
        "whisper_word_errors": errors,
        "words": words,
        "whisper_seconds_per_utterance": {
            "median": round(statistics.median(wall), 3),
            "p90": round(percentile(wall, 90), 3),
        },
        "whisper_cpu_seconds_per_utterance_median": round(statistics.median(cpu), 3),
        "recognizer_wer": round(word_error_rate(sphinx_pairs), 4),
        "recognizer_cpu_ms_per_200ms_chunk": {
            "median": round(statistics.median(chunk_cpu) * 1000, 2),
            "p90": round(percentile(chunk_cpu, 90) * 1000, 2),
            "chunks": len(chunk_cpu),
        },
        "whisper_errors": [{"said": ref, "heard": hyp} for ref, hyp in whisper_pairs if words_of(ref) != words_of(hyp)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default=",".join(VOICES), help=f"any of {', '.join(VOICES)}")
    parser.add_argument("--limit", type=int, default=len(SENTENCES))
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    options = parser.parse_args()
    if options.threads:
        torch.set_num_threads(options.threads)

    load_started = time.perf_counter()
    transcriber = Transcriber.get()
    load_seconds = time.perf_counter() - load_started
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        },
        "whisper_load_seconds": round(load_seconds, 2),
        "voices": {},
    }
    skipped = []
    for name in options.voices.split(","):
        if name not in VOICES:
            parser.error(f"unknown voice {name!r}; choose from {', '.join(VOICES)}")
        say = VOICES[name]()
        if say is None:
            skipped.append(name)
            continue
        report["voices"][name] = bench_voice(say, SENTENCES[: options.limit], transcriber)
    measured = report["voices"].values()
    errors, words = sum(v["whisper_word_errors"] for v in measured), sum(v["words"] for v in measured)
    report["synthetic_english"] = {
        "voices": len(measured),
        "whisper_wer": round(errors / words, 4) if words else None,
        "whisper_wer_per_voice_median": round(statistics.median(v["whisper_wer"] for v in measured), 4)
        if measured
        else None,
        "skipped": skipped,
    }
    report["machine"]["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
