"""The production shape, for real: `guard serve` + `guard worker --beat` + Redis + PostgreSQL,
and an ERP's webhook endpoint (contract: "Holds", "Notifications"; design: "Fail closed").

One API, one worker and one receiver serve the whole module; each test truncates
the database before and after itself and uses order ids of its own.
"""

from __future__ import annotations

import time

import pytest

from support.processes import unique, wait_until
from support.stack import Api, Broker, Erp, Receiver, Worker, broker, forget, new_key, outbox, stack_env

pytestmark = pytest.mark.postgres

# A rotation in progress: the new secret first (it signs), the old one still signing too.
NEW_SECRET, OLD_SECRET = "whsec-2026-new", "whsec-2025-old"

CLEARING_FACTS = [
    pytest.param({"payment": "unpaid"}, ("payment", "paid"), "PAYMENT_UNPAID", id="payment-paid"),
    pytest.param({"payment": "paid", "risk": "reviewing"}, ("risk", "cleared"), "RISK_REVIEW", id="risk-cleared"),
    pytest.param(
        {"payment": "paid", "cancellation": "requested"},
        ("cancellation", "rejected"),
        "CANCEL_REQUESTED",
        id="cancellation-rejected",
    ),
    pytest.param(
        {"payment": "paid", "shipping_notice": "awaiting_tracking"},
        ("shipping_notice", "recorded"),
        "TRACKING_NUMBER_PENDING",
        id="notice-recorded",
    ),
    pytest.param({"payment": "paid", "freight": "pending"}, ("freight", "paid"), "FREIGHT_UNPAID", id="freight-paid"),
]


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def queue(postgres_url) -> Broker:
    queue = broker()
    yield queue
    queue.close()


@pytest.fixture(scope="module")
def env(postgres_url, queue, receiver) -> dict[str, str]:
    return stack_env(postgres_url, broker=queue, webhook_url=receiver.url, webhook_secret=f"{NEW_SECRET},{OLD_SECRET}")


@pytest.fixture(scope="module")
def api(env, tmp_path_factory):
    api = Api(tmp_path_factory.mktemp("serve"), env)
    yield api
    api.stop()


@pytest.fixture(scope="module")
def worker(env, tmp_path_factory):
    worker = Worker(tmp_path_factory.mktemp("worker"), env)
    yield worker
    worker.stop()


@pytest.fixture
def running(worker) -> Worker:
    """The worker is up (a test before may have stopped, killed or frozen it)."""
    if worker.frozen:
        worker.stop()
    if not worker.running:
        worker.start()
    return worker


@pytest.fixture
def erp(api, postgres_url):
    forget(postgres_url)
    erp = Erp(api.base, new_key(postgres_url, "erp"))
    yield erp
    erp.close()
    forget(postgres_url)


@pytest.fixture
def explain(api, worker, postgres_url):
    """What to show when a notification does not come: the worker's and the API's logs."""
    return lambda order_id=None: (
        f"outbox: {outbox(postgres_url, order_id) if order_id else '-'}\n"
        f"--- worker log ---\n{worker.logs()}\n--- serve log ---\n{api.logs()}"
    )


def hold_order(erp: Erp, order_id: str, station_id: str = "pack-1", **facts: str) -> list[str]:
    """The ERP records the facts at minute 0; the packer scans the order at a station and it is held."""
    erp.record(order_id, minute=0, **{"shipping_notice": "recorded", **facts})
    return [reason["code"] for reason in erp.hold_at(order_id, station_id)["reasons"]]


def delivered_once(postgres_url: str, order_id: str, kind: str, notification_id: str) -> dict:
    """Exactly one outbox row of that kind for the order, with that id, marked delivered."""

    def settled():
        rows = [row for row in outbox(postgres_url, order_id) if row["type"] == kind]
        assert len(rows) == 1, rows
        return rows[0] if rows[0]["delivered_at"] and rows[0]["next_attempt_at"] is None else None

    row = wait_until(settled, 10, f"the {kind} outbox row marked delivered")
    assert row["notification_id"] == notification_id
    return row


