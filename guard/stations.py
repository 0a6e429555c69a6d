"""The station bus: live notifications for the packing stations.

With Redis, a notification is published on the station's channel, so any API
replica can serve any station's stream. Without it (embedded mode) the bus is
in-process. Delivery to a station is live only: a station that is not listening
learns the state on its next scan, which always re-checks.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio.client import PubSub

import anyio

CHANNEL_PREFIX = "guard:station:"


class Subscription(Protocol):
    async def next(self, timeout: float) -> bytes | None:
        """The next message, or None if none came within `timeout` seconds."""


class StationBus(Protocol):
    def publish(self, station_id: str, body: bytes) -> None: ...

    def subscribe(self, station_id: str) -> AbstractAsyncContextManager[Subscription]:
        """`async with bus.subscribe(station_id) as subscription:` — listening until the block ends."""
        ...

    def close(self) -> None: ...


class _QueueSubscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1000)

    async def next(self, timeout: float) -> bytes | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None


class LocalBus:
    """In-process fan-out; publish from any thread, subscribe from an event loop."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, _QueueSubscription]]] = defaultdict(set)
        self._lock = threading.Lock()

    def publish(self, station_id: str, body: bytes) -> None:
        with self._lock:
            targets = list(self._subscribers.get(station_id, ()))
        for loop, subscription in targets:
            try:
                loop.call_soon_threadsafe(_offer, subscription.queue, body)
            except RuntimeError:  # that loop has closed; its subscriber is gone
                pass

    @asynccontextmanager
    async def subscribe(self, station_id: str) -> AsyncIterator[Subscription]:
        subscription = _QueueSubscription()
        entry = (asyncio.get_running_loop(), subscription)
        with self._lock:
            self._subscribers[station_id].add(entry)
        try:
            yield subscription
        finally:
            with self._lock:
                self._subscribers[station_id].discard(entry)

    def close(self) -> None:
        pass


def _offer(queue: asyncio.Queue, body: bytes) -> None:
    if not queue.full():  # a station that stopped reading must not grow memory
        queue.put_nowait(body)


class _RedisSubscription:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def next(self, timeout: float) -> bytes | None:
        message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        return message["data"] if message and message.get("type") == "message" else None


class RedisBus:
    """Redis pub/sub: one channel per station."""

    def __init__(self, url: str):
        import redis

        self._url = url
        self._client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)

    def publish(self, station_id: str, body: bytes) -> None:
        self._client.publish(CHANNEL_PREFIX + station_id, body)

    @asynccontextmanager
    async def subscribe(self, station_id: str) -> AsyncIterator[Subscription]:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self._url, socket_connect_timeout=1)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(CHANNEL_PREFIX + station_id)
            yield _RedisSubscription(pubsub)
        finally:
            # Shielded: a station that hangs up cancels the stream, and a cancelled close
            # would leave this Redis connection open.
            with anyio.move_on_after(2, shield=True):
                await pubsub.aclose()
                await client.aclose()

    def close(self) -> None:
        self._client.close()
