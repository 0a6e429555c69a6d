"""Lock, then read (contract v1.1): every deciding path judges the facts committed when its locks were granted.

Deterministic interleavings on PostgreSQL: the test holds an order's lock in a transaction of its
own (as an ingest does), writes a closing fact in it, starts the request, waits until the request
is waiting on that lock, then commits. The answer must reflect the close — every time. A read
taken before the lock (one statement that locks and reads, or a read, then a lock) would answer
from the facts before it.
"""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from guard.clock import utcnow

from support.api import CLEAR_FACTS, assert_error
from support.db import empty_tables


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, postgres_url):
    yield postgres_url
    empty_tables(postgres_url)


def clear(guard, order_id, number):
    guard.push(
        *[
            guard.event(order_id, t, s, 1, **({"tracking_number": number} if t == "shipping_notice" else {}))
            for t, s in CLEAR_FACTS.items()
        ]
    )


class Holder:
    """A transaction of the test's own that holds an order's lock and closes the order in it."""

    def __init__(self, engine: sa.Engine, order_id: str):
        self.conn = engine.connect()
        self.tx = self.conn.begin()
        self.conn.execute(sa.text("SELECT 1 FROM orders WHERE order_id = :o FOR UPDATE"), {"o": order_id})
        now = utcnow()
        self.conn.execute(
            sa.text(
                "INSERT INTO facts (order_id, fact_type, status, occurred_at, event_id, updated_at) "
                "VALUES (:o, 'order', 'closed', :t, :e, :t) "
                "ON CONFLICT (order_id, fact_type) DO UPDATE SET status = 'closed', occurred_at = :t, event_id = :e"
            ),
            {"o": order_id, "t": now, "e": f"close-{order_id}"},
        )

    def release(self) -> None:
        self.tx.commit()
        self.conn.close()


def waiting_on_a_lock(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            ).scalar()
        )


def interleaved(guard, order_id: str, request):
    """Hold the order's lock (and close it), start `request`, wait until it waits on the lock,
    commit, and return what the request answered."""
    holder = Holder(guard.engine, order_id)
    answer = {}
    thread = threading.Thread(target=lambda: answer.setdefault("response", request()), daemon=True)
    thread.start()
    deadline = utcnow() + timedelta(seconds=20)
    while not waiting_on_a_lock(guard.engine):
        assert utcnow() < deadline, "the request never waited on the order's lock"
        assert thread.is_alive(), f"the request answered without waiting on the lock: {answer}"
    holder.release()
    thread.join(20)
    assert not thread.is_alive()
    return answer["response"]


def test_a_check_that_waited_on_an_ingest_judges_the_facts_the_ingest_committed(guard):
    clear(guard, "lr-check", "LR-CHECK")
    response = interleaved(guard, "lr-check", lambda: guard.client.post("/v1/orders/lr-check/check",
                                                                        headers=guard.auth()))  # fmt: skip
    body = response.json()
    assert body["verdict"] == "block" and body["clearance"] is None
    assert [r["code"] for r in body["reasons"]] == ["ORDER_CLOSED"]
    assert body["hold"]["state"] == "blocked"


def test_a_label_that_waited_is_refused_for_the_order_closed_meanwhile(guard):
    clear(guard, "lr-label", "LR-LABEL")
    token = guard.check("lr-label")["clearance"]["token"]
    response = interleaved(
        guard,
        "lr-label",
        lambda: guard.client.post("/v1/labels", json={"clearance": token, "station_id": "p"}, headers=guard.auth()),
    )
    error = assert_error(response, 409, "ORDER_NOT_CLEAR")
    assert [d["code"] for d in error["details"]] == ["ORDER_CLOSED"]


def test_a_reprint_that_waited_is_refused(guard):
    clear(guard, "lr-reprint", "LR-REPRINT")
    token = guard.check("lr-reprint")["clearance"]["token"]
    label_id = guard.client.post("/v1/labels", json={"clearance": token}, headers=guard.auth()).json()["label_id"]
    response = interleaved(
        guard,
        "lr-reprint",
        lambda: guard.client.post(f"/v1/labels/{label_id}/reprint", json={"reason": "smudged"}, headers=guard.auth()),
    )
    assert_error(response, 409, "ORDER_NOT_CLEAR")


def test_a_hand_over_that_waited_does_not_let_the_parcel_go(guard):
    clear(guard, "lr-dock", "LR-DOCK")
    token = guard.check("lr-dock")["clearance"]["token"]
    assert guard.client.post("/v1/labels", json={"clearance": token}, headers=guard.auth()).status_code == 201
    for code in ("lr-dock", "LR-DOCK"):
        response = interleaved(
            guard, "lr-dock", lambda: guard.client.post("/v1/handovers", json={"code": code}, headers=guard.auth())
        )
        assert_error(response, 409, "ORDER_NOT_CLEAR")


