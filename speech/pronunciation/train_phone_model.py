"""Build the phone recogniser's training speech and train it (writes speech/data/phone_model.pt).

    python -m speech.pronunciation.train_phone_model [--data var/phone_corpus] [--epochs 16] [--folds 1 2 0]

**Voices.** Never an eval corpus voice (`check_voices` refuses one). The base set reads no corpus at
all: espeak-ng en-us with 22 of its voice variants (told the exact phones through phoneme input) and
flite's awb and rms voices (flite reads the text its own way and prints the phones it used: those are
the labels); with `KOKORO_TRAINS`, four of Kokoro-82M's speakers
(`speech.corpus.KOKORO_TRAINING_SPEAKERS`, neural voices told the exact phones at three speeds; stop 23
trained both networks with them, and shipped neither: see docs/speech-scoring.md). The four dev corpus
voices (piper joe, espeak-ng m1 and f3, Festival kal) are added, each with exact phones, in two *folds*.
The shipped model (fold 0) hears all of them; fold K's model, written to speech/data/folds/foldK.pt, is
trained without the dev voices of fold K and gives those voices' phone features when `train_word_model`
calibrates on dev, so that the word model learns from a phone model that has never heard the speaker, as
on the eval voices and a real learner (cross-fitting).

**Augmentation.** Each utterance is resampled by a random factor of 0.88-1.12 (another vocal-tract
length and pitch), scaled by 0-12 dB and given a noise floor; training masks random mel bands and
stretches of time (SpecAugment).

**Text** is 5-11 random words drawn from Whisper's tokenizer vocabulary (a list of common English words
ordered by frequency) that CMUdict knows, leaving out every word of the eval sentences that is not also
among the 300 commonest; a quarter of the words with phoneme input are said as one of their learner
variants, so that the network hears those sounds in every context. The speech is deterministic for a
seed; the network trains with fixed seeds (float rounding can differ between machines).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn

from speech.audio import LEARNER_RATE, read_wav, resample
from speech.common_words import common_words
from speech.corpus import (
    ACCENT_VOICES,
    EXTRA_DEV_LEARNER_VOICES,
    KOKORO_TRAINING_SPEAKERS,
    MORE_DEV_ACCENT_VOICES,
    VOICES,
    load_sentences,
)
from speech.corpus_voices import (
    CorpusVoice,
    EspeakVoice,
    FestivalVoice,
    KokoroVoice,
    PiperVoice,
    SpokenWord,
    _finish,
)
from speech.g2p import cmudict_pronunciations, normalise
from speech.pronunciation.learner_variants import learner_variants
from speech.pronunciation.phone_model import (
    LABEL,
    PHONE_MODEL_PATH,
    PHONES,
    PhoneNet,
    PhoneRecognizer,
    RunningMean,
    greedy_phones,
    log_mel,
)
from speech.sequences import edit_distance

ESPEAK_VARIANTS = [
    "m2",
    "m3",
    "m5",
    "m6",
    "m7",
    "m8",
    "f1",
    "f4",
    "f5",
    "klatt",
    "klatt2",
    "klatt3",
    "klatt4",
    "klatt6",
    "adam",
    "Andy",
    "Annie",
    "david",
    "ed",
    "john",
    "linda",
    "steph",
]
FLITE_VOICES = ("awb", "rms")
UTTERANCES_PER_ESPEAK_VOICE = 260
UTTERANCES_PER_FLITE_VOICE = 1100
UTTERANCES_PER_KOKORO_SPEAKER = 250
KOKORO_SPEEDS = (0.9, 1.0, 1.15)
# the networks (by input features: "log_mel", "whisper") whose training speech has Kokoro's speakers.
# None of the shipped ones: stop 23's networks with them heard unheard voices better but the word models
# trained on them failed tests (docs/speech-scoring.md, "Kokoro's voices in the phone networks")
KOKORO_TRAINS: set[str] = set()
# The dev corpus voices also train the shipped model, but the word model is calibrated on dev features
# that come from a model which never heard the voice (cross-fitting): fold K's model is trained without
# the dev voices of fold K, and gives the phone features of exactly those voices.
DEV_VOICE_FOLDS: dict[str, int] = {"piper-joe": 1, "espeak-f3": 1, "festival-kal_diphone": 2, "espeak-m1": 2}
CORPUS_VOICE_FOLDS: dict[str, int] = {  # corpus voice group (speech.corpus.voice_group) -> its fold
    "piper:joe": 1,
    "espeak:en-us+f3": 1,
    "espeak:en-gb-x-rp": 1,
    "espeak:en-gb-x-gbclan": 1,
    "espeak:en-gb-x-gbcwmd": 1,
    "espeak:en-us-nyc": 1,
    "espeak:en": 1,
    "festival:kal_diphone": 2,
    "espeak:en-us+m1": 2,
    # in no fold's training speech, as the accent voices above: any fold never heard them
    **{voice.name.split("@")[0]: 1 for voice in EXTRA_DEV_LEARNER_VOICES},
}
UTTERANCES_PER_DEV_VOICE = 500
PIPER_LENGTH_SCALES = (0.9, 1.0, 1.1, 1.25)
VALIDATION_SHARE = 0.04
_FLITE_PHONES = {"ax": ("AH",), "axr": ("ER",), "el": ("AH", "L"), "em": ("AH", "M"), "en": ("AH", "N"), "nx": ("N",)}


@dataclass
class Example:
    voice: str
    features: np.ndarray  # float16: (frames, 80) log-mel, or (frames / 2, 512) Whisper encoder output
    labels: list[int]


# -------------------------------------------------------------------------------------------------- text


@cache
def training_words() -> tuple[str, ...]:
    words = common_words()
    common = set(words[:300])
    eval_words = {w for sentence in load_sentences("eval") for w, _ in normalise(sentence)}
    return tuple(w for w in dict.fromkeys(words[:6000]) if w in common or w not in eval_words)


def random_text(rng: random.Random) -> list[str]:
    words = training_words()
    return [
        words[min(int(rng.paretovariate(0.6)) - 1, len(words) - 1)] if rng.random() < 0.5 else rng.choice(words)
        for _ in range(rng.randint(5, 11))
    ]


def spoken_words(text: list[str], rng: random.Random) -> list[SpokenWord]:
    result = []
    for word in text:
        phones = tuple(rng.choice(cmudict_pronunciations(word)))
        variants = learner_variants(phones)
        if variants and rng.random() < 0.25:
            phones = rng.choice(variants).phones
        result.append(SpokenWord(word, phones))
    return result


# ------------------------------------------------------------------------------------------------ voices


def check_voices() -> None:
    """Eval voices never train the phone model; dev voices only through their folds."""
    corpus_voices = {
        voice.name.split("@")[0]
        for voices in (
            *VOICES.values(),
            *ACCENT_VOICES.values(),
            MORE_DEV_ACCENT_VOICES,
            EXTRA_DEV_LEARNER_VOICES,
        )
        for voice in voices
    }
    eval_voices = {voice.name.split("@")[0] for voices in (VOICES["eval"], ACCENT_VOICES["eval"]) for voice in voices}
    for variant in ESPEAK_VARIANTS:
        if f"espeak:en-us+{variant}" in corpus_voices:
            raise ValueError(f"espeak-ng en-us+{variant} reads a dev or eval corpus; it must not train the phone model")
    if any(name.startswith("flite:") for name in corpus_voices):
        raise ValueError("a flite voice reads a dev or eval corpus")
    for speaker in KOKORO_TRAINING_SPEAKERS:
        if f"kokoro:{speaker}" in corpus_voices:
            raise ValueError(f"Kokoro's {speaker} reads a dev or eval corpus; it must not train the phone model")
    for name in DEV_VOICE_FOLDS:
        engine, voice = name.split("-", 1)
        variant = f"en-us+{voice}" if engine == "espeak" else voice
        if any(v.startswith(f"{engine}:{variant}") for v in eval_voices):
            raise ValueError(f"{name} reads the eval corpus; it must not train the phone model")
    dev_groups = {
        voice.name.split("@")[0]
        for voices in (
            VOICES["dev"],
            ACCENT_VOICES["dev"],
            MORE_DEV_ACCENT_VOICES,
            EXTRA_DEV_LEARNER_VOICES,
        )
        for voice in voices
    }
    if set(CORPUS_VOICE_FOLDS) != dev_groups:
        raise ValueError(f"every dev voice needs a calibration fold: {sorted(dev_groups ^ set(CORPUS_VOICE_FOLDS))}")


def _augment(samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    factor = float(rng.uniform(0.88, 1.12))
    samples = resample(samples, int(round(LEARNER_RATE * factor)), LEARNER_RATE)
    samples = samples * float(10 ** (rng.uniform(-12, 0) / 20))
    noise_db = float(rng.uniform(-70, -45))
    return (samples + rng.standard_normal(len(samples)).astype(np.float32) * 10 ** (noise_db / 20)).astype(np.float32)


def _featurised(samples: np.ndarray, features: str) -> np.ndarray:
    """The network's input: "log_mel" (phone model, 10 ms frames) or "whisper" (Whisper base's encoder
    output for the Whisper phone head, 20 ms frames)."""
    if features == "whisper":
        from speech.pronunciation.whisper_phones import HEAD_LAYER, shared_encoder

        torch.set_num_threads(1)
        return shared_encoder().features(samples, HEAD_LAYER)
    return log_mel(samples)


def _examples(
    voice: str, samples: list[np.ndarray], phone_lists: list[list[str]], seed: int, features: str = "log_mel"
) -> list[Example]:
    rng = np.random.default_rng(seed)
    out = []
    for audio, phones in zip(samples, phone_lists, strict=True):
        if len(audio) < LEARNER_RATE // 4 or not phones:
            continue
        values = _featurised(_augment(audio, rng), features)
        out.append(Example(voice, values.astype(np.float16), [LABEL[p] for p in phones]))
    return out


def _rendered(groups: list[tuple[CorpusVoice, list[list[SpokenWord]]]]) -> tuple[list[np.ndarray], list[list[str]]]:
    """Each group of exact-phone utterances rendered by its voice: samples and phone labels, in order."""
    samples, phones = [], []
    for voice, group in groups:
        samples += [audio.samples for audio in voice.render(group)]
        phones += [[phone for word in words for phone in word.phones] for words in group]
    return samples, phones


def espeak_examples(variant: str, count: int, seed: int, features: str = "log_mel") -> list[Example]:
    rng = random.Random(f"{seed}-{variant}")
    utterances = [spoken_words(random_text(rng), rng) for _ in range(count)]
    voice = EspeakVoice(f"en-us+{variant}", words_per_minute=rng.randint(135, 185), pitch=rng.randint(35, 65))
    samples, phones = _rendered([(voice, utterances)])
    return _examples(voice.name, samples, phones, rng.randint(0, 2**31), features)


def flite_phones(printed: str) -> list[str]:
    out: list[str] = []
    for phone in printed.split():
        if phone == "pau":
            continue
        out.extend(_FLITE_PHONES.get(phone, (phone.upper(),)))
    unknown = [p for p in out if p not in LABEL]
    if unknown:
        raise ValueError(f"flite printed phones outside ARPAbet: {unknown}")
    return out


def flite_examples(voice: str, count: int, seed: int, features: str = "log_mel") -> list[Example]:
    if shutil.which("flite") is None:
        raise SystemExit("the phone model's training voices need Debian's flite: apt-get install flite")
    rng = random.Random(f"{seed}-flite-{voice}")
    samples, phones = [], []
    with tempfile.TemporaryDirectory(prefix="parley-flite-") as folder:
        wav = Path(folder) / "out.wav"
        for _ in range(count):
            text = " ".join(random_text(rng))
            stretch = rng.uniform(0.85, 1.3)
            printed = subprocess.run(
                [
                    "flite",
                    "-voice",
                    voice,
                    "--setf",
                    f"duration_stretch={stretch:.2f}",
                    "-ps",
                    "-t",
                    text,
                    "-o",
                    str(wav),
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
            audio = read_wav(wav)
            samples.append(_finish(audio.samples, audio.rate).samples)
            phones.append(flite_phones(printed))
    return _examples(f"flite:{voice}", samples, phones, rng.randint(0, 2**31), features)


def piper_examples(count: int, seed: int, features: str = "log_mel") -> list[Example]:
    rng = random.Random(f"{seed}-piper")
    utterances = [spoken_words(random_text(rng), rng) for _ in range(count)]
    speeds = len(PIPER_LENGTH_SCALES)
    samples, phones = _rendered(
        [(PiperVoice(length_scale=scale), utterances[part::speeds]) for part, scale in enumerate(PIPER_LENGTH_SCALES)]
    )
    return _examples("piper:joe", samples, phones, rng.randint(0, 2**31), features)


def festival_examples(voice: str, count: int, seed: int, features: str = "log_mel") -> list[Example]:
    rng = random.Random(f"{seed}-festival-{voice}")
    utterances = [spoken_words(random_text(rng), rng) for _ in range(count)]
    thirds = [utterances[: count // 3], utterances[count // 3 : 2 * count // 3], utterances[2 * count // 3 :]]
    samples, phones = _rendered(
        [
            (FestivalVoice(voice, duration_stretch=stretch), part)
            for stretch, part in zip((0.9, 1.0, 1.15), thirds, strict=True)
        ]
    )
    return _examples(f"festival:{voice}", samples, phones, rng.randint(0, 2**31), features)


def kokoro_examples(speaker: str, count: int, seed: int, features: str = "log_mel") -> list[Example]:
    torch.set_num_threads(1)
    rng = random.Random(f"{seed}-kokoro-{speaker}")
    utterances = [spoken_words(random_text(rng), rng) for _ in range(count)]
    speeds = len(KOKORO_SPEEDS)
    samples, phones = _rendered(
        [(KokoroVoice(speaker, speed), utterances[part::speeds]) for part, speed in enumerate(KOKORO_SPEEDS)]
    )
    return _examples(f"kokoro:{speaker}", samples, phones, rng.randint(0, 2**31), features)


def _build_voice(job: tuple[str, str, int, int, str]) -> list[Example]:
    kind, voice, count, seed, features = job
    if kind == "espeak":
        return espeak_examples(voice, count, seed, features)
    if kind == "flite":
        return flite_examples(voice, count, seed, features)
    if kind == "piper":
        return piper_examples(count, seed, features)
    if kind == "kokoro":
        return kokoro_examples(voice, count, seed, features)
    return festival_examples(voice, count, seed, features)


def save_voice_speech(path: Path, examples: list[Example]) -> None:
    """One voice's training speech as build_training_speech stores it (load_training_speech reads it)."""
    np.savez(
        path,
        features=np.concatenate([e.features for e in examples]),
        lengths=np.array([len(e.features) for e in examples]),
        labels=np.concatenate([np.array(e.labels, np.int16) for e in examples]),
        label_lengths=np.array([len(e.labels) for e in examples]),
        voice=np.array(examples[0].voice),
    )


