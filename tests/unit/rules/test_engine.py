"""The engine: all reasons, the worst verdict, fail closed, waivers and store settings."""

from datetime import UTC, datetime, timedelta

import pytest

from guard.facts import Fact
from guard.rules import REASONS, RULES, StoreRules, evaluate, parse_rules

NOW = datetime(2024, 11, 11, 12, 0, tzinfo=UTC)
SEEN = NOW - timedelta(minutes=3)


def fact(status, event_id=None, tracking_number=None, at=SEEN):
    return Fact(status, at, event_id=event_id, tracking_number=tracking_number)


def clear_facts(**overrides):
    """A fully clear order; keyword arguments swap in other facts."""
    facts = {
        "order": fact("open", "ev-order"),
        "risk": fact("cleared", "ev-risk"),
        "cancellation": fact("rejected", "ev-cancel"),
        "payment": fact("paid", "ev-pay"),
        "shipping_notice": fact("recorded", "ev-notice", "LP00123"),
        "freight": fact("paid", "ev-freight"),
    }
    facts.update(overrides)
    return facts


def test_fully_clear_order_is_clear_with_no_reasons():
    result = evaluate(clear_facts(), NOW)
    assert result.verdict == "clear"
    assert result.reasons == () and result.waived == ()


@pytest.mark.parametrize(
    "defaults",
    [
        {"risk": fact("none"), "cancellation": fact("none"), "freight": fact("not_applicable")},
        {},  # absent risk, cancellation, order and freight facts mean none/open/not_applicable
    ],
)
def test_clear_with_default_statuses(defaults):
    facts = {"payment": fact("paid"), "shipping_notice": fact("recorded", tracking_number="LP1"), **defaults}
    assert evaluate(facts, NOW).verdict == "clear"


def test_no_facts_at_all_gives_only_order_unknown():
    result = evaluate({}, NOW)
    assert result.verdict == "hold"
    assert result.codes == ["ORDER_UNKNOWN"]


def test_all_reasons_are_returned_together():
    facts = clear_facts(
        risk=fact("reviewing"),
        cancellation=fact("requested"),
        payment=fact("processing"),
        shipping_notice=fact("awaiting_tracking"),
        freight=fact("failed"),
    )
    assert evaluate(facts, NOW).codes == [
        "RISK_REVIEW",
        "CANCEL_REQUESTED",
        "PAYMENT_PROCESSING",
        "TRACKING_NUMBER_PENDING",
        "FREIGHT_UNPAID",
    ]


def test_each_reason_names_the_rule_that_raised_it():
    facts = clear_facts(risk=fact("reviewing"), payment=fact("unpaid"))
    assert [(f.code, f.rule) for f in evaluate(facts, NOW).reasons] == [
        ("RISK_REVIEW", "risk"),
        ("PAYMENT_UNPAID", "payment"),
    ]


def test_block_beats_hold():
    facts = clear_facts(order=fact("closed"), payment=fact("processing"), risk=fact("reviewing"))
    result = evaluate(facts, NOW)
    assert result.verdict == "block"
    assert result.codes == ["ORDER_CLOSED", "RISK_REVIEW", "PAYMENT_PROCESSING"]


def test_hold_beats_clear():
    assert evaluate(clear_facts(freight=fact("pending")), NOW).verdict == "hold"


def test_each_finding_carries_its_own_verdict():
    facts = clear_facts(risk=fact("closed"), payment=fact("processing"))
    assert {f.code: f.verdict for f in evaluate(facts, NOW).reasons} == {
        "RISK_CLOSED": "block",
        "PAYMENT_PROCESSING": "hold",
    }


def test_payment_processing_holds():
    result = evaluate(clear_facts(payment=fact("processing")), NOW)
    assert (result.verdict, result.codes) == ("hold", ["PAYMENT_PROCESSING"])


def test_missing_payment_fact_holds_rather_than_assuming_paid():
    facts = clear_facts()
    del facts["payment"]
    assert evaluate(facts, NOW).codes == ["PAYMENT_UNKNOWN"]


def test_tracking_assigned_still_holds_until_the_notice_is_recorded():
    result = evaluate(clear_facts(shipping_notice=fact("tracking_assigned", tracking_number="LP1")), NOW)
    assert result.codes == ["SHIPPING_NOTICE_MISSING"]


# --- fail closed ---------------------------------------------------------------


def _raises(facts):
    raise RuntimeError("rule bug")


def test_rule_that_raises_holds_with_rule_error():
    result = evaluate(clear_facts(), NOW, rules=(*RULES, ("broken", _raises)))
    assert result.verdict == "hold"
    assert [(f.code, f.rule) for f in result.reasons] == [("RULE_ERROR", "broken")]