@pytest.mark.parametrize(("holding", "clearing", "reason"), CLEARING_FACTS)
def test_a_held_order_is_released_on_its_own_when_the_clearing_fact_arrives(
    erp, running, receiver, postgres_url, explain, holding, clearing, reason
):
    order_id = unique("rel")
    assert hold_order(erp, order_id, **holding) == [reason]

    fact, status = clearing
    pushed = time.monotonic()
    result = erp.push(erp.event(order_id, fact, status, minute=5, store_id="s1"))
    assert result["results"][0]["outcome"] == "applied"

    [hook] = receiver.wait_for(order_id, "hold.released", timeout=10, explain=lambda: explain(order_id))
    assert hook.received_at - pushed < 5, "the worker delivers a release within seconds"
    assert hook.signed_with(NEW_SECRET)
    body = hook.json
    assert hook.headers["guard-notification-id"] == body["id"]
    assert body["type"] == "hold.released"
    assert body["data"]["order_id"] == order_id
    assert body["data"]["store_id"] == "s1"
    assert body["data"]["station_id"] == "pack-1"
    assert body["data"]["reasons"] == [reason]
    assert body["data"]["hold"]["state"] == "released"
    assert erp.order(order_id)["hold"]["state"] == "released"
    delivered_once(postgres_url, order_id, "hold.released", body["id"])


def test_a_held_order_that_turns_bad_is_reported_blocked(erp, running, receiver, postgres_url, explain):
    order_id = unique("blk")
    assert hold_order(erp, order_id, payment="unpaid") == ["PAYMENT_UNPAID"]

    erp.push(erp.event(order_id, "risk", "closed", minute=5, store_id="s1"))

    [hook] = receiver.wait_for(order_id, "order.blocked", timeout=10, explain=lambda: explain(order_id))
    assert hook.signed_with(NEW_SECRET)
    data = hook.json["data"]
    assert "RISK_CLOSED" in data["reasons"]
    assert data["hold"]["state"] == "blocked"
    assert data["station_id"] == "pack-1"
    assert receiver.about(order_id, "hold.released") == []
    assert erp.order(order_id)["hold"]["state"] == "blocked"
    delivered_once(postgres_url, order_id, "order.blocked", hook.id)


def test_a_refused_notification_is_sent_again_with_the_same_id_after_a_backoff(
    erp, running, receiver, postgres_url, explain
):
    order_id = unique("retry")
    hold_order(erp, order_id, payment="unpaid")
    receiver.refuse(order_id, times=1)

    erp.push(erp.event(order_id, "payment", "paid", minute=5, store_id="s1"))

    first, second = receiver.wait_for(order_id, "hold.released", count=2, timeout=25, explain=lambda: explain(order_id))
    assert (first.answered, second.answered) == (500, 200)
    assert first.id == second.id
    # First retry 5 s (±20 % jitter) after the failure, taken by the outbox sweep (every 5 s).
    assert 3.5 <= second.received_at - first.received_at <= 15
    assert first.signed_with(NEW_SECRET) and second.signed_with(NEW_SECRET)
    row = delivered_once(postgres_url, order_id, "hold.released", first.id)
    assert row["attempts"] == 2  # the refused POST and the one that landed
    assert row["last_error"] == "HTTP 500"


def test_during_a_secret_rotation_every_secret_signs(erp, running, receiver, explain):
    order_id = unique("rot")
    hold_order(erp, order_id, payment="unpaid")
    erp.push(erp.event(order_id, "payment", "paid", minute=5, store_id="s1"))

    [hook] = receiver.wait_for(order_id, "hold.released", timeout=10, explain=lambda: explain(order_id))
    header = hook.headers["guard-signature"]
    assert header.count("v1=") == 2 and header.count("t=") == 1
    assert hook.signed_with(NEW_SECRET)
    assert hook.signed_with(OLD_SECRET)
    assert not hook.signed_with("whsec-someone-else")
    tampered = type(hook)(
        hook.body.replace(order_id.encode(), b"rot-0000000000"), hook.headers, hook.received_at, hook.answered
    )
    assert not tampered.signed_with(NEW_SECRET)


