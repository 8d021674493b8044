"""A small neural phone recogniser (CTC) and the per-word evidence it gives the pronunciation scorer.

pocketsphinx's acoustic model was trained on real read speech and hears synthetic and unusual voices
badly (its GOP separated mispronounced from correct words with a ROC AUC of only 0.73 on dev). This
model is trained here (`train_phone_model`) on exact-phone renderings by voices that are in neither
the dev nor the eval corpus, so it is as new to the dev voices the word model is calibrated on as to the
eval voices it is measured on.

- Input: 80 log-mel bands, 25 ms windows every 10 ms, normalised by a causal running mean (the same
  whole-utterance and streaming) and a global scale.
- Network: a 1-D convolution with stride 2 (20 ms frames), five dilated residual convolutions
  (receptive field ±210 ms), a linear layer to CTC log-probabilities over blank + 39 ARPAbet phones.
- Evidence per reference word, all from whole-sequence CTC log-likelihoods of the reference with that
  one word changed (`word_evidence`): best learner variant vs best canonical form, omitted vs said, and
  the aligned phones' own posteriors (a CTC goodness of pronunciation).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from speech.audio import LEARNER_RATE

PHONE_MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "phone_model.pt"
PHONES = [
    "AA",
    "AE",
    "AH",
    "AO",
    "AW",
    "AY",
    "B",
    "CH",
    "D",
    "DH",
    "EH",
    "ER",
    "EY",
    "F",
    "G",
    "HH",
    "IH",
    "IY",
    "JH",
    "K",
    "L",
    "M",
    "N",
    "NG",
    "OW",
    "OY",
    "P",
    "R",
    "S",
    "SH",
    "T",
    "TH",
    "UH",
    "UW",
    "V",
    "W",
    "Y",
    "Z",
    "ZH",
]
BLANK = 0
LABEL = {phone: index + 1 for index, phone in enumerate(PHONES)}
N_MELS = 80
HOP = 160  # 10 ms at 16 kHz
WINDOW = 400  # 25 ms
FFT = 512
FRAME_SECONDS = 2 * HOP / LEARNER_RATE  # the network's output frames: 20 ms
RUNNING_MEAN_WARMUP = 50  # frames over which the running mean moves from its prior to the speaker's
RUNNING_MEAN_SPAN = 300  # then an exponential mean over about 3 s
IMPOSSIBLE = -1e4  # log-likelihood of a sequence the frames cannot hold
ANYTHING = "anything"  # in _sequence_evidence: the alternative where the word is heard as anything
LONG_REFERENCE_WORDS = 16  # longer references are judged in windows of 3 + 1 + 3 words
WINDOW_CONTEXT_WORDS = 3
CTC_BATCH_CELLS = 20_000_000  # frames x sequences x states per ctc_loss call (about 80 MB of float32)


@cache
def _mel_filterbank() -> np.ndarray:
    def mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(np.array(60.0)), mel(np.array(7600.0)), N_MELS + 2))
    bins = np.fft.rfftfreq(FFT, 1.0 / LEARNER_RATE)
    bank = np.zeros((N_MELS, len(bins)), np.float32)
    for band in range(N_MELS):
        low, centre, high = edges[band : band + 3]
        rising = (bins - low) / (centre - low)
        falling = (high - bins) / (high - centre)
        bank[band] = np.maximum(0.0, np.minimum(rising, falling))
    return bank


def log_mel(samples: np.ndarray) -> np.ndarray:
    """(frames, 80) log-mel energies of 16 kHz float samples, one frame per 10 ms."""
    samples = np.asarray(samples, np.float32)
    if len(samples) < WINDOW:
        samples = np.pad(samples, (0, WINDOW - len(samples)))
    n_frames = 1 + (len(samples) - WINDOW) // HOP
    index = np.arange(WINDOW)[None, :] + HOP * np.arange(n_frames)[:, None]
    frames = samples[index] * np.hanning(WINDOW).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, FFT)) ** 2
    return np.log(power @ _mel_filterbank().T + 1e-8).astype(np.float32)


class RunningMean:
    """Causal mean of the log-mel frames seen so far, starting from a prior (the same arithmetic for a
    whole utterance and for 200 ms chunks, so both paths give the network identical input)."""

    def __init__(self, prior: np.ndarray) -> None:
        self.mean = prior.astype(np.float64).copy()
        self.count = 0

    def normalise(self, features: np.ndarray) -> np.ndarray:
        out = np.empty_like(features)
        for row, frame in enumerate(features):
            self.count += 1
            rate = 1.0 / min(RUNNING_MEAN_WARMUP + self.count, RUNNING_MEAN_SPAN)
            self.mean += rate * (frame - self.mean)
            out[row] = frame - self.mean
        return out


class _Residual(nn.Module):
    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, dilation=dilation, padding=dilation)
        self.norm = nn.BatchNorm1d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.relu(self.norm(self.conv(x)))


class PhoneNet(nn.Module):
    DILATIONS = (1, 2, 4, 2, 1)

    def __init__(self, channels: int = 192) -> None:
        super().__init__()
        self.channels = channels
        self.input = nn.Sequential(
            nn.Conv1d(N_MELS, channels, 5, stride=2, padding=2), nn.BatchNorm1d(channels), nn.ReLU()
        )
        self.body = nn.Sequential(*(_Residual(channels, d) for d in self.DILATIONS))
        self.dropout = nn.Dropout(0.1)
        self.output = nn.Conv1d(channels, len(PHONES) + 1, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(batch, 80, frames) normalised log-mel -> (batch, frames/2, 40) CTC log-probabilities."""
        hidden = self.dropout(self.body(self.input(features)))
        return torch.log_softmax(self.output(hidden), dim=1).transpose(1, 2)


