"""Properties of the engine over arbitrary facts (design.md, "The rule engine").

The guard's promise is one-sided: a bad fact can only make a verdict stricter,
and nothing it cannot decide comes out clear.
"""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from guard.facts import FACT_STATUSES, FACT_TYPES, Fact, is_final, replacement_outcome
from guard.rules import REASONS, RULES, WAIVABLE, StoreRules, evaluate
from guard.rules.reasons import SEVERITY

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
)
MOMENTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=ZONES)
EVENT_IDS = st.none() | st.text("abcdef0123456789-", min_size=1, max_size=8)
TRACKING = st.none() | st.text("ABCLP0123456789", min_size=6, max_size=14)


def facts_of(fact_type, statuses=None):
    return st.builds(
        Fact,
        status=st.sampled_from(statuses or FACT_STATUSES[fact_type]),
        occurred_at=MOMENTS,
        event_id=EVENT_IDS,
        tracking_number=TRACKING,
        carrier=st.none() | st.sampled_from(["CAINIAO", "YANWEN"]),
    )


FACTS = st.fixed_dictionaries({}, optional={t: facts_of(t) for t in FACT_TYPES})

# Every fact that on its own puts an order on hold or blocks it, and the code it implies.
BAD_FACTS = {
    ("payment", "unpaid"): "PAYMENT_UNPAID",
    ("payment", "awaiting_confirmation"): "PAYMENT_AWAITING_CONFIRMATION",
    ("payment", "processing"): "PAYMENT_PROCESSING",
    ("payment", "failed"): "PAYMENT_FAILED",
    ("payment", "refunded"): "PAYMENT_REFUNDED",
    ("risk", "reviewing"): "RISK_REVIEW",
    ("risk", "closed"): "RISK_CLOSED",
    ("cancellation", "requested"): "CANCEL_REQUESTED",
    ("cancellation", "accepted"): "ORDER_CANCELLED",
    ("order", "closed"): "ORDER_CLOSED",
    ("shipping_notice", "missing"): "SHIPPING_NOTICE_MISSING",
    ("shipping_notice", "awaiting_tracking"): "TRACKING_NUMBER_PENDING",
    ("shipping_notice", "tracking_assigned"): "SHIPPING_NOTICE_MISSING",
    ("freight", "pending"): "FREIGHT_UNPAID",
    ("freight", "failed"): "FREIGHT_UNPAID",
}


@st.composite
def bad_fact(draw):
    (fact_type, status), code = draw(st.sampled_from(sorted(BAD_FACTS.items())))
    return fact_type, draw(facts_of(fact_type, (status,))), code


def waivers_for(facts):
    stamps = [fact.event_id for fact in facts.values()] + [None]
    return st.dictionaries(st.sampled_from(sorted(REASONS)), EVENT_IDS | st.sampled_from(stamps), max_size=6)


STORES = st.builds(StoreRules, disabled=st.frozensets(st.sampled_from(sorted(WAIVABLE))))


def strictness(evaluation):
    return SEVERITY[evaluation.verdict]


@given(FACTS, bad_fact(), MOMENTS)
def test_replacing_a_standing_fact_with_a_bad_one_never_loosens_the_verdict(facts, bad, now):
    fact_type, incoming, code = bad
    stored = facts.get(fact_type)
    # Contract rule 2: a final fact is never replaced, so it never has to be survived.
    if stored is not None and is_final(fact_type, stored.status):
        return
    before = evaluate(facts, now)
    after = evaluate({**facts, fact_type: incoming}, now)
    assert strictness(after) >= strictness(before)
    assert strictness(after) >= SEVERITY[REASONS[code].verdict]
    assert code in after.codes


@given(FACTS, bad_fact(), MOMENTS)
def test_a_bad_event_under_the_replacement_rules_never_loosens_the_verdict(facts, bad, now):
    fact_type, incoming, code = bad
    outcome = replacement_outcome(fact_type, facts.get(fact_type), incoming)
    after_facts = {**facts, fact_type: incoming} if outcome == "applied" else facts
    before, after = evaluate(facts, now), evaluate(after_facts, now)
    assert strictness(after) >= strictness(before)
    if outcome == "applied":
        assert code in after.codes


