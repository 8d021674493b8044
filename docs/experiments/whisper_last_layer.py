"""Stop 22's experiment: Whisper base's last encoder layer fine-tuned with the phone head (not adopted).

    PYTHONPATH=. python docs/experiments/whisper_last_layer.py build     # ~25 min: the phone networks'
                                                                         # training speech as the output
                                                                         # of encoder layer 5
    PYTHONPATH=. python docs/experiments/whisper_last_layer.py baseline  # fold 1's shipped-recipe head
    PYTHONPATH=. python docs/experiments/whisper_last_layer.py tune [EPOCHS LAYER_LR HEAD_LR]  # ~14 min

The shipped Whisper phone head reads the frozen encoder's final output. Here layer 6 and the final
layer norm (copies of Whisper base's) are trained together with fold 1's head, starting from that head,
on fold 1's training speech (CTC, AdamW, one-cycle, the head's time masks), so the encoder may move
towards phones. Both are judged by greedy phone error rate on the dev voices that fold 1 never heard
(`var/corpus/dev2`: piper joe, espeak-ng f3 and the accent en-gb-x-rp) and on MBROLA's three diphone
voices (`var/corpus/dev-mbrola`, a kind that no phone network heard), as `bench/speech_phones.py` does.
Needs `train_whisper_phones --folds 1` (its `speech/data/folds/whisper_fold1.pt`) and those corpora.
"""

from __future__ import annotations

import copy
import json
import pickle
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import speech.pronunciation.whisper_phones as whisper_phones
from bench.speech_phones import said
from speech.audio import read_wav
from speech.corpus import load_corpus, voice_group
from speech.pronunciation.phone_model import PHONES, greedy_phones
from speech.pronunciation.train_phone_model import (
    CORPUS_VOICE_FOLDS,
    VALIDATION_SHARE,
    Example,
    _batches,
    build_training_speech,
    load_training_speech,
)
from speech.pronunciation.train_whisper_phones import BATCH_FRAMES, TIME_MASKS, whisper_fold_path
from speech.pronunciation.whisper_phones import ENCODER_DIM, PhoneHead, WhisperPhoneRecognizer, shared_encoder
from speech.sequences import edit_distance

INPUT_LAYER = 5
DATA_DIR = Path(f"var/whisper_phone_corpus-layer{INPUT_LAYER}")
OUT_DIR = Path("var/experiments/whisper_last_layer")
FOLD = 1
JUDGED_ON = ("var/corpus/dev2", "var/corpus/dev-mbrola")


