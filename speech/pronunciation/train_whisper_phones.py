"""Train the Whisper phone head (whisper_phones.py): speech/data/whisper_phone_head.pt and fold heads.

    python -m speech.pronunciation.train_whisper_phones [--folds 1 2 0] [--epochs 8] [--build-only]

The training speech is the phone model's (train_phone_model: the same voices, texts, learner variants
and augmentation, from the same seed), stored as Whisper base's encoder output under
var/whisper_phone_corpus (~1.2 GB, ~10 min on 2 cores). Folds as for the phone model: fold K leaves out
the dev voices of fold K, and the word model's dev features use the head that never heard the voice;
fold 0 (every training voice) is the shipped head. The encoder is frozen; only the head (1 M parameters)
is trained, ~2 min per epoch on one core.

The head reads the encoder's final output. To compare another layer, set whisper_phones.HEAD_LAYER
(its speech goes to var/whisper_phone_corpus-layerN, its heads to speech/data/folds/whisper_foldK-layerN.pt,
which git ignores) and run `--folds 1 --epochs 4`, then `python bench/speech_phones.py --corpus var/corpus/dev2`: fold 1
never heard piper joe and espeak f3.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from speech.pronunciation.phone_model import PHONES, greedy_phones
from speech.pronunciation.train_phone_model import (
    FOLD_MODELS_DIR,
    VALIDATION_SHARE,
    Example,
    _batches,
    run_recipe,
)
from speech.pronunciation.whisper_phones import (
    ENCODER_LAYERS,
    HEAD_LAYER,
    WHISPER_HEAD_PATH,
    PhoneHead,
    WhisperPhoneRecognizer,
)
from speech.sequences import edit_distance

# a head on another encoder layer (whisper_phones.HEAD_LAYER) is an experiment: its training speech and
# weights get their own names, and fold 0 does not replace the shipped head
LAYER_SUFFIX = "" if HEAD_LAYER == ENCODER_LAYERS else f"-layer{HEAD_LAYER}"
DATA_DIR = Path(f"var/whisper_phone_corpus{LAYER_SUFFIX}")
BATCH_FRAMES = 16000  # 20 ms frames per batch (longest utterance x batch size)
LEARNING_RATE = 2e-3
TIME_MASKS = 2  # per utterance, each up to 80 ms


def whisper_fold_path(fold: int, folder: Path = FOLD_MODELS_DIR) -> Path:
    return folder / f"whisper_fold{fold}{LAYER_SUFFIX}.pt"


def phone_error_rate(recognizer: WhisperPhoneRecognizer, examples: list[Example]) -> float:
    recognizer.head.eval()
    errors = total = 0
    for example in examples:
        reference = [PHONES[label - 1] for label in example.labels]
        errors += edit_distance(reference, greedy_phones(recognizer.posteriors_of(example.features)))
        total += len(reference)
    return errors / max(total, 1)


def train(examples: list[Example], epochs: int, seed: int = 1) -> tuple[WhisperPhoneRecognizer, dict]:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    order = list(range(len(examples)))
    random.Random(0).shuffle(order)
    n_validation = int(len(order) * VALIDATION_SHARE)
    validation = [examples[i] for i in order[:n_validation]]
    training = [examples[i] for i in order[n_validation:]]
    lengths = [len(e.features) for e in training]
    recognizer = WhisperPhoneRecognizer(PhoneHead())
    head = recognizer.head
    optimiser = torch.optim.AdamW(head.parameters(), lr=LEARNING_RATE, weight_decay=1e-4)
    steps = len(_batches(lengths, BATCH_FRAMES, random.Random(0)))
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, LEARNING_RATE, total_steps=epochs * steps + 10, pct_start=0.1
    )
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    history = []
    for epoch in range(epochs):
        head.train()
        started, total_loss, seen = time.time(), 0.0, 0
        for batch in _batches(lengths, BATCH_FRAMES, rng):
            longest = max(lengths[i] for i in batch)
            inputs = np.zeros((len(batch), longest, training[batch[0]].features.shape[1]), np.float32)
            for row, index in enumerate(batch):
                inputs[row, : lengths[index]] = training[index].features
                for _ in range(TIME_MASKS):
                    width = rng.randint(0, 4)
                    start = rng.randint(0, max(lengths[index] - width, 0))
                    inputs[row, start : start + width] = 0.0
            log_probs = head(torch.from_numpy(inputs))
            loss = ctc(
                log_probs.transpose(0, 1),
                torch.tensor([label for i in batch for label in training[i].labels]),
                torch.tensor([lengths[i] for i in batch]),
                torch.tensor([len(training[i].labels) for i in batch]),
            )
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(head.parameters(), 5.0)
            optimiser.step()
            schedule.step()
            total_loss += float(loss.detach()) * len(batch)
            seen += len(batch)
        history.append(
            {
                "epoch": epoch + 1,
                "loss": round(total_loss / seen, 4),
                "validation_per": round(phone_error_rate(recognizer, validation), 4),
                "seconds": round(time.time() - started),
            }
        )
        print(history[-1], flush=True)
    head.eval()
    hours = sum(lengths) * 0.02 / 3600
    return recognizer, {"utterances": len(training), "hours": round(hours, 2), "history": history}


def main() -> None:
    run_recipe(
        __doc__,
        DATA_DIR,
        epochs=10,
        threads=1,
        features="whisper",
        train_one=train,
        weights_path=lambda fold: whisper_fold_path(fold) if fold or LAYER_SUFFIX else WHISPER_HEAD_PATH,
        recipe="train_whisper_phones",
    )


if __name__ == "__main__":
    main()
