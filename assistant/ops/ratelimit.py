"""Per-key rate limit: a token bucket of `rate_per_minute` tokens refilled continuously.

A key may burst up to the full minute's allowance, then gets one request every
60 / rate seconds. `RateLimiter` keeps the buckets in memory, per process: with several API
workers (`assistant serve --workers N`) and no database, each worker has its own buckets, so a
key gets up to N times the rate. `PgRateLimiter` keeps them in PostgreSQL (table rate_buckets,
the database's clock): one limit per key across every worker and machine.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

from assistant.ops.db import Database, one


class Limiter(Protocol):
    capacity: int

    def take(self, key: str) -> float:
        """0.0 when the request may go on, else the seconds to wait before the next token."""
        ...


def refill(tokens: float, elapsed: float, capacity: int, per_second: float) -> tuple[float, float]:
    """One request against a bucket that held `tokens` `elapsed` seconds ago: (tokens left, seconds to wait).
    A wait of 0.0 means the request may go on (it took a token)."""
    tokens = min(float(capacity), tokens + max(0.0, elapsed) * per_second)
    if tokens >= 1.0:
        return tokens - 1.0, 0.0
    return tokens, (1.0 - tokens) / per_second


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
            tokens, wait = refill(tokens, now - last, self.capacity, self.per_second)
            self._buckets[key] = (tokens, now)
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


class PgRateLimiter:
    """The same bucket, one row per key in PostgreSQL, updated under the row's lock."""

    def __init__(self, db: Database, rate_per_minute: int):
        self.db = db
        self.capacity = max(1, int(rate_per_minute))
        self.per_second = self.capacity / 60.0

    def take(self, key: str) -> float:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO rate_buckets (key, tokens, last) VALUES (%s, %s, clock_timestamp()) "
                "ON CONFLICT (key) DO NOTHING",
                [key, float(self.capacity)],
            )
            tokens, elapsed = one(
                conn.execute(
                    "SELECT tokens, EXTRACT(EPOCH FROM clock_timestamp() - last)::float8 FROM rate_buckets "
                    "WHERE key = %s FOR UPDATE",
                    [key],
                )
            )
            tokens, wait = refill(float(tokens), float(elapsed), self.capacity, self.per_second)
            conn.execute("UPDATE rate_buckets SET tokens = %s, last = clock_timestamp() WHERE key = %s", [tokens, key])
        return wait

    retry_after = staticmethod(RateLimiter.retry_after)


__all__ = ["Limiter", "PgRateLimiter", "RateLimiter", "refill"]
