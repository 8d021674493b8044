"""Is what the microphone hears the tutor's own voice coming back?

Browsers cancel most echo, but not all, and the bench leaks it on purpose.
The engine knows exactly what it played, so it can ask: does the last stretch
of microphone audio look like a delayed, scaled copy of something the tutor
played in the last second and a half? Normalised cross-correlation over every
lag answers that; a learner talking over the tutor correlates poorly with the
tutor's audio even when the echo is there too.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import numpy as np

RATE = 16000
MIC_WINDOW = int(0.4 * RATE)
REFERENCE_SECONDS = 1.6
ECHO_CORRELATION = 0.55
QUIET_RMS = 1e-3


class EchoGate:
    def __init__(self, threshold: float = ECHO_CORRELATION, clock: Callable[[], float] = time.monotonic):
        self.threshold = threshold
        self._clock = clock
        self._reference_ends_at = -1e9  # when what was added so far finishes playing
        self._mic = np.zeros(0, dtype=np.float32)
        self._reference: deque[np.ndarray] = deque()
        self._reference_len = 0
        self.last_correlation = 0.0

    def add_reference(self, samples: np.ndarray) -> None:
        """Tutor audio as played, at 16 kHz.

        The silences between utterances are kept (as zeros) so that the reference runs on the
        same timeline as the loudspeaker, and a microphone window that straddles the start of
        an utterance still lines up with it.
        """
        now = self._clock()
        gap = min(now - self._reference_ends_at, REFERENCE_SECONDS)
        if gap > 0:
            self._append(np.zeros(int(gap * RATE), dtype=np.float32))
        self._reference_ends_at = max(self._reference_ends_at, now) + len(samples) / RATE
        self._append(samples.astype(np.float32))

    def _append(self, samples: np.ndarray) -> None:
        self._reference.append(samples)
        self._reference_len += len(samples)
        limit = int(REFERENCE_SECONDS * RATE)
        while self._reference and self._reference_len - len(self._reference[0]) >= limit:
            self._reference_len -= len(self._reference.popleft())

    def add_microphone(self, samples: np.ndarray) -> None:
        self._mic = np.concatenate([self._mic, samples])[-MIC_WINDOW:]

    def forget_reference(self) -> None:
        self._reference.clear()
        self._reference_len = 0
        self._reference_ends_at = -1e9

    def is_echo(self) -> bool | None:
        """True when the microphone's last 0.4 s is mostly a copy of recent tutor audio; None: cannot tell yet."""
        if len(self._mic) < MIC_WINDOW:
            return None
        if self._reference_len < MIC_WINDOW or not self._reference_has_sound():
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
        # Lags where the reference window is (nearly) silent cannot explain the microphone.
        audible = window_norm > QUIET_RMS * np.sqrt(len(mic))
        correlation = float(np.max(np.where(audible, np.abs(cross) / (window_norm * mic_norm), 0.0)))
        self.last_correlation = correlation
        return correlation >= self.threshold

    def _reference_has_sound(self) -> bool:
        return any(float(np.max(np.abs(chunk), initial=0.0)) > QUIET_RMS for chunk in self._reference)
