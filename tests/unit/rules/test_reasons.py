"""Every reason code: the facts that raise it, and its spec. What it says: test_messages.py."""

from datetime import UTC, datetime, timedelta

import pytest

from guard.facts import Fact
from guard.rules import REASONS, WAIVABLE, evaluate

NOW = datetime(2024, 11, 11, 12, 0, tzinfo=UTC)
SEEN = NOW - timedelta(minutes=1)


def facts_from(literal):
    """{"payment": "paid", ...} -> stored facts, all as of one minute ago."""
    return {
        fact_type: Fact(
            status,
            SEEN,
            event_id=f"ev-{fact_type}",
            tracking_number="LP00123" if status in ("tracking_assigned", "recorded") else None,
        )
        for fact_type, status in literal.items()
    }


PAID_AND_NOTICED = {"payment": "paid", "shipping_notice": "recorded"}

# Literal facts -> exactly the codes they raise, in the engine's rule order.
TABLE = [
    ({}, ["ORDER_UNKNOWN"]),
    ({**PAID_AND_NOTICED, "order": "closed"}, ["ORDER_CLOSED"]),
    ({**PAID_AND_NOTICED, "risk": "closed"}, ["RISK_CLOSED"]),
    ({**PAID_AND_NOTICED, "cancellation": "accepted"}, ["ORDER_CANCELLED"]),
    ({"payment": "refunded", "shipping_notice": "recorded"}, ["PAYMENT_REFUNDED"]),
    ({"shipping_notice": "recorded"}, ["PAYMENT_UNKNOWN"]),
    ({"payment": "unpaid", "shipping_notice": "recorded"}, ["PAYMENT_UNPAID"]),
    ({"payment": "awaiting_confirmation", "shipping_notice": "recorded"}, ["PAYMENT_AWAITING_CONFIRMATION"]),
    ({"payment": "failed", "shipping_notice": "recorded"}, ["PAYMENT_FAILED"]),
    ({"payment": "processing", "shipping_notice": "recorded"}, ["PAYMENT_PROCESSING"]),
    ({**PAID_AND_NOTICED, "risk": "reviewing"}, ["RISK_REVIEW"]),
    ({**PAID_AND_NOTICED, "cancellation": "requested"}, ["CANCEL_REQUESTED"]),
    ({"payment": "paid", "shipping_notice": "awaiting_tracking"}, ["TRACKING_NUMBER_PENDING"]),
    ({"payment": "paid"}, ["SHIPPING_NOTICE_MISSING"]),
    ({"payment": "paid", "shipping_notice": "missing"}, ["SHIPPING_NOTICE_MISSING"]),
    ({"payment": "paid", "shipping_notice": "tracking_assigned"}, ["SHIPPING_NOTICE_MISSING"]),
    ({**PAID_AND_NOTICED, "tracking_claim": "conflict"}, ["TRACKING_CONFLICT"]),
    ({**PAID_AND_NOTICED, "tracking_claim": "sole"}, []),
    ({**PAID_AND_NOTICED, "carrier_label": "mismatch"}, ["TRACKING_MISMATCH"]),
    ({**PAID_AND_NOTICED, "carrier_label": "matches"}, []),
    ({**PAID_AND_NOTICED, "settlement": "processing"}, ["FUNDS_IN_SETTLEMENT"]),
    ({**PAID_AND_NOTICED, "settlement": "none"}, []),
    ({**PAID_AND_NOTICED, "dispute": "open"}, ["DISPUTE_OPEN"]),
    ({**PAID_AND_NOTICED, "dispute": "ended"}, []),
    ({**PAID_AND_NOTICED, "tracking_claim": "maybe"}, ["RULE_ERROR"]),
    ({**PAID_AND_NOTICED, "freight": "pending"}, ["FREIGHT_UNPAID"]),
    ({**PAID_AND_NOTICED, "freight": "failed"}, ["FREIGHT_UNPAID"]),
    # A status the rules do not know must not read as the harmless default.
    ({**PAID_AND_NOTICED, "freight": "partly_paid"}, ["RULE_ERROR"]),
    ({"payment": "paid", "shipping_notice": "declared"}, ["RULE_ERROR"]),
    # The seed's peak-day order: paid by card, flagged, nothing declared yet.
    (
        {"order": "open", "risk": "reviewing", "payment": "processing", "freight": "pending"},
        ["RISK_REVIEW", "PAYMENT_PROCESSING", "SHIPPING_NOTICE_MISSING", "FREIGHT_UNPAID"],
    ),
    (
        {"order": "closed", "risk": "closed", "cancellation": "accepted", "payment": "refunded"},
        ["ORDER_CLOSED", "RISK_CLOSED", "ORDER_CANCELLED", "PAYMENT_REFUNDED", "SHIPPING_NOTICE_MISSING"],
    ),
]


@pytest.mark.parametrize("literal, codes", TABLE, ids=[",".join(codes) for _, codes in TABLE])
def test_literal_facts_raise_exactly_these_reasons(literal, codes):
    assert evaluate(facts_from(literal), NOW).codes == codes


def test_every_reason_code_is_raised_by_some_literal_facts():
    raised = {code for _, codes in TABLE for code in codes}
    assert raised == set(REASONS)


BLOCKS = {"ORDER_CLOSED", "RISK_CLOSED", "ORDER_CANCELLED", "PAYMENT_REFUNDED"}


def test_only_closures_cancellations_and_refunds_block():
    assert {code for code, spec in REASONS.items() if spec.verdict == "block"} == BLOCKS


def test_non_waivable_reasons_are_exactly_the_contracts():
    assert set(REASONS) - WAIVABLE == {
        "ORDER_UNKNOWN",
        "ORDER_CLOSED",
        "RISK_CLOSED",
        "ORDER_CANCELLED",
        "PAYMENT_REFUNDED",
        "RISK_REVIEW",
        "TRACKING_NUMBER_PENDING",
        "SHIPPING_NOTICE_MISSING",
        "TRACKING_CONFLICT",
        "TRACKING_MISMATCH",
        "FUNDS_IN_SETTLEMENT",
        "DISPUTE_OPEN",
        "RULE_ERROR",
    }


def test_every_hold_is_rechecked_on_its_own():
    holds = [spec for spec in REASONS.values() if spec.verdict == "hold"]
    assert all(spec.recheck_after is not None and spec.recheck_after > timedelta(0) for spec in holds)


def test_seed_timers_payment_escalates_after_six_hours_freight_rechecked_after_ten_minutes():
    assert REASONS["PAYMENT_PROCESSING"].escalate_after == timedelta(hours=6)
    assert REASONS["FREIGHT_UNPAID"].recheck_after == timedelta(minutes=10)
    assert REASONS["FREIGHT_UNPAID"].escalate_after_rechecks is not None


def test_every_waivable_reason_rests_on_a_fact_a_waiver_can_be_tied_to():
    assert all(REASONS[code].fact_type is not None for code in WAIVABLE)
