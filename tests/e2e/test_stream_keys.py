"""Station streams answer to their key for as long as they run (security review, findings 2 and 8).

- A stream used to be checked once, when it opened: after `guard apikey revoke` it
  went on delivering. A revoked key's open streams now end within 5 s (the key cache
  plus the stream's one-second look), and a reconnect hears 401.
- One key could open any number of streams, each a Redis subscription. A key now holds
  at most GUARD_STREAMS_PER_KEY open (3 here); one more is 429 with Retry-After, and a
  closed stream gives its place back.

Real `guard serve` processes: embedded (SQLite, no Redis) and production-shaped
(PostgreSQL and Redis, where the count is kept in Redis).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import pytest

from support.processes import unique, wait_until
from support.stack import Api, StationStream, broker, forget, new_key, revoke, stack_env

STREAMS_PER_KEY = 3
REVOKE_BOUND_S = 5.0  # the contract: refused everywhere within 5 s


@dataclass
class Stack:
    api: Api
    database_url: str
    env: dict[str, str]
    workdir: object


@pytest.fixture(scope="module", params=["embedded", pytest.param("redis", marks=pytest.mark.postgres)])
def stack(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"streams-{request.param}")
    if request.param == "embedded":
        database_url, queue = f"sqlite:///{workdir / 'guard.db'}", None
    else:
        database_url, queue = request.getfixturevalue("postgres_url"), broker()
    env = stack_env(database_url, broker=queue, webhook_url="http://127.0.0.1:9/none", webhook_secret="s")
    env["GUARD_STREAMS_PER_KEY"] = str(STREAMS_PER_KEY)
    api = None
    try:
        api = Api(workdir, env)
        yield Stack(api, database_url, env, workdir)
    finally:
        if api:
            api.stop()
        if queue:
            queue.close()
            forget(database_url)


def open_status(base: str, key: str, station_id: str = "pack-1") -> httpx.Response:
    """Open a stream and hang up at once: its status and headers."""
    with httpx.Client(timeout=5) as client:
        with client.stream(
            "GET", f"{base}/v1/stations/{station_id}/stream", headers={"Authorization": f"Bearer {key}"}
        ) as response:
            if response.status_code != 200:
                response.read()
            return response


def ended(stream: StationStream) -> bool:
    return not stream._thread.is_alive()


def test_a_revoked_keys_open_stream_ends_within_5_seconds(stack):
    name = unique("station")
    key = new_key(stack.database_url, name, ["check"])
    other = StationStream(stack.api.base, "pack-1", new_key(stack.database_url, unique("other"), ["check"]))
    stream = StationStream(stack.api.base, "pack-1", key)
    try:
        time.sleep(1.5)  # the key is in the cache and the stream has looked at it at least once
        assert not ended(stream)

        revoke(stack.database_url, name)
        revoked_at = time.monotonic()
        wait_until(lambda: ended(stream), REVOKE_BOUND_S + 1, "the revoked key's stream to end", stack.api.logs)
        took = time.monotonic() - revoked_at

        print(f"\nthe revoked key's stream ended {took:.2f} s after the revoke")
        assert took <= REVOKE_BOUND_S, f"the stream ended {took:.2f} s after the revoke"
        assert open_status(stack.api.base, key).status_code == 401  # the page's reconnect
        assert not ended(other)  # another key's stream goes on
    finally:
        stream.close()
        other.close()


def test_a_key_holds_at_most_its_streams_and_a_closed_one_gives_its_place_back(stack):
    key = new_key(stack.database_url, unique("station"), ["check"])
    streams = [StationStream(stack.api.base, f"pack-{n}", key) for n in range(STREAMS_PER_KEY)]
    try:
        refused = open_status(stack.api.base, key, "pack-9")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "RATE_LIMITED"
        assert int(refused.headers["retry-after"]) >= 1
        # Another key is not affected.
        assert open_status(stack.api.base, new_key(stack.database_url, unique("other"), ["check"])).status_code == 200

        streams.pop().close()
        wait_until(
            lambda: open_status(stack.api.base, key, "pack-9").status_code == 200,
            10,
            "a place freed by the closed stream",
            stack.api.logs,
        )
    finally:
        for stream in streams:
            stream.close()
