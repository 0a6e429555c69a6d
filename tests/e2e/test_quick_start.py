"""The README's quick start, for real: `guard serve` as a process, a key from the CLI, HTTP calls."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

GUARD = [sys.executable, "-m", "guard.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def guard_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUARD_")}
    env.update(values)
    return env


def run_guard(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run([*GUARD, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result


def serve(cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [*GUARD, "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded CI machine starts Python slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"guard serve exited: {process.stdout.read()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("guard serve did not come up within 90 s")


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
        _forget(postgres_url)


def _forget(url: str) -> None:
    """Leave the shared test database as the other tests expect it: empty."""
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    import guard.models  # noqa: F401

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE " + ", ".join(t.name for t in SQLModel.metadata.sorted_tables))
    engine.dispose()
