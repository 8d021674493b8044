"""One loudness for every voice: RMS over the frames that carry speech, then a peak guard."""

from __future__ import annotations

import numpy as np

TARGET_SPEECH_DBFS = -23.0
_FRAME_SECONDS = 0.02
_ACTIVE_WITHIN_DB = 35.0  # frames this far below the loudest frame count as pauses
_FLOOR_DBFS = -60.0
_PEAK_CEILING = 0.98


def speech_level_dbfs(samples: np.ndarray, rate: int) -> float:
    """RMS level of the speech parts in dBFS (silences and pauses left out); -inf for silence."""
    frame = max(1, int(rate * _FRAME_SECONDS))
    usable = len(samples) - len(samples) % frame
    if usable == 0:
        return float("-inf")
    energies = np.mean(np.square(samples[:usable].astype(np.float64)).reshape(-1, frame), axis=1)
    levels = 10 * np.log10(np.maximum(energies, 1e-12))
    active = (levels > levels.max() - _ACTIVE_WITHIN_DB) & (levels > _FLOOR_DBFS)
    if not active.any():
        return float("-inf")
    return float(10 * np.log10(np.mean(energies[active])))


def normalize_loudness(samples: np.ndarray, rate: int, target_dbfs: float = TARGET_SPEECH_DBFS) -> np.ndarray:
    """Scale so the speech parts sit at `target_dbfs`, never letting a peak pass the ceiling."""
    level = speech_level_dbfs(samples, rate)
    if not np.isfinite(level):
        return samples.astype(np.float32, copy=True)
    gain = 10 ** ((target_dbfs - level) / 20)
    peak = float(np.max(np.abs(samples)))
    if peak * gain > _PEAK_CEILING:
        gain = _PEAK_CEILING / peak
    return (samples * gain).astype(np.float32)
