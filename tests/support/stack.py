"""Real processes for the end-to-end tests: `guard serve`, `guard worker`, redis-server,
a webhook receiver, an SSE reader, and an ERP that talks HTTP with a key.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import sqlalchemy as sa

from guard.config import Settings
from guard.db import make_engine
from guard.services.apikeys import create_key, revoke_key
from guard.webhooks import SIGNATURE_HEADER

from support.api import ALL_SCOPES, at
from support.db import empty_tables
from support.processes import GUARD, STARTUP_S, free_port, guard_env, stop_group, tail, unique, wait_until
from support.services import REDIS_URL, WORKER, service_missing, worker_index
from support.webhooks import verify

# --- the database ---------------------------------------------------------------------------


def forget(database_url: str) -> None:
    """Empty every table: other tests share this PostgreSQL database and expect it empty."""
    empty_tables(database_url)


def new_key(database_url: str, name: str, scopes: list[str] | None = None, stores: list[str] | None = None) -> str:
    engine = make_engine(Settings(database_url=database_url))
    try:
        return create_key(engine, name, scopes or ALL_SCOPES, stores)
    finally:
        engine.dispose()


def revoke(database_url: str, name: str) -> None:
    """What `guard apikey revoke NAME` does, timed from its commit (the command's own start-up
    would hide the key cache's share of the bound)."""
    engine = make_engine(Settings(database_url=database_url))
    try:
        revoke_key(engine, name)
    finally:
        engine.dispose()


def outbox(database_url: str, order_id: str) -> list[dict]:
    """The outbox rows of one order, oldest first."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.text(
                        "SELECT notification_id, type, attempts, last_error, next_attempt_at, delivered_at, "
                        "failed_at FROM outbox WHERE order_id = :order_id ORDER BY id"
                    ),
                    {"order_id": order_id},
                )
                .mappings()
                .all()
            )
        return [dict(row) for row in rows]
    finally:
        engine.dispose()


# --- Redis ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broker:
    """A Celery broker for one stack: a Redis database and a queue name no other stack uses."""

    url: str
    queue: str

    def env(self) -> dict[str, str]:
        return {"GUARD_REDIS_URL": self.url, "GUARD_CELERY_QUEUE": self.queue}

    def _client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)

    def queued(self) -> int:
        """Tasks waiting in the queue."""
        client = self._client()
        try:
            return client.llen(self.queue)
        finally:
            client.close()

    def lose_queued(self) -> None:
        """Drop every waiting task, as a Redis without persistence does on a restart."""
        client = self._client()
        try:
            client.delete(self.queue)
        finally:
            client.close()

    def close(self) -> None:
        """Remove this queue's keys (its list and kombu's binding), leaving other stacks' alone."""
        client = self._client()
        try:
            keys = [self.queue, *client.scan_iter(match=f"*{self.queue}*", count=1000)]
            client.delete(*keys)
        finally:
            client.close()


def broker() -> Broker:
    """The shared Redis server: this worker's database and a fresh queue; skips (fails under CI) if absent.

    Each xdist worker takes a database of its own (15 for gw0, 14 for gw1, …; the 0 a
    developer's own `guard worker` uses is left alone), so Celery's own keys and control
    messages stay apart; each stack takes a queue of its own, so two runs at once (or a
    stack left over from a killed run) never hand each other tasks. Close it when done.
    """
    import redis

    url = urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{15 - worker_index() % 15}"))
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:
        service_missing("Redis", exc)
    return Broker(url, f"guard-test-{WORKER}-{uuid.uuid4().hex[:8]}")


