"""POST /v1/events: the four replacement rules, applied in input order, all or nothing."""

import sqlalchemy as sa

from support.api import CLEAR_FACTS


def outcomes(result):
    return [r["outcome"] for r in result["results"]]


def test_results_come_back_in_input_order_with_the_fact_each_touched(guard):
    events = [guard.event("o-1", "payment", "paid", 1), guard.event("o-1", "risk", "cleared", 1)]
    result = guard.push(*events)
    assert [r["event_id"] for r in result["results"]] == [e["event_id"] for e in events]
    assert [r["facts"] for r in result["results"]] == [{"payment": "applied"}, {"risk": "applied"}]


def test_a_retried_event_is_a_duplicate_and_changes_nothing(guard):
    paid = guard.event("o-dup", "payment", "paid", 10)
    assert outcomes(guard.push(paid)) == ["applied"]
    # The same event id again, even carrying a different status, changes nothing.
    assert outcomes(guard.push({**paid, "status": "failed", "occurred_at": "2026-11-11T09:00:00+08:00"})) == [
        "duplicate"
    ]
    assert guard.client.get("/v1/orders/o-dup", headers=guard.auth()).json()["facts"]["payment"]["status"] == "paid"


def test_a_duplicate_within_one_batch_is_reported_as_such(guard):
    paid = guard.event("o-dup2", "payment", "paid", 10)
    assert outcomes(guard.push(paid, paid)) == ["applied", "duplicate"]


def test_event_ids_are_unique_across_orders(guard):
    first = guard.event("o-a", "payment", "paid", 10)
    assert outcomes(guard.push({**first, "order_id": "o-b"}, first)) == ["applied", "duplicate"]


def test_only_a_strictly_newer_fact_replaces_the_stored_one(guard):
    guard.push(guard.event("o-t", "payment", "processing", 30))
    assert outcomes(guard.push(guard.event("o-t", "payment", "paid", 30))) == ["stale"]  # same time
    assert outcomes(guard.push(guard.event("o-t", "payment", "paid", 29))) == ["stale"]  # older
    assert outcomes(guard.push(guard.event("o-t", "payment", "paid", 31))) == ["applied"]


def test_offsets_are_compared_as_instants_not_as_text(guard):
    guard.push(guard.event("o-tz", "payment", "processing", occurred_at="2026-11-11T00:30:00+08:00"))
    # 16:31 UTC the day before is 00:31 in Beijing: newer, so it applies.
    result = guard.push(guard.event("o-tz", "payment", "paid", occurred_at="2026-11-10T16:31:00Z"))
    assert outcomes(result) == ["applied"]


def test_final_facts_apply_whatever_their_time_and_never_reopen(guard):
    guard.push(guard.event("o-fin", "order", "open", 100))
    assert outcomes(guard.push(guard.event("o-fin", "order", "closed", 1))) == ["applied"]  # older, but final
    assert outcomes(guard.push(guard.event("o-fin", "order", "open", 500))) == ["final"]
    for fact_type, status, later in (
        ("risk", "closed", "cleared"),
        ("payment", "refunded", "paid"),
        ("cancellation", "accepted", "rejected"),
    ):
        guard.push(guard.event("o-fin", fact_type, status, 5))
        assert outcomes(guard.push(guard.event("o-fin", fact_type, later, 600))) == ["final"]


def test_the_shipping_notice_only_moves_forward(guard):
    guard.push(guard.event("o-n", "shipping_notice", "tracking_assigned", 50, tracking_number="LP1"))
    # Backwards is stale even when newer; forwards applies even when older.
    assert outcomes(guard.push(guard.event("o-n", "shipping_notice", "awaiting_tracking", 60))) == ["stale"]
    assert outcomes(guard.push(guard.event("o-n", "shipping_notice", "recorded", 40, tracking_number="LP1"))) == [
        "applied"
    ]
    assert outcomes(guard.push(guard.event("o-n", "shipping_notice", "missing", 90))) == ["stale"]


def test_a_newer_recorded_notice_may_correct_its_parcels_tracking_number(guard):
    guard.push(guard.event("o-fix", "shipping_notice", "recorded", 10, tracking_number="LP-WRONG", parcel_id="1"))
    assert outcomes(
        guard.push(guard.event("o-fix", "shipping_notice", "recorded", 5, tracking_number="LP-OLD", parcel_id="1"))
    ) == ["stale"]
    assert outcomes(
        guard.push(
            guard.event(
                "o-fix", "shipping_notice", "recorded", 20, tracking_number="LP-RIGHT", carrier="Cainiao", parcel_id="1"
            )  # fmt: skip
        )
    ) == ["applied"]
    notice = guard.client.get("/v1/orders/o-fix", headers=guard.auth()).json()["facts"]["shipping_notice"]
    assert (notice["tracking_number"], notice["carrier"]) == ("LP-RIGHT", "Cainiao")


