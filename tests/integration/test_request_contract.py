"""One request contract: every route reads numbers, flags, ids and JSON bodies the same way,
and refuses in the contract's envelope (422 VALIDATION_ERROR, one detail per problem)."""

from __future__ import annotations

import json

import pytest

from support.api import CLEAR_FACTS, assert_error

PAGED = ["/v1/holds", "/v1/orders/o-paged/decisions", "/v1/notifications"]
# int() takes all of these; a page size is ASCII digits, nothing else, on every route.
NOT_ASCII_DIGITS = ["٣", "３", "²", " 3", "3 ", "+3", "-3", "3_0", "3.0", "1e2", "0x10", "", "0", "1001"]


def details(response) -> list[dict]:
    return assert_error(response, 422, "VALIDATION_ERROR")["details"]


@pytest.mark.parametrize("path", PAGED)
def test_every_page_size_is_ascii_digits_from_1_to_1000(guard, subtests, path):
    guard.record("o-paged", **CLEAR_FACTS)
    guard.check("o-paged")
    for value in NOT_ASCII_DIGITS:
        with subtests.test(limit=value):
            response = guard.client.get(path, params={"limit": value}, headers=guard.auth())
            assert [(d["index"], d["field"]) for d in details(response)] == [(None, "limit")]
    messages = {
        details(guard.client.get(route, params={"limit": "٣"}, headers=guard.auth()))[0]["message"] for route in PAGED
    }
    assert len(messages) == 1, messages  # the same rule, in the same words
    for value in ("1", "03", "1000"):
        assert guard.client.get(path, params={"limit": value}, headers=guard.auth()).status_code == 200


@pytest.mark.parametrize(
    "query, field",
    [
        ("state=open", "state"),
        ("reason=NOT_A_REASON", "reason"),
        ("station_id=pack%2001", "station_id"),
        ("overdue=yes", "overdue"),
        ("overdue=1", "overdue"),
    ],
)
def test_a_bad_hold_filter_is_named_in_the_envelope(guard, query, field):
    for path in ("/v1/holds", "/v1/holds/export.csv"):
        response = guard.client.get(f"{path}?{query}", headers=guard.auth())
        assert [d["field"] for d in details(response)] == [field]


def test_several_bad_parameters_are_named_at_once(guard):
    response = guard.client.get("/v1/holds?state=open&limit=0&overdue=maybe", headers=guard.auth())
    assert {d["field"] for d in details(response)} == {"state", "limit", "overdue"}


def test_overdue_reads_true_and_false_in_any_case(guard):
    for flag in ("true", "TRUE", "False"):
        assert guard.client.get(f"/v1/holds?overdue={flag}", headers=guard.auth()).status_code == 200


def test_a_bad_notification_state_is_named(guard):
    assert [d["field"] for d in details(guard.client.get("/v1/notifications?state=lost", headers=guard.auth()))] == [
        "state"
    ]


BODY_ROUTES = [
    ("POST", "/v1/labels"),
    ("POST", "/v1/handovers"),
    ("POST", "/v1/holds/o-1/release"),
    ("POST", "/v1/labels/l-1/reprint"),
    ("POST", "/v1/labels/l-1/void"),
    ("POST", "/v1/pulls/n-1/ack"),
    ("POST", "/v1/tracking/LP1/resolve"),
    ("POST", "/v1/orders/o-1/fulfil"),
    ("PUT", "/v1/orders/o-1/carrier-label"),
]


@pytest.mark.parametrize("method, path", BODY_ROUTES)
def test_model_routes_refuse_bad_json_in_the_envelope(guard, subtests, method, path):
    for content in (b"", b"{", b"[1,]", b"NaN", b"[]", b'"x"', b"{} {}", b"[" * 2000 + b"]" * 2000, b'{"a": "\x00"}'):
        with subtests.test(content=content[:12]):
            response = guard.client.request(
                method, path, content=content, headers={"Content-Type": "application/json", **guard.auth()}
            )
            assert details(response)


@pytest.mark.parametrize("method, path", BODY_ROUTES)
def test_model_routes_name_every_missing_field(guard, method, path):
    response = guard.client.request(method, path, json={}, headers=guard.auth())
    assert all(d["message"] and d["index"] is None for d in details(response))


def test_a_json_body_is_read_whatever_the_content_type(guard):
    # `curl -d` sends a form's Content-Type; the guard reads JSON on every route, as it always did.
    guard.record("o-scan", **CLEAR_FACTS)
    form = {"Content-Type": "application/x-www-form-urlencoded", **guard.auth()}
    body = json.dumps({"code": "nothing-like-it", "station_id": "dock-1"})
    assert_error(guard.client.post("/v1/handovers", content=body, headers=form), 404, "CODE_NOT_FOUND")
    response = guard.client.post("/v1/orders/o-scan/check", content=b'{"station_id": "pack-1"}', headers=form)
    assert response.status_code == 200 and response.json()["verdict"] == "clear"


def test_a_written_reason_is_kept_trimmed(guard):
    guard.record("o-reason", **{**CLEAR_FACTS, "payment": "unpaid"})
    guard.check("o-reason")
    released = guard.client.post(
        "/v1/holds/o-reason/release", json={"reason": "  bank confirmed by phone \n"}, headers=guard.auth()
    )
    assert released.status_code == 200, released.text
    decisions = guard.client.get("/v1/orders/o-reason/decisions", headers=guard.auth()).json()["items"]
    assert decisions[0]["kind"] == "release" and decisions[0]["note"] == "bank confirmed by phone"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"reason": "   "}, "reason"),
        ({"reason": "r" * 1001}, "reason"),
        ({"reason": 5}, "reason"),
        ({}, "reason"),
    ],
)
def test_a_written_reason_is_required(guard, body, field):
    for path in ("/v1/holds/o-1/release", "/v1/labels/l-1/reprint", "/v1/labels/l-1/void"):
        assert [d["field"] for d in details(guard.client.post(path, json=body, headers=guard.auth()))] == [field]
