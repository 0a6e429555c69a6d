"""Authentication and scopes (contract, "Authentication").

`Authorization: Bearer <secret>` on every /v1 call: missing, unknown or revoked key
→ 401; a key without the needed scope → 403. Only a hash of the secret is stored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from guard.services.apikeys import SCOPES, revoke_key

from support.api import CLEAR_FACTS, assert_error, at

JSON = {"Content-Type": "application/json"}


def events_body(order_id: str = "o-auth") -> dict:
    return {
        "events": [
            {
                "event_id": f"ev-auth-{order_id}",
                "order_id": order_id,
                "type": "payment",
                "status": "paid",
                "occurred_at": at(0),
            }
        ]
    }


# (method, path, body, the scope it needs)
ENDPOINTS = [
    ("POST", "/v1/events", events_body(), "events"),
    ("POST", "/v1/orders/o-auth/check", {"station_id": "pack-01"}, "check"),
    ("POST", "/v1/checks", {"order_ids": ["o-auth"]}, "check"),
    ("GET", "/v1/orders/o-auth", None, "check"),
    ("GET", "/v1/orders/o-auth/decisions", None, "check"),
]
ENDPOINT_IDS = ["events", "check", "checks", "get-order", "decisions"]


def call(guard, method: str, path: str, body, headers: dict[str, str]):
    content = json.dumps(body).encode() if body is not None else None
    return guard.client.request(method, path, content=content, headers={**JSON, **headers})


def written(guard) -> dict[str, int]:
    with guard.engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("orders", "facts", "events", "decisions", "holds", "clearances")
        }


@pytest.fixture
def known_order(guard):
    """o-auth exists with a decision, so every read endpoint has something it could show."""
    guard.record("o-auth", **CLEAR_FACTS)
    guard.check("o-auth")
    return "o-auth"


@pytest.mark.parametrize("method, path, body, scope", ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_call_without_authorization_is_401(guard, known_order, method, path, body, scope):
    before = written(guard)
    error = assert_error(call(guard, method, path, body, {}), 401, "UNAUTHENTICATED")
    assert "Bearer" in error["message"]
    assert written(guard) == before


@pytest.mark.parametrize(
    "header",
    [
        "Basic x",
        "Basic {key}",
        "Bearer",
        "Bearer ",
        "Bearer   ",
        "{key}",
        "Token {key}",
        "Bearer: {key}",
        "",
        "   ",
    ],
    ids=[
        "basic",
        "basic-with-the-key",
        "bearer-alone",
        "bearer-space",
        "bearer-spaces",
        "bare-key",
        "token",
        "bearer-colon",
        "empty",
        "blank",
    ],
)
def test_a_malformed_authorization_is_401(guard, known_order, header):
    # One dependency reads the header for every /v1 route; each route is covered below.
    for method, path, body, _ in ENDPOINTS:
        before = written(guard)
        response = call(guard, method, path, body, {"Authorization": header.format(key=guard.key)})
        assert_error(response, 401, "UNAUTHENTICATED")
        assert written(guard) == before


@pytest.mark.parametrize("secret", ["gk_unknown", "gk_" + "A" * 43, "x", "Bearer", "gk_" + "é"])
def test_an_unknown_key_is_401(guard, known_order, secret):
    headers = {"Authorization": f"Bearer {secret}".encode()}  # raw bytes: a non-ASCII secret too
    for method, path, body, _ in ENDPOINTS:
        before = written(guard)
        assert_error(call(guard, method, path, body, headers), 401, "UNAUTHENTICATED")
        assert written(guard) == before


def test_a_near_miss_of_a_real_key_is_401(guard, known_order):
    for near in (guard.key[:-1], guard.key + "x", guard.key.upper(), " " + guard.key[1:]):
        response = guard.client.get("/v1/orders/o-auth", headers={"Authorization": f"Bearer {near}"})
        assert_error(response, 401, "UNAUTHENTICATED")


def test_the_bearer_scheme_is_case_insensitive(guard, known_order):
    # RFC 9110: the auth scheme is case-insensitive; the secret is not.
    for scheme in ("bearer", "BEARER", "Bearer"):
        response = guard.client.get("/v1/orders/o-auth", headers={"Authorization": f"{scheme} {guard.key}"})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("method, path, body, scope", ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_revoked_key_is_401_on_the_next_call(guard, known_order, method, path, body, scope):
    key = guard.new_key("soon-gone", scope)
    first = call(guard, method, path, body, guard.auth(key))
    assert first.status_code == 200, first.text

    revoke_key(guard.engine, "soon-gone")  # the test settings cache keys for 0 s

    before = written(guard)
    assert_error(call(guard, method, path, body, guard.auth(key)), 401, "UNAUTHENTICATED")
    assert written(guard) == before
    # Other keys are untouched.
    assert call(guard, method, path, body, guard.auth()).status_code == 200


@pytest.mark.parametrize("method, path, body, scope", ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_key_without_the_needed_scope_is_403(guard, known_order, method, path, body, scope):
    key = guard.new_key("not-this", *[other for other in SCOPES if other != scope])
    before = written(guard)
    error = assert_error(call(guard, method, path, body, guard.auth(key)), 403, "FORBIDDEN")
    assert scope in error["message"]
    assert written(guard) == before


@pytest.mark.parametrize("method, path, body, scope", ENDPOINTS, ids=ENDPOINT_IDS)
def test_the_needed_scope_alone_is_enough(guard, known_order, method, path, body, scope):
    key = guard.new_key("just-this", scope)
    response = call(guard, method, path, body, guard.auth(key))
    assert response.status_code == 200, response.text


def test_scope_is_checked_before_the_body(guard):
    # A caller without the scope learns nothing about what it sent, not even that it was malformed.
    key = guard.new_key("reader", "check")
    response = guard.client.post("/v1/events", content=b"{not json", headers={**JSON, **guard.auth(key)})
    assert_error(response, 403, "FORBIDDEN")
    response = guard.client.post("/v1/events", content=b"{not json", headers=JSON)
    assert_error(response, 401, "UNAUTHENTICATED")


def test_an_unknown_order_id_is_401_not_404_without_a_key(guard):
    assert_error(guard.client.get("/v1/orders/o-nobody"), 401, "UNAUTHENTICATED")
    assert_error(guard.client.post("/v1/orders/o-nobody/check"), 401, "UNAUTHENTICATED")
    assert written(guard)["decisions"] == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer gk_unknown"}, {"Authorization": "Basic x"}],
    ids=["no-key", "unknown-key", "basic"],
)
def test_health_and_readiness_need_no_key(guard, headers):
    health = guard.client.get("/healthz", headers=headers)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = guard.client.get("/readyz", headers=headers)
    assert ready.status_code == 200, ready.text
    assert ready.json()["database"] == "up"


def test_only_a_hash_of_the_secret_is_stored(guard):
    secret = guard.new_key("hashed", "check", stores=["s1"])
    with guard.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_keys")).mappings().all()
    assert {row["name"] for row in rows} == {"erp", "hashed"}
    for row in rows:
        for column, value in row.items():
            text = str(value)
            assert secret not in text, column
            assert guard.key not in text, column
            # Not even the random part without its prefix.
            assert secret.removeprefix("gk_") not in text, column
    [row] = [row for row in rows if row["name"] == "hashed"]
    assert len(row["key_hash"]) == 64 and row["key_hash"] != secret


def test_two_keys_never_share_a_secret(guard):
    secrets = {guard.new_key(f"k{n}", "check") for n in range(20)}
    assert len(secrets) == 20


def last_used(guard, name: str) -> datetime | None:
    with guard.engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT last_used_at FROM api_keys WHERE name = :name"), {"name": name}
        ).scalar_one()
    if isinstance(value, str):  # SQLite hands back text for a raw query
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def test_last_used_at_is_written_on_use(guard):
    key = guard.new_key("station-7", "check")
    assert last_used(guard, "station-7") is None
    before = datetime.now(UTC)
    response = guard.client.post("/v1/checks", json={"order_ids": ["o-1"]}, headers=guard.auth(key))
    assert response.status_code == 200
    used = last_used(guard, "station-7")
    assert used is not None
    assert before - timedelta(seconds=1) <= used <= datetime.now(UTC) + timedelta(seconds=1)


def test_a_refused_call_does_not_mark_a_key_used(guard):
    guard.new_key("idle", "check")
    guard.client.get("/v1/orders/o-1", headers={"Authorization": "Bearer gk_wrong"})
    assert last_used(guard, "idle") is None


def test_a_forbidden_call_still_proves_the_key_was_used(guard):
    # The key authenticated; only its scope was short. Operators auditing keys want to see that.
    key = guard.new_key("reader-only", "check")
    assert_error(guard.client.post("/v1/events", json=events_body(), headers=guard.auth(key)), 403, "FORBIDDEN")
    assert last_used(guard, "reader-only") is not None
