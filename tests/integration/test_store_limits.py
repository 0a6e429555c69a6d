"""Store-limited keys (contract, "Authentication" → "Store-limited keys").

To a key created with `--store A`, an order of another store, or one with no
store_id, is indistinguishable from an unknown order: 404 on reads, ORDER_UNKNOWN
on checks (in batches too), and its checks of such orders write nothing — no
hold, no decision. Its events must carry one of its stores (else 422). An
order's store_id, once set, never changes (422), whoever asks.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from support.api import CLEAR_FACTS, assert_error

# What a check could leave behind (of the outbox, the notifications themselves: their
# delivery bookkeeping moves on in the background).
WRITTEN = {
    "orders": "*",
    "facts": "*",
    "events": "*",
    "decisions": "*",
    "holds": "*",
    "clearances": "*",
    "outbox": "notification_id, type, order_id, body",
}


def assert_not_available(guard, response, before, *indexes: int) -> None:
    """Another store's order id: refused per event (the rest of the batch lands), told only that the id
    is not available — never whose it is — nothing of the event stored, and the operator told."""
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    for index in indexes:
        assert results[index]["outcome"] == "rejected"
        assert results[index]["error"]["code"] == "ORDER_NOT_AVAILABLE"
        # One wording for every case: whose order it is, or whether it has a store, is never said.
        assert results[index]["error"]["message"] == (
            "this order id is not available to this key's stores; nothing was stored (the operator is told)"
        )
    after = snapshot(guard)
    collisions = [row for row in after["outbox"] if row[1] == "order.collision"]
    assert len(collisions) == len(indexes)
    assert {k: v for k, v in after.items() if k != "outbox"} == {k: v for k, v in before.items() if k != "outbox"}
    with guard.engine.connect() as conn:
        stores = conn.execute(sa.text("SELECT store_id FROM outbox WHERE type = 'order.collision'")).scalars().all()
    assert stores == [None] * len(indexes)  # an operator's notification: no store-limited key sees it


def assert_validation(response, *expected: tuple[int | None, str]) -> list[dict]:
    details = assert_error(response, 422, "VALIDATION_ERROR")["details"]
    for detail in details:
        assert set(detail) == {"index", "field", "message"}
    named = {(detail["index"], detail["field"]) for detail in details}
    for item in expected:
        assert item in named, details
    return details


def snapshot(guard) -> dict[str, list[tuple]]:
    """Every row a request could write, so 'nothing written' is checked exactly."""
    rows: dict[str, list[tuple]] = {}
    with guard.engine.connect() as conn:
        for table, columns in WRITTEN.items():
            rows[table] = sorted(
                tuple(map(str, row)) for row in conn.execute(sa.text(f"SELECT {columns} FROM {table}"))
            )
    return rows


def record_in(
    guard, order_id: str, store_id: str | None, minute: float = 0, key: str | None = None, **facts: str
) -> Any:
    """Push one event per fact, each carrying the store (when given)."""
    events = []
    for fact_type, status in facts.items():
        extra: dict[str, Any] = (
            {"tracking_number": f"LP-{order_id}"} if status in ("tracking_assigned", "recorded") else {}
        )
        if store_id is not None:
            extra["store_id"] = store_id
        events.append(guard.event(order_id, fact_type, status, minute, **extra))
    return guard.push(*events, key=key)


def get(guard, path: str, key: str | None = None):
    return guard.client.get(path, headers=guard.auth(key))


@pytest.fixture
def store_a(guard) -> str:
    """A key for store A only, with the scopes a packing station and its ERP feed need."""
    return guard.new_key("store-a", "events", "check", stores=["A"])


# -- events --------------------------------------------------------------------------------------


@pytest.mark.parametrize("store", [None, "B", "a", "A "], ids=["missing", "other-store", "wrong-case", "padded"])
def test_a_limited_keys_events_must_carry_one_of_its_stores(guard, store_a, store):
    event = guard.event("o-feed", "payment", "paid")
    if store is not None:
        event["store_id"] = store
    before = snapshot(guard)
    response = guard.client.post("/v1/events", json={"events": [event]}, headers=guard.auth(store_a))
    assert_validation(response, (0, "store_id"))
    assert snapshot(guard) == before
    assert_error(get(guard, "/v1/orders/o-feed"), 404, "ORDER_NOT_FOUND")
    # The id was not used up: the event, with the right store, applies.
    event["store_id"] = "A"
    assert guard.push(event, key=store_a)["results"][0]["outcome"] == "applied"


def test_one_foreign_event_refuses_the_limited_keys_whole_batch(guard, store_a):
    own = guard.event("o-mine", "payment", "paid", store_id="A")
    foreign = guard.event("o-theirs", "payment", "paid", store_id="B")
    unmarked = guard.event("o-mine", "risk", "cleared")
    before = snapshot(guard)
    response = guard.client.post("/v1/events", json={"events": [own, foreign, unmarked]}, headers=guard.auth(store_a))
    details = assert_validation(response, (1, "store_id"), (2, "store_id"))
    assert {d["index"] for d in details} == {1, 2}
    assert snapshot(guard) == before
    assert_error(get(guard, "/v1/orders/o-mine"), 404, "ORDER_NOT_FOUND")


def test_a_limited_key_cannot_write_into_another_stores_order(guard, store_a):
    record_in(guard, "o-b", "B", payment="processing")
    before = snapshot(guard)
    event = guard.event("o-b", "payment", "paid", 10, store_id="A")
    response = guard.client.post("/v1/events", json={"events": [event]}, headers=guard.auth(store_a))
    assert_not_available(guard, response, before, 0)
    assert get(guard, "/v1/orders/o-b").json()["facts"]["payment"]["status"] == "processing"


def test_a_collision_never_fails_the_rest_of_the_batch(guard, store_a):
    record_in(guard, "o-taken", "B", payment="paid")
    own = guard.event("o-own", "payment", "paid", 10, store_id="A")
    taken = guard.event("o-taken", "payment", "refunded", 10, store_id="A")
    response = guard.client.post("/v1/events", json={"events": [taken, own]}, headers=guard.auth(store_a))
    assert [r["outcome"] for r in response.json()["results"]] == ["rejected", "applied"]
    assert get(guard, "/v1/orders/o-own", store_a).json()["facts"]["payment"]["status"] == "paid"
    assert get(guard, "/v1/orders/o-taken").json()["facts"]["payment"]["status"] == "paid"
    # The same answer as for an id the guard never heard of would leak nothing: A reads it as unknown.
    assert_error(get(guard, "/v1/orders/o-taken", store_a), 404, "ORDER_NOT_FOUND")


def test_a_key_of_several_stores_may_feed_each(guard):
    key = guard.new_key("stores-ab", "events", "check", stores=["A", "B"])
    results = record_in(guard, "o-a", "A", key=key, payment="paid")["results"]
    results += record_in(guard, "o-b", "B", key=key, payment="paid")["results"]
    assert [r["outcome"] for r in results] == ["applied", "applied"]
    assert get(guard, "/v1/orders/o-a", key).json()["store_id"] == "A"
    assert get(guard, "/v1/orders/o-b", key).json()["store_id"] == "B"


# -- what it cannot see --------------------------------------------------------------------------


def comparable(answer: dict) -> dict:
    """A check answer without what depends on the id asked or the moment asked."""
    moment_free = [{k: v for k, v in reason.items() if k != "recheck_at"} for reason in answer["reasons"]]
    return {**{k: v for k, v in answer.items() if k not in ("order_id", "decided_at")}, "reasons": moment_free}


def assert_unknown_and_nothing_written(guard, key: str, order_id: str) -> None:
    """The contract's 'indistinguishable from an unknown order', for one limited key and order."""
    before = snapshot(guard)

    assert_error(get(guard, f"/v1/orders/{order_id}", key), 404, "ORDER_NOT_FOUND")
    assert_error(get(guard, f"/v1/orders/{order_id}/decisions", key), 404, "ORDER_NOT_FOUND")

    result = guard.check(order_id, key=key, station_id="pack-a", operator="li")
    assert result["order_id"] == order_id
    assert result["verdict"] == "hold"
    assert [reason["code"] for reason in result["reasons"]] == ["ORDER_UNKNOWN"]
    assert result["hold"] is None
    assert result["decision_id"] is None
    assert result["clearance"] is None
    assert result["label"] is None
    assert result["waived"] == []

    # ...exactly what it answers for an order nobody has ever heard of.
    never = guard.check("o-never-heard-of", key=key, station_id="pack-a", operator="li")
    assert comparable(result) == comparable(never)

    assert snapshot(guard) == before
    # The unrestricted key's history of the order shows nothing from the limited key.
    history = get(guard, f"/v1/orders/{order_id}/decisions")
    assert history.status_code == 200, history.text
    assert all(decision["key_name"] != "store-a" for decision in history.json()["items"])


