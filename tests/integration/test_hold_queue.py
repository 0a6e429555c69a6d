"""The hold queue (contract, "Holds"): GET /v1/holds and POST /v1/holds/{id}/release.

A supervisor lists the shelf oldest first, filters it, pages through it, and
releases a hold by hand with a written reason. A release waives only waivable
reasons, each tied to the fact it saw; everything else is refused and writes
nothing.
"""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from support.api import CLEAR_FACTS, assert_error

# What a request could leave behind. Of the outbox, the notifications themselves:
# their delivery bookkeeping moves on in the background (embedded jobs).
WRITTEN = {
    "holds": "*",
    "waivers": "*",
    "decisions": "*",
    "clearances": "*",
    "outbox": "notification_id, type, order_id, body",
}
CONTRACT_FIELDS = {"order_id", "state", "reasons", "since", "station_id", "recheck_at", "ship_by", "overdue"}

# The facts (on top of CLEAR_FACTS) that hold an order for each waivable reason;
# None drops a fact altogether.
WAIVABLE_FACTS = {
    "PAYMENT_PROCESSING": {"payment": "processing"},
    "PAYMENT_UNPAID": {"payment": "unpaid"},
    "PAYMENT_AWAITING_CONFIRMATION": {"payment": "awaiting_confirmation"},
    "PAYMENT_FAILED": {"payment": "failed"},
    "PAYMENT_UNKNOWN": {"payment": None},
    "FREIGHT_UNPAID": {"freight": "pending"},
    "CANCEL_REQUESTED": {"cancellation": "requested"},
}


def ago(**delta: float) -> str:
    """A source time shortly before the real now (escalation ages count from it)."""
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def facts_events(
    guard, order_id: str, facts: dict[str, str | None], when: str, store_id: str | None = None, **extra: Any
) -> list[dict]:
    events = []
    for fact_type, status in facts.items():
        if status is None:
            continue
        fields: dict[str, Any] = {"occurred_at": when, **extra}
        if status in ("tracking_assigned", "recorded"):
            fields["tracking_number"] = f"LP-{order_id}"
        if store_id is not None:
            fields["store_id"] = store_id
        events.append(guard.event(order_id, fact_type, status, **fields))
    return events


def hold(
    guard,
    order_id: str,
    *,
    store_id: str | None = None,
    station_id: str | None = None,
    when: str | None = None,
    **facts: str | None,
) -> dict:
    """Record an order (CLEAR_FACTS with `facts` swapped in) and check it; returns the check."""
    guard.push(*facts_events(guard, order_id, {**CLEAR_FACTS, **facts}, when or ago(minutes=1), store_id))
    return guard.check(order_id, **({"station_id": station_id} if station_id else {}))


def holds(guard, key: str | None = None, **params: Any):
    return guard.client.get("/v1/holds", params=params, headers=guard.auth(key))


def listed(guard, key: str | None = None, **params: Any) -> list[str]:
    response = holds(guard, key, **params)
    assert response.status_code == 200, response.text
    return [item["order_id"] for item in response.json()["items"]]


def release(guard, order_id: str, reason: Any = "buyer confirmed by phone", key: str | None = None, **kwargs: Any):
    body = kwargs.pop("json", {"reason": reason})
    return guard.client.post(f"/v1/holds/{order_id}/release", json=body, headers=guard.auth(key), **kwargs)


def assert_validation(response, field: str) -> None:
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert field in [detail["field"] for detail in error["details"]], error


def snapshot(guard) -> dict[str, list[tuple]]:
    with guard.engine.connect() as conn:
        return {
            table: sorted(tuple(map(str, row)) for row in conn.execute(sa.text(f"SELECT {columns} FROM {table}")))
            for table, columns in WRITTEN.items()
        }


def hold_state(guard, order_id: str) -> str | None:
    with guard.engine.connect() as conn:
        return conn.execute(sa.text("SELECT state FROM holds WHERE order_id = :o"), {"o": order_id}).scalar()


def decisions(guard, order_id: str) -> list[dict]:
    response = guard.client.get(f"/v1/orders/{order_id}/decisions", headers=guard.auth())
    assert response.status_code == 200, response.text
    return response.json()["items"]


def outbox_types(guard, order_id: str) -> list[str]:
    with guard.engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT type FROM outbox WHERE order_id = :o ORDER BY id"), {"o": order_id})
            .scalars()
            .all()
        )


