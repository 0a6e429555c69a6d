"""AliExpress words map to the guard's facts as docs/integration.md says, word by word (contract v1.1)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard.facts import SEVERITY
from guard.platform_statuses import (
    END_REASON,
    FROZEN_STATUS,
    FUND_STATUS,
    ISSUE_STATUS,
    MAIN_STATUS,
    aliexpress_facts,
)


def facts(status, **fields):
    """Fact type → status, leaving out the bookkeeping of known words."""
    return {f.fact_type: f.status for f in aliexpress_facts(status, **fields) if f.fact_type != "platform_word"}


def sources(status, **fields):
    return {f.fact_type: f.source for f in aliexpress_facts(status, **fields)}


@pytest.mark.parametrize(
    "status, expected",
    [
        ("PLACE_ORDER_SUCCESS", {"payment": "unpaid", "settlement": "none"}),
        ("RISK_CONTROL", {"payment": "paid", "risk": "reviewing", "settlement": "none"}),
        ("WAIT_SELLER_EXAMINE_MONEY", {"payment": "awaiting_confirmation", "settlement": "none"}),
        ("FUND_PROCESSING", {"settlement": "processing"}),
        (
            "WAIT_SELLER_SEND_GOODS",
            {"payment": "paid", "risk": "cleared", "cancellation": "none", "settlement": "none"},
        ),
        ("SELLER_PART_SEND_GOODS", {"payment": "paid", "risk": "cleared", "settlement": "none"}),
        ("IN_CANCEL", {"payment": "paid", "cancellation": "requested", "settlement": "none"}),
        ("IN_FROZEN", {"risk": "reviewing", "settlement": "none"}),
        ("IN_ISSUE", {"payment": "paid", "dispute": "open", "settlement": "none"}),
        ("WAIT_BUYER_ACCEPT_GOODS", {"payment": "paid", "risk": "cleared", "settlement": "none"}),
        ("FINISH", {"order": "closed", "settlement": "none"}),
    ],
)
def test_each_main_status_sets_its_facts(status, expected):
    assert facts(status) == expected


def test_fund_processing_is_a_settlement_not_a_payment_in_progress():
    # It used to raise the waivable PAYMENT_PROCESSING: a supervisor could release a refunded parcel.
    assert "payment" not in facts("FUND_PROCESSING")
    assert facts("FUND_PROCESSING")["settlement"] == "processing"


def test_a_dispute_is_not_a_risk_review():
    assert "risk" not in facts("IN_ISSUE")


def test_every_documented_word_is_mapped():
    assert len(MAIN_STATUS) == 11
    assert set(FUND_STATUS) == {"NOT_PAY", "PAY_SUCCESS", "WAIT_SELLER_CHECK"}
    assert set(FROZEN_STATUS) == {"NO_FROZEN", "IN_FROZEN"}
    assert set(ISSUE_STATUS) == {"NO_ISSUE", "IN_ISSUE", "END_ISSUE"}
    assert len(END_REASON) == 10


@pytest.mark.parametrize(
    "end_reason, expected",
    [
        ("risk_reject_closed", {"risk": "closed", "order": "closed"}),
        ("buyer_cancel_order_in_risk", {"risk": "closed", "order": "closed"}),
        ("buyer_pay_timeout", {"order": "closed"}),
        ("buyer_cancel_notpay_order", {"order": "closed"}),
        ("cancel_order_close_trade", {"cancellation": "accepted", "order": "closed"}),
        ("seller_send_goods_timeout", {"order": "closed"}),
        ("buyer_accept_goods", {"order": "closed"}),
        (None, {"order": "closed"}),
    ],
)
def test_finish_reads_its_end_reason(end_reason, expected):
    assert facts("FINISH", end_reason=end_reason) == {**expected, "settlement": "none"}


@pytest.mark.parametrize(
    "status, fields, fact_type, expected",
    [
        ("WAIT_SELLER_SEND_GOODS", {"frozen_status": "IN_FROZEN"}, "risk", "reviewing"),
        ("RISK_CONTROL", {"frozen_status": "NO_FROZEN"}, "risk", "reviewing"),
        ("RISK_CONTROL", {"fund_status": "PAY_SUCCESS"}, "payment", "paid"),
        ("WAIT_SELLER_SEND_GOODS", {"fund_status": "NOT_PAY"}, "payment", "unpaid"),
        ("WAIT_SELLER_SEND_GOODS", {"fund_status": "WAIT_SELLER_CHECK"}, "payment", "awaiting_confirmation"),
        ("WAIT_BUYER_ACCEPT_GOODS", {"issue_status": "IN_ISSUE"}, "dispute", "open"),
        ("IN_ISSUE", {"issue_status": "END_ISSUE"}, "dispute", "open"),
        ("WAIT_BUYER_ACCEPT_GOODS", {"issue_status": "END_ISSUE"}, "dispute", "ended"),
        ("WAIT_SELLER_SEND_GOODS", {"issue_status": "NO_ISSUE"}, "dispute", "none"),
        ("PLACE_ORDER_SUCCESS", {"fund_status": "WAIT_SELLER_CHECK"}, "payment", "unpaid"),
    ],
)
def test_the_detail_fields_merge_to_the_most_severe_within_the_event(status, fields, fact_type, expected):
    assert facts(status, **fields)[fact_type] == expected


@pytest.mark.parametrize("word", ["PAY_SUCCESS", "NO_FROZEN"])
def test_all_clear_words_set_nothing_on_their_own(word):
    field = "fund_status" if word == "PAY_SUCCESS" else "frozen_status"
    assert facts("IN_FROZEN", **{field: word}) == facts("IN_FROZEN")


def test_each_fact_names_the_word_that_set_it():
    got = sources("WAIT_SELLER_SEND_GOODS", fund_status="NOT_PAY", frozen_status="IN_FROZEN")
    assert got["payment"] == "fund_status=NOT_PAY"
    assert got["risk"] == "frozen_status=IN_FROZEN"
    assert got["cancellation"] == "status=WAIT_SELLER_SEND_GOODS"
    assert sources("FINISH", end_reason="risk_reject_closed")["risk"] == "end_reason=risk_reject_closed"


@pytest.mark.parametrize(
    "status, fields, named",
    [
        ("SOMETHING_NEW", {}, "status=SOMETHING_NEW"),
        ("WAIT_SELLER_SEND_GOODS", {"fund_status": "PARTIAL_PAY"}, "fund_status=PARTIAL_PAY"),
        ("WAIT_SELLER_SEND_GOODS", {"frozen_status": "HALF_FROZEN"}, "frozen_status=HALF_FROZEN"),
        ("WAIT_SELLER_SEND_GOODS", {"issue_status": "ISSUE_APPEAL"}, "issue_status=ISSUE_APPEAL"),
        ("FINISH", {"end_reason": "brand_new_reason"}, "end_reason=brand_new_reason"),
    ],
)
def test_an_unknown_word_is_kept_and_named_not_refused(status, fields, named):
    word = {f.fact_type: f for f in aliexpress_facts(status, **fields)}["platform_word"]
    assert (word.status, word.source) == ("unknown", named)


def test_an_unknown_main_status_sets_nothing_else_but_its_known_fields_still_count():
    got = facts("SOMETHING_NEW", issue_status="IN_ISSUE")
    assert got == {"dispute": "open"}  # no settlement `none` either: the word may mean anything


def test_an_unknown_end_reason_still_closes_the_order():
    assert facts("FINISH", end_reason="brand_new_reason")["order"] == "closed"


def test_only_known_words_say_so():
    word = {f.fact_type: f for f in aliexpress_facts("WAIT_SELLER_SEND_GOODS")}["platform_word"]
    assert word.status == "known"


def test_end_reason_beside_another_status_means_nothing():
    assert facts("WAIT_SELLER_SEND_GOODS", end_reason="risk_reject_closed") == facts("WAIT_SELLER_SEND_GOODS")


def test_logistics_init_means_the_tracking_number_is_pending():
    assert facts("WAIT_SELLER_SEND_GOODS", logistics_status="init")["shipping_notice"] == "awaiting_tracking"


def test_a_later_logistics_status_with_a_number_means_the_notice_is_still_to_record():
    got = facts("WAIT_SELLER_SEND_GOODS", logistics_status="wait_warehouse_receive_goods", tracking_number="LP1")
    assert got["shipping_notice"] == "tracking_assigned"


def test_a_later_logistics_status_without_a_number_changes_no_notice():
    assert "shipping_notice" not in facts("WAIT_SELLER_SEND_GOODS", logistics_status="warehouse_send_goods")


def test_a_tracking_number_alone_is_assigned_not_recorded():
    assert facts("WAIT_SELLER_SEND_GOODS", tracking_number="LP1")["shipping_notice"] == "tracking_assigned"


def test_shipped_with_a_tracking_number_is_recorded_whatever_the_logistics_view():
    for logistics in (None, "init", "warehouse_send_goods"):
        got = facts("WAIT_BUYER_ACCEPT_GOODS", logistics_status=logistics, tracking_number="LP1")
        assert got["shipping_notice"] == "recorded"


WORDS = st.fixed_dictionaries(
    {},
    optional={
        "fund_status": st.sampled_from(sorted(FUND_STATUS)),
        "frozen_status": st.sampled_from(sorted(FROZEN_STATUS)),
        "issue_status": st.sampled_from(sorted(ISSUE_STATUS)),
    },
)


@given(status=st.sampled_from(sorted(MAIN_STATUS)), fields=WORDS)
def test_a_detail_field_can_only_make_a_fact_stricter(status, fields):
    plain, merged = facts(status), facts(status, **fields)
    for fact_type, value in plain.items():
        order = SEVERITY.get(fact_type)
        if order is not None:
            assert order[merged[fact_type]] >= order[value]


@given(status=st.sampled_from(sorted(MAIN_STATUS)), fields=WORDS)
def test_each_fact_is_set_once_per_event(status, fields):
    kinds = [f.fact_type for f in aliexpress_facts(status, **fields)]
    assert len(kinds) == len(set(kinds))
