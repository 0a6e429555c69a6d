"""Bad input never gets in: a 4xx with the contract's error envelope, and nothing stored.

Contract, "Errors": every 4xx/5xx body is {"error": {"code", "message", "details"?}};
validation failures (malformed JSON included) are 422 VALIDATION_ERROR with one
detail per problem, {"index": int | null, "field": str, "message": str}; a body
over 8 MiB is 413 TOO_LARGE; never a 500 for bad input. `POST /v1/events` is all
or nothing: one bad event and nothing from the batch is stored.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from guard.facts import FACT_STATUSES
from guard.platform_statuses import MAIN_STATUS

from support.api import CLEAR_FACTS, assert_error

MiB = 1024 * 1024
JSON = {"Content-Type": "application/json"}

# Everything a request could leave behind.
STORED_TABLES = ("orders", "facts", "events", "decisions", "holds", "clearances", "waivers", "labels", "outbox")

BAD_IDS = {
    "space": "a b",
    "slash": "a/b",
    "unicode": "订单-1",
    "accented": "café",
    "empty": "",
    "65 chars": "x" * 65,
    "newline": "a\nb",
    "nul": "a\x00b",
    "question mark": "a?b",
    "percent": "a%2Fb",
}


# -- helpers -----------------------------------------------------------------------------------


def assert_validation(response, *expected: tuple[int | None, str]) -> list[dict]:
    """422 VALIDATION_ERROR whose details name each expected (index, field), and only well-formed details."""
    error = assert_error(response, 422, "VALIDATION_ERROR")
    details = error["details"]
    assert details, error
    for detail in details:
        assert set(detail) == {"index", "field", "message"}, detail
        assert detail["index"] is None or (isinstance(detail["index"], int) and not isinstance(detail["index"], bool))
        assert isinstance(detail["field"], str)
        assert isinstance(detail["message"], str) and detail["message"].strip()
    named = {(detail["index"], detail["field"]) for detail in details}
    for index, field in expected:
        assert (index, field) in named, details
    return details


def stored(guard) -> dict[str, int]:
    with guard.engine.connect() as conn:
        return {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() for table in STORED_TABLES}


def post_events(guard, body: Any):
    return guard.client.post("/v1/events", content=json.dumps(body).encode(), headers={**JSON, **guard.auth()})


def refused(guard, events: list[dict], *expected: tuple[int | None, str]) -> list[dict]:
    """A batch that must be refused whole: 422 naming `expected`, and not one row written."""
    before = stored(guard)
    details = assert_validation(post_events(guard, {"events": events}), *expected)
    assert stored(guard) == before
    return details


def assert_order_unknown(guard, order_id: str) -> None:
    response = guard.client.get(f"/v1/orders/{order_id}", headers=guard.auth())
    assert_error(response, 404, "ORDER_NOT_FOUND")


def assert_event_ids_unused(guard, *events: dict) -> None:
    """Re-pushing good events with the refused batch's ids applies them: those ids were never stored.

    (Event ids are unique across all orders, so a stored id would answer `duplicate` for any order.)
    """
    good = [
        guard.event(f"o-repush-{n}", "payment", "paid", event_id=event["event_id"]) for n, event in enumerate(events)
    ]
    outcomes = [result["outcome"] for result in guard.push(*good)["results"]]
    assert outcomes == ["applied"] * len(good)


def iso_in(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


# -- facts: types, statuses, required fields -----------------------------------------------------


def test_an_unknown_fact_type_is_refused_and_nothing_stored(guard):
    event = guard.event("o-type", "shipment", "paid")
    refused(guard, [event], (0, "type"))
    assert_order_unknown(guard, "o-type")
    assert_event_ids_unused(guard, event)


@pytest.mark.parametrize(
    "fact_type, status",
    [
        ("payment", "closed"),
        ("risk", "paid"),
        ("cancellation", "open"),
        ("order", "cancelled"),
        ("shipping_notice", "shipped"),
        ("freight", "refunded"),
        ("payment", "PAID"),
        ("payment", ""),
    ],
)
def test_a_status_unknown_for_its_type_is_refused(guard, fact_type, status):
    event = guard.event("o-status", fact_type, status)
    refused(guard, [event], (0, "status"))
    assert_order_unknown(guard, "o-status")
    assert_event_ids_unused(guard, event)


@pytest.mark.parametrize(
    "extra, field",
    [
        # An unknown word is accepted and holds (contract v1.1); what is no word at all is refused.
        ({"platform": "aliexpress", "status": "WAIT_SELLER\n"}, "status"),
        ({"platform": "aliexpress", "status": "WAIT_SELLER_SEND_GOODS", "fund_status": ["NOT_PAY"]}, "fund_status"),
        ({"status": "WAIT_SELLER_SEND_GOODS"}, "platform"),  # platform is required
        ({"platform": "amazon", "status": "WAIT_SELLER_SEND_GOODS"}, "platform"),
        ({"platform": ["aliexpress"], "status": "WAIT_SELLER_SEND_GOODS"}, "platform"),
        ({"platform": "aliexpress", "status": "FINISH", "end_reason": "x" * 65}, "end_reason"),
        ({"platform": "aliexpress", "status": "WAIT_SELLER_SEND_GOODS", "logistics_status": 5}, "logistics_status"),
    ],
    ids=[
        "not-a-word",
        "fund-status-list",
        "no-platform",
        "unknown-platform",
        "platform-list",
        "bad-end-reason",
        "bad-logistics-status",
    ],
)
def test_a_platform_status_event_with_no_word_or_an_unknown_platform_is_refused(guard, extra, field):
    event = {**guard.event("o-platform", "platform_status", "x"), **extra}
    refused(guard, [event], (0, field))
    assert_order_unknown(guard, "o-platform")
    assert_event_ids_unused(guard, event)


@pytest.mark.parametrize("field", ["event_id", "order_id", "type", "status", "occurred_at"])
def test_a_missing_required_field_is_named(guard, field):
    event = guard.event("o-missing", "payment", "paid")
    del event[field]
    refused(guard, [event], (0, field))
    assert_order_unknown(guard, "o-missing")


@pytest.mark.parametrize("field", ["event_id", "order_id", "type", "status", "occurred_at"])
def test_a_required_field_of_the_wrong_json_type_is_named(guard, subtests, field):
    for value in (None, 7, 1.5, True, [], ["paid"], {}, {"status": "paid"}):
        with subtests.test(value=value):
            event = guard.event("o-types", "payment", "paid")
            event[field] = value
            refused(guard, [event], (0, field))
            assert_order_unknown(guard, "o-types")


@pytest.mark.parametrize("field", ["store_id", "ship_by", "tracking_number", "carrier", "reason"])
def test_an_optional_field_of_the_wrong_json_type_is_named(guard, subtests, field):
    for value in (7, 1.5, False, [], ["x"], {}):
        with subtests.test(value=value):
            event = guard.event("o-optional", "payment", "paid", **{field: value})
            refused(guard, [event], (0, field))
            assert_order_unknown(guard, "o-optional")


@pytest.mark.parametrize(
    "field, value",
    [
        ("tracking_number", ""),
        ("tracking_number", "x" * 129),
        ("carrier", "   "),
        ("reason", "r" * 1001),
        ("reason", "a\x00b"),
        ("tracking_number", "LP\x001"),
    ],
)
def test_optional_text_out_of_bounds_or_holding_nul_is_refused(guard, field, value):
    event = guard.event("o-text", "payment", "paid", **{field: value})
    refused(guard, [event], (0, field))
    assert_order_unknown(guard, "o-text")


# -- times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-11T00:05:00",  # no offset
        "2026-11-11",  # a date only
        "2026-11-11T00:05",  # no seconds, no offset
        "2026-11-11T00:05:00+0800",  # offset without a colon
        "2026-11-11T00:05:00 CST",  # a zone name, not an offset
        "11/11/2026 00:05:00+08:00",
        "yesterday",
        "",
        "1731254700",
        "2026-02-30T00:00:00Z",  # impossible date
        "2026-13-01T00:00:00Z",
        "2026-11-31T00:00:00+08:00",
        "2026-11-11T24:00:00Z",
        "2026-11-11T23:60:00Z",
        "2026-11-11T00:05:00+24:00",  # offset out of range
        "２０２６-11-11T00:05:00Z",  # full-width digits
        "0001-01-01T00:00:00+05:00",  # before the first UTC instant a datetime holds
        "9999-12-31T23:59:59-05:00",  # after the last one
    ],
    ids=lambda value: repr(value),
)
def test_occurred_at_must_be_a_real_rfc3339_time_with_an_offset(guard, value):
    event = guard.event("o-time", "payment", "paid", occurred_at=value)
    refused(guard, [event], (0, "occurred_at"))
    assert_order_unknown(guard, "o-time")
    assert_event_ids_unused(guard, event)


@pytest.mark.parametrize("value", ["2026-11-11T00:05:00", "2026-02-30T00:00:00Z", "soon", "0001-01-01T00:00:00+05:00"])
def test_ship_by_must_be_a_real_rfc3339_time_with_an_offset(guard, value):
    event = guard.event("o-ship-by", "payment", "paid", ship_by=value)
    refused(guard, [event], (0, "ship_by"))
    assert_order_unknown(guard, "o-ship-by")


def test_occurred_at_more_than_5_minutes_in_the_future_is_refused(guard):
    event = guard.event("o-future", "payment", "paid", occurred_at=iso_in(6))
    refused(guard, [event], (0, "occurred_at"))
    assert_order_unknown(guard, "o-future")
    assert_event_ids_unused(guard, event)


def test_occurred_at_4_minutes_in_the_future_is_accepted(guard):
    # A source clock a little ahead of ours is normal; the tolerance is 5 minutes.
    result = guard.push(guard.event("o-skew", "payment", "paid", occurred_at=iso_in(4)))
    assert result["results"][0]["outcome"] == "applied"
    assert guard.client.get("/v1/orders/o-skew", headers=guard.auth()).json()["facts"]["payment"]["status"] == "paid"


def test_an_offset_in_another_zone_is_the_same_instant(guard):
    guard.push(guard.event("o-zone", "payment", "processing", occurred_at="2026-11-11T00:10:00+08:00"))
    # 2026-11-10T16:10:00Z is the very same instant: not newer, so stale.
    outcome = guard.push(guard.event("o-zone", "payment", "paid", occurred_at="2026-11-10T16:10:00Z"))
    assert outcome["results"][0]["outcome"] == "stale"


# -- identifiers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["event_id", "order_id", "store_id"])
def test_ids_in_bodies_follow_the_character_rule(guard, subtests, field):
    for name, bad in BAD_IDS.items():
        with subtests.test(bad=name):
            event = guard.event("o-ids", "payment", "paid")
            event[field] = bad
            refused(guard, [event], (0, field))
            assert_order_unknown(guard, "o-ids")


def test_ids_of_64_allowed_characters_are_accepted(guard):
    order_id = ("AZaz09_-.:" * 7)[:64]
    event_id = ("ev:" + "9" * 70)[:64]
    result = guard.push(guard.event(order_id, "payment", "paid", event_id=event_id, store_id="S_1-a.b:c"))
    assert result["results"][0] == {"event_id": event_id, "outcome": "applied", "facts": {"payment": "applied"}}
    assert guard.client.get(f"/v1/orders/{order_id}", headers=guard.auth()).json()["store_id"] == "S_1-a.b:c"


PATH_BAD_IDS = {
    "space": "a%20b",
    "encoded slash": "a%2Fb",
    "unicode": "%E8%AE%A2%E5%8D%95",
    "accented": "caf%C3%A9",
    "empty": "",
    "65 chars": "x" * 65,
    "nul": "a%00b",
    "percent": "a%25b",
    "plus": "a+b",
}
PATH_ROUTES = [("POST", "/v1/orders/{}/check"), ("GET", "/v1/orders/{}"), ("GET", "/v1/orders/{}/decisions")]


@pytest.mark.parametrize("method, route", PATH_ROUTES, ids=["check", "get-order", "decisions"])
def test_an_order_id_in_a_path_follows_the_same_rule(guard, subtests, method, route):
    for name, bad in PATH_BAD_IDS.items():
        with subtests.test(bad=name):
            before = stored(guard)
            response = guard.client.request(method, route.format(bad), headers=guard.auth())
            assert_validation(response, (None, "order_id"))
            assert stored(guard) == before  # a refused check writes no decision and no hold


# -- shipping notice and store ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["tracking_assigned", "recorded"])
@pytest.mark.parametrize("tracking", ["absent", None], ids=["absent", "null"])
def test_a_notice_with_a_number_must_carry_tracking_number(guard, status, tracking):
    event = guard.event("o-notice", "shipping_notice", status, carrier="Cainiao")
    if tracking is None:
        event["tracking_number"] = None
    refused(guard, [event], (0, "tracking_number"))
    assert_order_unknown(guard, "o-notice")
    assert_event_ids_unused(guard, event)


def test_a_notice_without_a_number_needs_no_tracking_number(guard):
    result = guard.push(
        guard.event("o-awaiting", "shipping_notice", "awaiting_tracking"),
        guard.event("o-awaiting", "shipping_notice", "missing"),
    )
    assert [r["outcome"] for r in result["results"]] == ["applied", "stale"]


def test_an_orders_store_id_never_changes(guard):
    guard.push(guard.event("o-store", "payment", "processing", store_id="s1"))
    moved = guard.event("o-store", "payment", "paid", 10, store_id="s2")
    before = stored(guard)
    assert_validation(post_events(guard, {"events": [moved]}), (0, "store_id"))
    assert stored(guard) == before
    order = guard.client.get("/v1/orders/o-store", headers=guard.auth()).json()
    assert order["store_id"] == "s1"
    assert order["facts"]["payment"]["status"] == "processing"
    # The same store again, or none at all, is fine.
    again = guard.push(
        guard.event("o-store", "payment", "paid", 10, store_id="s1"), guard.event("o-store", "risk", "cleared", 10)
    )
    assert [r["outcome"] for r in again["results"]] == ["applied", "applied"]


def test_two_events_in_one_batch_disagreeing_on_the_store_are_refused_whole(guard):
    first = guard.event("o-split", "payment", "paid", store_id="s1")
    second = guard.event("o-split", "risk", "cleared", store_id="s2")
    details = refused(guard, [first, second], (1, "store_id"))
    assert {d["index"] for d in details} == {1}
    assert_order_unknown(guard, "o-split")
    assert_event_ids_unused(guard, first, second)


# -- batch shape --------------------------------------------------------------------------------


def test_an_empty_batch_is_refused(guard):
    before = stored(guard)
    assert_validation(post_events(guard, {"events": []}), (None, "events"))
    assert stored(guard) == before


def test_a_batch_of_1001_events_is_refused_and_nothing_stored(guard):
    events = [guard.event(f"o-big-{n}", "payment", "paid") for n in range(1001)]
    refused(guard, events, (None, "events"))
    assert_order_unknown(guard, "o-big-0")
    assert_order_unknown(guard, "o-big-1000")


def test_a_batch_of_1000_events_is_accepted(guard):
    events = [guard.event(f"o-wave-{n % 250}", "payment", "paid", minute=n) for n in range(1000)]
    results = guard.push(*events)["results"]
    assert len(results) == 1000
    assert [r["event_id"] for r in results] == [e["event_id"] for e in events]


@pytest.mark.parametrize(
    "body",
    [
        [],
        [{"event_id": "e1"}],
        "events",
        42,
        1.5,
        True,
        None,
        {},
        {"event": []},
        {"events": None},
        {"events": {}},
        {"events": "e1"},
        {"events": 3},
    ],
    ids=lambda body: json.dumps(body),
)
def test_the_events_body_must_be_an_object_with_an_events_list(guard, body):
    before = stored(guard)
    assert_validation(post_events(guard, body))
    assert stored(guard) == before


def test_every_event_must_be_an_object(guard):
    refused(guard, [1, "e", [], None, True], (0, ""), (1, ""), (2, ""), (3, ""), (4, ""))


def test_a_batch_mixing_good_and_bad_events_is_refused_whole_naming_every_bad_index(guard):
    good = [guard.event(f"o-mix-{n}", "payment", "paid") for n in range(3)]
    unknown_type = guard.event("o-mix-bad-1", "weather", "sunny")
    no_time = guard.event("o-mix-bad-2", "risk", "cleared")
    del no_time["occurred_at"]
    bad_id = guard.event("o mix", "order", "open")
    future = guard.event("o-mix-bad-3", "freight", "paid", occurred_at=iso_in(60))
    batch = [good[0], unknown_type, good[1], no_time, bad_id, future, good[2]]

    details = refused(guard, batch, (1, "type"), (3, "occurred_at"), (4, "order_id"), (5, "occurred_at"))
    assert {d["index"] for d in details} == {1, 3, 4, 5}
    for order_id in ("o-mix-0", "o-mix-1", "o-mix-2", "o-mix-bad-1", "o-mix-bad-2", "o-mix-bad-3"):
        assert_order_unknown(guard, order_id)
    # The good ones were not half-applied: pushed again, they apply (not duplicate).
    assert [r["outcome"] for r in guard.push(*good)["results"]] == ["applied"] * 3


def test_every_problem_of_one_event_is_named(guard):
    event = {"event_id": "", "order_id": 5, "type": "payment", "status": "nope", "occurred_at": "now"}
    details = refused(guard, [event], (0, "event_id"), (0, "order_id"), (0, "status"), (0, "occurred_at"))
    assert {d["index"] for d in details} == {0}


# -- batch checks --------------------------------------------------------------------------------


def post_checks(guard, body: Any):
    return guard.client.post("/v1/checks", content=json.dumps(body).encode(), headers={**JSON, **guard.auth()})


def test_a_batch_check_of_no_ids_is_refused(guard):
    assert_validation(post_checks(guard, {"order_ids": []}), (None, "order_ids"))


def test_a_batch_check_of_20001_ids_is_refused(guard):
    assert_validation(post_checks(guard, {"order_ids": [f"o-{n}" for n in range(20_001)]}), (None, "order_ids"))


def test_a_batch_check_of_20000_ids_is_answered(guard):
    guard.record("o-7", **CLEAR_FACTS)
    response = post_checks(guard, {"order_ids": [f"o-{n}" for n in range(20_000)]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["results"]) == 20_000
    assert body["counts"] == {"clear": 1, "hold": 19_999, "block": 0}


@pytest.mark.parametrize(
    "body",
    [
        [],
        ["o-1"],
        "o-1",
        7,
        None,
        {},
        {"order_ids": None},
        {"order_ids": "o-1"},
        {"order_ids": {"o-1": 1}},
    ],
    ids=lambda body: json.dumps(body),
)
def test_the_batch_check_body_must_be_an_object_with_an_id_list(guard, body):
    assert_validation(post_checks(guard, body))


def test_every_bad_id_in_a_batch_check_is_named(guard):
    response = post_checks(guard, {"order_ids": ["o-ok", "a b", 5, None, "", "x" * 65, "é", ["o-1"], "a\x00"]})
    details = assert_validation(response, *[(n, "order_ids") for n in range(1, 9)])
    assert {d["index"] for d in details} == set(range(1, 9))


# -- single check body ---------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"[]", b'"station"', b"7", b"true", b'["pack-01"]'])
def test_a_check_body_if_any_must_be_an_object(guard, content):
    before = stored(guard)
    response = guard.client.post("/v1/orders/o-body/check", content=content, headers={**JSON, **guard.auth()})
    assert_validation(response, (None, ""))
    assert stored(guard) == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"station_id": "pack 01"}, "station_id"),
        ({"station_id": 1}, "station_id"),
        ({"station_id": ""}, "station_id"),
        ({"parcel_id": "1/2"}, "parcel_id"),
        ({"parcel_id": 2}, "parcel_id"),
        ({"parcel_id": "p" * 65}, "parcel_id"),
        ({"operator": ""}, "operator"),
        ({"operator": 5}, "operator"),
        ({"operator": "o" * 129}, "operator"),
        ({"operator": ["li"]}, "operator"),
        ({"operator": "li\x00"}, "operator"),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else value,
)
def test_check_body_fields_are_validated_and_nothing_is_written(guard, body, field):
    guard.record("o-fields", **CLEAR_FACTS)
    before = stored(guard)
    response = guard.client.post(
        "/v1/orders/o-fields/check", content=json.dumps(body).encode(), headers={**JSON, **guard.auth()}
    )
    assert_validation(response, (None, field))
    assert stored(guard) == before  # no decision, no clearance, no hold


# -- malformed JSON, size --------------------------------------------------------------------------


MALFORMED = [
    b"{",
    b"{'events': []}",
    b'{"events": [}',
    b"[1,]",
    b"NaN",
    b'{"events": [1e999]}',
    b"\xff\xfe{}",
    b'{"a": "\xed\xa0\x80"}',
    b"{} {}",
    b"nul",
    b"[" * 2000 + b"]" * 2000,
]


@pytest.mark.parametrize("path", ["/v1/events", "/v1/checks", "/v1/orders/o-json/check"])
def test_malformed_json_is_a_validation_error(guard, subtests, path):
    for content in MALFORMED:
        with subtests.test(content=content[:20]):
            before = stored(guard)
            response = guard.client.post(path, content=content, headers={**JSON, **guard.auth()})
            assert_validation(response)
            assert stored(guard) == before


@pytest.mark.parametrize("path", ["/v1/events", "/v1/checks"])
def test_a_missing_body_is_a_validation_error(guard, path):
    assert_validation(guard.client.post(path, headers=guard.auth()))


def test_a_check_without_a_body_is_fine(guard):
    guard.record("o-nobody", **CLEAR_FACTS)
    response = guard.client.post("/v1/orders/o-nobody/check", headers=guard.auth())
    assert response.status_code == 200 and response.json()["verdict"] == "clear"


def events_body_of(size: int) -> bytes:
    """Valid JSON of exactly `size` bytes: one good event, padded with whitespace between tokens
    (an unknown field that large would be refused on its own: 16 KiB of them per event)."""
    head = (
        b'{"events": [{"event_id": "e-big", "order_id": "o-big", "type": "payment", "status": "paid", '
        b'"occurred_at": "2026-11-11T00:00:00+08:00"}]'
    )
    tail = b"}"
    return head + b" " * (size - len(head) - len(tail)) + tail


@pytest.mark.parametrize("path", ["/v1/events", "/v1/checks", "/v1/orders/o-big/check"])
def test_a_body_over_8_mib_is_413_too_large(guard, path):
    content = events_body_of(8 * MiB + 1)
    response = guard.client.post(path, content=content, headers={**JSON, **guard.auth()})
    assert_error(response, 413, "TOO_LARGE")
    assert_order_unknown(guard, "o-big")
    assert stored(guard)["events"] == 0


def test_a_streamed_body_over_8_mib_without_a_length_is_413_too_large(guard):
    def chunks():
        yield b'{"events": [], "pad": "'
        for _ in range(9):
            yield b"x" * MiB
        yield b'"}'

    response = guard.client.post("/v1/events", content=chunks(), headers={**JSON, **guard.auth()})
    assert_error(response, 413, "TOO_LARGE")


def test_a_body_of_exactly_8_mib_is_read(guard):
    content = events_body_of(8 * MiB)
    response = guard.client.post("/v1/events", content=content, headers={**JSON, **guard.auth()})
    assert response.status_code == 200, response.text[:500]
    assert response.json()["results"][0]["outcome"] == "applied"


# -- routes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/nope"),
        ("GET", "/v1"),
        ("GET", "/v1/nope"),
        ("POST", "/v1/orders/o-1/nope"),
        ("GET", "/v2/events"),
        ("POST", "/v1/orders/o-1/check/extra"),
    ],
)
def test_an_unknown_route_is_404_with_the_envelope(guard, method, path):
    assert_error(guard.client.request(method, path, headers=guard.auth()), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/v1/events"),
        ("PUT", "/v1/events"),
        ("DELETE", "/v1/orders/o-1"),
        ("GET", "/v1/orders/o-1/check"),
        ("GET", "/v1/checks"),
        ("POST", "/v1/orders/o-1"),
        ("POST", "/healthz"),
    ],
)
def test_a_wrong_method_is_405_with_the_envelope(guard, method, path):
    response = guard.client.request(method, path, headers=guard.auth())
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "allow" in response.headers


def cursor_of(*parts: str) -> str:
    return base64.urlsafe_b64encode("\x1f".join(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=1001", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("limit=", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("cursor=!!!", "cursor"),
        ("cursor=abc", "cursor"),
        (f"cursor={cursor_of('yesterday', 'dec_1')}", "cursor"),
        (f"cursor={cursor_of('2026-11-11T00:00:00+00:00')}", "cursor"),
        (f"cursor={cursor_of('a', 'b', 'c')}", "cursor"),
        # A time without an offset, or one that cannot be put in UTC, is no cursor either.
        *[
            (f"cursor={cursor_of(moment, 'dec_1')}", "cursor")
            for moment in ("2026-11-11T00:00:00", "2026-11-11", "9999-12-31T23:59:59-05:00")
        ],
        # A decision id that this guard never issued (here with a NUL) is no cursor either.
        (f"cursor={cursor_of('2026-11-11T00:00:00+00:00', 'dec' + chr(0))}", "cursor"),
    ],
    ids=lambda value: value,
)
def test_a_bad_limit_or_cursor_on_decisions_is_422(guard, query, field):
    guard.record("o-pages", **CLEAR_FACTS)
    guard.check("o-pages")
    response = guard.client.get(f"/v1/orders/o-pages/decisions?{query}", headers=guard.auth())
    assert_validation(response, (None, field))


def test_decisions_page_with_their_cursor(guard):
    guard.record("o-paged", **CLEAR_FACTS)
    for _ in range(3):
        guard.check("o-paged")
    first = guard.client.get("/v1/orders/o-paged/decisions?limit=2", headers=guard.auth()).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = guard.client.get(
        f"/v1/orders/o-paged/decisions?limit=2&cursor={first['next_cursor']}", headers=guard.auth()
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None


# -- anything at all -------------------------------------------------------------------------------


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
OFFSETS = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)), timezone(timedelta(minutes=345))]
timestamps = st.datetimes(timezones=st.sampled_from(OFFSETS)).map(lambda moment: moment.isoformat())
ids = st.from_regex(r"[A-Za-z0-9_.:\-]{1,64}", fullmatch=True)
fact_types = st.sampled_from([*FACT_STATUSES, "platform_status", "Payment", ""])
statuses = st.sampled_from(
    sorted({status for values in FACT_STATUSES.values() for status in values} | set(MAIN_STATUS))
)
plausible_events = st.fixed_dictionaries(
    {
        "event_id": ids | json_values,
        "order_id": st.sampled_from(["o-h1", "o-h2"]) | ids | json_values,
        "type": fact_types | json_values,
        "status": statuses | json_values,
        "occurred_at": timestamps | st.text(max_size=30) | json_values,
    },
    optional={
        "store_id": st.sampled_from(["s1", "s2"]) | json_values,
        "ship_by": timestamps | json_values,
        "tracking_number": st.text(max_size=130) | json_values,
        "carrier": st.text(max_size=20) | json_values,
        "reason": st.text(max_size=20) | json_values,
        "platform": st.just("aliexpress") | json_values,
        "end_reason": st.sampled_from(["buyer_cancel_order", "seller_send_goods_timeout", "x y"]) | json_values,
        "logistics_status": st.sampled_from(["NO_LOGISTICS", "WAIT_SELLER_SEND_GOODS", ""]) | json_values,
        "extra": json_values,
    },
)
event_bodies = json_values | st.fixed_dictionaries({"events": st.lists(plausible_events | json_values, max_size=4)})
check_bodies = json_values | st.fixed_dictionaries(
    {},
    optional={
        "station_id": ids | json_values,
        "parcel_id": ids | json_values,
        "operator": st.text(max_size=130) | json_values,
    },
)
batch_bodies = json_values | st.fixed_dictionaries({"order_ids": st.lists(ids | json_values, max_size=5)})


def assert_answered_not_failed(response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert 400 <= response.status_code < 500
        assert_error(response, response.status_code, response.json()["error"]["code"])


FUZZ = hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(body=event_bodies)
def test_any_json_as_an_events_body_is_answered_never_a_5xx(guard, body):
    response = guard.client.post("/v1/events", content=json.dumps(body).encode(), headers={**JSON, **guard.auth()})
    assert_answered_not_failed(response)
    if response.status_code == 200:
        assert len(response.json()["results"]) == len(body["events"])
    else:
        assert response.status_code == 422


@FUZZ
@given(body=check_bodies)
def test_any_json_as_a_check_body_is_answered_never_a_5xx(guard, body):
    response = guard.client.post(
        "/v1/orders/o-h1/check", content=json.dumps(body).encode(), headers={**JSON, **guard.auth()}
    )
    assert_answered_not_failed(response)
    if response.status_code == 200:
        assert response.json()["verdict"] in ("clear", "hold", "block")


@FUZZ
@given(body=batch_bodies)
def test_any_json_as_a_batch_check_body_is_answered_never_a_5xx(guard, body):
    response = guard.client.post("/v1/checks", content=json.dumps(body).encode(), headers={**JSON, **guard.auth()})
    assert_answered_not_failed(response)
