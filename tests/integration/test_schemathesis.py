"""The API keeps the promises of its own OpenAPI document, whatever a client sends.

Schemathesis reads the document the app serves at /openapi.json and sends every
operation generated requests, valid and invalid (positive and negative data):
no answer may be a 5xx, every status must be documented for its operation, and
every body must have the documented content type and match the documented schema.

Generated requests per operation: GUARD_FUZZ_EXAMPLES (25 by default, for CI).
A long run by hand:

    GUARD_FUZZ_EXAMPLES=500 .venv/bin/python -m pytest tests/integration/test_schemathesis.py -q

SQLite only: the document and the parsing are the same on both backends, and
the per-backend behaviour is covered by every other API test.
"""

from __future__ import annotations

import base64
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from guard.api.app import create_app
from guard.config import Settings
from guard.db import make_engine, upgrade
from guard.services.apikeys import create_key

from support.api import CLEAR_FACTS, at
from support.documents import pdf_label

EXAMPLES = int(os.environ.get("GUARD_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# Seeded below, so that some generated calls reach real orders, holds and labels.
SEEDED_ORDERS = ["o-clear", "o-labelled", "o-held", "o-blocked", "o-released", "o-waivable", "o-turned", "o-unknown"]
SEEDED: dict[str, list[str]] = {
    "order_id": SEEDED_ORDERS,
    "label_id": [],
    "notification_id": [],  # path parameters
    "clearance": [],
    "code": ["o-labelled", "LP-o-labelled", "o-clear", "o-blocked", "o-turned"],  # body fields
}
BODY_FIELDS = {"/v1/labels": "clearance", "/v1/handovers": "code"}


def _served_document() -> dict:
    # The document as a client fetches it. No lifespan is started: serving it needs no database.
    app = create_app(Settings(database_url="sqlite://", embedded_jobs=False))
    response = TestClient(app).get("/openapi.json")
    assert response.status_code == 200, response.text
    return response.json()


schema = (
    schemathesis.openapi.from_dict(_served_document())
    # An endless stream (a keep-alive comment every 15 s): a 200 never ends, so it cannot be
    # read as a whole. Its refusals are the same dependency's as every other route's.
    .exclude(path="/v1/stations/{station_id}/stream")
)
schema.config.generation.update(max_examples=EXAMPLES)


ANSWERS: Counter[tuple[str, int]] = Counter()  # (operation, status): what the run reached; shown with -s


@schema.hook
def after_call(context, case, response):
    ANSWERS[(case.operation.label, response.status_code)] += 1


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Now and then aim a generated call at a seeded order, label or notification."""
    options = [path_parameters]
    for name, values in SEEDED.items() if path_parameters else ():
        if name in path_parameters:
            options += [{**path_parameters, name: value} for value in values]
    return st.sampled_from(options)


@schema.hook
def flatmap_body(context, body):
    """Now and then spend a seeded clearance, or scan a seeded order or tracking number."""
    field = BODY_FIELDS.get(context.operation.path)
    if field is None or not isinstance(body, dict):
        return st.just(body)
    return st.sampled_from([body] + [{**body, field: value} for value in SEEDED[field]])


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, dict[str, str]]]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'guard.db'}"
    settings = Settings(
        database_url=url,
        key_cache_s=0,
        redis_url=None,
        webhook_url=None,
        rules_file=None,
        rate_limit_per_s=0,
        request_timeout_s=30,
        embedded_jobs=False,
    )
    upgrade(settings)
    engine = make_engine(settings)
    secret = create_key(engine, "fuzzer", ["events", "check", "labels", "holds", "supervise"], None)
    engine.dispose()
    auth = {"Authorization": f"Bearer {secret}"}
    _seed(create_app(settings), auth)
    app = create_app(settings)  # the fuzzed one: Schemathesis starts (and here stops) its lifespan
    try:
        yield app, auth
    finally:
        asgi.shutdown_lifespans()
        print(f"\n{sum(ANSWERS.values())} calls, {EXAMPLES} examples per operation:")
        for label in sorted({label for label, _ in ANSWERS}):
            statuses = ", ".join(f"{status}: {n}" for (other, status), n in sorted(ANSWERS.items()) if other == label)
            print(f"  {label}  {statuses}")


def _seed(app, auth: dict[str, str]) -> None:
    events = []

    def fact(order_id: str, fact_type: str, status: str, minute: float = 1, **extra) -> None:
        events.append(
            {
                "event_id": f"seed-{len(events)}",
                "order_id": order_id,
                "type": fact_type,
                "status": status,
                "occurred_at": at(minute),
                "store_id": "shop-1",
                **extra,
            }
        )

    for order_id in ("o-clear", "o-labelled", "o-released", "o-waivable", "o-turned"):
        for fact_type, status in CLEAR_FACTS.items():
            extra = {"tracking_number": f"LP-{order_id}", "carrier": "Cainiao"} if status == "recorded" else {}
            fact(order_id, fact_type, status, **extra)
    for parcel in ("2", "3"):  # parcels of their own, each with its own notice
        fact("o-clear", "shipping_notice", "recorded", tracking_number=f"LP-o-clear-{parcel}", parcel_id=parcel)
    fact("o-released", "payment", "unpaid", 2)
    fact("o-waivable", "payment", "unpaid", 2)
    fact("o-held", "payment", "processing")
    fact("o-blocked", "order", "closed")
    with TestClient(app) as client:

        def call(method: str, path: str, body: object = None, expect: int = 200) -> dict:
            response = client.request(method, path, json=body, headers=auth)
            assert response.status_code == expect, response.text
            return response.json() if response.content else {}

        call("POST", "/v1/events", {"events": events})
        for order_id in SEEDED_ORDERS:
            call("POST", f"/v1/orders/{order_id}/check", {"station_id": "pack-01"})
        spent = call("POST", "/v1/orders/o-labelled/check")["clearance"]["token"]
        SEEDED["label_id"].append(call("POST", "/v1/labels", {"clearance": spent}, expect=201)["label_id"])
        call(
            "PUT",
            "/v1/orders/o-clear/carrier-label",
            {
                "format": "pdf",
                "content_base64": base64.b64encode(pdf_label("LP-o-clear")).decode(),
                "tracking_number": "LP-o-clear",
            },
            expect=204,
        )
        # Live clearances (one per parcel), a spent one, and one whose order has turned bad since.
        SEEDED["clearance"] += [
            call("POST", "/v1/orders/o-clear/check", {"parcel_id": parcel})["clearance"]["token"]
            for parcel in ("1", "2", "3")
        ]
        SEEDED["clearance"] += [spent, call("POST", "/v1/orders/o-turned/check")["clearance"]["token"]]
        call(
            "POST",
            "/v1/events",
            {
                "events": [
                    {
                        "event_id": "seed-turn",
                        "order_id": "o-turned",
                        "type": "risk",
                        "status": "reviewing",
                        "occurred_at": at(5),
                    }
                ]
            },
        )
        call("POST", "/v1/holds/o-released/release", {"reason": "bank confirmed by phone"})
        pending = call("GET", "/v1/notifications?state=pending")["items"]
        SEEDED["notification_id"] += [item["id"] for item in pending[:3]]


@schema.parametrize()
def test_every_answer_is_documented_and_never_a_server_error(case, fuzzed):
    app, auth = fuzzed
    case.call_and_validate(app=app, headers=auth, checks=CHECKS)
