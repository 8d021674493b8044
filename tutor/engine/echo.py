"""Is what the microphone hears the tutor's own voice coming back?

Browsers cancel most echo, but not all, and the bench leaks it on purpose.
The engine knows exactly what it played, so it can ask: does the last stretch
of microphone audio look like a delayed, scaled copy of something the tutor
played in the last second and a half? Normalised cross-correlation over every
lag answers that; a learner talking over the tutor correlates poorly with the
tutor's audio even when the echo is there too.
"""

from __future__ import annotations

from collections import deque

import numpy as np

RATE = 16000
MIC_WINDOW = int(0.4 * RATE)
REFERENCE_SECONDS = 1.6
ECHO_CORRELATION = 0.55
QUIET_RMS = 1e-3


class EchoGate:
    def __init__(self, threshold: float = ECHO_CORRELATION):
        self.threshold = threshold
        self._mic = np.zeros(0, dtype=np.float32)
        self._reference: deque[np.ndarray] = deque()
        self._reference_len = 0
        self.last_correlation = 0.0

    def add_reference(self, samples: np.ndarray) -> None:
        """Tutor audio as played, at 16 kHz."""
        self._reference.append(samples.astype(np.float32))
        self._reference_len += len(samples)
        limit = int(REFERENCE_SECONDS * RATE)
        while self._reference and self._reference_len - len(self._reference[0]) >= limit:
            self._reference_len -= len(self._reference.popleft())

    def add_microphone(self, samples: np.ndarray) -> None:
        self._mic = np.concatenate([self._mic, samples])[-MIC_WINDOW:]

    def forget_reference(self) -> None:
        self._reference.clear()
        self._reference_len = 0

    def is_echo(self) -> bool:
        """True when the microphone's last 0.4 s is mostly a copy of recent tutor audio."""
        if len(self._mic) < MIC_WINDOW or self._reference_len < MIC_WINDOW:
            self.last_correlation = 0.0
            return False
        mic = self._mic - self._mic.mean()
        mic_norm = float(np.linalg.norm(mic))
        if mic_norm / np.sqrt(len(mic)) < QUIET_RMS:
            self.last_correlation = 0.0
            return False
        reference = np.concatenate(list(self._reference))
        size = 1 << int(np.ceil(np.log2(len(reference) + len(mic))))
        cross = np.fft.irfft(np.fft.rfft(reference, size) * np.conj(np.fft.rfft(mic, size)), size)
        lags = len(reference) - len(mic) + 1
        cross = cross[:lags]
        energy = np.concatenate([[0.0], np.cumsum(reference.astype(np.float64) ** 2)])
        window_norm = np.sqrt(np.maximum(energy[len(mic) : len(mic) + lags] - energy[:lags], 1e-12))
        correlation = float(np.max(np.abs(cross) / (window_norm * mic_norm)))
        self.last_correlation = correlation
        return correlation >= self.threshold
