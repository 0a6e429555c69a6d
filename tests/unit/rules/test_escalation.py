"""When a hold becomes overdue (`overdue_because`): pure, literal inputs, no clock.

Payment processing escalates 6 h after it began (at the source, or on the
shelf if that was earlier); freight after its 3rd re-check; any hold within
12 h of the platform's ship-by deadline, whatever its reason.
"""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from guard.facts import Fact
from guard.rules import DEFAULT_RULES, parse_rules
from guard.rules.escalation import NEAR_SHIP_BY, SHIP_BY_MARGIN, overdue_because

NOW = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
DEFAULTS = DEFAULT_RULES.defaults


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def overdue(codes, facts=None, *, since=NOW, rechecks=0, ship_by=None, now=NOW, store=DEFAULTS):
    return overdue_because(codes, facts or {}, since=since, rechecks=rechecks, ship_by=ship_by, now=now, store=store)


def processing(started: datetime) -> dict:
    return {"payment": Fact("processing", started, "ev-pay")}


def test_a_fresh_hold_is_not_overdue():
    assert overdue(["PAYMENT_PROCESSING"], processing(NOW - timedelta(minutes=5))) == []


def test_payment_processing_is_overdue_from_six_hours_at_the_source():
    assert overdue(["PAYMENT_PROCESSING"], processing(NOW - hours(6) + timedelta(seconds=1))) == []
    assert overdue(["PAYMENT_PROCESSING"], processing(NOW - hours(6))) == ["PAYMENT_PROCESSING"]
    assert overdue(["PAYMENT_PROCESSING"], processing(NOW - hours(30))) == ["PAYMENT_PROCESSING"]


def test_payment_age_counts_from_the_source_even_for_an_order_held_just_now():
    # Processing at the platform since 7 h, scanned a minute ago.
    facts = processing(NOW - hours(7))
    assert overdue(["PAYMENT_PROCESSING"], facts, since=NOW - timedelta(minutes=1)) == ["PAYMENT_PROCESSING"]


def test_payment_age_counts_from_the_hold_when_the_hold_is_older_than_the_fact():
    # On the shelf for 6 h (first for another reason); the processing fact is newer.
    facts = processing(NOW - hours(1))
    assert overdue(["PAYMENT_PROCESSING"], facts, since=NOW - hours(6)) == ["PAYMENT_PROCESSING"]
    assert overdue(["PAYMENT_PROCESSING"], facts, since=NOW - hours(5)) == []


def test_without_the_fact_the_age_counts_from_the_hold():
    assert overdue(["PAYMENT_PROCESSING"], {}, since=NOW - hours(6)) == ["PAYMENT_PROCESSING"]
    assert overdue(["PAYMENT_PROCESSING"], {}, since=NOW - hours(5.9)) == []


@pytest.mark.parametrize(
    ("rechecks", "expected"), [(0, []), (1, []), (2, []), (3, ["FREIGHT_UNPAID"]), (10, ["FREIGHT_UNPAID"])]
)
def test_freight_unpaid_is_overdue_from_the_third_re_check(rechecks, expected):
    facts = {"freight": Fact("pending", NOW - hours(100), "ev-frt")}
    # However old: freight escalates on re-checks, not on age.
    assert overdue(["FREIGHT_UNPAID"], facts, since=NOW - hours(100), rechecks=rechecks) == expected


@pytest.mark.parametrize(
    "code",
    [
        "PAYMENT_UNKNOWN",
        "PAYMENT_UNPAID",
        "PAYMENT_AWAITING_CONFIRMATION",
        "PAYMENT_FAILED",
        "RISK_REVIEW",
        "CANCEL_REQUESTED",
        "TRACKING_NUMBER_PENDING",
        "SHIPPING_NOTICE_MISSING",
        "ORDER_UNKNOWN",
        "RULE_ERROR",
    ],
)
def test_other_reasons_never_escalate_on_their_own(code):
    assert overdue([code], {}, since=NOW - hours(1000), rechecks=1000) == []


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (SHIP_BY_MARGIN + timedelta(seconds=1), []),
        (SHIP_BY_MARGIN, [NEAR_SHIP_BY]),
        (hours(1), [NEAR_SHIP_BY]),
        (-hours(3), [NEAR_SHIP_BY]),  # already late
    ],
)
def test_any_hold_within_twelve_hours_of_ship_by_is_overdue(left, expected):
    assert SHIP_BY_MARGIN == hours(12)
    assert overdue(["RISK_REVIEW"], ship_by=NOW + left) == expected
    assert overdue(["SHIPPING_NOTICE_MISSING", "CANCEL_REQUESTED"], ship_by=NOW + left) == expected


def test_no_ship_by_means_no_deadline():
    assert overdue(["RISK_REVIEW"], ship_by=None) == []


def test_every_cause_is_named_in_reason_order_with_the_deadline_last():
    facts = {**processing(NOW - hours(8)), "freight": Fact("failed", NOW - hours(1), "ev-frt")}
    why = overdue(["RISK_REVIEW", "PAYMENT_PROCESSING", "FREIGHT_UNPAID"], facts, rechecks=3, ship_by=NOW + hours(2))
    assert why == ["PAYMENT_PROCESSING", "FREIGHT_UNPAID", NEAR_SHIP_BY]


def test_a_code_the_store_does_not_know_is_skipped_not_an_error():
    assert overdue(["NOT_A_REASON"], {}, since=NOW - hours(100), rechecks=100) == []


def test_a_store_may_tune_the_escalation_age_and_re_check_count():
    config = parse_rules(
        '[stores."shop-42".PAYMENT_PROCESSING]\nescalate_after_hours = 2\n'
        '[stores."shop-42".FREIGHT_UNPAID]\nescalate_after_rechecks = 1\n'
    )
    shop = config.for_store("shop-42")
    facts = processing(NOW - hours(3))
    assert overdue(["PAYMENT_PROCESSING"], facts, store=shop) == ["PAYMENT_PROCESSING"]
    assert overdue(["PAYMENT_PROCESSING"], facts, store=config.for_store("other")) == []
    assert overdue(["FREIGHT_UNPAID"], rechecks=1, store=shop) == ["FREIGHT_UNPAID"]
    assert overdue(["FREIGHT_UNPAID"], rechecks=1, store=config.for_store("other")) == []


def test_a_reason_escalating_both_by_age_and_by_re_checks_is_named_once():
    config = parse_rules("[defaults.PAYMENT_PROCESSING]\nescalate_after_rechecks = 2\n")
    why = overdue(["PAYMENT_PROCESSING"], processing(NOW - hours(7)), rechecks=5, store=config.defaults)
    assert why == ["PAYMENT_PROCESSING"]


def test_the_answer_does_not_depend_on_the_offset_times_are_written_in():
    beijing = timezone(hours(8))
    facts = processing((NOW - hours(6)).astimezone(beijing))
    assert overdue(["PAYMENT_PROCESSING"], facts, since=NOW.astimezone(beijing)) == ["PAYMENT_PROCESSING"]
