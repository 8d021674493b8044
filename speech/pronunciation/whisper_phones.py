"""A second phone recogniser for whole utterances: a small CTC head on Whisper base's frozen encoder.

The neural phone model (phone_model.py) is trained from scratch on synthetic speech and generalises
poorly to natural-sounding voices it has not heard. Whisper's encoder was trained on real speech; a
phone head on its output, trained on the same synthetic speech, hears unheard voices far better
(`bench/speech_phones.py`, dev phone error rate on voices neither network heard: piper 19.5 % against
53.4 %, Festival kal 22.5 % against 47.8 %). The encoder runs over the clip's own frames (no padding to
30 s: its positional embeddings are sliced), ~36 ms of CPU per second of audio on one thread. It needs the whole clip
(attention over all of it), so only `assess` uses it; streaming keeps the causal phone model.

The head's output has the phone model's shape (20 ms frames, blank + 39 ARPAbet phones), so the same CTC
evidence (`phone_model.word_evidence`) is computed from it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from speech.pronunciation.phone_model import PHONES, load_weights, save_weights, single_torch_thread

WHISPER_HEAD_PATH = Path(__file__).resolve().parent.parent / "data" / "whisper_phone_head.pt"
ENCODER_DIM = 512
ENCODER_LAYERS = 6
# The layer whose output new heads read; each head stores its own. The final output hears unheard voices
# best: a fold-1 head on layer 4 had the lower phone error rate on the synthetic voices it was trained on
# (9.0 % against 13.0 % after 4 epochs) but the higher one on piper, the natural voice it never heard
# (26.3 % against 20.9 %); see train_whisper_phones to rerun that comparison.
HEAD_LAYER = ENCODER_LAYERS
HOP = 160  # Whisper's 10 ms mel hop at 16 kHz; the encoder halves the frame rate to 20 ms
MAX_ENCODER_FRAMES = 1500  # 30 s: Whisper's positional embeddings


class WhisperEncoder:
    """Whisper base's encoder on short clips: log-mel of the clip's own length, sliced positions."""

    def __init__(self) -> None:
        from speech.transcriber import shared_whisper_base

        model, processor = shared_whisper_base()
        self.encoder = model.model.encoder.eval()
        self.feature_extractor = processor.feature_extractor
        self.lock = threading.Lock()

    def mel(self, samples: np.ndarray) -> np.ndarray:
        """(80, frames) Whisper log-mel, frames = samples // 160 rounded up to even."""
        samples = np.asarray(samples, np.float32)
        frames = len(samples) // HOP
        frames += frames % 2
        padded = np.pad(samples, (0, max(0, frames * HOP - len(samples))))
        mel = self.feature_extractor(padded, sampling_rate=16000, return_tensors="np", padding="longest")
        mel = mel["input_features"][0][:, :frames]
        if mel.shape[1] < frames:
            mel = np.pad(mel, ((0, 0), (0, frames - mel.shape[1])), constant_values=float(mel.min()))
        return mel

    def features(self, samples: np.ndarray, layer: int = ENCODER_LAYERS) -> np.ndarray:
        """(frames / 2, 512) output of encoder layer `layer` (1-6; 6 is the final, layer-normed output);
        clips over 30 s are encoded 30 s at a time."""
        if not 1 <= layer <= ENCODER_LAYERS:
            raise ValueError(f"Whisper base's encoder has layers 1-{ENCODER_LAYERS}, not {layer}")
        window = 2 * MAX_ENCODER_FRAMES * HOP
        parts = [samples[start : start + window] for start in range(0, len(samples), window)]
        encoded = [self._encode(part, layer) for part in parts if len(part) >= 2 * HOP]
        return np.concatenate(encoded) if encoded else np.zeros((0, ENCODER_DIM), np.float32)

    @torch.inference_mode()
    def _encode(self, samples: np.ndarray, layer: int) -> np.ndarray:
        encoder = self.encoder
        mel = torch.from_numpy(self.mel(samples))[None]
        hidden = nn.functional.gelu(encoder.conv1(mel))
        hidden = nn.functional.gelu(encoder.conv2(hidden)).permute(0, 2, 1)
        hidden = hidden + encoder.embed_positions.weight[: hidden.shape[1]]
        for block in encoder.layers[:layer]:
            hidden = block(hidden, None)
            hidden = hidden[0] if isinstance(hidden, tuple) else hidden
        if layer == ENCODER_LAYERS:
            hidden = encoder.layer_norm(hidden)
        return hidden[0].numpy().copy()


@cache
def shared_encoder() -> WhisperEncoder:
    return WhisperEncoder()


class PhoneHead(nn.Module):
    """Layer norm, two 5-frame convolutions (±80 ms), and a linear map to blank + 39 phones, on the output
    of encoder layer `encoder_layer`."""

    def __init__(self, channels: int = 256, encoder_layer: int = HEAD_LAYER) -> None:
        super().__init__()
        self.channels = channels
        self.encoder_layer = encoder_layer
        self.norm = nn.LayerNorm(ENCODER_DIM)
        self.body = nn.Sequential(
            nn.Conv1d(ENCODER_DIM, channels, 5, padding=2),
            nn.GELU(),
            nn.Dropout(0.1),
            nn.Conv1d(channels, channels, 5, padding=2),
            nn.GELU(),
            nn.Dropout(0.1),
        )
        self.output = nn.Linear(channels, len(PHONES) + 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(batch, frames, 512) encoder output -> (batch, frames, 40) CTC log-probabilities."""
        hidden = self.body(self.norm(features).transpose(1, 2)).transpose(1, 2)
        return torch.log_softmax(self.output(hidden), dim=-1)


@dataclass
class WhisperPhoneRecognizer:
    head: PhoneHead

    def log_posteriors(self, samples: np.ndarray) -> np.ndarray:
        """(frames, 40) CTC log-probabilities of a whole utterance (16 kHz float samples), 20 ms frames."""
        encoder = shared_encoder()
        with encoder.lock, single_torch_thread():
            features = encoder.features(samples, self.head.encoder_layer)
            return self.posteriors_of(features)

    def posteriors_of(self, features: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self.head(torch.from_numpy(np.asarray(features, np.float32))[None])[0].numpy()

    def save(self, path: Path, source: str) -> None:
        save_weights(path, self.head, channels=self.head.channels, encoder_layer=self.head.encoder_layer, source=source)

    @classmethod
    def load(cls, path: Path = WHISPER_HEAD_PATH) -> WhisperPhoneRecognizer:
        data = load_weights(path)
        head = PhoneHead(data["channels"], data.get("encoder_layer", ENCODER_LAYERS))
        head.load_state_dict(data["state"])
        head.eval()
        return cls(head)


@cache
def default_whisper_phone_recognizer() -> WhisperPhoneRecognizer:
    return WhisperPhoneRecognizer.load()
