"""Every route asks for its own scope, and only that one (contract, "Authentication")."""

import base64

import pytest

from support.api import CLEAR_FACTS

SCOPES = ("events", "check", "labels", "holds", "supervise")
PDF = base64.b64encode(b"%PDF-1.4 carrier label").decode()

# (method, path, body, the scope it needs) — the routes test_auth.py does not cover.
ROUTES = [
    (
        "PUT",
        "/v1/orders/o-scope/carrier-label",
        {"format": "pdf", "content_base64": PDF, "tracking_number": "LP1"},
        "events",
    ),
    ("POST", "/v1/labels", {"clearance": "clr_unknown", "station_id": "pack-01"}, "labels"),
    ("POST", "/v1/labels/lbl_unknown/reprint", {"reason": "jammed"}, "supervise"),
    ("POST", "/v1/handovers", {"code": "o-scope", "station_id": "dock-1"}, "labels"),
    ("GET", "/v1/holds", None, "holds"),
    ("GET", "/v1/holds/summary", None, "holds"),
    ("GET", "/v1/holds/export.csv", None, "holds"),
    ("POST", "/v1/holds/o-scope/release", {"reason": "bank confirmed"}, "supervise"),
    ("GET", "/v1/notifications", None, "supervise"),
    ("POST", "/v1/notifications/ntf_unknown/retry", None, "supervise"),
    ("POST", "/v1/orders/o-scope/fulfil", {"service_name": "EMS", "tracking_number": "EE123456789CN"}, "events"),
]
IDS = [f"{method} {path}" for method, path, _, _ in ROUTES]


@pytest.fixture
def known(guard):
    guard.record("o-scope", **CLEAR_FACTS)
    guard.check("o-scope")


@pytest.mark.parametrize("method, path, body, scope", ROUTES, ids=IDS)
def test_a_key_without_the_routes_scope_is_403(guard, known, method, path, body, scope):
    key = guard.new_key("all-but", *[other for other in SCOPES if other != scope])
    response = guard.client.request(method, path, json=body, headers=guard.auth(key))
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "FORBIDDEN" and scope in response.json()["error"]["message"]


@pytest.mark.parametrize("method, path, body, scope", ROUTES, ids=IDS)
def test_the_routes_scope_alone_gets_past_the_door(guard, known, method, path, body, scope):
    key = guard.new_key("only", scope)
    response = guard.client.request(method, path, json=body, headers=guard.auth(key))
    assert response.status_code not in (401, 403), response.text
    assert response.status_code < 500


def test_the_station_stream_needs_check(guard):
    key = guard.new_key("no-check", "events", "labels", "holds", "supervise")
    response = guard.client.get("/v1/stations/pack-01/stream", headers=guard.auth(key))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")