def test_rule_error_is_never_clear_even_if_every_other_rule_passes():
    result = evaluate(clear_facts(), NOW, rules=(("broken", _raises),))
    assert result.verdict != "clear"


def test_rule_error_keeps_the_other_rules_reasons():
    facts = clear_facts(order=fact("closed"))
    result = evaluate(facts, NOW, rules=(("broken", _raises), *RULES))
    assert result.codes == ["RULE_ERROR", "ORDER_CLOSED"]
    assert result.verdict == "block"


@pytest.mark.parametrize(
    "broken_rule",
    [
        lambda facts: ["NOT_A_CODE"],
        lambda facts: None,
        lambda facts: [["PAYMENT_UNPAID"]],
    ],
    ids=["unknown code", "returns None", "returns nested list"],
)
def test_rule_returning_nonsense_holds_with_rule_error(broken_rule):
    result = evaluate(clear_facts(), NOW, rules=(("odd", broken_rule),))
    assert (result.verdict, result.codes) == ("hold", ["RULE_ERROR"])


@pytest.mark.parametrize(
    "fact_type, status",
    [("shipping_notice", "Recorded"), ("payment", "settled"), ("risk", "REVIEWING"), ("order", "")],
)
def test_unknown_status_holds_with_rule_error_instead_of_reading_as_default(fact_type, status):
    result = evaluate(clear_facts(**{fact_type: fact(status)}), NOW)
    assert result.verdict == "hold"
    assert [(f.code, f.rule) for f in result.reasons] == [("RULE_ERROR", fact_type)]


def test_rule_error_cannot_be_waived():
    result = evaluate(clear_facts(), NOW, waivers={"RULE_ERROR": None}, rules=(("broken", _raises),))
    assert result.codes == ["RULE_ERROR"] and result.waived == ()


# --- re-check times ------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"payment": fact("processing")}, "PAYMENT_PROCESSING"),
        ({"freight": fact("pending")}, "FREIGHT_UNPAID"),
        ({"shipping_notice": fact("awaiting_tracking")}, "TRACKING_NUMBER_PENDING"),
        ({"risk": fact("reviewing")}, "RISK_REVIEW"),
    ],
)
def test_recheck_at_is_now_plus_the_reasons_interval(overrides, code):
    (finding,) = evaluate(clear_facts(**overrides), NOW).reasons
    assert finding.code == code
    assert finding.recheck_at == NOW + REASONS[code].recheck_after


def test_order_unknown_is_rechecked_too():
    (finding,) = evaluate({}, NOW).reasons
    assert finding.recheck_at == NOW + REASONS["ORDER_UNKNOWN"].recheck_after


def test_blocks_are_not_rechecked():
    (finding,) = evaluate(clear_facts(order=fact("closed")), NOW).reasons
    assert finding.recheck_at is None


def test_recheck_at_follows_the_stores_interval():
    store = parse_rules('[stores."shop-42".PAYMENT_PROCESSING]\nrecheck_minutes = 20\n').for_store("shop-42")
    (finding,) = evaluate(clear_facts(payment=fact("processing")), NOW, store).reasons
    assert finding.recheck_at == NOW + timedelta(minutes=20)


# --- waivers -------------------------------------------------------------------


def test_waiver_on_the_same_fact_moves_the_reason_to_waived_and_clears():
    facts = clear_facts(freight=fact("pending", "ev-freight-7"))
    result = evaluate(facts, NOW, waivers={"FREIGHT_UNPAID": "ev-freight-7"})
    assert result.verdict == "clear"
    assert result.codes == []
    assert [f.code for f in result.waived] == ["FREIGHT_UNPAID"]


def test_waiver_leaves_unwaived_reasons_holding():
    facts = clear_facts(freight=fact("pending", "ev-freight-7"), cancellation=fact("requested", "ev-c"))
    result = evaluate(facts, NOW, waivers={"FREIGHT_UNPAID": "ev-freight-7"})
    assert (result.verdict, result.codes) == ("hold", ["CANCEL_REQUESTED"])
    assert [f.code for f in result.waived] == ["FREIGHT_UNPAID"]


def test_waiver_does_not_apply_once_a_newer_fact_arrives():
    # Waived on ev-pay-1 (processing); the processing fact has since been re-sent as ev-pay-2.
    newer = clear_facts(payment=fact("processing", "ev-pay-2", at=SEEN + timedelta(minutes=1)))
    result = evaluate(newer, NOW, waivers={"PAYMENT_PROCESSING": "ev-pay-1"})
    assert (result.verdict, result.codes, result.waived) == ("hold", ["PAYMENT_PROCESSING"], ())


