"""Facts without a time of their own (contract v1.1): they may only make things stricter.

An export row read at `--as-of` says what the order looked like at some moment before the
download, not when. Such a fact applies only where nothing of its type is known, where it
is final and the order is already known, or where it is strictly more severe; any fact
with a real time replaces it.
"""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard.facts import (
    FACT_STATUSES,
    SEVERITY,
    Fact,
    is_final,
    more_severe,
    replacement,
    replacement_outcome,
)

T0 = datetime(2026, 11, 11, 1, 0, tzinfo=UTC)
LATER, EARLIER = T0 + timedelta(hours=1), T0 - timedelta(hours=1)


def timed(status, at=T0, **extra):
    return Fact(status, at, "ev-timed", **extra)


def untimed(status, at=T0, **extra):
    return Fact(status, at, "imp-row", untimed=True, **extra)


def test_a_stale_export_cannot_clear_a_frozen_order():
    # Issue 12, case 5: IN_FROZEN through the API an hour before the download.
    got = replacement("risk", timed("reviewing", EARLIER), untimed("cleared", LATER))
    assert (got.outcome, got.why) == ("untimed", "lower")


def test_an_untimed_fact_applies_where_nothing_of_its_type_is_known():
    assert replacement("risk", None, untimed("cleared")).outcome == "applied"


def test_an_untimed_fact_applies_where_it_is_strictly_more_severe():
    assert replacement("risk", timed("cleared", LATER), untimed("reviewing", EARLIER)).outcome == "applied"
    assert replacement("payment", timed("paid"), untimed("unpaid")).outcome == "applied"


def test_an_untimed_fact_never_replaces_one_with_the_same_status():
    got = replacement("payment", timed("processing", EARLIER), untimed("processing", LATER))
    assert (got.outcome, got.why) == ("untimed", "same")


def test_equally_severe_is_not_more_severe():
    got = replacement("risk", timed("none"), untimed("cleared"))
    assert (got.outcome, got.why) == ("untimed", "equal")


@pytest.mark.parametrize("fact_type, status", [("order", "closed"), ("risk", "closed"), ("cancellation", "accepted")])
def test_an_untimed_final_fact_needs_the_order_known_in_the_same_store(fact_type, status):
    stored = timed({"order": "open", "risk": "reviewing", "cancellation": "requested"}[fact_type])
    assert replacement(fact_type, stored, untimed(status), order_known=True).outcome == "applied"
    got = replacement(fact_type, stored, untimed(status), order_known=False)
    assert (got.outcome, got.why) == ("untimed", "order_unknown")


def test_a_stored_final_fact_stays_whatever_comes():
    assert replacement("order", untimed("closed"), timed("open", LATER)).outcome == "final"
    assert replacement("order", timed("closed"), untimed("open")).outcome == "final"


def test_any_timed_fact_replaces_an_untimed_one_whatever_its_time():
    stored = untimed("reviewing", LATER)
    assert replacement("risk", stored, timed("cleared", EARLIER)).outcome == "applied"
    # Even the notice, which otherwise only moves forward.
    notice = untimed("recorded", LATER, tracking_number="LP1")
    assert replacement(
        "shipping_notice", notice, timed("tracking_assigned", EARLIER, tracking_number="LP1")
    ).outcome == ("applied")


def test_an_untimed_notice_applies_only_where_no_notice_is_known():
    assert replacement("shipping_notice", None, untimed("recorded", tracking_number="LP1")).outcome == "applied"
    stored = timed("tracking_assigned", tracking_number="LP1")
    got = replacement("shipping_notice", stored, untimed("recorded", tracking_number="LP1"))
    assert (got.outcome, got.why) == ("untimed", "notice")


def test_an_untimed_notice_never_changes_a_tracking_number():
    stored = timed("recorded", EARLIER, tracking_number="LP-RIGHT")
    got = replacement("shipping_notice", stored, untimed("recorded", LATER, tracking_number="LP-OTHER"))
    assert (got.outcome, got.why) == ("untimed", "tracking_number")


def test_severity_orders_are_documented_for_every_fact_but_the_notice():
    assert set(SEVERITY) >= set(FACT_STATUSES) - {"shipping_notice"}
    for fact_type, order in SEVERITY.items():
        if fact_type in FACT_STATUSES:
            assert set(order) == set(FACT_STATUSES[fact_type])
    assert more_severe("risk", "closed", "reviewing") and more_severe("risk", "reviewing", "cleared")
    assert not more_severe("risk", "cleared", "none") and not more_severe("risk", "none", "cleared")


def test_final_statuses_are_the_most_severe_of_their_type():
    for fact_type, order in SEVERITY.items():
        for status, rank in order.items():
            if is_final(fact_type, status):
                assert rank == max(order.values())


# --- properties -------------------------------------------------------------------------

MOMENTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))
TRACKING = st.none() | st.sampled_from(["LP1", "LP2"])


@st.composite
def cases(draw):
    fact_type = draw(st.sampled_from(sorted(FACT_STATUSES)))

    def one(is_untimed):
        return Fact(
            draw(st.sampled_from(FACT_STATUSES[fact_type])),
            draw(MOMENTS),
            "ev",
            draw(TRACKING) if fact_type == "shipping_notice" else None,
            untimed=is_untimed,
        )

    stored = draw(st.none() | st.booleans().map(one))
    incoming = one(draw(st.booleans()))
    return fact_type, stored, incoming, draw(st.booleans())


@given(cases())
def test_timed_facts_over_timed_facts_follow_the_v1_rules_unchanged(case):
    fact_type, stored, incoming, known = case
    if incoming.untimed or (stored is not None and stored.untimed):
        return
    assert replacement(fact_type, stored, incoming, order_known=known).outcome == replacement_outcome(
        fact_type, stored, incoming
    )


@given(cases())
def test_an_applied_untimed_fact_only_ever_makes_things_stricter(case):
    fact_type, stored, incoming, known = case
    if not incoming.untimed or stored is None:
        return
    if replacement(fact_type, stored, incoming, order_known=known).outcome != "applied":
        return
    assert stored.status != incoming.status
    assert fact_type != "shipping_notice"
    assert (is_final(fact_type, incoming.status) and known) or more_severe(fact_type, incoming.status, stored.status)


@given(cases())
def test_an_untimed_fact_not_applied_says_why_and_nothing_else_does(case):
    fact_type, stored, incoming, known = case
    got = replacement(fact_type, stored, incoming, order_known=known)
    assert (got.outcome == "untimed") == (got.why is not None)
    if got.outcome == "untimed":
        assert incoming.untimed


@given(cases())
def test_nothing_replaces_a_final_fact(case):
    fact_type, stored, incoming, known = case
    if stored is not None and is_final(fact_type, stored.status):
        assert replacement(fact_type, stored, incoming, order_known=known).outcome == "final"
