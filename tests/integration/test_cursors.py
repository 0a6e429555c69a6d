"""Cursors are the guard's own tokens: anything else is bad input (422), never an outage.

A cursor that decodes to a number past what the database can hold, or to text with
a NUL character, used to reach PostgreSQL and come back as 503 "database
unavailable" — and be logged as an outage. Every list that pages by cursor
refuses such a cursor itself.
"""

from __future__ import annotations

import logging

import pytest

from guard.services.audit import encode_cursor

from support.api import CLEAR_FACTS, assert_error

LISTS = {
    "holds": "/v1/holds",
    "notifications": "/v1/notifications?state=pending",
    "decisions": "/v1/orders/o-1/decisions",
}
# What each list's cursor decodes to, made hostile.
HOSTILE = {
    "holds": {
        "nul-in-id": encode_cursor("2026-11-11T00:00:00+00:00", "o-\x00", "1"),
        "id-off-the-rule": encode_cursor("2026-11-11T00:00:00+00:00", "o 1'--", "1"),
        "nul-in-parcel": encode_cursor("2026-11-11T00:00:00+00:00", "o-1", "\x00"),
        "year-10000": encode_cursor("10000-01-01T00:00:00+00:00", "o-1", "1"),
        "nul-in-time": encode_cursor("2026-11-11T00:00:00\x00+00:00", "o-1", "1"),
    },
    "notifications": {
        "past-bigint": encode_cursor("9" * 30),
        "2**63": encode_cursor(str(2**63)),
        "nul": encode_cursor("1\x00"),
        "negative": encode_cursor("-1"),
    },
    "decisions": {
        "nul-in-id": encode_cursor("2026-11-11T00:00:00+00:00", "dec_\x00"),
        "nul-in-time": encode_cursor("2026-11-11T00:00:00+00:00\x00", "dec_0a"),
        "year-0": encode_cursor("0000-01-01T00:00:00+00:00", "dec_0a"),
    },
}
CASES = [(name, label, cursor) for name, cursors in HOSTILE.items() for label, cursor in cursors.items()]


@pytest.mark.parametrize(("name", "label", "cursor"), CASES, ids=[f"{n}-{label}" for n, label, _ in CASES])
def test_a_hostile_cursor_is_a_validation_error_not_an_outage(guard, caplog, name, label, cursor):
    guard.record("o-1", **CLEAR_FACTS)
    guard.check("o-1")
    path = LISTS[name]
    separator = "&" if "?" in path else "?"
    with caplog.at_level(logging.WARNING):
        response = guard.client.get(f"{path}{separator}cursor={cursor}", headers=guard.auth())
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [detail["field"] for detail in error["details"]] == ["cursor"]
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING], caplog.text
