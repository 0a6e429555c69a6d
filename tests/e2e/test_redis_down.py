"""Redis down (contract, "Running it"; design, "Fail closed"): events, checks and /readyz keep
answering from the database, notifications wait in the outbox, and are delivered once Redis
and a worker are back. The test runs a redis-server of its own, so it can stop it.
"""

from __future__ import annotations

import time

import httpx
import pytest

from support.processes import unique, wait_until
from support.stack import Api, Erp, Receiver, RedisServer, Worker, forget, new_key, outbox, stack_env

pytestmark = pytest.mark.postgres

SECRET = "whsec-redis-down"


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def database(postgres_url):
    forget(postgres_url)
    yield postgres_url
    forget(postgres_url)


def test_with_redis_down_the_guard_answers_from_the_database_and_notifies_once_it_is_back(
    tmp_path, database, redis_server, receiver
):
    env = stack_env(database, broker=redis_server.broker, webhook_url=receiver.url, webhook_secret=SECRET)
    api = Api(tmp_path, env)
    worker = Worker(tmp_path, env)
    erp = Erp(api.base, new_key(database, "erp"))
    try:
        releasing, blocking, arriving = unique("rd-rel"), unique("rd-blk"), unique("rd-new")
        for order_id in (releasing, blocking):
            erp.record(order_id, minute=0, payment="unpaid", shipping_notice="recorded")
            erp.hold_at(order_id, "pack-1")

        redis_server.stop()

        started = time.monotonic()
        results = erp.push(
            erp.event(releasing, "payment", "paid", minute=5, store_id="s1"),
            erp.event(blocking, "risk", "closed", minute=5, store_id="s1"),
            erp.event(arriving, "payment", "unpaid", minute=5, store_id="s1"),
        )["results"]
        assert [result["outcome"] for result in results] == ["applied"] * 3
        assert erp.check(releasing, "pack-1")["verdict"] == "clear"
        assert erp.check(blocking, "pack-1")["verdict"] == "block"
        assert erp.check(arriving, "pack-1")["hold"]["state"] == "held"
        assert time.monotonic() - started < 5, "a dead broker must not slow the floor down"

        ready = httpx.get(f"{api.base}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        assert ready.json()["database"] == "up"
        assert ready.json()["redis"] == "down"
        assert ready.json()["outbox_backlog"] == 2

        pending = {order_id: outbox(database, order_id) for order_id in (releasing, blocking)}
        assert [row["type"] for row in pending[releasing]] == ["hold.released"]
        assert [row["type"] for row in pending[blocking]] == ["order.blocked"]
        for [row] in pending.values():
            assert row["delivered_at"] is None and row["next_attempt_at"] is not None
        assert receiver.hooks == []

        redis_server.start()  # same port, empty: whatever the API tried to hand over is gone
        worker.start()

        explain = lambda: f"--- worker log ---\n{worker.logs()}\n--- serve log ---\n{api.logs()}"  # noqa: E731
        [released] = receiver.wait_for(releasing, "hold.released", timeout=20, explain=explain)
        [blocked] = receiver.wait_for(blocking, "order.blocked", timeout=20, explain=explain)
        assert released.id == pending[releasing][0]["notification_id"]
        assert blocked.id == pending[blocking][0]["notification_id"]
        assert released.signed_with(SECRET) and blocked.signed_with(SECRET)
        wait_until(
            lambda: httpx.get(f"{api.base}/readyz", timeout=5).json()["outbox_backlog"] == 0,
            10,
            "the outbox backlog emptied",
        )
        assert httpx.get(f"{api.base}/readyz", timeout=5).json()["redis"] == "up"
    finally:
        erp.close()
        worker.stop()
        api.stop()