# -- listing ---------------------------------------------------------------------------------------


def test_the_queue_lists_holds_oldest_first_with_the_contract_fields(guard):
    for order_id in ("o-c", "o-a", "o-b"):  # placed in this order, not in id order
        hold(guard, order_id, station_id="pack-1", payment="processing")

    items = holds(guard).json()["items"]
    assert [item["order_id"] for item in items] == ["o-c", "o-a", "o-b"]
    assert all(CONTRACT_FIELDS <= set(item) for item in items)
    first = items[0]
    assert (first["state"], first["reasons"], first["station_id"], first["overdue"]) == (
        "held",
        ["PAYMENT_PROCESSING"],
        "pack-1",
        False,
    )
    assert first["recheck_at"] is not None and first["ship_by"] is None
    assert [item["since"] for item in items] == sorted(item["since"] for item in items)


def test_the_queue_shows_the_orders_ship_by(guard):
    guard.push(
        *facts_events(
            guard, "o-sb", {**CLEAR_FACTS, "payment": "processing"}, ago(minutes=1), ship_by="2030-01-02T03:04:05+00:00"
        )
    )
    guard.check("o-sb")
    [item] = holds(guard).json()["items"]
    assert item["ship_by"].startswith("2030-01-02T03:04:05")


@pytest.fixture
def shelf(guard):
    """A mixed shelf: held for various reasons at two stations, one blocked, one released."""
    hold(guard, "o-pay", station_id="pack-1", payment="processing")
    hold(guard, "o-frt", station_id="pack-2", freight="pending")
    hold(guard, "o-both", station_id="pack-2", payment="processing", freight="failed")
    assert hold(guard, "o-blk", station_id="pack-1", risk="closed")["hold"]["state"] == "blocked"
    hold(guard, "o-rel", station_id="pack-1", cancellation="requested")
    guard.push(guard.event("o-rel", "cancellation", "rejected", occurred_at=ago(seconds=5)))
    assert hold_state(guard, "o-rel") == "released"
    # Processing for 7 hours already: past its escalation age the moment it is held.
    hold(guard, "o-old", station_id="pack-3", when=ago(hours=7), payment="processing")
    return guard


def test_the_queue_filters_by_state(shelf):
    assert listed(shelf, state="held") == ["o-pay", "o-frt", "o-both", "o-old"]
    assert listed(shelf, state="blocked") == ["o-blk"]
    assert listed(shelf, state="released") == ["o-rel"]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("PAYMENT_PROCESSING", ["o-pay", "o-both", "o-old"]),
        ("FREIGHT_UNPAID", ["o-frt", "o-both"]),
        ("RISK_CLOSED", ["o-blk"]),
        ("PAYMENT_UNPAID", []),  # a code must match whole, never as part of another
    ],
)
def test_the_queue_filters_by_a_reason_anywhere_in_the_holds_reasons(shelf, reason, expected):
    assert listed(shelf, reason=reason) == expected


def test_the_queue_filters_by_station(shelf):
    assert listed(shelf, station_id="pack-2") == ["o-frt", "o-both"]
    assert listed(shelf, station_id="pack-9") == []


def test_the_queue_filters_by_overdue(shelf):
    overdue = holds(shelf, overdue="true").json()["items"]
    assert [(item["order_id"], item["overdue"]) for item in overdue] == [("o-old", True)]
    assert listed(shelf, overdue="false", state="held") == ["o-pay", "o-frt", "o-both"]


def test_the_queue_filters_combine(shelf):
    assert listed(shelf, state="held", reason="PAYMENT_PROCESSING", station_id="pack-2") == ["o-both"]
    assert listed(shelf, reason="PAYMENT_PROCESSING", overdue="true") == ["o-old"]
    assert listed(shelf, state="released", station_id="pack-2") == []


def test_a_page_holds_at_most_a_thousand_holds(guard):
    hold(guard, "o-1", payment="processing")
    assert listed(guard, limit=1000) == ["o-1"]
    assert listed(guard, limit=1) == ["o-1"]
    for bad in ("1001", "0", "-1", "ten", "1.5", "²", "١"):
        assert_validation(holds(guard, limit=bad), "limit")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "open"}, "state"),
        ({"state": "HELD"}, "state"),
        ({"reason": "NOT_A_CODE"}, "reason"),
        ({"reason": "payment_processing"}, "reason"),
        ({"overdue": "maybe"}, "overdue"),
        ({"overdue": "1"}, "overdue"),
        ({"station_id": "pack 1"}, "station_id"),
        ({"cursor": "not a cursor!"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"only-one-part").decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"yesterday\x1fo-1").decode()}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"9999-12-31T23:59:59-23:59\x1fo-1").decode()}, "cursor"),
    ],
)
def test_a_bad_filter_is_refused_with_the_error_envelope(guard, params, field):
    assert_validation(holds(guard, **params), field)


