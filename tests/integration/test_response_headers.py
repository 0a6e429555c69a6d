"""Every answer tells the browser not to guess its type (`X-Content-Type-Options: nosniff`).

The pages keep keys in the browser's storage on the same origin as the API: a JSON
answer carrying ERP-supplied text must never be sniffed and run as HTML or script.
"""

from __future__ import annotations

from support.api import CLEAR_FACTS


def test_json_answers_and_errors_carry_nosniff(guard):
    guard.record("o-1", **CLEAR_FACTS)
    answers = {
        "check": guard.client.post("/v1/orders/o-1/check", headers=guard.auth()),
        "order": guard.client.get("/v1/orders/o-1", headers=guard.auth()),
        "no key": guard.client.get("/v1/orders/o-1"),
        "unknown order": guard.client.get("/v1/orders/o-404", headers=guard.auth()),
        "bad body": guard.client.post("/v1/events", content=b"{", headers=guard.auth()),
        "too large": guard.client.post(
            "/v1/events", content=b"x", headers={**guard.auth(), "content-length": str(9 * 1024 * 1024)}
        ),
        "export": guard.client.get("/v1/holds/export.csv", headers=guard.auth()),
        "healthz": guard.client.get("/healthz"),
        "unmatched": guard.client.get("/nothing-here"),
    }
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "check": 200,
        "order": 200,
        "no key": 401,
        "unknown order": 404,
        "bad body": 422,
        "too large": 413,
        "export": 200,
        "healthz": 200,
        "unmatched": 404,
    }
    missing = [
        name for name, response in answers.items() if response.headers.get("x-content-type-options") != "nosniff"
    ]
    assert missing == []


def test_a_page_says_nosniff_once(guard):
    response = guard.client.get("/station")
    assert response.status_code == 200
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