@pytest.mark.parametrize(
    "facts",
    [
        CLEAR_FACTS,
        {**CLEAR_FACTS, "payment": "processing"},
        {**CLEAR_FACTS, "order": "closed"},
    ],
    ids=["clear", "held", "blocked"],
)
def test_another_stores_order_is_unknown_to_a_limited_key(guard, store_a, facts):
    record_in(guard, "o-b", "B", **facts)
    guard.check("o-b", station_id="pack-b")  # the unrestricted key's check: a hold or block if any
    assert_unknown_and_nothing_written(guard, store_a, "o-b")


@pytest.mark.parametrize("facts", [CLEAR_FACTS, {**CLEAR_FACTS, "risk": "reviewing"}], ids=["clear", "held"])
def test_an_order_without_a_store_is_unknown_to_a_limited_key(guard, store_a, facts):
    guard.record("o-none", **facts)
    guard.check("o-none", station_id="pack-x")
    assert get(guard, "/v1/orders/o-none").json()["store_id"] is None
    assert_unknown_and_nothing_written(guard, store_a, "o-none")


def test_a_limited_keys_check_of_an_unknown_order_writes_nothing(guard, store_a):
    before = snapshot(guard)
    result = guard.check("o-ghost", key=store_a, station_id="pack-a")
    assert [reason["code"] for reason in result["reasons"]] == ["ORDER_UNKNOWN"]
    assert result["hold"] is None and result["decision_id"] is None
    assert snapshot(guard) == before
    # Not even the unrestricted key finds a trace of it.
    assert_error(get(guard, "/v1/orders/o-ghost/decisions"), 404, "ORDER_NOT_FOUND")