def test_a_release_while_the_worker_is_down_is_delivered_when_it_starts(erp, worker, receiver, postgres_url, explain):
    worker.stop()
    order_id = unique("down")
    hold_order(erp, order_id, payment="unpaid")

    result = erp.push(erp.event(order_id, "payment", "paid", minute=5, store_id="s1"))
    assert result["results"][0]["outcome"] == "applied"
    assert erp.check(order_id, "pack-1")["verdict"] == "clear"
    [row] = outbox(postgres_url, order_id)
    assert row["type"] == "hold.released" and row["delivered_at"] is None and row["next_attempt_at"] is not None
    assert receiver.about(order_id) == []

    worker.start()
    [hook] = receiver.wait_for(order_id, "hold.released", timeout=20, explain=lambda: explain(order_id))
    assert hook.id == row["notification_id"]
    delivered_once(postgres_url, order_id, "hold.released", hook.id)


def test_a_release_whose_task_the_broker_lost_is_delivered_by_the_outbox_sweep(
    erp, worker, receiver, queue, postgres_url, explain
):
    worker.stop()
    order_id = unique("lost")
    hold_order(erp, order_id, payment="unpaid")
    erp.push(erp.event(order_id, "payment", "paid", minute=5, store_id="s1"))

    # The API handed the id to the broker; lose it, as a Redis without persistence would on a restart.
    wait_until(lambda: queue.queued() > 0, 10, "the delivery task queued in Redis")
    queue.lose_queued()

    worker.start()
    [hook] = receiver.wait_for(order_id, "hold.released", timeout=20, explain=lambda: explain(order_id))
    # Nothing in the queue: the beat's outbox sweep (every 5 s) found the row.
    assert hook.received_at - worker.ready_at <= 12
    delivered_once(postgres_url, order_id, "hold.released", hook.id)


def test_a_worker_killed_right_after_the_event_is_replaced_and_the_release_still_arrives(
    erp, running, receiver, postgres_url, explain
):
    order_id = unique("kill")
    hold_order(erp, order_id, payment="unpaid")

    running.freeze()  # it cannot deliver: the kill below comes before any delivery
    erp.push(erp.event(order_id, "payment", "paid", minute=5, store_id="s1"))
    running.kill()
    assert receiver.about(order_id) == []
    [row] = outbox(postgres_url, order_id)
    assert row["delivered_at"] is None

    running.start()
    hooks = receiver.wait_for(order_id, "hold.released", timeout=20, explain=lambda: explain(order_id))
    assert {hook.id for hook in hooks} == {row["notification_id"]}
    delivered_once(postgres_url, order_id, "hold.released", row["notification_id"])


def test_a_worker_killed_mid_delivery_delivers_again_with_the_same_id_once_its_lease_runs_out(
    erp, worker, receiver, postgres_url, explain
):
    # The shipped lease is 60 s; this worker claims with a 3 s one so the test takes seconds.
    worker.stop()
    worker.start(lease_s=3)
    order_id = unique("mid")
    hold_order(erp, order_id, payment="unpaid")
    gate = receiver.stall(order_id)

    erp.push(erp.event(order_id, "payment", "paid", minute=5, store_id="s1"))
    [first] = receiver.wait_for(order_id, "hold.released", timeout=10, explain=lambda: explain(order_id))
    worker.kill()  # the POST arrived, the answer never reaches the worker
    gate.set()
    [row] = outbox(postgres_url, order_id)
    assert row["delivered_at"] is None and row["next_attempt_at"] is not None  # leased, not done

    worker.start()
    hooks = receiver.wait_for(order_id, "hold.released", count=2, timeout=20, explain=lambda: explain(order_id))
    assert {hook.id for hook in hooks} == {first.id}  # a duplicate the receiver de-duplicates by id
    delivered_once(postgres_url, order_id, "hold.released", first.id)