@dataclass
class PhoneRecognizer:
    net: PhoneNet
    prior_mean: np.ndarray  # (80,) running-mean prior
    scale: np.ndarray  # (80,) global standard deviation of the normalised features

    def normalised(self, samples: np.ndarray) -> np.ndarray:
        return RunningMean(self.prior_mean).normalise(log_mel(samples)) / self.scale

    def log_posteriors(self, samples: np.ndarray) -> np.ndarray:
        """(frames, 40) CTC log-probabilities of a whole utterance (16 kHz float samples), 20 ms frames."""
        features = self.normalised(samples)
        with torch.inference_mode():
            out = self.net(torch.from_numpy(features.T.copy())[None])
        return out[0].numpy()

    def save(self, path: Path, source: str) -> None:
        save_weights(
            path,
            self.net,
            channels=self.net.channels,
            prior_mean=self.prior_mean.tolist(),
            scale=self.scale.tolist(),
            source=source,
        )

    @classmethod
    def load(cls, path: Path = PHONE_MODEL_PATH) -> PhoneRecognizer:
        data = load_weights(path)
        net = PhoneNet(data["channels"])
        net.load_state_dict(data["state"])
        net.eval()
        return cls(net, np.asarray(data["prior_mean"], np.float64), np.asarray(data["scale"], np.float32))


def save_weights(path: Path, module: nn.Module, **metadata: object) -> None:
    """A phone network's weights in float16 (integer buffers as they are), with the phone set."""
    state = {key: value.half() if value.is_floating_point() else value for key, value in module.state_dict().items()}
    buffer = io.BytesIO()
    torch.save({"state": state, "phones": PHONES, **metadata}, buffer)
    path.write_bytes(buffer.getvalue())


def load_weights(path: Path) -> dict:
    """What `save_weights` wrote, the state back in float32; refuses weights for another phone set."""
    data = torch.load(io.BytesIO(path.read_bytes()), weights_only=True)
    if tuple(data["phones"]) != tuple(PHONES):
        raise ValueError(f"{path}: trained on another phone set; retrain it")
    data["state"] = {key: value.float() if value.is_floating_point() else value for key, value in data["state"].items()}
    return data