@given(FACTS, MOMENTS, STORES, st.data())
def test_verdict_is_the_worst_of_its_reasons(facts, now, store, data):
    result = evaluate(facts, now, store, data.draw(waivers_for(facts)))
    assert strictness(result) == max((SEVERITY[f.verdict] for f in result.reasons), default=0)


@given(FACTS, MOMENTS, STORES, st.data())
def test_never_clear_with_reasons_and_never_reasons_without_a_verdict(facts, now, store, data):
    result = evaluate(facts, now, store, data.draw(waivers_for(facts)))
    assert (result.verdict == "clear") == (result.reasons == ())


@given(FACTS, MOMENTS, STORES, st.data())
def test_only_waivable_reasons_are_ever_waived_or_switched_off(facts, now, store, data):
    plain = evaluate(facts, now)
    tuned = evaluate(facts, now, store, data.draw(waivers_for(facts)))
    assert all(f.code in WAIVABLE for f in tuned.waived)
    firm = [c for c in plain.codes if c not in WAIVABLE]
    assert [c for c in tuned.codes if c not in WAIVABLE] == firm


@given(FACTS, MOMENTS)
def test_every_reason_is_a_known_code_with_its_specs_verdict_and_recheck(facts, now):
    for finding in evaluate(facts, now).reasons:
        spec = REASONS[finding.code]
        assert finding.verdict == spec.verdict
        expected = now + spec.recheck_after if spec.recheck_after is not None else None
        assert finding.recheck_at == expected


@given(FACTS, MOMENTS)
def test_clear_only_when_paid_noticed_and_nothing_pending(facts, now):
    if evaluate(facts, now).verdict != "clear":
        return
    assert facts["payment"].status == "paid"
    assert facts["shipping_notice"].status == "recorded"
    assert facts.get("risk") is None or facts["risk"].status in ("none", "cleared")
    assert facts.get("cancellation") is None or facts["cancellation"].status in ("none", "rejected")
    assert facts.get("order") is None or facts["order"].status == "open"
    assert facts.get("freight") is None or facts["freight"].status in ("not_applicable", "paid")


ANY_STATUS = st.text("abdeilnopRrstuv_ 已é", max_size=12) | st.sampled_from(
    [s for statuses in FACT_STATUSES.values() for s in statuses]
)
JUNK_FACTS = st.dictionaries(
    st.sampled_from([*FACT_TYPES, "platform_status", "unknown"]),
    st.builds(Fact, status=ANY_STATUS, occurred_at=MOMENTS, event_id=EVENT_IDS),
    max_size=8,
)
SOMETIMES_BROKEN_RULES = st.lists(
    st.sampled_from(
        [
            ("fine", lambda facts: []),
            ("raises", lambda facts: 1 / 0),
            ("unknown code", lambda facts: ["NOPE"]),
            ("not a list", lambda facts: None),
            ("holds", lambda facts: ["FREIGHT_UNPAID"]),
        ]
    ),
    max_size=4,
).map(tuple)


@given(JUNK_FACTS, MOMENTS, STORES, SOMETIMES_BROKEN_RULES, st.data())
def test_evaluate_never_raises_and_never_clears_what_it_cannot_read(facts, now, store, extra_rules, data):
    result = evaluate(facts, now, store, data.draw(waivers_for(facts)), rules=(*RULES, *extra_rules))
    unreadable = any(
        fact_type in FACT_STATUSES and fact.status not in FACT_STATUSES[fact_type] for fact_type, fact in facts.items()
    )
    broken = any(name in ("raises", "unknown code", "not a list") for name, _ in extra_rules)
    if facts and (unreadable or broken):
        assert "RULE_ERROR" in result.codes
        assert result.verdict != "clear"
