"""Logs carry ids and codes, never keys, secrets or buyer data (design, "Security").

A real `guard serve` with GUARD_LOG_FORMAT=json is taken through a day's worth of
calls carrying things that must stay out of its log — an API key, a wrong key, the
webhook secret, buyers' free-text reasons, a supervisor's written note, tracking
numbers, clearance tokens, the database password — and its whole log is read back.
Order ids and reason codes, which an operator needs, must be there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from guard.config import Settings
from guard.db import make_engine
from guard.services.apikeys import create_key, hash_secret

from support.db import empty_tables
from support.processes import GUARD, STARTUP_S, free_port

WEBHOOK_SECRET = "whsec-LOGHYGIENE-7f3a9c"
DB_PASSWORD = "pw-LOGHYGIENE-41d2"
BUYER_REASON = "Buyer Marisol Quintanilla asked to hold it, call +34 611 402 977, Calle del Olmo 14"
BUYER_REASON_2 = "Paid by bank transfer from account ES91 2100 0418 4502 0005 1332 (Quintanilla)"
SUPERVISOR_NOTE = "Spoke with buyer Quintanilla on WhatsApp, she confirmed the address"
TRACKING = "LP00731955208CN"
# Pieces that would give away the buyer even if the whole sentence were cut up.
BUYER_PIECES = ["Marisol", "Quintanilla", "611 402 977", "Calle del Olmo", "ES91 2100", "WhatsApp"]


class Receiver:
    """The ERP's webhook endpoint: takes every POST, answers 200."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks?via=guard"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def with_password(url: str) -> str:
    """The PostgreSQL URL with a password in it (kept if it has one; a trusting server ignores ours)."""
    parsed = sa.engine.make_url(url)
    return parsed if parsed.password else parsed.set(password=DB_PASSWORD)


