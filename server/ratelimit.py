"""Sliding-window counters for sign-in failures, kept in memory per process."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class FailureLimiter:
    """Counts failures per key within a window; ``retry_after`` says how long a key must wait."""

    def __init__(
        self, max_failures: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 when it may now."""
        stamps = self._prune(key)
        if len(stamps) < self._max:
            return 0
        return max(1, int(stamps[0] + self._window - self._clock()) + 1)

    def fail(self, key: str) -> None:
        self._prune(key)
        self._failures.setdefault(key, deque()).append(self._clock())

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    def _prune(self, key: str) -> deque[float]:
        stamps = self._failures.get(key)
        if stamps is None:
            return deque()
        horizon = self._clock() - self._window
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        if not stamps:
            # Forget idle keys so that a scan of many logins cannot grow memory for ever.
            del self._failures[key]
        return stamps


class TokenBucket:
    """Allows ``rate`` events per second with bursts up to ``burst``."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = burst
        self._clock = clock
        self._last = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