def test_paging_with_limit_7_walks_every_hold_exactly_once(guard):
    created = [f"q-{n:02d}" for n in range(50)]
    random.Random(7).shuffle(created)  # so that "oldest first" differs from id order
    guard.push(*[guard.event(order_id, "payment", "processing", occurred_at=ago(minutes=1)) for order_id in created])
    for order_id in created:
        guard.check(order_id)
    # Holds placed in the same instant (a burst of checks on several API replicas):
    # eleven share one `since`, straddling a page boundary; the order id breaks the tie.
    with guard.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE holds SET since = (SELECT since FROM holds WHERE order_id = :first) WHERE order_id IN :tied"
            ).bindparams(sa.bindparam("tied", expanding=True)),
            {"first": created[10], "tied": created[11:21]},
        )

    walked, pages, cursor = [], 0, None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        response = holds(guard, **params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        assert len(page["items"]) <= 7
        walked += [item["order_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 20, "the cursor does not advance"

    assert pages == 8
    assert walked == created[:10] + sorted(created[10:21]) + created[21:]


# -- scopes and stores -----------------------------------------------------------------------------


def test_reading_the_queue_needs_the_holds_scope(guard):
    hold(guard, "o-1", payment="processing")
    assert_error(guard.client.get("/v1/holds"), 401, "UNAUTHENTICATED")
    checker = guard.new_key("checker", "check", "events", "labels", "supervise")
    assert_error(holds(guard, checker), 403, "FORBIDDEN")
    reader = guard.new_key("reader", "holds")
    assert listed(guard, reader) == ["o-1"]


def test_releasing_needs_the_supervise_scope(guard):
    hold(guard, "o-1", payment="processing")
    before = snapshot(guard)
    reader = guard.new_key("reader", "holds", "check", "events", "labels")
    assert_error(release(guard, "o-1", key=reader), 403, "FORBIDDEN")
    assert_error(guard.client.post("/v1/holds/o-1/release", json={"reason": "x"}), 401, "UNAUTHENTICATED")
    assert snapshot(guard) == before


def test_a_store_limited_key_lists_and_releases_only_its_stores_holds(guard):
    hold(guard, "o-a", store_id="A", payment="processing")
    hold(guard, "o-b", store_id="B", payment="processing")
    hold(guard, "o-none", payment="processing")
    supervisor_a = guard.new_key("supervisor-a", "holds", "supervise", stores=["A"])

    assert listed(guard, supervisor_a) == ["o-a"]
    assert listed(guard, supervisor_a, reason="PAYMENT_PROCESSING") == ["o-a"]
    assert listed(guard) == ["o-a", "o-b", "o-none"]

    before = snapshot(guard)
    for other in ("o-b", "o-none"):
        assert_error(release(guard, other, key=supervisor_a), 404, "HOLD_NOT_FOUND")
    assert snapshot(guard) == before

    released = release(guard, "o-a", key=supervisor_a)
    assert released.status_code == 200, released.text
    assert decisions(guard, "o-a")[0]["key_name"] == "supervisor-a"
    assert (hold_state(guard, "o-b"), hold_state(guard, "o-none")) == ("held", "held")


# -- manual release --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": 42},
        {"reason": None},
        {"reason": "x" * 1001},
        ["buyer confirmed"],
        "buyer confirmed",
    ],
)
def test_a_release_needs_a_written_reason(guard, body):
    hold(guard, "o-1", payment="processing")
    before = snapshot(guard)
    assert_validation(release(guard, "o-1", json=body), "reason" if isinstance(body, dict) else "")
    assert snapshot(guard) == before


def test_a_release_with_no_body_or_malformed_json_is_refused(guard):
    hold(guard, "o-1", payment="processing")
    before = snapshot(guard)
    assert_error(guard.client.post("/v1/holds/o-1/release", headers=guard.auth()), 422, "VALIDATION_ERROR")
    assert_error(
        guard.client.post(
            "/v1/holds/o-1/release",
            content=b'{"reason": ',
            headers={**guard.auth(), "Content-Type": "application/json"},
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert snapshot(guard) == before


@pytest.mark.parametrize("code", sorted(WAIVABLE_FACTS))
def test_a_supervisor_releases_a_hold_with_a_waivable_reason(guard, code):
    held = hold(guard, "o-w", station_id="pack-4", **WAIVABLE_FACTS[code])
    assert [reason["code"] for reason in held["reasons"]] == [code]

    response = release(guard, "o-w", "buyer paid by bank transfer, confirmed by finance")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["hold"]["state"] == "released"
    assert [waiver["code"] for waiver in body["waived"]] == [code]
    assert hold_state(guard, "o-w") == "released"

    latest = decisions(guard, "o-w")[0]
    assert (latest["kind"], latest["verdict"], latest["key_name"], latest["note"]) == (
        "release",
        "clear",
        "erp",
        "buyer paid by bank transfer, confirmed by finance",
    )
    assert [waiver["code"] for waiver in latest["waived"]] == [code]
    assert outbox_types(guard, "o-w")[-1] == "hold.released"
    with guard.engine.connect() as conn:
        station = conn.execute(sa.text("SELECT station_id FROM outbox WHERE type = 'hold.released'")).scalar_one()
    assert station == "pack-4"

    later = guard.check("o-w", station_id="pack-4")
    assert (later["verdict"], later["reasons"]) == ("clear", [])
    assert later["clearance"] is not None
    [waiver] = later["waived"]
    assert (waiver["code"], waiver["note"], waiver["key_name"]) == (
        code,
        "buyer paid by bank transfer, confirmed by finance",
        "erp",
    )
    assert waiver["at"]
    assert later["hold"]["state"] == "released"


def test_a_release_waives_every_waivable_reason_holding_the_order(guard):
    hold(guard, "o-3", payment="processing", freight="pending", cancellation="requested")
    response = release(guard, "o-3")
    assert response.status_code == 200, response.text
    assert sorted(w["code"] for w in response.json()["waived"]) == [
        "CANCEL_REQUESTED",
        "FREIGHT_UNPAID",
        "PAYMENT_PROCESSING",
    ]
    later = guard.check("o-3")
    assert later["verdict"] == "clear"
    assert sorted(w["code"] for w in later["waived"]) == ["CANCEL_REQUESTED", "FREIGHT_UNPAID", "PAYMENT_PROCESSING"]


def test_a_newer_fact_of_the_waived_type_ends_the_waiver(guard):
    hold(guard, "o-w", payment="processing", when=ago(minutes=10))
    assert release(guard, "o-w").status_code == 200
    assert guard.check("o-w")["verdict"] == "clear"

    # The platform reports "processing" again, at a newer source time: the supervisor
    # never saw this fact, so the order holds again.
    guard.push(guard.event("o-w", "payment", "processing", occurred_at=ago(minutes=1)))
    again = guard.check("o-w")
    assert again["verdict"] == "hold"
    assert [r["code"] for r in again["reasons"]] == ["PAYMENT_PROCESSING"]
    assert again["waived"] == []
    assert again["clearance"] is None and again["hold"]["state"] == "held"
    assert listed(guard, state="held") == ["o-w"]


def test_a_stale_fact_of_the_waived_type_leaves_the_waiver_in_force(guard):
    hold(guard, "o-w", payment="processing", when=ago(minutes=10))
    assert release(guard, "o-w").status_code == 200
    result = guard.push(guard.event("o-w", "payment", "processing", occurred_at=ago(minutes=20)))
    assert result["results"][0]["outcome"] == "stale"
    assert guard.check("o-w")["verdict"] == "clear"


def test_a_newer_fact_voids_only_the_waiver_of_its_own_type(guard):
    hold(guard, "o-3", payment="processing", freight="pending", when=ago(minutes=10))
    assert release(guard, "o-3").status_code == 200
    guard.push(guard.event("o-3", "freight", "failed", occurred_at=ago(minutes=1)))
    again = guard.check("o-3")
    assert again["verdict"] == "hold"
    assert [r["code"] for r in again["reasons"]] == ["FREIGHT_UNPAID"]
    assert [w["code"] for w in again["waived"]] == ["PAYMENT_PROCESSING"]


def test_a_new_reason_that_was_not_waived_holds_the_order_again(guard):
    hold(guard, "o-w", payment="processing", when=ago(minutes=10))
    assert release(guard, "o-w").status_code == 200
    guard.push(guard.event("o-w", "risk", "reviewing", occurred_at=ago(minutes=1)))
    again = guard.check("o-w")
    assert again["verdict"] == "hold"
    assert [r["code"] for r in again["reasons"]] == ["RISK_REVIEW"]
    assert again["clearance"] is None and again["hold"]["state"] == "held"


@pytest.mark.parametrize(
    ("facts", "refused"),
    [
        ({"risk": "reviewing"}, ["RISK_REVIEW"]),
        ({"shipping_notice": "missing"}, ["SHIPPING_NOTICE_MISSING"]),
        ({"shipping_notice": "tracking_assigned"}, ["SHIPPING_NOTICE_MISSING"]),
        ({"shipping_notice": "awaiting_tracking"}, ["TRACKING_NUMBER_PENDING"]),
        ({"risk": "reviewing", "payment": "processing", "freight": "pending"}, ["RISK_REVIEW"]),
    ],
)
def test_a_hold_with_a_non_waivable_reason_is_not_released(guard, facts, refused):
    hold(guard, "o-nw", **facts)
    before = snapshot(guard)
    error = assert_error(release(guard, "o-nw"), 409, "NOT_WAIVABLE")
    assert [detail["code"] for detail in error["details"]] == refused
    assert snapshot(guard) == before  # hold unchanged, no waiver, no decision, no notification
    assert guard.check("o-nw")["verdict"] == "hold"


def test_a_hold_on_an_unknown_order_is_not_released(guard):
    assert guard.check("o-ghost")["hold"]["state"] == "held"
    before = snapshot(guard)
    error = assert_error(release(guard, "o-ghost"), 409, "NOT_WAIVABLE")
    assert [detail["code"] for detail in error["details"]] == ["ORDER_UNKNOWN"]
    assert snapshot(guard) == before


def test_a_blocked_order_is_not_released(guard):
    assert hold(guard, "o-blk", risk="closed")["hold"]["state"] == "blocked"
    before = snapshot(guard)
    assert_error(release(guard, "o-blk"), 409, "ORDER_BLOCKED")
    assert snapshot(guard) == before
    assert hold_state(guard, "o-blk") == "blocked"


def test_releasing_without_an_open_hold_is_not_found(guard):
    guard.record("o-clear", **CLEAR_FACTS)
    assert guard.check("o-clear")["hold"] is None
    hold(guard, "o-once", payment="processing")
    assert release(guard, "o-once").status_code == 200
    before = snapshot(guard)
    for order_id in ("o-never-seen", "o-clear", "o-once"):
        assert_error(release(guard, order_id), 404, "HOLD_NOT_FOUND")
    assert snapshot(guard) == before


def test_a_release_of_a_bad_order_id_is_a_validation_error(guard):
    assert_validation(release(guard, "bad%20id"), "order_id")


def test_a_wave_check_honours_a_waiver_only_for_the_order_it_was_granted_on(guard):
    # Same store, same statuses: the wave check judges such orders together, but not the waived one.
    for order_id in ("o-waived", "o-twin"):
        hold(guard, order_id, payment="processing")
    assert release(guard, "o-waived", "finance confirmed the transfer").status_code == 200

    body = guard.client.post(
        "/v1/checks", json={"order_ids": ["o-twin", "o-waived", "o-twin"]}, headers=guard.auth()
    ).json()
    assert [(r["order_id"], r["verdict"], r["reasons"]) for r in body["results"]] == [
        ("o-twin", "hold", ["PAYMENT_PROCESSING"]),
        ("o-waived", "clear", []),
        ("o-twin", "hold", ["PAYMENT_PROCESSING"]),
    ]
    assert body["counts"] == {"clear": 1, "hold": 2, "block": 0}

    # A newer payment fact voids the waiver: the wave check sees the order held again.
    guard.push({**guard.event("o-waived", "payment", "processing"), "occurred_at": ago(seconds=5)})
    [result] = guard.client.post("/v1/checks", json={"order_ids": ["o-waived"]}, headers=guard.auth()).json()["results"]
    assert (result["verdict"], result["reasons"]) == ("hold", ["PAYMENT_PROCESSING"])
