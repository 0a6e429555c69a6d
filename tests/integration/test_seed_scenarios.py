"""The seed notice's situations (docs/domain.md), end to end through the API, on both databases."""

from support.api import CLEAR_FACTS


def test_a_fully_clear_order_gets_a_clearance(guard):
    guard.record("o-1", **CLEAR_FACTS)
    result = guard.check("o-1", station_id="pack-01", operator="li")
    assert result["verdict"] == "clear"
    assert result["reasons"] == []
    assert result["clearance"]["token"]
    assert result["hold"] is None and result["label"] is None


def test_payment_processing_holds_until_paid(guard):
    guard.record("o-pay", **{**CLEAR_FACTS, "payment": "processing"})
    held = guard.check("o-pay", station_id="pack-01")
    assert held["verdict"] == "hold"
    [reason] = held["reasons"]
    assert reason["code"] == "PAYMENT_PROCESSING"
    assert reason["recheck_at"] is not None
    assert {"en", "es", "ru", "pt", "fr"} <= set(reason["buyer_messages"])
    assert reason["message"] and reason["message_zh"]
    assert reason["supervisor_message"] and reason["supervisor_message_zh"]
    assert held["clearance"] is None
    assert held["hold"]["state"] == "held"

    guard.push(guard.event("o-pay", "payment", "paid", minute=90))
    cleared = guard.check("o-pay")
    assert cleared["verdict"] == "clear" and cleared["clearance"]


def test_missing_shipping_notice_holds(guard):
    guard.record("o-notice", payment="paid", risk="cleared")
    assert guard.codes("o-notice") == ["SHIPPING_NOTICE_MISSING"]


def test_tracking_number_pending_then_assigned_then_recorded(guard):
    guard.record("o-track", payment="paid", risk="cleared", shipping_notice="awaiting_tracking")
    assert guard.codes("o-track") == ["TRACKING_NUMBER_PENDING"]

    guard.push(guard.event("o-track", "shipping_notice", "tracking_assigned", 20, tracking_number="LP1"))
    assert guard.codes("o-track") == ["SHIPPING_NOTICE_MISSING"]  # the number is back; record the notice

    guard.push(guard.event("o-track", "shipping_notice", "recorded", 25, tracking_number="LP1"))
    assert guard.check("o-track")["verdict"] == "clear"


def test_risk_review_holds_then_risk_closed_blocks(guard):
    guard.record("o-risk", **{**CLEAR_FACTS, "risk": "reviewing"})
    held = guard.check("o-risk")
    assert [r["code"] for r in held["reasons"]] == ["RISK_REVIEW"]
    assert held["hold"]["state"] == "held"

    guard.push(guard.event("o-risk", "risk", "closed", 60), guard.event("o-risk", "payment", "refunded", 60))
    blocked = guard.check("o-risk")
    assert blocked["verdict"] == "block"
    assert {r["code"] for r in blocked["reasons"]} == {"RISK_CLOSED", "PAYMENT_REFUNDED"}
    assert blocked["hold"]["state"] == "blocked"
    assert blocked["clearance"] is None


def test_cancellation_requested_holds_then_rejected_clears(guard):
    guard.record("o-cancel", **CLEAR_FACTS, cancellation="requested")
    assert guard.codes("o-cancel") == ["CANCEL_REQUESTED"]
    guard.push(guard.event("o-cancel", "cancellation", "rejected", 30))
    assert guard.check("o-cancel")["verdict"] == "clear"


def test_accepted_cancellation_blocks_for_good(guard):
    guard.record("o-gone", **CLEAR_FACTS, cancellation="accepted")
    assert guard.check("o-gone")["verdict"] == "block"
    # A lagging view that still says "requested", even with a newer time, does not reopen it.
    result = guard.push(guard.event("o-gone", "cancellation", "requested", 999))
    assert result["results"][0]["outcome"] == "final"
    assert guard.codes("o-gone") == ["ORDER_CANCELLED"]


def test_lagging_platform_view_does_not_undo_the_recorded_notice(guard):
    # The ERP's own acknowledged write: notice recorded at 00:30.
    guard.record("o-lag", minute=0, payment="paid", risk="cleared", freight="paid")
    guard.push(guard.event("o-lag", "shipping_notice", "recorded", 30, tracking_number="LP9"))
    # The platform's lagging sync arrives later, still showing "awaiting shipment" views.
    outcome = guard.push(
        guard.event("o-lag", "shipping_notice", "tracking_assigned", 45, tracking_number="LP9"),
        guard.event("o-lag", "shipping_notice", "missing", 50),
    )
    assert [r["outcome"] for r in outcome["results"]] == ["stale", "stale"]
    assert guard.check("o-lag")["verdict"] == "clear"


def test_older_fact_arriving_late_never_overwrites_a_newer_one(guard):
    guard.record("o-late", minute=0, **CLEAR_FACTS)
    guard.push(guard.event("o-late", "payment", "processing", minute=10))
    assert guard.codes("o-late") == ["PAYMENT_PROCESSING"]
    # The "paid" that happened at minute 40 arrives, then a stale "processing" from minute 20.
    outcomes = guard.push(
        guard.event("o-late", "payment", "paid", 40), guard.event("o-late", "payment", "processing", 20)
    )
    assert [r["outcome"] for r in outcomes["results"]] == ["applied", "stale"]
    assert guard.check("o-late")["verdict"] == "clear"


def test_freight_unpaid_holds_with_the_seed_instruction(guard):
    guard.record("o-freight", **{**CLEAR_FACTS, "freight": "failed"})
    [reason] = guard.check("o-freight")["reasons"]
    assert reason["code"] == "FREIGHT_UNPAID"
    assert "hold shelf" in reason["message"]  # the packer shelves it; the office follows the seed's steps
    assert "10 minutes" in reason["supervisor_message"] and "菜鸟" in reason["supervisor_message_zh"]


def test_every_reason_that_applies_is_returned_and_block_wins(guard):
    guard.record(
        "o-many",
        payment="processing",
        risk="reviewing",
        cancellation="requested",
        shipping_notice="awaiting_tracking",
        freight="pending",
        order="closed",
    )
    result = guard.check("o-many")
    assert result["verdict"] == "block"
    assert {r["code"] for r in result["reasons"]} == {
        "ORDER_CLOSED",
        "PAYMENT_PROCESSING",
        "RISK_REVIEW",
        "CANCEL_REQUESTED",
        "TRACKING_NUMBER_PENDING",
        "FREIGHT_UNPAID",
    }
    assert {r["verdict"] for r in result["reasons"]} == {"block", "hold"}


def test_an_order_the_guard_knows_nothing_about_is_held_as_unknown(guard):
    result = guard.check("o-never-heard")
    assert result["verdict"] == "hold"
    assert [r["code"] for r in result["reasons"]] == ["ORDER_UNKNOWN"]
    assert result["clearance"] is None
