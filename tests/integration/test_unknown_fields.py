"""Unknown event fields are kept, within a bound (security review, finding 10).

An event is stored as it came (its payload), unknown fields included, so an ERP's
own fields survive for the audit. One event with a 7 MiB unknown field used to be
accepted and stored whole. Now an event keeps up to 16 KiB of unknown fields; beyond
that the batch is 422 naming the field, and nothing of it is stored.
"""

from __future__ import annotations

import sqlalchemy as sa

from guard.events import UNKNOWN_FIELDS_BYTES

from support.api import assert_error

KiB = 1024


def stored_events(guard) -> int:
    with guard.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()


def test_a_huge_unknown_field_is_refused_by_name_and_nothing_is_stored(guard):
    ok = guard.event("o-1", "payment", "paid")
    huge = guard.event("o-2", "payment", "paid", erp_snapshot="x" * (7 * 1024 * KiB))

    response = guard.client.post("/v1/events", json={"events": [ok, huge]}, headers=guard.auth())

    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert [(d["index"], d["field"]) for d in error["details"]] == [(1, "erp_snapshot")]
    assert "16 KiB" in error["details"][0]["message"]
    assert stored_events(guard) == 0


def test_many_small_unknown_fields_count_together(guard):
    crowded = guard.event("o-1", "payment", "paid", **{f"x{n:04d}": "y" * 100 for n in range(200)})
    response = guard.client.post("/v1/events", json={"events": [crowded]}, headers=guard.auth())
    details = assert_error(response, 422, "VALIDATION_ERROR")["details"]
    assert {d["index"] for d in details} == {0} and all(d["field"].startswith("x") for d in details)
    assert stored_events(guard) == 0


def test_unknown_fields_within_the_bound_are_kept_as_sent(guard):
    erp_fields = {"erp_ref": "SO-1001", "erp_lines": [{"sku": "A1", "qty": 2}], "erp_note": "n" * (12 * KiB)}
    guard.push(guard.event("o-1", "payment", "paid", **erp_fields))
    with guard.engine.connect() as conn:
        [payload] = conn.execute(sa.text("SELECT payload FROM events")).scalars().all()
    payload = payload if isinstance(payload, dict) else __import__("json").loads(payload)
    assert {key: payload[key] for key in erp_fields} == erp_fields


def test_known_fields_do_not_count_against_the_bound(guard):
    event = guard.event(
        "o-1", "shipping_notice", "recorded", tracking_number="T" * 128, carrier="C" * 128, reason="r" * 1000
    )
    extra = {"erp_blob": "b" * (UNKNOWN_FIELDS_BYTES - 64)}
    guard.push({**event, **extra})
    assert stored_events(guard) == 1
