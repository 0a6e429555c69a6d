"""Per-key limits shared through Redis (docs/operations.md, "Several API nodes").

Two limiters stand for two API processes (or nodes) on one Redis: together they allow
one bucket per key, not one each. Without Redis — or while it does not answer — each
process counts on its own, and a request is never refused or held up for Redis's sake.
The same holds for the number of open station streams per key.
"""

from __future__ import annotations

import asyncio
import random
import socket
import time

import pytest

from guard.ratelimit import RateLimited, SharedRateLimiter, StreamSlots

from support.services import REDIS_URL, service_missing


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        client.close()
    except Exception as exc:
        service_missing("Redis", exc)
    return REDIS_URL


@pytest.fixture
def key_id() -> int:
    # Test runs share the Redis server: a key id of its own per test.
    return random.getrandbits(62)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there once the socket is closed


async def passes(limiter: SharedRateLimiter, key_id: int) -> bool:
    try:
        await limiter.take(key_id)
        return True
    except RateLimited as refused:
        assert refused.retry_after >= 1
        return False


def test_two_processes_on_one_redis_share_one_bucket_per_key(redis_url, key_id):
    async def run() -> tuple[list[bool], bool]:
        nodes = [SharedRateLimiter(redis_url, rate_per_s=0.01, burst=10) for _ in range(2)]
        try:
            answers = [await passes(nodes[n % 2], key_id) for n in range(20)]
            other_key = await passes(nodes[1], key_id + 1)
            return answers, other_key
        finally:
            for node in nodes:
                await node.close()

    answers, other_key = asyncio.run(run())
    assert answers == [True] * 10 + [False] * 10  # 10 in all, not 10 per process
    assert other_key


def test_without_redis_each_process_counts_on_its_own_and_nobody_waits(key_id):
    async def run() -> tuple[list[bool], float]:
        nodes = [SharedRateLimiter(closed_port_url(), rate_per_s=0.01, burst=10) for _ in range(2)]
        started = time.monotonic()
        try:
            return [await passes(nodes[n % 2], key_id) for n in range(24)], time.monotonic() - started
        finally:
            for node in nodes:
                await node.close()

    answers, took = asyncio.run(run())
    assert answers == [True] * 20 + [False] * 4  # each process its own bucket of 10
    assert took < 2  # after the first refusal by the network, Redis is left alone for a while


def test_stream_slots_are_counted_across_processes_and_given_back(redis_url, key_id):
    async def run() -> None:
        nodes = [StreamSlots(redis_url, per_key=3) for _ in range(2)]
        try:
            held = [await nodes[0].acquire(key_id), await nodes[1].acquire(key_id), await nodes[0].acquire(key_id)]
            with pytest.raises(RateLimited):
                await nodes[1].acquire(key_id)
            await nodes[0].acquire(key_id + 1)  # another key has its own
            await nodes[1].release(held.pop())
            held.append(await nodes[1].acquire(key_id))
            for slot in held:
                await nodes[0].release(slot)
        finally:
            for node in nodes:
                await node.close()

    asyncio.run(run())


def test_a_slot_whose_stream_vanished_frees_itself_when_its_lease_runs_out(redis_url, key_id, monkeypatch):
    monkeypatch.setattr(StreamSlots, "LEASE_S", 0.5)

    async def run() -> None:
        slots = StreamSlots(redis_url, per_key=1)
        try:
            await slots.acquire(key_id)  # never released: its node died
            with pytest.raises(RateLimited):
                await slots.acquire(key_id)
            await asyncio.sleep(0.7)
            await slots.acquire(key_id)
        finally:
            await slots.close()

    asyncio.run(run())
