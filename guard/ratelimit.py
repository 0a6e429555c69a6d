"""Per-key limits: a request rate (protects the check path from a runaway ERP loop) and
a number of open station streams (each holds a Redis subscription).

With Redis configured, both are kept in Redis, so every API process on every node
counts against one limit per key: N nodes do not allow N times the rate. Without
Redis, or while it does not answer, each process keeps its own count (with N
processes a key then gets up to N times the limit). Refusals are 429 RATE_LIMITED
with `Retry-After`, never a verdict.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass, field

from guard.errors import GuardError

log = logging.getLogger("guard.ratelimit")

RATE_PREFIX = "guard:rate:"
STREAMS_PREFIX = "guard:streams:"
REDIS_BACKOFF_S = 5.0  # after a Redis error, count locally this long before asking it again
REDIS_TIMEOUT_S = 0.5  # a hung Redis must not hold every request (deadline 2 s): fall back instead


class RateLimited(GuardError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, retry_after_s: float, message: str | None = None):
        super().__init__(message or f"too many requests for this key; retry in {math.ceil(retry_after_s)} s")
        self.retry_after = max(1, math.ceil(retry_after_s))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RateLimiter:
    """A token bucket per key, in this process."""

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


# The same bucket in Redis, atomic, on Redis's clock (the nodes' clocks may differ).
_TAKE_TOKEN = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""

# A stream's slot is a lease in a sorted set (score: when it lapses): a node that dies
# without closing its streams frees their slots when the leases run out.
_OPEN_STREAM = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[4] == '0' and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return 1
"""


class _Redis:
    """A redis.asyncio client for the limits, with a short fuse: after an error the callers
    count locally for REDIS_BACKOFF_S rather than wait on a Redis that is away."""

    def __init__(self, url: str | None):
        self.client = None
        self._broken_until = 0.0
        if url:
            import redis.asyncio as aioredis

            self.client = aioredis.Redis.from_url(
                url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
            )

    @property
    def usable(self) -> bool:
        return self.client is not None and time.monotonic() >= self._broken_until

    def failed(self, exc: Exception) -> None:
        if time.monotonic() >= self._broken_until:
            log.warning("Redis did not answer for the per-key limits (%s); counting per process for now", exc)
        self._broken_until = time.monotonic() + REDIS_BACKOFF_S

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()


class SharedRateLimiter:
    """The per-key request rate: one bucket per key in Redis, else this process's `RateLimiter`."""

    def __init__(self, redis_url: str | None, rate_per_s: float, burst: int):
        self.local = RateLimiter(rate_per_s, burst)
        self._redis = _Redis(redis_url if rate_per_s > 0 else None)
        self._take = self._redis.client.register_script(_TAKE_TOKEN) if self._redis.client is not None else None

    async def take(self, key_id: int) -> None:
        if self.local.rate <= 0:
            return
        if self._take is None or not self._redis.usable:
            self.local.take(key_id)
            return
        try:
            wait = float(await self._take(keys=[f"{RATE_PREFIX}{key_id}"], args=[self.local.rate, self.local.burst]))
        except Exception as exc:  # Redis away or hung: the process's own bucket still limits
            self._redis.failed(exc)
            self.local.take(key_id)
            return
        if wait > 0:
            raise RateLimited(wait)

    async def close(self) -> None:
        await self._redis.close()


@dataclass
class StreamSlot:
    key_id: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    in_redis: bool = False


class StreamSlots:
    """At most `per_key` open station streams per key: across every node with Redis, per process without.

    A slot is a lease of `LEASE_S`, renewed by its stream while it runs (`renew`), so one
    whose stream ended unseen (a process killed, a response never started) frees itself.
    """

    LEASE_S = 30.0
    RETRY_AFTER_S = 5.0

    def __init__(self, redis_url: str | None, per_key: int):
        self.per_key = per_key
        self._redis = _Redis(redis_url)
        self._open = self._redis.client.register_script(_OPEN_STREAM) if self._redis.client is not None else None
        self._local: dict[int, dict[str, float]] = {}  # key id -> slot id -> lease end (monotonic)

    async def acquire(self, key_id: int) -> StreamSlot:
        slot = StreamSlot(key_id)
        if self._redis.usable:
            try:
                if await self._lease(slot, renew=False):
                    slot.in_redis = True
                    return slot
                raise self._refused()
            except RateLimited:
                raise
            except Exception as exc:
                self._redis.failed(exc)
        now = time.monotonic()
        leases = self._local.setdefault(key_id, {})
        for slot_id in [slot_id for slot_id, until in leases.items() if until <= now]:
            del leases[slot_id]
        if len(leases) >= self.per_key:
            raise self._refused()
        leases[slot.id] = now + self.LEASE_S
        return slot

    async def renew(self, slot: StreamSlot) -> None:
        if not slot.in_redis:
            self._local.setdefault(slot.key_id, {})[slot.id] = time.monotonic() + self.LEASE_S
            return
        try:
            await self._lease(slot, renew=True)
        except Exception as exc:  # the lease runs out on its own; the stream goes on
            self._redis.failed(exc)

    async def release(self, slot: StreamSlot) -> None:
        if not slot.in_redis or self._redis.client is None:
            self._local.get(slot.key_id, {}).pop(slot.id, None)
            return
        try:
            await self._redis.client.zrem(f"{STREAMS_PREFIX}{slot.key_id}", slot.id)
        except Exception as exc:  # its lease runs out instead
            self._redis.failed(exc)

    async def _lease(self, slot: StreamSlot, *, renew: bool) -> bool:
        keys = [f"{STREAMS_PREFIX}{slot.key_id}"]
        if self._open is None:  # only asked while Redis is configured (slot.in_redis)
            raise RuntimeError("no Redis to lease a stream slot in")
        return bool(await self._open(keys=keys, args=[self.per_key, self.LEASE_S, slot.id, int(renew)]))

    def _refused(self) -> RateLimited:
        return RateLimited(
            self.RETRY_AFTER_S,
            f"this key has {self.per_key} station streams open (GUARD_STREAMS_PER_KEY); close one or use another key",
        )

    async def close(self) -> None:
        await self._redis.close()
