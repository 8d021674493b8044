"""Voice activity on the learner's stream: silero VAD on 32 ms windows, with hysteresis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from silero_vad import load_silero_vad

WINDOW = 512  # samples at 16 kHz, the window silero expects
RATE = 16000
WINDOW_SECONDS = WINDOW / RATE


@dataclass(frozen=True)
class VoiceState:
    speaking: bool
    speech_started_at: float | None  # audio time of the current (or last) speech onset
    speech_ended_at: float | None  # audio time the last speech ended; None while speaking
    probability: float

    def silence_seconds(self, now: float) -> float:
        if self.speaking or self.speech_ended_at is None:
            return 0.0
        return now - self.speech_ended_at

    def speech_seconds(self, now: float) -> float:
        if not self.speaking or self.speech_started_at is None:
            return 0.0
        return now - self.speech_started_at


class VoiceActivity:
    """Push PCM16 at 16 kHz; read whether the learner is speaking and for how long, in audio time."""

    def __init__(self, start_threshold: float = 0.5, stop_threshold: float = 0.3, hangover_windows: int = 5):
        self._model = load_silero_vad(onnx=True)
        self.start_threshold, self.stop_threshold = start_threshold, stop_threshold
        self.hangover_windows = hangover_windows  # ~160 ms below the stop threshold ends speech
        self.reset()

    def reset(self) -> None:
        self._model.reset_states()
        self._pending = np.zeros(0, dtype=np.float32)
        self._time = 0.0
        self._quiet_windows = 0
        self.state = VoiceState(False, None, None, 0.0)

    @property
    def time(self) -> float:
        return self._time

    def push(self, pcm: bytes) -> VoiceState:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        self._pending = np.concatenate([self._pending, samples])
        while len(self._pending) >= WINDOW:
            window, self._pending = self._pending[:WINDOW], self._pending[WINDOW:]
            probability = float(self._model(torch.from_numpy(window.copy()), RATE))
            self._time += WINDOW_SECONDS
            self._update(probability)
        return self.state

    def _update(self, probability: float) -> None:
        state = self.state
        if not state.speaking and probability >= self.start_threshold:
            self._quiet_windows = 0
            self.state = VoiceState(True, self._time - WINDOW_SECONDS, None, probability)
        elif state.speaking and probability < self.stop_threshold:
            self._quiet_windows += 1
            if self._quiet_windows >= self.hangover_windows:
                ended = self._time - self._quiet_windows * WINDOW_SECONDS
                self.state = VoiceState(False, state.speech_started_at, ended, probability)
            else:
                self.state = VoiceState(True, state.speech_started_at, None, probability)
        else:
            if state.speaking:
                self._quiet_windows = 0
            self.state = VoiceState(state.speaking, state.speech_started_at, state.speech_ended_at, probability)
