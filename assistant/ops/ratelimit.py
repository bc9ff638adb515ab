"""Per-key rate limit: a token bucket of `rate_per_minute` tokens refilled continuously.

A key may burst up to the full minute's allowance, then gets one request every
60 / rate seconds. In memory and per process (one serving process per node).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, rate_per_minute: int, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000):
        self.capacity = max(1, int(rate_per_minute))
        self.per_second = self.capacity / 60.0
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0.0 when the request may go on, else the seconds to wait before the next token."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + (now - last) * self.per_second)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.per_second
            if len(self._buckets) > self._max_keys:  # forget full buckets (they equal a new one)
                full = [
                    k for k, (t, last) in self._buckets.items() if t + (now - last) * self.per_second >= self.capacity
                ]
                for k in full:
                    del self._buckets[k]
        return wait

    @staticmethod
    def retry_after(wait: float) -> int:
        """Whole seconds for the Retry-After header (never 0 when refused)."""
        return max(1, math.ceil(wait))