def training_voices(features: str) -> list[tuple[str, str, int]]:
    """(engine, voice, utterances) of every training voice of the network with this input ("log_mel":
    the phone model, "whisper": the Whisper phone head)."""
    voices = [("espeak", v, UTTERANCES_PER_ESPEAK_VOICE) for v in ESPEAK_VARIANTS]
    voices += [("flite", v, UTTERANCES_PER_FLITE_VOICE) for v in FLITE_VOICES]
    if features in KOKORO_TRAINS:
        voices += [("kokoro", s, UTTERANCES_PER_KOKORO_SPEAKER) for s in KOKORO_TRAINING_SPEAKERS]
    voices += [(*name.split("-", 1), UTTERANCES_PER_DEV_VOICE) for name in DEV_VOICE_FOLDS]
    return voices


def build_training_speech(folder: Path, seed: int = 1, workers: int = 2, features: str = "log_mel") -> None:
    """Render every training voice into `folder/<voice>.npz` (skips voices already there), as the input
    of the phone model ("log_mel") or of the Whisper phone head ("whisper"): the same utterances and
    augmentation either way."""
    check_voices()
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(engine, voice, count, seed, features) for engine, voice, count in training_voices(features)]
    jobs = [job for job in jobs if not (folder / f"{job[0]}-{job[1]}.npz").exists()]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for job, examples in zip(jobs, pool.map(_build_voice, jobs), strict=True):
            save_voice_speech(folder / f"{job[0]}-{job[1]}.npz", examples)
            frame_seconds = 0.02 if features == "whisper" else 0.01
            minutes = sum(len(e.features) for e in examples) * frame_seconds / 60
            print(f"{job[0]} {job[1]}: {len(examples)} utterances, {minutes:.1f} min", flush=True)


