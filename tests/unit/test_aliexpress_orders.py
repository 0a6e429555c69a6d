"""What an open-platform answer about one order means (guard/aliexpress_orders.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from guard.aliexpress_orders import BadOrder, dst_change_near, needs_detail, order_events, query_range
from guard.events import parse_batch

ANSWERED = datetime(2026, 11, 10, 20, 0, tzinfo=UTC)


def dto(**fields):
    return {
        "order_id": 8190000000001,
        "order_status": "WAIT_SELLER_SEND_GOODS",
        "gmt_update": "2026-11-10 08:06:40",
        "fund_status": "PAY_SUCCESS",
        "frozen_status": "NO_FROZEN",
        "issue_status": "NO_ISSUE",
        "end_reason": "",
        **fields,
    }


def test_an_order_is_one_event_at_its_own_pacific_modification_time_and_parses():
    [event] = order_events(dto(), None, store_id="shop-1", answered_at=ANSWERED)
    assert event["occurred_at"] == "2026-11-10T16:06:40+00:00"
    assert (event["status"], event["fund_status"], event["store_id"]) == (
        "WAIT_SELLER_SEND_GOODS",
        "PAY_SUCCESS",
        "shop-1",
    )
    assert "end_reason" not in event  # an empty end_reason, and one beside another status, say nothing
    [parsed] = parse_batch({"events": [event]}, ANSWERED)
    assert dict(parsed.facts)["payment"].status == "paid"


def test_the_details_modification_time_and_words_win():
    detail = {"gmt_modified": "2026-11-10 09:00:00", "order_status": "FINISH", "order_end_reason": "risk_reject_closed"}
    [event] = order_events(dto(), detail, store_id=None, answered_at=ANSWERED)
    assert (event["status"], event["end_reason"], event["occurred_at"]) == (
        "FINISH",
        "risk_reject_closed",
        "2026-11-10T17:00:00+00:00",
    )


def test_each_tracking_number_is_an_event_of_its_own():
    detail = {
        "logistic_info_list": {
            "global_aeop_tp_logistic_info_dto": [
                {"logistics_no": "LP1", "logistics_service_name": "Cainiao"},
                {"logistics_no": "LP2"},
                {"logistics_no": "LP1"},
            ]
        }
    }
    events = order_events(dto(order_status="WAIT_BUYER_ACCEPT_GOODS"), detail, store_id=None, answered_at=ANSWERED)
    assert [(e["tracking_number"], e.get("carrier")) for e in events] == [("LP1", "Cainiao"), ("LP2", None)]
    assert len({e["event_id"] for e in events}) == 2


def test_the_same_answer_twice_is_the_same_event_and_a_change_is_another():
    first = order_events(dto(), None, store_id=None, answered_at=ANSWERED)[0]["event_id"]
    assert order_events(dto(), None, store_id=None, answered_at=ANSWERED + timedelta(hours=1))[0]["event_id"] == first
    assert (
        order_events(dto(frozen_status="IN_FROZEN"), None, store_id=None, answered_at=ANSWERED)[0]["event_id"] != first
    )


def test_ship_by_is_the_answer_plus_the_time_left():
    [event] = order_events(
        dto(left_send_good_day="2", left_send_good_hour="3", left_send_good_min="30"),
        None,
        store_id=None,
        answered_at=ANSWERED,
    )
    assert event["ship_by"] == (ANSWERED + timedelta(days=2, hours=3, minutes=30)).isoformat()


@pytest.mark.parametrize("order", [dto(order_id=None), dto(gmt_update=""), dto(gmt_update="soon")])
def test_an_order_that_cannot_be_read_is_named(order):
    with pytest.raises(BadOrder):
        order_events(order, None, store_id=None, answered_at=ANSWERED)


def test_only_orders_whose_goods_left_need_their_detail():
    assert needs_detail(dto(logistics_status="SELLER_SEND_GOODS"))
    assert needs_detail(dto(order_status="WAIT_BUYER_ACCEPT_GOODS"))
    assert not needs_detail(dto(logistics_status="WAIT_SELLER_SEND_GOODS"))


def test_windows_near_a_daylight_saving_change_are_widened_on_both_sides():
    start, end = datetime(2026, 11, 1, 8, 40, tzinfo=UTC), datetime(2026, 11, 1, 9, 20, tzinfo=UTC)
    assert dst_change_near(start, end)
    assert query_range(start, end, latest=end + timedelta(hours=5)) == (
        start - timedelta(hours=2),
        end + timedelta(hours=2),
    )
    assert query_range(start, end, latest=end) == (start - timedelta(hours=2), end)  # never past what may be asked
    calm = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert query_range(calm, calm + timedelta(hours=6), latest=calm + timedelta(days=1)) == (
        calm,
        calm + timedelta(hours=6),
    )
    assert dst_change_near(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
