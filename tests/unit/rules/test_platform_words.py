"""What the platform's words change in the engine (contract v1.1).

PAYMENT_UNPAID set by an AliExpress word is the seed's "payment processing": not waivable,
re-checked every 30 minutes, overdue after 6 hours — while a plain `payment unpaid` event
keeps the v1 rule. A reason resting on a fact without a time of its own is never waived.
An unknown word holds with RULE_ERROR naming the field and the word.
"""

from datetime import UTC, datetime, timedelta

from guard.facts import Fact
from guard.rules import evaluate, parse_rules
from guard.rules.escalation import overdue_because

NOW = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


def paid_and_recorded(**facts):
    base = {
        "payment": Fact("paid", NOW, "ev-pay"),
        "shipping_notice": Fact("recorded", NOW, "ev-notice", "LP1"),
    }
    return {**base, **facts}


def unpaid(source=None, untimed=False, at=NOW):
    return Fact("unpaid", at, "ev-unpaid", source=source, untimed=untimed)


def finding(evaluation, code):
    return next(f for f in evaluation.reasons if f.code == code)


def test_payment_unpaid_from_a_plain_event_stays_waivable():
    facts = paid_and_recorded(payment=unpaid())
    assert finding(evaluate(facts, NOW), "PAYMENT_UNPAID").waivable


def test_payment_unpaid_from_the_platform_is_not_waivable():
    facts = paid_and_recorded(payment=unpaid("status=PLACE_ORDER_SUCCESS"))
    got = finding(evaluate(facts, NOW), "PAYMENT_UNPAID")
    assert not got.waivable
    assert got.recheck_at == NOW + timedelta(minutes=30)


def test_a_waiver_does_not_clear_payment_unpaid_from_the_platform():
    facts = paid_and_recorded(payment=unpaid("fund_status=NOT_PAY"))
    result = evaluate(facts, NOW, waivers={"PAYMENT_UNPAID": "ev-unpaid"})
    assert result.verdict == "hold" and result.waived == ()


def test_payment_unpaid_from_the_platform_is_overdue_after_six_hours_at_the_source():
    store = parse_rules("").defaults
    fresh = {"payment": unpaid("status=PLACE_ORDER_SUCCESS", at=NOW - timedelta(hours=5))}
    old = {"payment": unpaid("status=PLACE_ORDER_SUCCESS", at=NOW - timedelta(hours=6))}
    plain_old = {"payment": unpaid(at=NOW - timedelta(hours=30))}
    kwargs = {"since": NOW, "rechecks": 0, "ship_by": None, "now": NOW, "store": store}
    assert overdue_because(["PAYMENT_UNPAID"], fresh, **kwargs) == []
    assert overdue_because(["PAYMENT_UNPAID"], old, **kwargs) == ["PAYMENT_UNPAID"]
    assert overdue_because(["PAYMENT_UNPAID"], plain_old, **kwargs) == []


def test_a_store_that_switches_off_payment_unpaid_still_holds_the_platforms():
    store = parse_rules('[stores."shop-1".PAYMENT_UNPAID]\nenabled = false\nescalate_after_hours = 2').for_store(
        "shop-1"
    )
    assert evaluate(paid_and_recorded(payment=unpaid()), NOW, store).verdict == "clear"
    platform = evaluate(paid_and_recorded(payment=unpaid("status=PLACE_ORDER_SUCCESS")), NOW, store)
    assert platform.codes == ["PAYMENT_UNPAID"]
    # Its timers follow the store's tuning all the same.
    assert store.platform_specs["PAYMENT_UNPAID"].escalate_after == timedelta(hours=2)


def test_a_reason_resting_on_an_untimed_fact_is_never_waived():
    facts = paid_and_recorded(cancellation=Fact("requested", NOW, "imp-1", untimed=True))
    result = evaluate(facts, NOW, waivers={"CANCEL_REQUESTED": "imp-1"})
    assert result.verdict == "hold" and not finding(result, "CANCEL_REQUESTED").waivable


def test_an_unknown_platform_word_holds_and_names_the_field_and_the_word():
    facts = paid_and_recorded(platform_word=Fact("unknown", NOW, "ev-9", source="fund_status=PARTIAL_PAY"))
    result = evaluate(facts, NOW)
    assert result.verdict == "hold"
    error = finding(result, "RULE_ERROR")
    assert "fund_status=PARTIAL_PAY" in error.detail and not error.waivable


def test_known_words_hold_nothing():
    facts = paid_and_recorded(platform_word=Fact("known", NOW, "ev-9", source="status=WAIT_SELLER_SEND_GOODS"))
    assert evaluate(facts, NOW).verdict == "clear"