def load_training_speech(folder: Path, fold: int = 0, features: str = "log_mel") -> list[Example]:
    """Every training voice's utterances (`training_voices`: another file in the folder, such as a voice
    no longer trained, is left out); for fold K > 0 without the dev voices of fold K."""
    trained = {f"{engine}-{voice}" for engine, voice, _ in training_voices(features)}
    examples = []
    for path in sorted(folder.glob("*.npz")):
        if path.stem not in trained or (fold and DEV_VOICE_FOLDS.get(path.stem) == fold):
            continue
        data = np.load(path)
        features = np.split(data["features"], np.cumsum(data["lengths"])[:-1])
        label_lists = np.split(data["labels"], np.cumsum(data["label_lengths"])[:-1])
        examples += [
            Example(str(data["voice"]), f, [int(x) for x in lab]) for f, lab in zip(features, label_lists, strict=True)
        ]
    return examples


# ----------------------------------------------------------------------------------------------- training


def _normalised(examples: list[Example], prior: np.ndarray) -> list[np.ndarray]:
    return [RunningMean(prior).normalise(e.features.astype(np.float32)) for e in examples]


def _batches(lengths: list[int], size_frames: int, rng: random.Random) -> list[list[int]]:
    order = sorted(range(len(lengths)), key=lambda i: lengths[i] + rng.random() * 40)
    batches, current, longest = [], [], 0
    for index in order:
        longest = max(longest, lengths[index])
        if current and longest * (len(current) + 1) > size_frames:
            batches.append(current)
            current, longest = [], lengths[index]
        current.append(index)
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def _mask(features: np.ndarray, rng: random.Random) -> None:
    """SpecAugment: two bands of up to 8 mel channels and two stretches of up to 150 ms set to the mean."""
    frames, bands = features.shape
    for _ in range(2):
        width = rng.randint(0, 8)
        start = rng.randint(0, bands - width)
        features[:, start : start + width] = 0.0
        length = rng.randint(0, min(15, frames // 8))
        begin = rng.randint(0, max(frames - length, 0))
        features[begin : begin + length] = 0.0


def phone_error_rate(recognizer: PhoneRecognizer, features: list[np.ndarray], examples: list[Example]) -> float:
    errors = total = 0
    recognizer.net.eval()
    with torch.inference_mode():
        for normalised, example in zip(features, examples, strict=True):
            out = recognizer.net(torch.from_numpy((normalised / recognizer.scale).T.copy())[None])[0].numpy()
            heard = greedy_phones(out)
            expected = [PHONES[label - 1] for label in example.labels]
            errors += edit_distance(expected, heard)
            total += len(expected)
    return errors / max(total, 1)


def train(examples: list[Example], epochs: int, seed: int = 1, channels: int = 192) -> tuple[PhoneRecognizer, dict]:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    n_validation = int(len(order) * VALIDATION_SHARE)
    validation = [examples[i] for i in order[:n_validation]]
    training = [examples[i] for i in order[n_validation:]]

    all_frames = np.concatenate([e.features.astype(np.float32) for e in training[:2000]])
    prior = all_frames.mean(axis=0)
    train_features = _normalised(training, prior)
    scale = np.concatenate(train_features[:2000]).std(axis=0).astype(np.float32) + 1e-3
    train_features = [f / scale for f in train_features]
    validation_features = _normalised(validation, prior)

    net = PhoneNet(channels)
    recognizer = PhoneRecognizer(net, prior.astype(np.float64), scale)
    optimiser = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    steps_per_epoch = len(_batches([len(f) for f in train_features], 24000, random.Random(0)))
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, 2e-3, total_steps=epochs * steps_per_epoch + 10, pct_start=0.1
    )
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    history = []
    for epoch in range(epochs):
        net.train()
        started, total_loss, n = time.monotonic(), 0.0, 0
        for batch in _batches([len(f) for f in train_features], 24000, rng):
            longest = max(len(train_features[i]) for i in batch)
            inputs = np.zeros((len(batch), longest, train_features[batch[0]].shape[1]), np.float32)
            for row, i in enumerate(batch):
                inputs[row, : len(train_features[i])] = train_features[i]
                _mask(inputs[row, : len(train_features[i])], rng)
            log_probs = net(torch.from_numpy(inputs).transpose(1, 2))  # (B, T', C)
            out_lengths = torch.tensor([(len(train_features[i]) + 1) // 2 for i in batch])
            targets = torch.tensor([label for i in batch for label in training[i].labels])
            target_lengths = torch.tensor([len(training[i].labels) for i in batch])
            loss = ctc(log_probs.transpose(0, 1), targets, out_lengths, target_lengths)
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            optimiser.step()
            schedule.step()
            total_loss += float(loss.detach()) * len(batch)
            n += len(batch)
        per = phone_error_rate(recognizer, validation_features, validation)
        history.append({"epoch": epoch + 1, "loss": round(total_loss / n, 4), "validation_per": round(per, 4)})
        print(
            f"epoch {epoch + 1}: loss {total_loss / n:.3f}, validation PER {per:.3f},"
            f" {time.monotonic() - started:.0f} s",
            flush=True,
        )
    net.eval()
    report = {
        "utterances": len(examples),
        "hours": round(sum(len(e.features) for e in examples) / 100 / 3600, 2),
        "voices": sorted({e.voice for e in examples}),
        "validation_utterances": n_validation,
        "history": history,
    }
    return recognizer, report


# committed (a few MB): with them a session can retrain the word model without first rebuilding both
# networks' folds (about 80 minutes on two cores)
FOLD_MODELS_DIR = PHONE_MODEL_PATH.parent / "folds"


def fold_model_path(fold: int, folder: Path = FOLD_MODELS_DIR) -> Path:
    return folder / f"fold{fold}.pt"


class SavableRecognizer(Protocol):
    def save(self, path: Path, source: str) -> None: ...


def train_folds(
    data: Path,
    folds: list[int],
    train_one: Callable[[list[Example]], tuple[SavableRecognizer, dict]],
    weights_path: Callable[[int], Path],
    recipe: str,
    features: str,
) -> None:
    """Train and save one network per fold (0: every training voice, the shipped one)."""
    for fold in folds:
        examples = load_training_speech(data, fold, features)
        print(f"fold {fold}: {len(examples)} utterances", flush=True)
        recognizer, report = train_one(examples)
        out = weights_path(fold)
        out.parent.mkdir(parents=True, exist_ok=True)
        held_out = sorted(name for name, k in DEV_VOICE_FOLDS.items() if k == fold)
        heard = f"without {', '.join(held_out)}" if held_out else "every training voice"
        recognizer.save(out, source=f"{recipe}, fold {fold} ({heard})")
        print(
            json.dumps(report | {"fold": fold, "weights": str(out), "bytes": out.stat().st_size}, indent=1), flush=True
        )


def run_recipe(
    doc: str,
    data: Path,
    epochs: int,
    threads: int,
    features: str,
    train_one: Callable[[list[Example], int, int], tuple[SavableRecognizer, dict]],
    weights_path: Callable[[int], Path],
    recipe: str,
) -> None:
    """The command line shared by the phone networks' trainers: render the training speech as the
    network's input, then train the folds asked for."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=data, help="where the training speech is stored")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--folds", type=int, nargs="+", default=[1, 2, 0], help="1, 2: calibration folds; 0: shipped")
    parser.add_argument("--build-only", action="store_true", help="only render the training speech")
    args = parser.parse_args()
    torch.set_num_threads(threads)
    build_training_speech(args.data, args.seed, features=features)
    if args.build_only:
        return
    train_one_fold = partial(train_one, epochs=args.epochs, seed=args.seed)
    train_folds(args.data, args.folds, train_one_fold, weights_path, f"{recipe} seed {args.seed}", features)


def main() -> None:
    run_recipe(
        __doc__,
        Path("var/phone_corpus"),
        epochs=16,
        threads=2,
        features="log_mel",
        train_one=train,
        weights_path=lambda fold: fold_model_path(fold) if fold else PHONE_MODEL_PATH,
        recipe="train_phone_model",
    )


if __name__ == "__main__":
    main()
