"""Station push, for real: GET /v1/stations/{id}/stream (Server-Sent Events) on `guard serve`,
in embedded mode (in-process bus) and in the production shape (Redis pub/sub, fed by the worker).

Each stream under test has a control stream (or the webhook) that does get the other
orders' events, so "it did not show up" is judged after it demonstrably was sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from support.processes import unique
from support.stack import Api, Erp, Receiver, StationStream, Worker, broker, forget, new_key, stack_env

SECRET = "whsec-stations"
SETTLE_S = 0.3  # a misrouted event would travel with the one just seen; give it this long to show


@dataclass
class Stack:
    api: Api
    receiver: Receiver
    database_url: str
    clean: Callable[[], None]
    worker: Worker | None = None

    def logs(self) -> str:
        return (
            f"--- worker log ---\n{self.worker.logs()}\n" if self.worker else ""
        ) + f"--- serve log ---\n{self.api.logs()}"


@pytest.fixture(scope="module", params=["embedded", pytest.param("redis", marks=pytest.mark.postgres)])
def stack(request, tmp_path_factory):
    receiver = Receiver()
    workdir = tmp_path_factory.mktemp(request.param)
    worker = queue = None
    if request.param == "embedded":
        database_url = f"sqlite:///{workdir / 'guard.db'}"
        env = stack_env(database_url, broker=None, webhook_url=receiver.url, webhook_secret=SECRET)
        clean = lambda: None  # noqa: E731 - the SQLite file is this module's own
    else:
        database_url = request.getfixturevalue("postgres_url")
        queue = broker()
        env = stack_env(database_url, broker=queue, webhook_url=receiver.url, webhook_secret=SECRET)
        clean = lambda: forget(database_url)  # noqa: E731
    api = None
    try:
        api = Api(workdir, env)
        if request.param == "redis":
            worker = Worker(workdir, env).start()
        yield Stack(api, receiver, database_url, clean, worker)
    finally:
        if worker:
            worker.stop()
        if api:
            api.stop()
        if queue:
            queue.close()
        receiver.close()


@pytest.fixture
def erp(stack):
    stack.clean()
    erp = Erp(stack.api.base, new_key(stack.database_url, unique("erp")))
    yield erp
    erp.close()
    stack.clean()


@pytest.fixture
def streams(stack):
    opened: list[StationStream] = []

    def open_stream(station_id: str, key: str) -> StationStream:
        opened.append(StationStream(stack.api.base, station_id, key))
        return opened[-1]

    yield open_stream
    for stream in opened:
        stream.close()


def held_at(erp: Erp, station_id: str, store_id: str | None = "s1") -> str:
    order_id = unique(station_id)
    erp.record(order_id, minute=0, store_id=store_id, payment="unpaid", shipping_notice="recorded")
    erp.hold_at(order_id, station_id)
    return order_id


def clear(erp: Erp, *order_ids: str) -> None:
    erp.push(*(erp.event(order_id, "payment", "paid", minute=5) for order_id in order_ids))


def test_a_station_stream_shows_the_releases_of_orders_held_at_that_station_only(stack, erp, streams):
    station_key = new_key(stack.database_url, unique("station"), ["check"])
    pack1, pack2 = streams("pack-1", station_key), streams("pack-2", station_key)
    here, there = held_at(erp, "pack-1"), held_at(erp, "pack-2")

    clear(erp, here, there)

    notification = pack1.wait_for(here, "hold.released")
    pack2.wait_for(there, "hold.released")
    [hook] = stack.receiver.wait_for(here, "hold.released", explain=stack.logs)
    assert notification == hook.json  # the stream carries the webhook's notification, as is
    assert notification["data"]["station_id"] == "pack-1"
    assert notification["data"]["hold"]["state"] == "released"
    time.sleep(SETTLE_S)
    assert pack1.about(there) == []
    assert pack2.about(here) == []


def test_a_store_limited_key_sees_only_its_stores_orders_on_a_stream(stack, erp, streams):
    limited = streams("pack-1", new_key(stack.database_url, unique("station-s1"), ["check"], stores=["s1"]))
    everyone = streams("pack-1", new_key(stack.database_url, unique("station-all"), ["check"]))
    mine, theirs, nobodys = held_at(erp, "pack-1", "s1"), held_at(erp, "pack-1", "s2"), held_at(erp, "pack-1", None)

    clear(erp, mine, theirs, nobodys)

    for order_id in (mine, theirs, nobodys):
        everyone.wait_for(order_id, "hold.released")
    limited.wait_for(mine, "hold.released")
    time.sleep(SETTLE_S)
    assert limited.about(theirs) == []
    assert limited.about(nobodys) == []


def test_a_stream_needs_a_key_with_the_check_scope(stack, erp):
    events_only = new_key(stack.database_url, unique("erp-events"), ["events"])
    url = f"{stack.api.base}/v1/stations/pack-1/stream"
    with httpx.Client(timeout=5) as client:
        with client.stream("GET", url, headers={"Authorization": f"Bearer {events_only}"}) as response:
            assert response.status_code == 403
            assert response.read() and response.json()["error"]["code"] == "FORBIDDEN"
        with client.stream("GET", url) as response:
            assert response.status_code == 401
