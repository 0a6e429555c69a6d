"""Many clients at once: the replacement rules and the one-live-clearance rule still hold."""

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from support.api import CLEAR_FACTS


def test_concurrent_batches_for_one_order_keep_the_newest_fact(guard):
    statuses = ["processing", "paid", "failed", "unpaid"]
    batches = [
        [guard.event("o-race", "payment", statuses[(i + j) % 4], minute=i * 10 + j) for j in range(5)]
        for i in range(12)
    ]
    newest = max((e for batch in batches for e in batch), key=lambda e: e["occurred_at"])
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda batch: guard.push(*batch), batches))
    fact = guard.client.get("/v1/orders/o-race", headers=guard.auth()).json()["facts"]["payment"]
    assert (fact["status"], fact["event_id"]) == (newest["status"], newest["event_id"])


def test_the_same_batch_sent_twice_at_once_applies_each_event_exactly_once(guard):
    batch = [guard.event(f"o-twice-{i}", "payment", "paid", 1) for i in range(50)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: guard.push(*batch), range(2)))
    outcomes = [r["outcome"] for result in results for r in result["results"]]
    assert outcomes.count("applied") == 50 and outcomes.count("duplicate") == 50


def test_concurrent_checks_leave_exactly_one_live_clearance(guard):
    guard.record("o-many-checks", **CLEAR_FACTS)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: guard.check("o-many-checks"), range(16)))
    assert all(r["verdict"] == "clear" for r in results)
    with guard.engine.connect() as conn:
        live = conn.execute(
            sa.text("select count(*) from clearances where used_at is null and voided_at is null")
        ).scalar_one()
    assert live == 1
