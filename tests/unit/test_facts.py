"""Replacement rules for order facts (contract, "Order facts", rules 2 to 4)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from guard.facts import FINAL_STATUSES, Fact, replacement_outcome

T0 = datetime(2024, 11, 11, 8, 0, tzinfo=UTC)
EARLIER = T0 - timedelta(minutes=5)
LATER = T0 + timedelta(minutes=5)


def fact(status, at=T0, **extra):
    return Fact(status=status, occurred_at=at, **extra)


def test_first_fact_of_a_type_is_applied():
    assert replacement_outcome("payment", None, fact("processing")) == "applied"


def test_first_fact_is_applied_even_when_old():
    assert replacement_outcome("risk", None, fact("reviewing", T0 - timedelta(days=30))) == "applied"


@pytest.mark.parametrize("fact_type, status", sorted(FINAL_STATUSES))
@pytest.mark.parametrize("incoming_at", [EARLIER, T0, LATER])
def test_stored_final_fact_is_never_replaced_whatever_the_time(fact_type, status, incoming_at):
    other = {"order": "open", "risk": "cleared", "cancellation": "rejected", "payment": "paid"}[fact_type]
    stored = fact(status)
    assert replacement_outcome(fact_type, stored, fact(other, incoming_at)) == "final"
    assert replacement_outcome(fact_type, stored, fact(status, incoming_at)) == "final"


@pytest.mark.parametrize(
    "fact_type, stored_status, final_status",
    [
        ("order", "open", "closed"),
        ("risk", "reviewing", "closed"),
        ("cancellation", "requested", "accepted"),
        ("payment", "processing", "refunded"),
    ],
)
def test_incoming_final_fact_applies_even_when_older(fact_type, stored_status, final_status):
    # Safety first: a late-arriving refund or closure must still stop the parcel.
    stored = fact(stored_status, T0)
    assert replacement_outcome(fact_type, stored, fact(final_status, EARLIER)) == "applied"


@pytest.mark.parametrize(
    "stored_status, incoming_status",
    [
        ("missing", "awaiting_tracking"),
        ("missing", "recorded"),
        ("awaiting_tracking", "tracking_assigned"),
        ("tracking_assigned", "recorded"),
    ],
)
def test_notice_moving_forward_applies_even_when_older(stored_status, incoming_status):
    stored = fact(stored_status, T0)
    incoming = fact(incoming_status, EARLIER, tracking_number="LP00123")
    assert replacement_outcome("shipping_notice", stored, incoming) == "applied"


@pytest.mark.parametrize(
    "stored_status, incoming_status",
    [
        ("recorded", "missing"),
        ("recorded", "awaiting_tracking"),
        ("recorded", "tracking_assigned"),
        ("tracking_assigned", "awaiting_tracking"),
        ("awaiting_tracking", "missing"),
    ],
)
def test_notice_moving_backward_is_stale_even_when_newer(stored_status, incoming_status):
    # Seed point 3: the platform view lags; a recorded notice is never undone by it.
    stored = fact(stored_status, T0, tracking_number="LP00123")
    assert replacement_outcome("shipping_notice", stored, fact(incoming_status, LATER)) == "stale"


def test_newer_recorded_notice_can_correct_the_tracking_number():
    stored = fact("recorded", T0, tracking_number="LP-WRONG")
    incoming = fact("recorded", LATER, tracking_number="LP-RIGHT")
    assert replacement_outcome("shipping_notice", stored, incoming) == "applied"


def test_older_recorded_notice_does_not_overwrite_the_tracking_number():
    stored = fact("recorded", T0, tracking_number="LP-RIGHT")
    incoming = fact("recorded", EARLIER, tracking_number="LP-OLD")
    assert replacement_outcome("shipping_notice", stored, incoming) == "stale"


@pytest.mark.parametrize(
    "fact_type, stored_status, incoming_status",
    [
        ("payment", "processing", "paid"),
        ("risk", "reviewing", "cleared"),
        ("cancellation", "requested", "rejected"),
        ("freight", "pending", "paid"),
        ("shipping_notice", "tracking_assigned", "tracking_assigned"),
    ],
)
def test_strictly_newer_fact_replaces(fact_type, stored_status, incoming_status):
    assert replacement_outcome(fact_type, fact(stored_status, T0), fact(incoming_status, LATER)) == "applied"


@pytest.mark.parametrize(
    "fact_type, stored_status, incoming_status",
    [
        ("payment", "processing", "paid"),
        ("risk", "reviewing", "cleared"),
        ("freight", "pending", "paid"),
        ("shipping_notice", "recorded", "recorded"),
    ],
)
def test_fact_with_equal_occurred_at_is_stale(fact_type, stored_status, incoming_status):
    assert replacement_outcome(fact_type, fact(stored_status, T0), fact(incoming_status, T0)) == "stale"


@pytest.mark.parametrize(
    "fact_type, stored_status, incoming_status",
    [
        ("payment", "paid", "processing"),
        ("risk", "cleared", "reviewing"),
        ("cancellation", "rejected", "requested"),
        ("freight", "paid", "pending"),
    ],
)
def test_older_fact_is_stale(fact_type, stored_status, incoming_status):
    # Seed point 3: the ERP's own acknowledged write is newer than a lagging view.
    assert replacement_outcome(fact_type, fact(stored_status, T0), fact(incoming_status, EARLIER)) == "stale"


def test_newer_wins_across_time_zones():
    stored = fact("processing", T0)
    same_instant_elsewhere = T0.astimezone(timezone(timedelta(hours=8)))
    assert replacement_outcome("payment", stored, fact("paid", same_instant_elsewhere)) == "stale"
    one_second_later = (T0 + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=-5)))
    assert replacement_outcome("payment", stored, fact("paid", one_second_later)) == "applied"