class PhoneStream:
    """One streaming session's phone posteriors: log-mel frames and their running mean are computed once
    per pushed chunk, and the network runs only over output frames that are not final yet. An output
    frame is final once the 220 ms of audio after it (the network's right context) has arrived; it is
    then identical to the whole-utterance computation."""

    CONTEXT = 22  # 10 ms input frames on each side that one output frame depends on

    def __init__(self, recognizer: PhoneRecognizer) -> None:
        self.recognizer = recognizer
        self._mean = RunningMean(recognizer.prior_mean)
        self._pending = np.zeros(0, np.float32)  # samples not yet in a complete 25 ms window
        self._features: list[np.ndarray] = []
        self._n_features = 0
        self._final = np.zeros((0, len(PHONES) + 1), np.float32)

    def push(self, samples: np.ndarray) -> None:
        buffer = np.concatenate([self._pending, np.asarray(samples, np.float32)])
        if len(buffer) >= WINDOW:
            n_frames = 1 + (len(buffer) - WINDOW) // HOP
            frames = log_mel(buffer[: (n_frames - 1) * HOP + WINDOW])
            self._features.append(self._mean.normalise(frames) / self.recognizer.scale)
            self._n_features += n_frames
            buffer = buffer[n_frames * HOP :]
        self._pending = buffer

    def log_posteriors(self) -> np.ndarray:
        """(frames, 40) for the audio so far, 20 ms frames; the last ~11 frames are provisional."""
        if self._n_features == 0:
            return self._final
        if len(self._features) > 1:
            self._features = [np.concatenate(self._features)]
        features = self._features[0]
        first = len(self._final)  # first output frame not final yet
        start = max(2 * first - self.CONTEXT - 2, 0)
        with torch.inference_mode():
            out = self.recognizer.net(torch.from_numpy(features[start:].T.copy())[None])[0].numpy()
        fresh = out[first - start // 2 :]
        n_final = max((self._n_features - 1 - self.CONTEXT) // 2 + 1, first) - first
        self._final = np.concatenate([self._final, fresh[:n_final]])
        return np.concatenate([self._final, fresh[n_final:]])


@contextmanager
def single_torch_thread() -> Iterator[None]:
    """Run the enclosed torch work on the calling thread alone. A streaming session's network pass is a
    few milliseconds on a few dozen frames, where a second intra-op thread costs more CPU than it
    saves and competes with the other sessions; with torch's OpenMP backend the setting belongs to the
    calling thread, and it is restored afterwards."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@cache
def default_phone_recognizer() -> PhoneRecognizer:
    return PhoneRecognizer.load()


def labels(phones: list[str] | tuple[str, ...]) -> list[int]:
    return [LABEL[phone] for phone in phones]


def sequence_log_likelihoods(log_probs: np.ndarray, sequences: list[list[int]]) -> np.ndarray:
    """log P(sequence | audio) under CTC for each label sequence (IMPOSSIBLE where it cannot fit).

    Sequences go through torch's ctc_loss in batches whose forward variables (frames x batch x states)
    stay under CTC_BATCH_CELLS, so a minute of audio with a long reference does not need gigabytes."""
    frames = log_probs.shape[0]
    per_sequence = frames * (2 * max((len(s) for s in sequences), default=0) + 1)
    size = max(1, CTC_BATCH_CELLS // max(per_sequence, 1))
    source = torch.from_numpy(np.ascontiguousarray(log_probs))[:, None, :]
    values = []
    for start in range(0, len(sequences), size):
        group = sequences[start : start + size]
        targets = torch.tensor([label for sequence in group for label in sequence], dtype=torch.long)
        lengths = torch.tensor([len(sequence) for sequence in group], dtype=torch.long)
        with torch.inference_mode():
            loss = nn.functional.ctc_loss(
                source.expand(frames, len(group), -1),
                targets,
                torch.full((len(group),), frames, dtype=torch.long),
                lengths,
                reduction="none",
            )
        values.append(-loss.numpy().astype(np.float64))
    if not values:
        return np.zeros(0)
    result = np.concatenate(values)
    return np.where(np.isfinite(result), result, IMPOSSIBLE)


def align(log_probs: np.ndarray, sequence: list[int]) -> list[tuple[int, int]] | None:
    """CTC Viterbi alignment: (first, last) output frame of each label of `sequence`, or None."""
    frames = log_probs.shape[0]
    states = [BLANK]
    for label in sequence:
        states += [label, BLANK]
    n_states = len(states)
    if not sequence or frames < len(sequence):
        return None
    score = np.full(n_states, -np.inf)
    score[0] = log_probs[0, BLANK]
    score[1] = log_probs[0, states[1]]
    back = np.zeros((frames, n_states), np.int8)  # 0: stay, 1: from previous state, 2: skip a blank
    state_labels = np.array(states)
    can_skip = np.zeros(n_states, bool)
    for s in range(2, n_states):
        can_skip[s] = states[s] != BLANK and states[s] != states[s - 2]
    for t in range(1, frames):
        stay = score
        step = np.concatenate(([-np.inf], score[:-1]))
        skip = np.where(can_skip, np.concatenate(([-np.inf, -np.inf], score[:-2])), -np.inf)
        choices = np.stack([stay, step, skip])
        back[t] = np.argmax(choices, axis=0)
        score = choices[back[t], np.arange(n_states)] + log_probs[t, state_labels]
    end = n_states - 1 if score[n_states - 1] >= score[n_states - 2] else n_states - 2
    if not np.isfinite(score[end]):
        return None
    path = np.zeros(frames, np.int64)
    state = end
    for t in range(frames - 1, -1, -1):
        path[t] = state
        state -= int(back[t, state])
    spans: list[tuple[int, int]] = []
    for position in range(len(sequence)):
        hit = np.flatnonzero(path == 2 * position + 1)
        spans.append((int(hit[0]), int(hit[-1])) if len(hit) else (-1, -1))
    return spans


# ----------------------------------------------------------------------------------------------- evidence


@dataclass
class WordEvidence:
    """What the phone recogniser says of one reference word, in the context of the whole reference."""

    variant_margin: float  # best learner variant minus best canonical form, log-likelihood (nats)
    best_variant: int | None  # index into the slot's variants of that best variant
    omission_margin: float  # word left out minus best canonical form
    free_margin: float  # the word's audio heard as anything at all minus best canonical form (>= ~0)
    mean_phone_posterior: float  # aligned phones' best log-posterior, averaged (CTC GOP)
    min_phone_posterior: float
    start_frame: int  # aligned span in 20 ms frames (-1: not aligned)
    end_frame: int


def word_evidence(
    log_probs: np.ndarray,
    canonical: list[list[tuple[str, ...]]],
    variants: list[list[tuple[str, ...]]],
    judged: list[int] | None = None,
    open_end: bool = False,
) -> list[WordEvidence]:
    """Per reference word: `canonical[i]` are its accepted pronunciations, `variants[i]` its learner
    variants (ARPAbet). The base sequence takes each word's best canonical form; every alternative
    changes one word and is scored as a whole sequence, so a word's margins are relative to the same
    context. Only the words in `judged` (default: all) get variant and omission margins. With
    `open_end`, every sequence ends in ANYTHING, which takes whatever the audio holds after the
    reference (streaming: the start of the words not judged yet), so the last word's end is not forced
    onto the last frame. A reference longer than LONG_REFERENCE_WORDS is judged word by word in windows
    (`_windowed_evidence`)."""
    if len(canonical) > LONG_REFERENCE_WORDS:
        return _windowed_evidence(log_probs, canonical, variants, judged, open_end)
    return _sequence_evidence(log_probs, canonical, variants, judged, open_end)


def _windowed_evidence(
    log_probs: np.ndarray,
    canonical: list[list[tuple[str, ...]]],
    variants: list[list[tuple[str, ...]]],
    judged: list[int] | None,
    open_end: bool = False,
) -> list[WordEvidence]:
    """Whole-sequence scoring costs frames x reference length per alternative, which grows with the
    square of a long reading (a minute-long paragraph took 40 s). Here the reference's first forms are
    aligned once, and each judged word is scored with WINDOW_CONTEXT_WORDS words on each side over the
    frames between the neighbours of that stretch."""
    words = len(canonical)
    windows = _ReferenceWindows.of(log_probs, canonical)
    if windows is None:
        return _sequence_evidence(log_probs, canonical, variants, judged, open_end)
    result: list[WordEvidence | None] = [None] * words
    for index in range(words) if judged is None else judged:
        low, high = max(index - WINDOW_CONTEXT_WORDS, 0), min(index + WINDOW_CONTEXT_WORDS + 1, words)
        first, last = windows.frames(low, high)
        window_open_end = open_end and high == words  # only the last window reaches the end of the reference
        local = _sequence_evidence(
            log_probs[first:last], canonical[low:high], variants[low:high], [index - low], window_open_end
        )
        evidence = local[index - low]
        if evidence.start_frame >= 0:
            evidence.start_frame += first
            evidence.end_frame += first
        result[index] = evidence
    filler = WordEvidence(IMPOSSIBLE, None, 0.0, 0.0, 0.0, 0.0, -1, -1)
    return [evidence if evidence is not None else filler for evidence in result]


@dataclass(frozen=True)
class _ReferenceWindows:
    """Where each reference word lies in one alignment of the whole reading (first forms), so that a
    stretch of words can be scored over its own frames only."""

    starts: list[int]
    ends: list[int]
    total_frames: int

    @classmethod
    def of(cls, log_probs: np.ndarray, canonical: list[list[tuple[str, ...]]]) -> _ReferenceWindows | None:
        spans = align(log_probs, [label for forms in canonical for label in labels(forms[0])])
        if spans is None:
            return None
        starts, ends, position = [], [], 0
        for forms in canonical:
            word_spans = [span for span in spans[position : position + len(forms[0])] if span[0] >= 0]
            position += len(forms[0])
            starts.append(word_spans[0][0] if word_spans else -1)
            ends.append(word_spans[-1][1] if word_spans else -1)
        return cls(starts, ends, log_probs.shape[0])

    def frames(self, low: int, high: int) -> tuple[int, int]:
        """The frames of reference words low..high-1: cut halfway to the words outside the stretch."""
        starts, ends = self.starts, self.ends
        first = 0 if low == 0 else (max(ends[low - 1], 0) + max(starts[low], 0) + 1) // 2
        last = (
            self.total_frames if high == len(starts) else (max(ends[high - 1], 0) + max(starts[high], 0) + 1) // 2 + 1
        )
        return first, last


def _joined(parts: list[list[int]]) -> list[int]:
    return [label for part in parts for label in part]


def best_base(
    log_probs: np.ndarray, canonical: list[list[tuple[str, ...]]], suffix: tuple[int, ...] = ()
) -> tuple[list[list[int]], float]:
    """The reference with each word in its best canonical form (each chosen with the others in their
    first form), and its log-likelihood (followed by `suffix`)."""
    words = len(canonical)
    best = [0] * words
    base = [labels(forms[0]) for forms in canonical]
    alternatives: list[tuple[int, int]] = []
    sequences: list[list[int]] = []
    for index, forms in enumerate(canonical):
        for form_index, form in enumerate(forms):
            alternatives.append((index, form_index))
            sequences.append(_joined(base[:index] + [labels(form)] + base[index + 1 :]) + list(suffix))
    scores = sequence_log_likelihoods(log_probs, sequences)
    best_score = [-math.inf] * words
    for (index, form_index), score in zip(alternatives, scores, strict=True):
        if score > best_score[index]:
            best_score[index], best[index] = score, form_index
    base = [labels(canonical[i][best[i]]) for i in range(words)]
    return base, float(sequence_log_likelihoods(log_probs, [_joined(base) + list(suffix)])[0])


def _with_anything(log_probs: np.ndarray) -> tuple[np.ndarray, int]:
    """The posteriors with one more label, ANYTHING, whose log-probability in each frame is the best of
    all labels (blank included): a stretch given to it is heard as whatever fits it best."""
    return np.concatenate([log_probs, log_probs.max(axis=1, keepdims=True)], axis=1), log_probs.shape[1]


def _sequence_evidence(
    log_probs: np.ndarray,
    canonical: list[list[tuple[str, ...]]],
    variants: list[list[tuple[str, ...]]],
    judged: list[int] | None,
    open_end: bool = False,
) -> list[WordEvidence]:
    words = len(canonical)
    # the word replaced by ANYTHING: how far the audio is from the word, whatever was said
    with_anything, anything = _with_anything(log_probs)
    suffix = (anything,) if open_end else ()
    base, base_score = best_base(with_anything, canonical, suffix)

    sequences, owners = [], []
    for index in range(words) if judged is None else judged:
        for variant_index, variant in enumerate(variants[index]):
            sequences.append(_joined(base[:index] + [labels(variant)] + base[index + 1 :]))
            owners.append((index, variant_index))
        sequences.append(_joined(base[:index] + base[index + 1 :]))
        owners.append((index, None))
        sequences.append(_joined(base[:index] + [[anything]] + base[index + 1 :]))
        owners.append((index, ANYTHING))
    sequences = [sequence + list(suffix) for sequence in sequences]
    scores = sequence_log_likelihoods(with_anything, [s if s else [BLANK] for s in sequences])
    margin = [-math.inf] * words
    best_variant: list[int | None] = [None] * words
    omission = [0.0] * words
    free = [0.0] * words
    for (index, variant_index), score, sequence in zip(owners, scores, sequences, strict=True):
        if variant_index == ANYTHING:
            free[index] = float(score) - base_score
        elif variant_index is None:
            omission[index] = (float(score) if sequence else IMPOSSIBLE) - base_score
        elif score - base_score > margin[index]:
            margin[index], best_variant[index] = float(score) - base_score, variant_index

    flat = _joined(base)
    spans = (align(with_anything, flat + list(suffix)) or [(-1, -1)] * (len(flat) + len(suffix)))[: len(flat)]
    result = []
    position = 0
    for index in range(words):
        posteriors = []
        word_spans = spans[position : position + len(base[index])]
        for label, (first, last) in zip(base[index], word_spans, strict=True):
            posteriors.append(float(np.max(log_probs[first : last + 1, label])) if first >= 0 else IMPOSSIBLE)
        position += len(base[index])
        aligned = [span for span in word_spans if span[0] >= 0]
        result.append(
            WordEvidence(
                variant_margin=margin[index] if best_variant[index] is not None else IMPOSSIBLE,
                best_variant=best_variant[index],
                omission_margin=omission[index],
                free_margin=free[index],
                mean_phone_posterior=float(np.mean(posteriors)) if posteriors else 0.0,
                min_phone_posterior=float(np.min(posteriors)) if posteriors else 0.0,
                start_frame=aligned[0][0] if aligned else -1,
                end_frame=aligned[-1][1] if aligned else -1,
            )
        )
    return result


FILLED_PAUSES = (("AH",), ("AH", "M"))  # "uh", "um" as CMUdict says them


@dataclass
class GapEvidence:
    """What a phone recogniser says of the stretch between two reference words: whether something was
    said there that the reference does not have (an inserted word), and whether a filled pause explains it."""

    anything_margin: float  # ANYTHING heard between the two words minus nothing (>= about 0)
    filled_pause_margin: float  # the better filled pause ("uh", "um") between them minus nothing
    heard: tuple[str, ...] = ()  # the recogniser's best path over the frames ANYTHING took there
    frames: tuple[int, int] = (-1, -1)  # the first and last 20 ms frame ANYTHING took (-1: none)


def gap_evidence(log_probs: np.ndarray, canonical: list[list[tuple[str, ...]]], gaps: list[int]) -> list[GapEvidence]:
    """Per gap g (before reference word g; len(canonical): after the last word), the reference in its best
    canonical forms with ANYTHING, or a filled pause, inserted there, against the reference alone. A
    long reference is scored in windows of WINDOW_CONTEXT_WORDS words on each side, as `word_evidence`."""
    words = len(canonical)
    windows = _ReferenceWindows.of(log_probs, canonical) if words > LONG_REFERENCE_WORDS else None
    by_window: dict[tuple[int, int], list[int]] = {}  # gaps that share a stretch of words share its base
    for position, gap in enumerate(gaps):
        low, high = (
            (max(gap - WINDOW_CONTEXT_WORDS, 0), min(gap + WINDOW_CONTEXT_WORDS, words)) if windows else (0, words)
        )
        by_window.setdefault((low, high), []).append(position)
    result: list[GapEvidence | None] = [None] * len(gaps)
    for (low, high), positions in by_window.items():
        first, last = windows.frames(low, high) if windows else (0, log_probs.shape[0])
        local = log_probs[first:last]
        base, base_score = best_base(local, canonical[low:high])
        with_anything, anything = _with_anything(local)
        inserted = [[anything], *(labels(pause) for pause in FILLED_PAUSES)]
        sequences = [
            _joined(base[: gaps[p] - low] + [extra] + base[gaps[p] - low :]) for p in positions for extra in inserted
        ]
        scores = sequence_log_likelihoods(with_anything, sequences) - base_score
        for offset, position in enumerate(positions):
            anything_score, *pauses = scores[offset * len(inserted) : (offset + 1) * len(inserted)]
            heard, (start, end) = _heard_at(local, with_anything, sequences[offset * len(inserted)], anything)
            frames = (start + first, end + first) if start >= 0 else (-1, -1)
            result[position] = GapEvidence(float(anything_score), float(max(pauses)), heard, frames)
    return [evidence for evidence in result if evidence is not None]


def _heard_at(
    log_probs: np.ndarray, with_anything: np.ndarray, sequence: list[int], anything: int
) -> tuple[tuple[str, ...], tuple[int, int]]:
    """The frames that ANYTHING takes in the best alignment of `sequence`, and the best phone path over them."""
    spans = align(with_anything, sequence)
    first, last = spans[sequence.index(anything)] if spans else (-1, -1)
    return (tuple(greedy_phones(log_probs[first : last + 1])) if first >= 0 else ()), (first, last)


def greedy_phones(log_probs: np.ndarray) -> list[str]:
    """The best path's phones (repeats merged, blanks dropped): what the recogniser heard."""
    best = np.argmax(log_probs, axis=1)
    out = []
    previous = BLANK
    for label in best:
        if label != BLANK and label != previous:
            out.append(PHONES[label - 1])
        previous = label
    return out