def test_waiver_for_missing_payment_lapses_when_a_payment_fact_arrives():
    facts = clear_facts()
    del facts["payment"]
    assert evaluate(facts, NOW, waivers={"PAYMENT_UNKNOWN": None}).verdict == "clear"
    facts["payment"] = fact("unpaid", "ev-pay-9")
    result = evaluate(facts, NOW, waivers={"PAYMENT_UNKNOWN": None})
    assert result.codes == ["PAYMENT_UNPAID"]


def test_waiver_for_one_code_does_not_cover_another_on_the_same_fact():
    facts = clear_facts(payment=fact("failed", "ev-pay-3"))
    result = evaluate(facts, NOW, waivers={"PAYMENT_PROCESSING": "ev-pay-3"})
    assert result.codes == ["PAYMENT_FAILED"]


@pytest.mark.parametrize(
    "overrides, code, stamp",
    [
        ({"risk": fact("reviewing", "ev-r")}, "RISK_REVIEW", "ev-r"),
        ({"shipping_notice": fact("missing", "ev-n")}, "SHIPPING_NOTICE_MISSING", "ev-n"),
        ({"shipping_notice": fact("awaiting_tracking", "ev-n")}, "TRACKING_NUMBER_PENDING", "ev-n"),
        ({"order": fact("closed", "ev-o")}, "ORDER_CLOSED", "ev-o"),
        ({"payment": fact("refunded", "ev-p")}, "PAYMENT_REFUNDED", "ev-p"),
    ],
)
def test_waiver_for_a_non_waivable_code_never_applies(overrides, code, stamp):
    result = evaluate(clear_facts(**overrides), NOW, waivers={code: stamp})
    assert result.codes == [code]
    assert result.waived == ()
    assert result.verdict != "clear"


def test_waivers_never_lift_a_block():
    facts = clear_facts(risk=fact("closed", "ev-r"), freight=fact("pending", "ev-f"))
    result = evaluate(facts, NOW, waivers={"FREIGHT_UNPAID": "ev-f", "RISK_CLOSED": "ev-r"})
    assert (result.verdict, result.codes) == ("block", ["RISK_CLOSED"])


def test_order_unknown_cannot_be_waived():
    assert evaluate({}, NOW, waivers={"ORDER_UNKNOWN": None}).codes == ["ORDER_UNKNOWN"]


# --- store settings ------------------------------------------------------------


def test_store_with_a_disabled_waivable_rule_no_longer_gets_that_reason():
    config = parse_rules('[stores."shop-42".FREIGHT_UNPAID]\nenabled = false\n')
    facts = clear_facts(freight=fact("pending"))
    assert evaluate(facts, NOW, config.for_store("shop-42")).verdict == "clear"
    assert evaluate(facts, NOW, config.for_store("shop-7")).codes == ["FREIGHT_UNPAID"]
    assert evaluate(facts, NOW, config.for_store(None)).codes == ["FREIGHT_UNPAID"]


def test_disabling_a_rule_leaves_the_stores_other_reasons():
    store = parse_rules("[defaults.FREIGHT_UNPAID]\nenabled = false\n").defaults
    facts = clear_facts(freight=fact("pending"), payment=fact("processing"))
    assert evaluate(facts, NOW, store).codes == ["PAYMENT_PROCESSING"]


def test_non_waivable_reason_holds_even_if_a_hand_built_store_disables_it():
    # parse_rules refuses this; the engine must not trust that every StoreRules came from it.
    store = StoreRules(disabled=frozenset({"RISK_REVIEW", "SHIPPING_NOTICE_MISSING"}))
    facts = clear_facts(risk=fact("reviewing"), shipping_notice=fact("missing"))
    assert evaluate(facts, NOW, store).codes == ["RISK_REVIEW", "SHIPPING_NOTICE_MISSING"]


class _StatusOnlyFact:
    """A fact that lets a rule read its status and nothing else."""

    def __init__(self, status):
        self.status = status

    def __getattr__(self, name):
        raise AssertionError(f"a rule read fact.{name}; rules may read statuses only")


def test_rules_read_statuses_only_so_verdicts_can_be_shared_by_orders_of_the_same_shape():
    # The wave check reuses one verdict for every order with the same store and
    # statuses (guard/services/checks.py). A rule that read a time or a tracking
    # number would make that wrong: this test is the guard rail.
    from guard.facts import FACT_STATUSES
    from guard.rules.engine import RULES

    for _name, rule in RULES:
        for fact_type, statuses in FACT_STATUSES.items():
            for status in statuses:
                rule({fact_type: _StatusOnlyFact(status)})