def test_a_held_order_of_another_store_keeps_its_hold_as_it_was(guard, store_a):
    record_in(guard, "o-b", "B", **{**CLEAR_FACTS, "payment": "processing"})
    held = guard.check("o-b", station_id="pack-b")
    assert held["hold"]["state"] == "held"
    order_before = get(guard, "/v1/orders/o-b").json()
    decisions_before = get(guard, "/v1/orders/o-b/decisions").json()

    for _ in range(3):
        guard.check("o-b", key=store_a, station_id="pack-a")
    assert guard.client.post("/v1/checks", json={"order_ids": ["o-b"]}, headers=guard.auth(store_a)).status_code == 200

    order_after = get(guard, "/v1/orders/o-b").json()
    assert order_after["hold"] == order_before["hold"] == held["hold"]
    assert [r["code"] for r in order_after["reasons"]] == ["PAYMENT_PROCESSING"]
    assert get(guard, "/v1/orders/o-b/decisions").json() == decisions_before


def test_a_batch_check_answers_order_unknown_for_what_a_limited_key_cannot_see(guard, store_a):
    record_in(guard, "o-a", "A", **CLEAR_FACTS)
    record_in(guard, "o-a-held", "A", **{**CLEAR_FACTS, "payment": "unpaid"})
    record_in(guard, "o-b", "B", **CLEAR_FACTS)
    record_in(guard, "o-b-blocked", "B", **CLEAR_FACTS, cancellation="accepted")
    guard.record("o-none", **CLEAR_FACTS)
    ids = ["o-a", "o-b", "o-none", "o-unknown", "o-a-held", "o-b-blocked", "o-a"]
    before = snapshot(guard)

    response = guard.client.post("/v1/checks", json={"order_ids": ids}, headers=guard.auth(store_a))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(r["order_id"], r["verdict"], r["reasons"]) for r in body["results"]] == [
        ("o-a", "clear", []),
        ("o-b", "hold", ["ORDER_UNKNOWN"]),
        ("o-none", "hold", ["ORDER_UNKNOWN"]),
        ("o-unknown", "hold", ["ORDER_UNKNOWN"]),
        ("o-a-held", "hold", ["PAYMENT_UNPAID"]),
        ("o-b-blocked", "hold", ["ORDER_UNKNOWN"]),  # not "block": that would tell it the order exists
        ("o-a", "clear", []),
    ]
    assert body["counts"] == {"clear": 2, "hold": 5, "block": 0}
    assert snapshot(guard) == before

    # The unrestricted key sees them all as they are.
    everything = guard.client.post("/v1/checks", json={"order_ids": ids}, headers=guard.auth()).json()
    assert [r["verdict"] for r in everything["results"]] == [
        "clear",
        "clear",
        "clear",
        "hold",
        "hold",
        "block",
        "clear",
    ]


# -- its own store --------------------------------------------------------------------------------


