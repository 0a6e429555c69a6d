"""Per-key rate limit: protects the check path from a runaway ERP loop.

A token bucket per API key, in each API process (so with N replicas a key gets
up to N times the rate; size it per replica). Refusals are 429 RATE_LIMITED
with `Retry-After`, never a verdict.
"""

from __future__ import annotations

import math
import threading
import time

from guard.errors import GuardError


class RateLimited(GuardError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, retry_after_s: float):
        super().__init__(f"too many requests for this key; retry in {math.ceil(retry_after_s)} s")
        self.retry_after = max(1, math.ceil(retry_after_s))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int, clock=time.monotonic):
        self.rate = rate_per_s
        self.burst = burst
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key id -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key_id: int) -> None:
        """Spend one token for this key, or raise RateLimited."""
        if self.rate <= 0:
            return  # disabled
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                raise RateLimited((1.0 - tokens) / self.rate)
            self._buckets[key_id] = (tokens - 1.0, now)
