"""The README's quick start, for real: `guard serve` as a process, a key from the CLI, HTTP calls."""

from __future__ import annotations

import httpx
import pytest

from support.db import empty_tables
from support.processes import guard_env, run_guard, serve


def first_clear_verdict(base: str, secret: str) -> dict:
    auth = {"Authorization": f"Bearer {secret}"}
    events = [
        {
            "event_id": "qs-1",
            "order_id": "8123456789",
            "type": "payment",
            "status": "paid",
            "occurred_at": "2026-11-11T00:05:00+08:00",
        },
        {
            "event_id": "qs-2",
            "order_id": "8123456789",
            "type": "shipping_notice",
            "status": "recorded",
            "tracking_number": "LP00123456789CN",
            "occurred_at": "2026-11-11T00:20:00+08:00",
        },
    ]
    assert httpx.post(f"{base}/v1/events", json={"events": events}, headers=auth).status_code == 200
    response = httpx.post(f"{base}/v1/orders/8123456789/check", json={"station_id": "pack-01"}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def test_serve_with_no_configuration_uses_a_sqlite_file_and_gives_a_first_clear(tmp_path):
    env = guard_env()
    process, base = serve(tmp_path, env)
    try:
        assert (tmp_path / "guard.db").exists()  # the embedded default, migrations applied on start
        created = run_guard("apikey", "create", "erp", "--scope", "events", "--scope", "check", cwd=tmp_path, env=env)
        secret = created.stdout.strip().splitlines()[-1]
        result = first_clear_verdict(base, secret)
        assert result["verdict"] == "clear"
        assert result["clearance"]["token"]
        assert httpx.get(f"{base}/readyz").json()["database"] == "up"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.postgres
def test_serve_on_postgresql(tmp_path, postgres_url):
    env = guard_env(GUARD_DATABASE_URL=postgres_url)
    process, base = serve(tmp_path, env)
    try:
        assert not (tmp_path / "guard.db").exists()
        created = run_guard(
            "apikey", "create", "erp-pg", "--scope", "events", "--scope", "check", cwd=tmp_path, env=env
        )
        result = first_clear_verdict(base, created.stdout.strip().splitlines()[-1])
        assert result["verdict"] == "clear"
    finally:
        process.terminate()
        process.wait(timeout=10)
        empty_tables(postgres_url)
