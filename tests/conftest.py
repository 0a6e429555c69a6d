"""Test wiring: every API test runs against SQLite *and* PostgreSQL, each a fresh database.

PostgreSQL comes from GUARD_TEST_DATABASE_URL (an admin URL; a scratch database is
created and dropped per run). Locally, a missing server skips those tests with
the reason; under CI=true a missing server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

from guard.api.app import create_app
from guard.config import Settings
from guard.db import make_engine, upgrade
from guard.services.apikeys import create_key

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("GUARD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("GUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def service_missing(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({type(error).__name__}: {error})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"guard_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        service_missing("PostgreSQL", exc)
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(Settings(database_url=url))
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'guard.db'}"
    upgrade(Settings(database_url=url))
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    yield url
    empty_tables(url)


def empty_tables(url: str) -> None:
    engine = sa.create_engine(url)
    names = [table.name for table in SQLModel.metadata.sorted_tables]
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(names)} RESTART IDENTITY")
        else:
            for name in names:
                conn.exec_driver_sql(f"DELETE FROM {name}")
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No key cache in tests, so a revoked key is refused on the very next call; no rate
    # limit and a generous deadline, so a loaded CI machine does not fail closed on us.
    return Settings(
        database_url=database_url,
        key_cache_s=0,
        redis_url=None,
        webhook_url=None,
        rules_file=None,
        rate_limit_per_s=0,
        request_timeout_s=30,
    )


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


T0 = datetime(2026, 11, 11, 0, 0, tzinfo=timezone(timedelta(hours=8)))


def at(minutes: float) -> str:
    """An RFC 3339 source time, `minutes` after midnight of Double 11 (Beijing time)."""
    return (T0 + timedelta(minutes=minutes)).isoformat()


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
            extra = {"tracking_number": f"LP-{order_id}"} if status in ("tracking_assigned", "recorded") else {}
            events.append(self.event(order_id, fact_type, status, minute, **extra))
        return self.push(*events)

    def check(self, order_id: str, key: str | None = None, expect: int = 200, **body: Any) -> Any:
        response = self.client.post(f"/v1/orders/{order_id}/check", json=body or None, headers=self.auth(key))
        assert response.status_code == expect, response.text
        return response.json()

    def codes(self, order_id: str, **body: Any) -> list[str]:
        return [reason["code"] for reason in self.check(order_id, **body)["reasons"]]


CLEAR_FACTS = {"payment": "paid", "risk": "cleared", "shipping_notice": "recorded", "freight": "paid"}


def _running_guard(settings: Settings) -> Iterator[Guard]:
    app = create_app(settings)
    engine = make_engine(settings)
    key = create_key(engine, "erp", ["events", "check", "labels", "holds", "supervise"], None)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Guard(client=client, engine=engine, key=key)
    engine.dispose()


@pytest.fixture
def guard(settings: Settings) -> Iterator[Guard]:
    yield from _running_guard(settings)


@pytest.fixture
def quiet_settings(settings: Settings) -> Settings:
    """No embedded jobs: only the test delivers notifications and moves the clock."""
    return settings.model_copy(update={"embedded_jobs": False})


@pytest.fixture
def quiet_guard(quiet_settings: Settings) -> Iterator[Guard]:
    yield from _running_guard(quiet_settings)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
