"""AliExpress words map to the guard's facts exactly as platform-statuses.md says, word by word."""

import pytest

from guard.platform_statuses import END_REASON, MAIN_STATUS, aliexpress_facts


def facts(status, end_reason=None, logistics_status=None, tracking_number=None):
    return dict(
        aliexpress_facts(
            status, end_reason=end_reason, logistics_status=logistics_status, tracking_number=tracking_number
        )
    )


@pytest.mark.parametrize(
    "status, expected",
    [
        ("PLACE_ORDER_SUCCESS", {"payment": "unpaid"}),
        ("RISK_CONTROL", {"payment": "paid", "risk": "reviewing"}),
        ("WAIT_SELLER_EXAMINE_MONEY", {"payment": "awaiting_confirmation"}),
        ("FUND_PROCESSING", {"payment": "processing"}),
        ("WAIT_SELLER_SEND_GOODS", {"payment": "paid", "risk": "cleared", "cancellation": "none"}),
        ("SELLER_PART_SEND_GOODS", {"payment": "paid", "risk": "cleared"}),
        ("IN_CANCEL", {"cancellation": "requested"}),
        ("IN_FROZEN", {"risk": "reviewing"}),
        ("IN_ISSUE", {"risk": "reviewing"}),
        ("WAIT_BUYER_ACCEPT_GOODS", {"payment": "paid", "risk": "cleared"}),
        ("FINISH", {"order": "closed"}),
    ],
)
def test_each_main_status_sets_its_facts(status, expected):
    assert facts(status) == expected


def test_every_documented_word_is_mapped():
    assert len(MAIN_STATUS) == 11 and len(END_REASON) == 5


@pytest.mark.parametrize(
    "end_reason, expected",
    [
        ("risk_reject_closed", {"risk": "closed", "order": "closed"}),
        ("buyer_cancel_order_in_risk", {"risk": "closed", "order": "closed"}),
        ("buyer_pay_timeout", {"order": "closed"}),
        ("buyer_cancel_notpay_order", {"order": "closed"}),
        ("cancel_order_close_trade", {"cancellation": "accepted", "order": "closed"}),
        ("seller_send_goods_timeout", {"order": "closed"}),
        (None, {"order": "closed"}),
    ],
)
def test_finish_reads_its_end_reason(end_reason, expected):
    assert facts("FINISH", end_reason=end_reason) == expected


def test_logistics_init_means_the_tracking_number_is_pending():
    assert facts("WAIT_SELLER_SEND_GOODS", logistics_status="init")["shipping_notice"] == "awaiting_tracking"


def test_a_later_logistics_status_with_a_number_means_the_notice_is_still_to_record():
    assert (
        facts("WAIT_SELLER_SEND_GOODS", logistics_status="wait_warehouse_receive_goods", tracking_number="LP1")[
            "shipping_notice"
        ]
        == "tracking_assigned"
    )


def test_a_later_logistics_status_without_a_number_changes_no_notice():
    assert "shipping_notice" not in facts("WAIT_SELLER_SEND_GOODS", logistics_status="warehouse_send_goods")


def test_a_tracking_number_alone_is_assigned_not_recorded():
    assert facts("WAIT_SELLER_SEND_GOODS", tracking_number="LP1")["shipping_notice"] == "tracking_assigned"


def test_shipped_with_a_tracking_number_is_recorded_whatever_the_logistics_view():
    for logistics in (None, "init", "warehouse_send_goods"):
        got = facts("WAIT_BUYER_ACCEPT_GOODS", logistics_status=logistics, tracking_number="LP1")
        assert got["shipping_notice"] == "recorded"


def test_an_unknown_status_is_refused():
    with pytest.raises(KeyError):
        facts("SOMETHING_NEW")
