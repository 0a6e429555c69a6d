"""POST /v1/orders/{id}/check and POST /v1/checks: decisions, clearances, holds, waves."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from support.api import CLEAR_FACTS


def test_a_new_clearance_voids_the_earlier_unredeemed_one(guard):
    guard.record("o-v", **CLEAR_FACTS)
    first = guard.check("o-v")["clearance"]["token"]
    second = guard.check("o-v")["clearance"]["token"]
    assert first != second
    with guard.engine.connect() as conn:
        rows = dict(conn.execute(sa.text("select token, voided_at is not null from clearances")).all())
    assert rows == {first: True, second: False}


def test_clearances_are_per_parcel(guard):
    guard.record("o-p", **CLEAR_FACTS)
    guard.push(guard.event("o-p", "shipping_notice", "recorded", 1, tracking_number="LP-o-p-2", parcel_id="2"))
    one = guard.check("o-p", parcel_id="1")
    two = guard.check("o-p", parcel_id="2")
    assert (one["parcel_id"], two["parcel_id"]) == ("1", "2")
    with guard.engine.connect() as conn:
        live = (
            conn.execute(sa.text("select parcel_id from clearances where voided_at is null order by parcel_id"))
            .scalars()
            .all()
        )
    assert live == ["1", "2"]


def test_a_clearance_lives_for_the_configured_ttl(guard):
    guard.record("o-ttl", **CLEAR_FACTS)
    result = guard.check("o-ttl")
    decided = datetime.fromisoformat(result["decided_at"])
    expires = datetime.fromisoformat(result["clearance"]["expires_at"])
    assert expires - decided == timedelta(seconds=300)


def test_a_hold_gives_no_clearance_and_voids_none_it_did_not_issue(guard):
    guard.record("o-h", **CLEAR_FACTS)
    token = guard.check("o-h")["clearance"]["token"]
    guard.push(guard.event("o-h", "risk", "reviewing", 30))
    assert guard.check("o-h")["clearance"] is None
    with guard.engine.connect() as conn:
        assert (
            conn.execute(sa.text("select voided_at from clearances where token = :t"), {"t": token}).scalar_one()
            is None
        )


def test_every_check_is_stored_as_a_decision_and_read_back_newest_first(guard):
    guard.record("o-d", **{**CLEAR_FACTS, "payment": "processing"})
    guard.check("o-d", station_id="pack-01", operator="wang")
    guard.push(guard.event("o-d", "payment", "paid", 90))
    last = guard.check("o-d", station_id="pack-02", operator="zhao")
    page = guard.client.get("/v1/orders/o-d/decisions", headers=guard.auth()).json()
    kinds = [(item["kind"], item["verdict"], item["station_id"], item["operator"]) for item in page["items"]]
    # The automatic release (ingest of "paid") sits between the two checks.
    assert kinds == [
        ("check", "clear", "pack-02", "zhao"),
        ("release", "clear", None, None),
        ("check", "hold", "pack-01", "wang"),
    ]
    newest = page["items"][0]
    assert newest["decision_id"] == last["decision_id"]
    assert newest["key_name"] == "erp"
    assert newest["facts"]["payment"]["status"] == "paid"
    assert page["items"][2]["reasons"] == ["PAYMENT_PROCESSING"]
    assert page["next_cursor"] is None


def test_decisions_page_with_a_cursor(guard):
    guard.record("o-page", **CLEAR_FACTS)
    ids = [guard.check("o-page")["decision_id"] for _ in range(5)]
    first = guard.client.get("/v1/orders/o-page/decisions?limit=2", headers=guard.auth()).json()
    assert [item["decision_id"] for item in first["items"]] == ids[::-1][:2]
    seen = [item["decision_id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = guard.client.get(f"/v1/orders/o-page/decisions?limit=2&cursor={cursor}", headers=guard.auth()).json()
        seen += [item["decision_id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ids[::-1]


def test_get_order_shows_facts_verdict_and_hold(guard):
    guard.record("o-get", **{**CLEAR_FACTS, "freight": "pending"})
    guard.check("o-get", station_id="pack-03")
    order = guard.client.get("/v1/orders/o-get", headers=guard.auth()).json()
    assert order["verdict"] == "hold"
    assert [r["code"] for r in order["reasons"]] == ["FREIGHT_UNPAID"]
    assert order["facts"]["freight"]["status"] == "pending"
    assert order["hold"]["state"] == "held"
    assert order["labels"] == [] and order["waived"] == []


def test_an_unknown_order_reads_as_not_found(guard):
    response = guard.client.get("/v1/orders/nobody", headers=guard.auth())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ORDER_NOT_FOUND"


def test_a_wave_check_answers_every_id_in_input_order_with_counts(guard):
    guard.record("w-clear", **CLEAR_FACTS)
    guard.record("w-hold", **{**CLEAR_FACTS, "payment": "processing"})
    guard.record("w-block", **CLEAR_FACTS, order="closed")
    ids = ["w-hold", "w-clear", "w-unknown", "w-block", "w-clear"]
    response = guard.client.post("/v1/checks", json={"order_ids": ids}, headers=guard.auth())
    assert response.status_code == 200
    body = response.json()
    assert [(r["order_id"], r["verdict"]) for r in body["results"]] == [
        ("w-hold", "hold"),
        ("w-clear", "clear"),
        ("w-unknown", "hold"),
        ("w-block", "block"),
        ("w-clear", "clear"),
    ]
    assert body["results"][2]["reasons"] == ["ORDER_UNKNOWN"]
    assert body["results"][0]["reasons"] == ["PAYMENT_PROCESSING"]
    assert body["counts"] == {"clear": 2, "hold": 2, "block": 1}


def test_a_wave_check_is_read_only(guard):
    guard.record("w-ro", **{**CLEAR_FACTS, "payment": "processing"})
    guard.client.post("/v1/checks", json={"order_ids": ["w-ro", "w-none"]}, headers=guard.auth())
    with guard.engine.connect() as conn:
        for table in ("decisions", "holds", "clearances", "outbox"):
            assert conn.execute(sa.text(f"select count(*) from {table}")).scalar_one() == 0, table


def test_a_wave_of_twenty_thousand_orders_is_answered_in_one_call(guard):
    events = [guard.event(f"big-{i}", "payment", "paid", 1) for i in range(1000)]
    guard.push(*events)
    ids = [f"big-{i % 2000}" for i in range(20_000)]
    body = guard.client.post("/v1/checks", json={"order_ids": ids}, headers=guard.auth()).json()
    assert len(body["results"]) == 20_000
    # Known orders hold for the missing notice; the other half are unknown.
    assert body["counts"] == {"clear": 0, "hold": 20_000, "block": 0}
    assert body["results"][1500]["reasons"] == ["ORDER_UNKNOWN"]
    assert body["results"][5]["reasons"] == ["SHIPPING_NOTICE_MISSING"]


def test_the_engine_path_of_the_check_decides_as_the_api_does(guard, settings):
    # The API runs the check on the event loop with PostgreSQL; checks.check_order is the same
    # decision through the engine (SQLite's path, and any database's): same answers, same rows.
    from guard.clock import utcnow
    from guard.runtime import build_runtime
    from guard.services.apikeys import Principal
    from guard.services.checks import CheckRequest, check_order

    guard.record("o-engine-clear", **CLEAR_FACTS)
    guard.record("o-engine-held", **{**CLEAR_FACTS, "payment": "processing"})
    first = guard.check("o-engine-clear")["clearance"]["token"]
    rt = build_runtime(settings.model_copy(update={"embedded_jobs": False}), role="tool")
    try:
        principal = Principal(1, "erp", frozenset({"check"}), None)
        clear = check_order(rt, principal, CheckRequest("o-engine-clear", station_id="pack-2"), utcnow())
        held = check_order(rt, principal, CheckRequest("o-engine-held", station_id="pack-2"), utcnow())
    finally:
        rt.close()
    assert (clear["verdict"], clear["hold"], clear["label"]) == ("clear", None, None)
    assert (held["verdict"], [r["code"] for r in held["reasons"]]) == ("hold", ["PAYMENT_PROCESSING"])
    assert held["hold"]["state"] == "held" and held["clearance"] is None
    with guard.engine.connect() as conn:
        tokens = dict(
            conn.execute(
                sa.text("select token, voided_at is not null from clearances where order_id = 'o-engine-clear'")
            ).all()
        )
        kinds = conn.execute(
            sa.text("select kind, station_id from decisions where decision_id = :d"), {"d": held["decision_id"]}
        ).one()
        hold = conn.execute(sa.text("select state, station_id from holds where order_id = 'o-engine-held'")).one()
    assert tokens == {first: True, clear["clearance"]["token"]: False}  # the new clearance voided the API's
    assert tuple(kinds) == ("check", "pack-2") and tuple(hold) == ("held", "pack-2")
    # And the API sees what the engine path wrote.
    assert guard.check("o-engine-held")["hold"]["since"] == held["hold"]["since"].isoformat()