def test_without_parcel_id_a_new_number_never_replaces_the_one_a_parcel_has(guard):
    guard.push(guard.event("o-keep", "shipping_notice", "recorded", 10, tracking_number="LP-FIRST"))
    result = guard.push(guard.event("o-keep", "shipping_notice", "recorded", 20, tracking_number="LP-OTHER"))
    assert result["results"][0]["facts"] == {"shipping_notice": "unassigned"}
    notice = guard.client.get("/v1/orders/o-keep", headers=guard.auth()).json()["facts"]["shipping_notice"]
    assert notice["tracking_number"] == "LP-FIRST"


def test_events_in_one_batch_apply_in_input_order(guard):
    result = guard.push(
        guard.event("o-seq", "payment", "processing", 10),
        guard.event("o-seq", "payment", "paid", 20),
        guard.event("o-seq", "payment", "processing", 15),
    )
    assert outcomes(result) == ["applied", "applied", "stale"]


def test_store_and_ship_by_are_kept_on_the_order(guard):
    guard.push(guard.event("o-s", "payment", "paid", 10, store_id="shop-1", ship_by="2026-11-14T23:59:59+08:00"))
    # A lagging event cannot move ship_by back to an older value.
    guard.push(guard.event("o-s", "risk", "cleared", 5, ship_by="2026-11-13T23:59:59+08:00"))
    order = guard.client.get("/v1/orders/o-s", headers=guard.auth()).json()
    assert order["store_id"] == "shop-1"
    assert order["ship_by"].startswith("2026-11-14T15:59:59")


def test_a_batch_of_a_thousand_events_is_accepted(guard):
    events = [
        guard.event(
            f"o-bulk-{i % 250}",
            ("payment", "risk", "shipping_notice", "freight")[i // 250],
            ("paid", "cleared", "missing", "paid")[i // 250],
            1,
        )
        for i in range(1000)
    ]
    assert outcomes(guard.push(*events)).count("applied") == 1000
    with guard.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from events")).scalar_one() == 1000


def test_applying_an_event_releases_a_hold_that_has_cleared(guard):
    guard.record("o-rel", **{**CLEAR_FACTS, "payment": "processing"})
    assert guard.check("o-rel", station_id="pack-07")["hold"]["state"] == "held"
    guard.push(guard.event("o-rel", "payment", "paid", 120))
    order = guard.client.get("/v1/orders/o-rel", headers=guard.auth()).json()
    assert order["hold"]["state"] == "released"
    decisions = guard.client.get("/v1/orders/o-rel/decisions", headers=guard.auth()).json()["items"]
    assert (decisions[0]["kind"], decisions[0]["key_name"], decisions[0]["note"]) == ("release", None, "automatic")
    with guard.engine.connect() as conn:
        types = conn.execute(sa.text("select type, station_id from outbox where order_id = 'o-rel'")).all()
    assert ("hold.released", "pack-07") in [tuple(row) for row in types]


def test_a_held_order_that_turns_bad_is_blocked_and_notified(guard):
    guard.record("o-bad", **{**CLEAR_FACTS, "risk": "reviewing"})
    guard.check("o-bad")
    guard.push(guard.event("o-bad", "risk", "closed", 60))
    assert guard.client.get("/v1/orders/o-bad", headers=guard.auth()).json()["hold"]["state"] == "blocked"
    with guard.engine.connect() as conn:
        assert conn.execute(sa.text("select type from outbox where order_id = 'o-bad'")).scalars().all() == [
            "order.blocked"
        ]


def test_a_hold_whose_reason_changes_stays_held_with_the_new_reason(guard):
    guard.record("o-chg", payment="paid", risk="cleared", shipping_notice="awaiting_tracking")
    guard.check("o-chg")
    guard.push(guard.event("o-chg", "shipping_notice", "tracking_assigned", 30, tracking_number="LP5"))
    with guard.engine.connect() as conn:
        state, reasons = conn.execute(sa.text("select state, reasons from holds where order_id = 'o-chg'")).one()
    assert state == "held"
    assert "SHIPPING_NOTICE_MISSING" in str(reasons)