def test_a_limited_key_works_normally_for_its_own_store(guard, store_a):
    record_in(guard, "o-a", "A", key=store_a, **CLEAR_FACTS)

    order = get(guard, "/v1/orders/o-a", store_a)
    assert order.status_code == 200, order.text
    assert order.json()["store_id"] == "A"
    assert order.json()["verdict"] == "clear"

    cleared = guard.check("o-a", key=store_a, station_id="pack-a", operator="li")
    assert cleared["verdict"] == "clear" and cleared["reasons"] == []
    assert cleared["clearance"]["token"] and cleared["decision_id"]

    [decision] = get(guard, "/v1/orders/o-a/decisions", store_a).json()["items"]
    assert decision["decision_id"] == cleared["decision_id"]
    assert decision["key_name"] == "store-a"
    assert decision["station_id"] == "pack-a" and decision["operator"] == "li"


def test_a_limited_key_holds_and_releases_its_own_stores_orders(guard, store_a):
    record_in(guard, "o-a", "A", key=store_a, **{**CLEAR_FACTS, "payment": "processing"})
    held = guard.check("o-a", key=store_a, station_id="pack-a")
    assert held["verdict"] == "hold" and held["hold"]["state"] == "held"
    assert [r["code"] for r in held["reasons"]] == ["PAYMENT_PROCESSING"]
    assert held["decision_id"] is not None

    record_in(guard, "o-a", "A", minute=30, key=store_a, payment="paid")
    cleared = guard.check("o-a", key=store_a, station_id="pack-a")
    assert cleared["verdict"] == "clear" and cleared["clearance"]


def test_an_order_fed_without_store_by_an_unrestricted_key_keeps_working_for_it(guard, store_a):
    guard.record("o-free", **CLEAR_FACTS)
    assert guard.check("o-free")["verdict"] == "clear"
    assert get(guard, "/v1/orders/o-free").status_code == 200


# -- store_id never changes -------------------------------------------------------------------------


def test_an_orders_store_cannot_be_changed_by_any_key(guard, store_a):
    record_in(guard, "o-a", "A", key=store_a, payment="processing")
    store_b = guard.new_key("store-b", "events", "check", stores=["B"])
    both = guard.new_key("stores-ab", "events", "check", stores=["A", "B"])
    before = snapshot(guard)

    for key in (None, both):  # unrestricted, and a key of both stores: their own input is wrong
        event = guard.event("o-a", "payment", "paid", 10, store_id="B")
        response = guard.client.post("/v1/events", json={"events": [event]}, headers=guard.auth(key))
        assert_validation(response, (0, "store_id"))
        assert snapshot(guard) == before
    event = guard.event("o-a", "payment", "paid", 10, store_id="B")  # the other store: the id is not its
    assert_not_available(guard, guard.client.post("/v1/events", json={"events": [event]},
                                                  headers=guard.auth(store_b)), before, 0)  # fmt: skip

    order = get(guard, "/v1/orders/o-a").json()
    assert order["store_id"] == "A"
    assert order["facts"]["payment"]["status"] == "processing"
    assert_error(get(guard, "/v1/orders/o-a", store_b), 404, "ORDER_NOT_FOUND")


def test_a_store_set_by_the_unrestricted_key_cannot_be_claimed_by_a_limited_key(guard, store_a):
    record_in(guard, "o-b", "B", payment="paid")
    before = snapshot(guard)
    event = guard.event("o-b", "risk", "cleared", 5, store_id="A")
    response = guard.client.post("/v1/events", json={"events": [event]}, headers=guard.auth(store_a))
    assert_not_available(guard, response, before, 0)
    assert get(guard, "/v1/orders/o-b").json()["store_id"] == "B"


def test_a_store_limited_key_cannot_claim_an_order_created_without_a_store(guard):
    guard.record("o-unassigned", payment="paid")
    limited = guard.new_key("claimer", "events", "check", stores=["shop-a"])
    claim = guard.client.post(
        "/v1/events",
        headers=guard.auth(limited),
        json={"events": [guard.event("o-unassigned", "risk", "cleared", 5, store_id="shop-a")]},
    )
    assert claim.status_code == 200
    assert claim.json()["results"][0]["error"]["code"] == "ORDER_NOT_AVAILABLE"
    # Still invisible to it, and still without a store.
    assert guard.client.get("/v1/orders/o-unassigned", headers=guard.auth(limited)).status_code == 404
    assert guard.client.get("/v1/orders/o-unassigned", headers=guard.auth()).json()["store_id"] is None