class Served:
    """`guard serve` with JSON logs, its stdout and stderr in one file."""

    def __init__(self, workdir: Path, database_url: str, webhook_url: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "serve.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GUARD_")}
        env.update(
            GUARD_DATABASE_URL=database_url,
            GUARD_LOG_FORMAT="json",
            GUARD_WEBHOOK_URL=webhook_url,
            GUARD_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        self.process = subprocess.Popen(
            [*GUARD, "serve", "--port", str(self.port)],
            cwd=workdir,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_S
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"guard serve exited:\n{self.text()}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"guard serve did not come up:\n{self.text()}")
            time.sleep(0.1)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def served_url(request, tmp_path) -> Iterator[tuple[str, str]]:
    """(URL the guard is given, URL the test uses) for a fresh database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'guard.db'}"
        yield url, url
        return
    plain = request.getfixturevalue("postgres_url")
    empty_tables(plain)
    yield with_password(plain).render_as_string(hide_password=False), plain
    empty_tables(plain)


def event(event_id: str, order_id: str, type_: str, status: str, minutes_ago: float, **extra: Any) -> dict:
    occurred = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "event_id": event_id,
        "order_id": order_id,
        "type": type_,
        "status": status,
        "occurred_at": occurred.isoformat(),
        "store_id": "s1",
        **extra,
    }


def test_the_log_carries_ids_and_codes_but_no_keys_secrets_or_buyer_data(tmp_path, served_url):
    guard_url, test_url = served_url
    receiver = Receiver()
    served = Served(tmp_path, guard_url, receiver.url)
    engine = make_engine(Settings(database_url=test_url))
    secret = create_key(engine, "erp-hygiene", ["events", "check", "labels", "holds", "supervise"], None)
    reader = create_key(engine, "reader-hygiene", ["check"], None)
    wrong = "gk_" + "Zq9" * 14  # a plausible key nobody issued
    engine.dispose()
    paying, waiving = "HYG-ORDER-1001", "HYG-ORDER-1002"
    tokens: list[str] = []
    try:
        with httpx.Client(base_url=served.base, timeout=10, headers={"Authorization": f"Bearer {secret}"}) as erp:

            def ok(response: httpx.Response, status: int = 200) -> dict:
                assert response.status_code == status, response.text
                return response.json() if response.content else {}

            ok(
                erp.post(
                    "/v1/events",
                    json={
                        "events": [
                            event("hyg-e1", paying, "payment", "unpaid", 10, reason=BUYER_REASON),
                            event(
                                "hyg-e2",
                                paying,
                                "shipping_notice",
                                "recorded",
                                10,
                                tracking_number=TRACKING,
                                carrier="Cainiao",
                                reason=BUYER_REASON,
                            ),
                            event("hyg-e3", waiving, "payment", "awaiting_confirmation", 10, reason=BUYER_REASON),
                            event("hyg-e4", waiving, "shipping_notice", "recorded", 10, tracking_number=TRACKING + "B"),
                        ]
                    },
                )
            )
            held = ok(erp.post(f"/v1/orders/{paying}/check", json={"station_id": "pack-1", "operator": "Ana"}))
            assert held["verdict"] == "hold"
            ok(erp.post(f"/v1/orders/{waiving}/check", json={"station_id": "pack-1"}))

            # The payment arrives: released, and the ERP is told with a signed webhook.
            ok(
                erp.post(
                    "/v1/events",
                    json={"events": [event("hyg-e5", paying, "payment", "paid", 5, reason=BUYER_REASON_2)]},
                )
            )
            deadline = time.monotonic() + 20
            while not any(body["type"] == "hold.released" for body in receiver.bodies):
                assert time.monotonic() < deadline, f"no hold.released webhook:\n{served.text()[-3000:]}"
                time.sleep(0.1)

            clear = ok(erp.post(f"/v1/orders/{paying}/check", json={"station_id": "pack-1"}))
            tokens.append(clear["clearance"]["token"])
            ok(erp.post("/v1/labels", json={"clearance": clear["clearance"]["token"], "station_id": "pack-1"}), 201)
            ok(erp.post("/v1/handovers", json={"code": TRACKING, "station_id": "dock-1"}))
            ok(erp.get(f"/v1/orders/{paying}"))
            ok(erp.post(f"/v1/holds/{waiving}/release", json={"reason": SUPERVISOR_NOTE}))

            # Refusals: a wrong key, a key short of a scope, a bad batch carrying buyer text.
            refused = erp.post(f"/v1/orders/{paying}/check", headers={"Authorization": f"Bearer {wrong}"})
            assert refused.status_code == 401
            assert (
                erp.post(
                    "/v1/events",
                    json={"events": [event("hyg-e6", paying, "payment", "paid", 1)]},
                    headers={"Authorization": f"Bearer {reader}"},
                ).status_code
                == 403
            )
            bad = erp.post(
                "/v1/events",
                json={
                    "events": [
                        event("hyg-e7", paying, "payment", "paid", 1, reason=BUYER_REASON, occurred_at="yesterday")
                    ]
                },
            )
            assert bad.status_code == 422
            spent = erp.post("/v1/labels", json={"clearance": tokens[0], "station_id": "pack-1"})
            assert spent.status_code == 409
    finally:
        served.stop()
        receiver.close()

    text = served.text()
    lines = [line for line in text.splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"GUARD_LOG_FORMAT=json, yet this log line is not JSON: {line!r}")

    forbidden = {
        "the API key": secret,
        "the API key's random part": secret.removeprefix("gk_"),
        "the API key's hash": hash_secret(secret),
        "the refused key": wrong,
        "the other key": reader,
        "the webhook secret": WEBHOOK_SECRET,
        "the buyer's reason": BUYER_REASON,
        "the payment note": BUYER_REASON_2,
        "the supervisor's note": SUPERVISOR_NOTE,
        "the tracking number": TRACKING,
        "the clearance token": tokens[0],
        "the operator's name": '"Ana"',
    }
    if sa.engine.make_url(guard_url).password:
        forbidden["the database password"] = sa.engine.make_url(guard_url).password
    forbidden.update({f"part of the buyer's data ({piece})": piece for piece in BUYER_PIECES})
    leaks = {what: [line for line in lines if value in line][:2] for what, value in forbidden.items() if value in text}
    assert not leaks, f"found in the guard's log: {json.dumps(leaks, indent=1)}"

    # What an operator needs is there: ids and codes.
    requests = [record for record in records if record.get("logger") == "guard.request"]
    assert requests and all(record.get("request_id") for record in requests)
    assert any(
        record.get("order_id") == paying
        and record.get("verdict") == "hold"
        and "PAYMENT_UNPAID" in record.get("reasons", "")
        for record in requests
    )
    assert any(record.get("order_id") == paying and record.get("verdict") == "clear" for record in requests)
    assert any(record.get("order_id") == waiving for record in requests)
    assert any(record.get("status") == 401 for record in requests)
    assert any(record.get("status") == 422 and record.get("route") == "/v1/events" for record in requests)
    assert any(record.get("error") == "CLEARANCE_USED" for record in requests)


def test_a_database_error_as_logged_names_the_statement_but_not_the_values(settings):
    """An error's text ends up in a log line (`log.exception`, a worker's retry): keep data out of it."""
    engine = make_engine(settings)
    row = {
        "event_id": "hyg-dup",
        "order_id": "HYG-1",
        "fact_type": "payment",
        "status": "paid",
        "occurred_at": datetime.now(UTC),
        "received_at": datetime.now(UTC),
        "outcome": "applied",
        "payload": {"reason": BUYER_REASON, "tracking_number": TRACKING},
    }
    insert = sa.text(
        "INSERT INTO events (event_id, order_id, fact_type, status, occurred_at, received_at, outcome, "
        "payload) VALUES (:event_id, :order_id, :fact_type, :status, :occurred_at, :received_at, "
        ":outcome, :payload)"
    )
    try:
        with engine.begin() as conn:
            conn.execute(insert, {**row, "payload": json.dumps(row["payload"])})
        with pytest.raises(DBAPIError) as failed:  # the same event id again: a unique violation
            with engine.begin() as conn:
                conn.execute(insert, {**row, "payload": json.dumps(row["payload"])})
        logged = "".join(traceback.format_exception(failed.value))
        assert "INSERT INTO events" in logged  # the statement helps; the values must not be there
        assert BUYER_REASON not in logged and TRACKING not in logged, logged
    finally:
        engine.dispose()