class TunedTop(nn.Module):
    """Whisper base's encoder layer 6 and final layer norm, then the phone head."""

    def __init__(self, head: PhoneHead) -> None:
        super().__init__()
        encoder = shared_encoder().encoder
        self.layer = copy.deepcopy(encoder.layers[INPUT_LAYER])
        self.norm = copy.deepcopy(encoder.layer_norm)
        self.head = head

    def forward(self, hidden: torch.Tensor, lengths: list[int] | None = None) -> torch.Tensor:
        mask = None
        if lengths is not None:  # padded frames are no keys
            frames = hidden.shape[1]
            padding = torch.arange(frames)[None, :] >= torch.tensor(lengths)[:, None]
            mask = torch.zeros(len(lengths), 1, frames, frames).masked_fill(padding[:, None, None, :], -1e9)
        hidden = self.layer(hidden, mask)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden
        return self.head(self.norm(hidden))

    def log_posteriors(self, features: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self(torch.from_numpy(features.astype(np.float32))[None])[0].numpy()


def fold_head() -> PhoneHead:
    return WhisperPhoneRecognizer.load(whisper_fold_path(FOLD)).head


def phone_error_rate(model: TunedTop, examples: list[Example]) -> float:
    model.eval()
    errors = total = 0
    for example in examples:
        reference = [PHONES[label - 1] for label in example.labels]
        errors += edit_distance(reference, greedy_phones(model.log_posteriors(example.features)))
        total += len(reference)
    return errors / max(total, 1)


def tune(epochs: int, layer_lr: float, head_lr: float, seed: int = 1) -> TunedTop:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    examples = load_training_speech(DATA_DIR, FOLD, "whisper")
    order = list(range(len(examples)))
    random.Random(0).shuffle(order)
    n_validation = int(len(order) * VALIDATION_SHARE)
    validation = [examples[i] for i in order[:n_validation]][:300]
    training = [examples[i] for i in order[n_validation:]]
    lengths = [len(e.features) for e in training]
    model = TunedTop(fold_head())
    groups = [
        {"params": [*model.layer.parameters(), *model.norm.parameters()], "lr": layer_lr},
        {"params": list(model.head.parameters()), "lr": head_lr},
    ]
    optimiser = torch.optim.AdamW(groups, weight_decay=1e-4)
    steps = len(_batches(lengths, BATCH_FRAMES, random.Random(0)))
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, [layer_lr, head_lr], total_steps=epochs * steps + 10, pct_start=0.1
    )
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    print({"epoch": 0, "validation_per": round(phone_error_rate(model, validation), 4)}, flush=True)
    for epoch in range(epochs):
        model.train()
        started, total_loss, seen = time.time(), 0.0, 0
        for batch in _batches(lengths, BATCH_FRAMES, rng):
            inputs = np.zeros((len(batch), max(lengths[i] for i in batch), ENCODER_DIM), np.float32)
            for row, index in enumerate(batch):
                inputs[row, : lengths[index]] = training[index].features
                for _ in range(TIME_MASKS):
                    width = rng.randint(0, 4)
                    start = rng.randint(0, max(lengths[index] - width, 0))
                    inputs[row, start : start + width] = 0.0
            log_probs = model(torch.from_numpy(inputs), [lengths[i] for i in batch])
            loss = ctc(
                log_probs.transpose(0, 1),
                torch.tensor([label for i in batch for label in training[i].labels]),
                torch.tensor([lengths[i] for i in batch]),
                torch.tensor([len(training[i].labels) for i in batch]),
            )
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
            schedule.step()
            total_loss += float(loss.detach()) * len(batch)
            seen += len(batch)
        validation_per = phone_error_rate(model, validation)
        print(
            {
                "epoch": epoch + 1,
                "loss": round(total_loss / seen, 4),
                "validation_per": round(validation_per, 4),
                "seconds": round(time.time() - started),
            },
            flush=True,
        )
    model.eval()
    return model


def dev_layer_features(corpus: str) -> list[tuple[str, np.ndarray, list[str]]]:
    """(voice, encoder layer-5 output, phones said) for every utterance of a dev corpus, cached."""
    cache = OUT_DIR / f"{Path(corpus).name}-layer{INPUT_LAYER}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    encoder = shared_encoder()
    items = [
        (annotation["voice"], encoder.features(read_wav(wav).samples, INPUT_LAYER).astype(np.float16), said(annotation))
        for wav, annotation in load_corpus(corpus)
    ]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(items))
    return items


def unheard_phone_error_rates(model: TunedTop, corpus: str) -> dict[str, float]:
    """Greedy phone error rate per voice group, on the voices that fold 1's training speech lacks."""
    model.eval()
    errors: dict[str, list[int]] = {}
    for voice, features, reference in dev_layer_features(corpus):
        group = voice_group(voice)
        if CORPUS_VOICE_FOLDS.get(group, FOLD) != FOLD:
            continue
        counts = errors.setdefault(group, [0, 0])
        counts[0] += edit_distance(reference, greedy_phones(model.log_posteriors(features)))
        counts[1] += len(reference)
    return {group: round(e / n, 3) for group, (e, n) in sorted(errors.items())}


def report(name: str, model: TunedTop) -> None:
    for corpus in JUDGED_ON:
        print(name, corpus, json.dumps(unheard_phone_error_rates(model, corpus)), flush=True)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    torch.set_num_threads(2)
    if command == "build":
        whisper_phones.HEAD_LAYER = INPUT_LAYER  # read when each voice is rendered (forked workers)
        build_training_speech(DATA_DIR, seed=1, features="whisper")
    elif command == "baseline":
        report("frozen encoder, fold 1's head", TunedTop(fold_head()))
    elif command == "tune":
        epochs, layer_lr, head_lr = (3, 1e-4, 5e-4)
        if len(sys.argv) > 4:
            epochs, layer_lr, head_lr = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
        model = tune(epochs, layer_lr, head_lr)
        report(f"layer 6 tuned ({epochs} epochs, lr {layer_lr:g} / {head_lr:g})", model)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
