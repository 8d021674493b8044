"""Rate and abuse limits for one connection, driven by an injectable clock."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class TokenBucket:
    """Allows `rate` events a second on average and bursts of up to `burst`."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens = float(burst)
        self._last = clock()

    def allow(self) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class ViolationCounter:
    """Counts protocol violations in a sliding window; `exceeded` means close the connection."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self._clock = limit, window_seconds, clock
        self._times: deque[float] = deque()

    def record(self) -> None:
        now = self._clock()
        self._times.append(now)
        while self._times and self._times[0] < now - self.window:
            self._times.popleft()

    @property
    def exceeded(self) -> bool:
        return len(self._times) >= self.limit