class RedisServer:
    """A private redis-server on a port of its own, to be stopped and started again."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.broker = Broker(self.url, "guard")  # the server is this test's alone: the shipped queue name
        self.log = workdir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        import redis

        command = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]
        try:
            self.process = subprocess.Popen(
                command, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
            )
        except OSError as exc:
            service_missing("redis-server", exc)

        def answers() -> bool:
            try:
                client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
                try:
                    return bool(client.ping())
                finally:
                    client.close()
            except Exception:
                return False

        wait_until(answers, 10, "redis-server answering", lambda: tail(self.log))
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, grace=5)
            self.process = None


# --- the webhook receiver -------------------------------------------------------------------


@dataclass
class Hook:
    """One POST the receiver got."""

    body: bytes
    headers: dict[str, str]  # names lower-cased
    received_at: float  # time.monotonic()
    answered: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def id(self) -> str:
        return self.json["id"]

    @property
    def type(self) -> str:
        return self.json["type"]

    @property
    def order_id(self) -> str | None:
        return self.json.get("data", {}).get("order_id")

    def signed_with(self, secret: str) -> bool:
        return verify(self.body, self.headers.get(SIGNATURE_HEADER.lower(), ""), secret, int(time.time()))


class Receiver:
    """An ERP's webhook endpoint: records every POST; can refuse or stall chosen orders."""

    def __init__(self) -> None:
        self.hooks: list[Hook] = []
        self._lock = threading.Lock()
        self._refuse: dict[str, int] = {}
        self._stall: dict[str, threading.Event] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._handle(self, body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/erp/guard-hooks"

    def refuse(self, order_id: str, times: int = 1) -> None:
        """Answer 500 to the next `times` notifications about this order."""
        with self._lock:
            self._refuse[order_id] = times

    def stall(self, order_id: str) -> threading.Event:
        """Take the next notification about this order but do not answer until the event is set (or 30 s)."""
        gate = threading.Event()
        with self._lock:
            self._stall[order_id] = gate
        return gate

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        try:
            order_id = json.loads(body)["data"]["order_id"]
        except (ValueError, KeyError, TypeError):
            order_id = None
        with self._lock:
            gate = self._stall.pop(order_id, None)
            refused = self._refuse.get(order_id, 0) > 0
            if refused:
                self._refuse[order_id] -= 1
            status = 500 if refused or gate else 200
            headers = {name.lower(): value for name, value in handler.headers.items()}
            self.hooks.append(Hook(body, headers, time.monotonic(), status))
        if gate is not None:
            gate.wait(30)
        try:
            handler.send_response(status)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        except OSError:  # the sender is gone (killed mid-delivery)
            pass

    def about(self, order_id: str, type: str | None = None) -> list[Hook]:
        with self._lock:
            return [hook for hook in self.hooks if hook.order_id == order_id and (type is None or hook.type == type)]

    def wait_for(
        self, order_id: str, type: str, count: int = 1, timeout: float = 20.0, explain: Callable[[], str] = lambda: ""
    ) -> list[Hook]:
        def enough() -> list[Hook] | None:
            hooks = self.about(order_id, type)
            return hooks if len(hooks) >= count else None

        return wait_until(
            enough,
            timeout,
            f"{count} × {type} for {order_id} at the receiver",
            lambda: f"received: {[(h.type, h.order_id, h.answered) for h in self.hooks]}\n{explain()}",
        )

    def close(self) -> None:
        with self._lock:
            gates = list(self._stall.values())
        for gate in gates:
            gate.set()
        self._server.shutdown()
        self._server.server_close()


# --- guard serve / guard worker -------------------------------------------------------------


class Api:
    """`guard serve` on a free port, logging to a file (a pipe nobody reads would fill and stall it)."""

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"serve-{self.port}.log"
        self.process = subprocess.Popen(
            [*GUARD, "serve", "--port", str(self.port)],
            cwd=workdir,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def healthy() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"guard serve exited ({self.process.returncode}):\n{tail(self.log)}")
            try:
                return httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_until(healthy, STARTUP_S, "guard serve up", lambda: tail(self.log))
        except BaseException:
            self.stop()
            raise

    def logs(self) -> str:
        return tail(self.log)

    def stop(self) -> None:
        stop_group(self.process)


# Shortens the outbox lease for one test (the shipped lease is 60 s), then runs `guard worker …`.
_WORKER_WITH_LEASE = (
    "import sys; from datetime import timedelta; import guard.services.outbox as outbox; "
    "outbox.LEASE = timedelta(seconds=float(sys.argv[1])); "
    "from guard.cli import main; main(sys.argv[2:], prog_name='guard')"
)


class Worker:
    """`guard worker --beat --concurrency 1`, in a process group of its own (pool child and beat too).

    Each start runs in a fresh directory, so beat starts with a fresh schedule file.
    """

    ARGS = ["worker", "--beat", "--concurrency", "1"]

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log: Path | None = None
        self.ready_at: float | None = None
        self.frozen = False
        self._starts = 0

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, *, lease_s: float | None = None, wait: bool = True) -> Worker:
        assert not self.running, "one worker at a time"
        self._starts += 1
        here = self.workdir / f"worker-{self._starts}"
        here.mkdir(parents=True, exist_ok=True)
        self.log = here / "worker.log"
        command = (
            [*GUARD, *self.ARGS] if lease_s is None else [GUARD[0], "-c", _WORKER_WITH_LEASE, str(lease_s), *self.ARGS]
        )
        self.process = subprocess.Popen(
            command,
            cwd=here,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.ready_at = None
        self.frozen = False
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = STARTUP_S) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"guard worker exited ({self.process.returncode}):\n{self.logs()}")
            return " ready." in self.log.read_text(errors="replace")

        wait_until(ready, timeout, "guard worker ready", self.logs)
        self.ready_at = time.monotonic()

    def freeze(self) -> None:
        """SIGSTOP the whole group: it holds its broker connection but does nothing."""
        os.killpg(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def kill(self) -> None:
        """SIGKILL the whole group: no shutdown, no acks, leases left as they were."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)

    def logs(self) -> str:
        return tail(self.log) if self.log else "(worker never started)"


def stack_env(database_url: str, *, broker: Broker | None, webhook_url: str, webhook_secret: str) -> dict[str, str]:
    values = {
        "GUARD_DATABASE_URL": database_url,
        "GUARD_WEBHOOK_URL": webhook_url,
        "GUARD_WEBHOOK_SECRET": webhook_secret,
    }
    if broker:
        values.update(broker.env())
    return guard_env(**values)


# --- HTTP clients ---------------------------------------------------------------------------


class Erp:
    """The guard as the ERP and the packing stations see it: HTTP calls with a key."""

    def __init__(self, base: str, key: str):
        self.base = base
        self.key = key
        self.http = httpx.Client(base_url=base, timeout=10, headers={"Authorization": f"Bearer {key}"})

    def event(self, order_id: str, type: str, status: str, minute: float = 0, **extra: Any) -> dict:
        event = {
            "event_id": unique("ev"),
            "order_id": order_id,
            "type": type,
            "status": status,
            "occurred_at": at(minute),
        }
        if status in ("tracking_assigned", "recorded"):
            event["tracking_number"] = f"LP-{order_id}"  # each parcel wears its own number
        event.update(extra)
        return event

    def push(self, *events: dict, expect: int = 200) -> dict:
        response = self.http.post("/v1/events", json={"events": list(events)})
        assert response.status_code == expect, response.text
        return response.json()

    def record(self, order_id: str, minute: float = 0, store_id: str | None = "s1", **facts: str) -> dict:
        """One event per fact, all at `minute`: record("o1", payment="paid", shipping_notice="recorded")."""
        extra = {"store_id": store_id} if store_id else {}
        return self.push(*(self.event(order_id, fact, status, minute, **extra) for fact, status in facts.items()))

    def check(
        self, order_id: str, station_id: str | None = None, expect: int = 200, parcel_id: str | None = None
    ) -> dict:
        body = {"station_id": station_id} if station_id else {}
        if parcel_id is not None:
            body["parcel_id"] = parcel_id
        response = self.http.post(f"/v1/orders/{order_id}/check", json=body or None)
        assert response.status_code == expect, response.text
        return response.json()

    def hold_at(self, order_id: str, station_id: str) -> dict:
        """Scan the order at a station; it must be held there."""
        result = self.check(order_id, station_id)
        assert result["verdict"] == "hold", result
        assert result["hold"]["state"] == "held", result
        return result

    def label(self, order_id: str, station_id: str, parcel_id: str = "1") -> dict:
        """Check the parcel at a packing station and print its label: it must be clear."""
        result = self.check(order_id, station_id, parcel_id=parcel_id)
        assert result["verdict"] == "clear" and result["clearance"], result
        response = self.http.post(
            "/v1/labels", json={"clearance": result["clearance"]["token"], "station_id": station_id}
        )
        assert response.status_code == 201, response.text
        return response.json()

    def order(self, order_id: str) -> dict:
        response = self.http.get(f"/v1/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        self.http.close()


class StationStream:
    """A packing station listening on GET /v1/stations/{id}/stream, in a thread; SSE parsed into events."""

    def __init__(self, base: str, station_id: str, key: str):
        self.events: list[tuple[str, dict]] = []
        self.status: int | None = None
        self._connected = threading.Event()
        self._closing = False
        self._socket: Any = None
        self._client = httpx.Client(
            base_url=base, timeout=httpx.Timeout(5.0, read=None), headers={"Authorization": f"Bearer {key}"}
        )
        self._thread = threading.Thread(
            target=self._read, args=(f"/v1/stations/{station_id}/stream",), name=f"sse-{station_id}", daemon=True
        )
        self._thread.start()
        if not self._connected.wait(10):
            self.close()
            raise AssertionError(f"the {station_id} stream did not open within 10 s")
        assert self.status == 200, f"stream answered {self.status}"

    def _read(self, path: str) -> None:
        try:
            with self._client.stream("GET", path) as response:
                self.status = response.status_code
                self._socket = response.extensions["network_stream"].get_extra_info("socket")
                if response.status_code != 200:
                    self._connected.set()
                    return
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if line.startswith(":"):
                        if "connected" in line:  # sent once the subscription is in place
                            self._connected.set()
                    elif line:
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
                    elif "event" in fields:
                        self.events.append((fields["event"], json.loads(fields.get("data", "null"))))
                        fields = {}
        except Exception:
            if not self._closing:
                raise
        finally:
            self._connected.set()

    def about(self, order_id: str) -> list[tuple[str, dict]]:
        return [(kind, data) for kind, data in list(self.events) if data["data"]["order_id"] == order_id]

    def wait_for(self, order_id: str, kind: str, timeout: float = 20.0) -> dict:
        def found() -> dict | None:
            return next((data for event, data in self.about(order_id) if event == kind), None)

        return wait_until(
            found, timeout, f"{kind} for {order_id} on the stream", lambda: f"stream so far: {self.events}"
        )

    def close(self) -> None:
        self._closing = True
        if self._socket is not None:  # wakes the blocked read (closing alone would not)
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._client.close()
        self._thread.join(timeout=5)
