"""Every reason code: the facts that raise it, its spec, and what it says."""

from datetime import UTC, datetime, timedelta

import pytest

from guard.facts import Fact
from guard.rules import REASONS, WAIVABLE, evaluate
from guard.rules.messages import BUYER_LANGUAGES, MESSAGES

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


# --- the message catalog -------------------------------------------------------


def test_catalog_has_exactly_one_entry_per_reason_code():
    assert set(MESSAGES) == set(REASONS)


def test_buyer_languages_include_the_contracts_minimum():
    assert {"en", "es", "ru", "pt", "fr"} <= set(BUYER_LANGUAGES)


@pytest.mark.parametrize("code", sorted(REASONS))
def test_every_reason_speaks_to_packer_and_buyer_in_every_language(code):
    text = MESSAGES[code]
    assert text.message.strip() and text.message_zh.strip()
    assert set(text.buyer_messages) == set(BUYER_LANGUAGES)
    assert all(text.buyer_messages[lang].strip() for lang in BUYER_LANGUAGES)


@pytest.mark.parametrize("code", sorted(REASONS))
def test_no_translation_is_left_as_the_english(code):
    text = MESSAGES[code]
    assert text.message_zh != text.message
    english = text.buyer_messages["en"]
    for lang in BUYER_LANGUAGES:
        if lang != "en":
            assert text.buyer_messages[lang] != english, lang


@pytest.mark.parametrize("code", sorted(REASONS))
def test_chinese_texts_are_written_in_chinese(code):
    text = MESSAGES[code]
    for zh in (text.message_zh, text.buyer_messages["zh"]):
        assert sum("\u4e00" <= ch <= "\u9fff" for ch in zh) >= 5


@pytest.mark.parametrize("code", sorted(BLOCKS))
def test_block_tells_the_packer_to_return_the_goods_to_stock(code):
    assert MESSAGES[code].message.startswith("Do not ship. Return the goods to stock")


@pytest.mark.parametrize("code", sorted(set(REASONS) - BLOCKS))
def test_hold_sends_the_parcel_to_the_hold_shelf(code):
    assert "hold shelf" in MESSAGES[code].message


# Words that would tell a fraudster the order was flagged.
TIP_OFFS = {
    "en": ("risk", "fraud", "stolen", "suspicious"),
    "es": ("riesgo", "fraude", "robad", "sospech"),
    "ru": ("риск", "мошен", "краден", "подозр"),
    "pt": ("risco", "fraude", "roubad", "suspeit"),
    "fr": ("risque", "fraude", "volé", "suspect"),
    "de": ("risiko", "betrug", "gestohlen", "verdächtig"),
    "zh": ("风控", "风险", "盗刷", "欺诈", "可疑"),
}


@pytest.mark.parametrize("code", sorted(REASONS))
def test_buyer_messages_never_reveal_risk_control(code):
    for lang, words in TIP_OFFS.items():
        text = MESSAGES[code].buyer_messages[lang].lower()
        assert not any(word in text for word in words), (lang, text)


def test_risk_review_is_a_standard_security_check_to_the_buyer():
    assert "standard security check" in MESSAGES["RISK_REVIEW"].buyer_messages["en"]


def test_risk_closed_tells_the_buyer_the_platform_closed_it_and_refunds():
    english = MESSAGES["RISK_CLOSED"].buyer_messages["en"]
    assert "closed by the platform" in english and "refunded" in english


def test_payment_processing_reassures_with_the_seeds_one_to_six_hours():
    assert "1–6 hours" in MESSAGES["PAYMENT_PROCESSING"].buyer_messages["en"]


def test_freight_unpaid_gives_the_seeds_instruction():
    message = MESSAGES["FREIGHT_UNPAID"].message
    assert "10 minutes" in message and "Cainiao" in message
    assert "菜鸟" in MESSAGES["FREIGHT_UNPAID"].message_zh


@pytest.mark.parametrize("code", sorted(REASONS))
def test_buyer_messages_are_short(code):
    # Quick replies: one or two short sentences, pasted as they are.
    for lang, text in MESSAGES[code].buyer_messages.items():
        assert len(text) <= 200, (lang, len(text))
