"""Embedded mode, for real: `guard serve` on a SQLite file with a webhook, no Redis, no worker.
Delivery and re-checks run inside the API process (contract, "Running it"; guard/runtime.py).
"""

from __future__ import annotations

import time

import httpx
import pytest

from support.processes import unique
from support.stack import Api, Erp, Receiver, new_key, outbox, stack_env

SECRET = "whsec-embedded"


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('embedded') / 'guard.db'}"


@pytest.fixture(scope="module")
def api(tmp_path_factory, database, receiver):
    env = stack_env(database, broker=None, webhook_url=receiver.url, webhook_secret=SECRET)
    api = Api(tmp_path_factory.mktemp("serve"), env)
    yield api
    api.stop()


@pytest.fixture(scope="module")
def erp(api, database):
    # The SQLite file is this module's own: no other test truncates it, order ids keep tests apart.
    erp = Erp(api.base, new_key(database, "erp"))
    yield erp
    erp.close()


def test_embedded_mode_needs_no_redis(api):
    ready = httpx.get(f"{api.base}/readyz", timeout=5).json()
    assert ready["database"] == "up"
    assert ready["redis"] == "not configured"


def test_embedded_mode_releases_a_held_order_and_tells_the_webhook(erp, receiver, api, database):
    order_id = unique("emb")
    erp.record(order_id, minute=0, payment="unpaid", shipping_notice="recorded")
    erp.hold_at(order_id, "pack-1")

    pushed = time.monotonic()
    erp.push(erp.event(order_id, "payment", "paid", minute=5, store_id="s1"))

    [hook] = receiver.wait_for(order_id, "hold.released", timeout=10, explain=api.logs)
    assert hook.received_at - pushed < 3, "embedded delivery is woken by the commit"
    assert hook.signed_with(SECRET)
    assert hook.headers["guard-signature"].count("v1=") == 1
    assert not hook.signed_with("whsec-someone-else")
    data = hook.json["data"]
    assert (data["order_id"], data["station_id"], data["reasons"]) == (order_id, "pack-1", ["PAYMENT_UNPAID"])
    assert erp.order(order_id)["hold"]["state"] == "released"
    [row] = outbox(database, order_id)
    assert row["notification_id"] == hook.id


def test_embedded_mode_reports_a_held_order_that_turns_bad(erp, receiver, api):
    order_id = unique("emb-blk")
    erp.record(order_id, minute=0, payment="unpaid", shipping_notice="recorded")
    erp.hold_at(order_id, "pack-1")

    erp.push(erp.event(order_id, "cancellation", "accepted", minute=5, store_id="s1"))

    [hook] = receiver.wait_for(order_id, "order.blocked", timeout=10, explain=api.logs)
    assert hook.signed_with(SECRET)
    assert "ORDER_CANCELLED" in hook.json["data"]["reasons"]


def test_embedded_mode_retries_a_refused_notification_with_the_same_id(erp, receiver, api):
    order_id = unique("emb-retry")
    erp.record(order_id, minute=0, payment="unpaid", shipping_notice="recorded")
    erp.hold_at(order_id, "pack-1")
    receiver.refuse(order_id, times=1)

    erp.push(erp.event(order_id, "payment", "paid", minute=5, store_id="s1"))

    first, second = receiver.wait_for(order_id, "hold.released", count=2, timeout=20, explain=api.logs)
    assert (first.answered, second.answered) == (500, 200)
    assert first.id == second.id
    assert 3.5 <= second.received_at - first.received_at <= 10  # 5 s ±20 %, polled every second
