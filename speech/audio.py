"""Audio in and out: WAV files, PCM16 bytes, resampling, input validation.

Everything inside Parley works on mono float32 numpy arrays at a declared rate
or on PCM16 little-endian bytes (the wire format). This module converts between
them and rejects input that cannot be judged, with a message a person can act on.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

LEARNER_RATE = 16000
MAX_INPUT_SECONDS = 60.0


class AudioInputError(ValueError):
    """Input audio that Parley refuses to process; the message says why."""


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray  # mono float32 in [-1, 1]
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def to(self, rate: int) -> Audio:
        return Audio(resample(self.samples, self.rate, rate), rate)

    def pcm16(self) -> bytes:
        return float_to_pcm16(self.samples)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if from_rate == to_rate:
        return samples.astype(np.float32, copy=False)
    return soxr.resample(samples.astype(np.float32, copy=False), from_rate, to_rate, quality="HQ").astype(np.float32)


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def read_wav(source: str | Path | bytes) -> Audio:
    """Read a PCM WAV of any rate, width and channel count, mixed down to mono."""
    try:
        handle = wave.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise AudioInputError(f"{source}: no such file") from None
    except (wave.Error, EOFError) as error:
        raise AudioInputError(f"{_name(source)}: not a PCM WAV file ({error or 'unreadable header'})") from None
    with handle:
        channels, width, rate = handle.getnchannels(), handle.getsampwidth(), handle.getframerate()
        raw = handle.readframes(handle.getnframes())
    if width == 1:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        bytes3 = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        as_int = (
            bytes3[:, 0].astype(np.int32) | (bytes3[:, 1].astype(np.int32) << 8) | (bytes3[:, 2].astype(np.int32) << 16)
        )
        as_int = np.where(as_int >= 1 << 23, as_int - (1 << 24), as_int)
        samples = as_int.astype(np.float32) / float(1 << 23)
    elif width == 4:
        samples = np.frombuffer(raw, dtype="<i4").astype(np.float32) / float(1 << 31)
    else:
        raise AudioInputError(f"{_name(source)}: unsupported sample width {width} bytes")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return Audio(samples.astype(np.float32), rate)


def write_wav(path: str | Path, audio: Audio) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(audio.rate)
        handle.writeframes(audio.pcm16())


def wav_bytes(pcm16: bytes, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm16)
    return buffer.getvalue()


def load_learner_audio(source: str | Path | bytes, max_seconds: float = MAX_INPUT_SECONDS) -> Audio:
    """Read and check a recording for judging: 16 kHz mono, neither empty, silent, clipped nor over-long."""
    audio = read_wav(source)
    name = _name(source)
    if len(audio.samples) == 0:
        raise AudioInputError(f"{name}: the recording is empty")
    if audio.seconds > max_seconds:
        raise AudioInputError(f"{name}: {audio.seconds:.1f} s is longer than the {max_seconds:.0f} s limit")
    if audio.seconds < 0.1:
        raise AudioInputError(f"{name}: {audio.seconds * 1000:.0f} ms is too short to contain speech")
    peak = float(np.max(np.abs(audio.samples)))
    if peak < 0.003:
        raise AudioInputError(f"{name}: the recording is silent (peak level {20 * np.log10(max(peak, 1e-9)):.0f} dBFS)")
    clipped = float(np.mean(np.abs(audio.samples) >= 0.999))
    if clipped > 0.01:
        raise AudioInputError(
            f"{name}: {clipped:.1%} of the samples are clipped; record again with the microphone further away"
        )
    return audio.to(LEARNER_RATE)


def _name(source: str | Path | bytes) -> str:
    return "input" if isinstance(source, bytes) else str(source)
