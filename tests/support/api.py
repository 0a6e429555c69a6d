"""The guard in process, as an integrator sees it: HTTP calls with a key (FastAPI's TestClient)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from guard.api.app import create_app
from guard.config import Settings
from guard.db import make_engine
from guard.services.apikeys import create_key

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=timezone(timedelta(hours=8)))
CLEAR_FACTS = {"payment": "paid", "risk": "cleared", "shipping_notice": "recorded", "freight": "paid"}
ALL_SCOPES = ["events", "check", "labels", "holds", "supervise"]


def at(minutes: float) -> str:
    """An RFC 3339 source time, `minutes` after midnight of Double 11 (Beijing time)."""
    return (T0 + timedelta(minutes=minutes)).isoformat()


def assert_error(response, status: int, code: str) -> dict:
    """The contract's envelope: {"error": {"code", "message", "details"?, …}}; returns the error."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"].strip()
    if "details" in error:
        assert isinstance(error["details"], list)
    return error


@dataclass
class Guard:
    """The guard as an integrator sees it: HTTP calls with a key."""

    client: TestClient
    engine: sa.Engine
    key: str
    _counter: int = 0

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    def new_key(self, name: str, *scopes: str, stores: list[str] | None = None) -> str:
        return create_key(self.engine, name, list(scopes), stores)

    def event(self, order_id: str, type: str, status: str, minute: float = 0, **extra: Any) -> dict:
        self._counter += 1
        event = {
            "event_id": f"ev-{self._counter}-{uuid.uuid4().hex[:6]}",
            "order_id": order_id,
            "type": type,
            "status": status,
            "occurred_at": at(minute),
        }
        event.update(extra)
        return event

    def push(self, *events: dict, key: str | None = None, expect: int = 200) -> Any:
        response = self.client.post("/v1/events", json={"events": list(events)}, headers=self.auth(key))
        assert response.status_code == expect, response.text
        return response.json()

    def record(self, order_id: str, minute: float = 0, **facts: str) -> Any:
        """Push one event per fact: record("o1", payment="paid", shipping_notice="recorded")."""
        events = []
        for fact_type, status in facts.items():
            extra = (
                {"tracking_number": f"LP-{order_id}"} if status in ("tracking_assigned", "recorded") else {}
            )  # its own
            events.append(self.event(order_id, fact_type, status, minute, **extra))
        return self.push(*events)

    def check(self, order_id: str, key: str | None = None, expect: int = 200, **body: Any) -> Any:
        response = self.client.post(f"/v1/orders/{order_id}/check", json=body or None, headers=self.auth(key))
        assert response.status_code == expect, response.text
        return response.json()

    def codes(self, order_id: str, **body: Any) -> list[str]:
        return [reason["code"] for reason in self.check(order_id, **body)["reasons"]]


def running_guard(settings: Settings) -> Iterator[Guard]:
    """The app with its lifespan running, and a key with every scope."""
    app = create_app(settings)
    engine = make_engine(settings)
    key = create_key(engine, "erp", ALL_SCOPES, None)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Guard(client=client, engine=engine, key=key)
    engine.dispose()
