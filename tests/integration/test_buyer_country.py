"""The buyer's country (contract v1.1): an optional field on any event, kept on the order.

Customer service answers the buyer in the buyer's language first: the hold board
reads `buyer_country` from the hold items and offers that language's quick reply
at the top. The country follows the newest source time, like `ship_by`.
"""

from __future__ import annotations

import pytest

from support.api import CLEAR_FACTS, assert_error


def order(guard, order_id: str) -> dict:
    response = guard.client.get(f"/v1/orders/{order_id}", headers=guard.auth())
    assert response.status_code == 200, response.text
    return response.json()


def test_the_buyers_country_is_kept_on_the_order_upper_cased(guard):
    guard.push(guard.event("o-bc", "payment", "paid", 10, buyer_country="br"))
    assert order(guard, "o-bc")["buyer_country"] == "BR"


def test_an_order_without_a_country_says_so(guard):
    guard.push(guard.event("o-nobc", "payment", "paid", 10))
    assert order(guard, "o-nobc")["buyer_country"] is None


def test_the_newest_source_time_wins_so_a_lagging_event_cannot_move_the_country_back(guard):
    guard.push(guard.event("o-lag", "payment", "paid", 10, buyer_country="FR"))
    guard.push(guard.event("o-lag", "risk", "cleared", 5, buyer_country="DE"))  # older view of the order
    assert order(guard, "o-lag")["buyer_country"] == "FR"
    guard.push(guard.event("o-lag", "freight", "paid", 20, buyer_country="BE"))
    assert order(guard, "o-lag")["buyer_country"] == "BE"
    # An event without the field changes nothing.
    guard.push(guard.event("o-lag", "cancellation", "none", 30))
    assert order(guard, "o-lag")["buyer_country"] == "BE"


def test_within_one_batch_the_newest_source_time_wins_whatever_the_order(guard):
    guard.push(
        guard.event("o-batch", "payment", "paid", 20, buyer_country="PL"),
        guard.event("o-batch", "risk", "cleared", 10, buyer_country="IT"),
    )
    assert order(guard, "o-batch")["buyer_country"] == "PL"


def test_a_duplicate_event_does_not_change_the_country(guard):
    first = guard.event("o-dupbc", "payment", "paid", 10, buyer_country="JP")
    guard.push(first)
    guard.push({**first, "buyer_country": "KR", "occurred_at": "2026-11-11T09:00:00+08:00"})
    assert order(guard, "o-dupbc")["buyer_country"] == "JP"


@pytest.mark.parametrize("bad", ["BRA", "B", "", "B1", "Ü1", "ÜA", "b r", 76, ["BR"]])
def test_a_bad_country_is_refused_naming_the_field_and_nothing_of_the_batch_is_stored(guard, bad):
    response = guard.client.post(
        "/v1/events",
        json={
            "events": [
                guard.event("o-badbc-ok", "payment", "paid", 10),
                guard.event("o-badbc", "payment", "paid", 10, buyer_country=bad),
            ]
        },
        headers=guard.auth(),
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "buyer_country")]
    for order_id in ("o-badbc-ok", "o-badbc"):
        missing = guard.client.get(f"/v1/orders/{order_id}", headers=guard.auth())
        assert missing.status_code == 404, "all or nothing: the good event was not stored either"


def test_a_hold_item_carries_the_buyers_country_for_customer_service(guard):
    facts = {**CLEAR_FACTS, "payment": "processing"}
    for order_id in ("o-held-kr", "o-held-none"):
        guard.record(order_id, 5, **facts)
    guard.push(guard.event("o-held-kr", "cancellation", "none", 6, buyer_country="KR"))
    assert guard.check("o-held-kr")["verdict"] == "hold"
    assert guard.check("o-held-none")["verdict"] == "hold"

    items = guard.client.get("/v1/holds", headers=guard.auth()).json()["items"]
    countries = {item["order_id"]: item["buyer_country"] for item in items}
    assert countries["o-held-kr"] == "KR" and countries["o-held-none"] is None

    csv = guard.client.get("/v1/holds/export.csv", headers=guard.auth()).text.splitlines()
    assert csv[0].endswith(",buyer_country")
    assert any(line.startswith("o-held-kr,") and line.endswith(",KR") for line in csv[1:])


def test_the_board_reads_every_reasons_words_without_a_key(guard):
    response = guard.client.get("/holds/texts.json")  # a page asset: texts only, no order data
    assert response.status_code == 200
    texts = response.json()
    languages = [language["code"] for language in texts["languages"]]
    assert languages[0] == "en" and {"pt", "ko", "ar", "he"} <= set(languages)
    assert {language["code"] for language in texts["languages"] if language["dir"] == "rtl"} == {"ar", "he"}
    assert texts["countries"]["BR"] == "pt" and texts["countries"]["IL"] == "he"
    for code in ("PAYMENT_PROCESSING", "TRACKING_CONFLICT", "DISPUTE_OPEN"):
        words = texts["reasons"][code]
        assert words["supervisor_message"] and words["supervisor_message_zh"]
        assert set(words["buyer_messages"]) == set(languages)
    # The same words the API gives with a verdict.
    guard.record("o-words", **{**CLEAR_FACTS, "payment": "processing"})
    [reason] = guard.check("o-words")["reasons"]
    words = texts["reasons"]["PAYMENT_PROCESSING"]
    assert reason["buyer_messages"] == words["buyer_messages"]
    assert reason["supervisor_message"] == words["supervisor_message"]