def test_a_manual_release_that_waited_sees_the_order_blocked(guard):
    guard.push(*[guard.event("lr-release", t, s, 1) for t, s in {**CLEAR_FACTS, "freight": "pending"}.items()
                 if t != "shipping_notice"],
               guard.event("lr-release", "shipping_notice", "recorded", 1, tracking_number="LR-REL"))  # fmt: skip
    assert guard.check("lr-release")["verdict"] == "hold"
    response = interleaved(
        guard,
        "lr-release",
        lambda: guard.client.post("/v1/holds/lr-release/release", json={"reason": "prepaid"}, headers=guard.auth()),
    )
    assert_error(response, 409, "ORDER_BLOCKED")


def test_the_recheck_sweep_never_releases_from_facts_replaced_while_it_waited(guard, settings):
    from guard.services.recheck import recheck_due

    guard.push(*[guard.event("lr-sweep", t, s, 1) for t, s in CLEAR_FACTS.items() if t != "shipping_notice"],
               guard.event("lr-sweep", "shipping_notice", "tracking_assigned", 1, tracking_number="LR-SW"))  # fmt: skip
    assert guard.check("lr-sweep")["verdict"] == "hold"
    with guard.engine.begin() as conn:  # the notice is recorded meanwhile, and the hold is due
        conn.execute(sa.text("UPDATE parcels SET notice_status = 'recorded' WHERE order_id = 'lr-sweep'"))
        conn.execute(sa.text("UPDATE holds SET recheck_at = :t WHERE order_id = 'lr-sweep'"), {"t": utcnow()})
    later = utcnow() + timedelta(seconds=1)
    holder = Holder(guard.engine, "lr-sweep")
    report = {}
    thread = threading.Thread(target=lambda: report.setdefault("r", recheck_due(guard.engine, settings, later)))
    thread.start()
    # The sweep skips an order another transaction holds: it neither waits nor judges stale facts.
    thread.join(20)
    assert report["r"].checked == 1 and report["r"].states == {}
    holder.release()
    report = recheck_due(guard.engine, settings, later)
    assert report.states == {"blocked": 1}
    with guard.engine.connect() as conn:
        types = conn.execute(sa.text("SELECT type FROM outbox WHERE order_id = 'lr-sweep'")).scalars().all()
    assert "hold.released" not in types and "order.blocked" in types


def test_two_concurrent_assignments_of_one_number_cannot_both_see_no_conflict(guard):
    """Two ERPs declare one number for two orders at the same moment: both end up held."""
    for order_id in ("cc-a", "cc-b"):
        guard.push(*[guard.event(order_id, t, s, 1) for t, s in CLEAR_FACTS.items() if t != "shipping_notice"])
    barrier = threading.Barrier(2)
    answers = []

    def declare(order_id):
        barrier.wait()
        answers.append(
            guard.client.post(
                "/v1/events",
                json={"events": [guard.event(order_id, "shipping_notice", "recorded", 2, tracking_number="CC-T")]},
                headers=guard.auth(),
            ).status_code
        )

    threads = [threading.Thread(target=declare, args=(o,)) for o in ("cc-a", "cc-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [200, 200]
    with guard.engine.connect() as conn:
        flags = conn.execute(sa.text("SELECT order_id, conflict FROM tracking_claims WHERE tracking_number = 'CC-T'"))
        assert dict(flags.all()) == {"cc-a": True, "cc-b": True}


def test_the_follow_up_that_holds_the_other_order_of_a_conflict_judges_it_under_its_own_lock(
    quiet_guard, quiet_settings
):
    from guard.services.parcels import run_followups

    guard, settings = quiet_guard, quiet_settings  # only this test runs the follow-ups
    clear(guard, "lr-fa", "LR-SHARED")
    token = guard.check("lr-fa")["clearance"]["token"]
    assert guard.client.post("/v1/labels", json={"clearance": token}, headers=guard.auth()).status_code == 201
    guard.push(*[guard.event("lr-fb", t, s, 1) for t, s in CLEAR_FACTS.items() if t != "shipping_notice"],
               guard.event("lr-fb", "shipping_notice", "recorded", 2, tracking_number="LR-SHARED"))  # fmt: skip
    # lr-fb's ingest queued lr-fa for a follow-up; it runs while an ingest holds lr-fa and closes it.
    holder = Holder(guard.engine, "lr-fa")
    done = {}
    thread = threading.Thread(target=lambda: done.setdefault("r", run_followups(guard.engine, settings, utcnow)))
    thread.start()
    deadline = utcnow() + timedelta(seconds=20)
    while not waiting_on_a_lock(guard.engine):
        assert utcnow() < deadline and thread.is_alive(), "the follow-up never waited on lr-fa's lock"
    holder.release()
    thread.join(20)
    with guard.engine.connect() as conn:
        hold = conn.execute(sa.text("SELECT state, reasons FROM holds WHERE order_id = 'lr-fa'")).one()
    assert hold.state == "blocked" and "ORDER_CLOSED" in hold.reasons
