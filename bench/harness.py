"""What a run stands on: a scratch PostgreSQL database and the real server, both cleaned up after."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench import BenchError
from guard.config import Settings
from guard.db import make_engine, upgrade
from guard.services.apikeys import create_key

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
STARTUP_TIMEOUT_S = 60
SHUTDOWN_TIMEOUT_S = 15


def admin_url() -> str:
    return os.environ.get("GUARD_BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)


def postgres_version(url: str) -> str:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SHOW server_version").scalar_one()
    finally:
        engine.dispose()


@contextmanager
def scratch_database(admin: str) -> Iterator[str]:
    """A new database at the latest schema; yields its URL and drops it on the way out."""
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"guard_bench_{secrets.token_hex(4)}"
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(Settings(database_url=url))
        yield url
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def analyze(database: str) -> None:
    """Bring the planner's statistics up to date after a bulk load, as autovacuum does within a
    minute on a production server. Without it a freshly loaded database is planned as if empty
    (sequential scans with long `= ANY(...)` lists) wherever autovacuum is off — as on the CI
    machines here — and the figures would measure the missing statistics, not the guard."""
    url = sa.engine.make_url(admin_url()).set(database=database).render_as_string(hide_password=False)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def bench_key(database_url: str) -> str:
    """An API key for the ERP side (events) and the stations (check, labels); returns its secret."""
    engine = make_engine(Settings(database_url=database_url))
    try:
        return create_key(engine, "bench", ["events", "check", "labels"], None)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int
    log: Path
    database: str  # its scratch database's name

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes (not PostgreSQL's).

        Unlike wall time it barely moves when other work shares the machine, so
        it is the steadier figure for comparing two versions of the code.
        """
        return sum(_cpu_seconds(pid) for pid in self.processes())

    def processes(self) -> list[int]:
        """The server process and its workers."""
        return [self.pid, *_children(self.pid)]

    def rss_bytes(self) -> dict[int, int]:
        """Resident memory of each server process, by pid (VmRSS from /proc)."""
        return {pid: rss for pid in self.processes() if (rss := _rss_bytes(pid)) is not None}

    def postgres_backends(self) -> dict[int, float]:
        """The PostgreSQL backends connected to its database now: pid → CPU seconds used so far.

        Found by their process title (`postgres: … <user> <database> <client> …`).
        """
        mark = f" {self.database} ".encode()
        return {
            int(cmdline.parent.name): _cpu_seconds(int(cmdline.parent.name))
            for cmdline in Path("/proc").glob("[0-9]*/cmdline")
            if (title := _read_bytes(cmdline)) is not None and title.startswith(b"postgres: ") and mark in title
        }


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # a process that has gone


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0  # a worker that has gone
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def _rss_bytes(pid: int) -> int | None:
    for line in (_read_bytes(Path(f"/proc/{pid}/status")) or b"").decode().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024  # kB
    return None


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        children += [int(child) for child in task.read_text().split()]
    return children


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _guard_command() -> str:
    # The `guard` script beside the running interpreter: the project's venv.
    script = Path(sys.executable).parent / "guard"
    if not script.exists():
        raise SystemExit(f"no `guard` command beside {sys.executable}; run the bench with the project's venv")
    return str(script)


def _bench_env(database_url: str, extra: dict[str, str] | None) -> dict[str, str]:
    # The rate limit protects production from a runaway client; the bench is one on purpose.
    return {**os.environ, "GUARD_DATABASE_URL": database_url, "GUARD_RATE_LIMIT_PER_S": "0", **(extra or {})}


@contextmanager
def guard_server(database_url: str, workers: int, env: dict[str, str] | None = None) -> Iterator[Server]:
    """`guard serve` as a subprocess on a free port; yields once /healthz answers, stops it on the way out."""
    port = _free_port()
    log = Path(tempfile.mkstemp(prefix="guard-bench-server-", suffix=".log")[1])
    command = [_guard_command(), "serve", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        # Its own session: a Ctrl-C at the terminal reaches the bench, which stops
        # the server itself, in order, before dropping the database.
        process = subprocess.Popen(
            command,
            env=_bench_env(database_url, env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", process.pid, log, sa.engine.make_url(database_url).database)
    failed = False
    try:
        _wait_until_healthy(server, process)
        yield server
    except Exception:  # not Ctrl-C: an interrupted run needs no server log
        failed = True
        raise
    finally:
        died = process.poll()
        _stop(process)
        if failed:
            if died is not None:
                print(f"guard serve (pid {process.pid}) had exited with status {died}", file=sys.stderr)
            print(f"server log, last lines ({log} is kept):\n{_tail(log)}", file=sys.stderr)
        else:
            log.unlink(missing_ok=True)


@contextmanager
def guard_worker(database_url: str, env: dict[str, str]) -> Iterator[int]:
    """`guard worker --beat` as a subprocess; yields its pid, stops it on the way out."""
    log = Path(tempfile.mkstemp(prefix="guard-bench-worker-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [_guard_command(), "worker", "--beat", "--concurrency", "1"],
            env=_bench_env(database_url, env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process.pid
    finally:
        _stop(process)
        log.unlink(missing_ok=True)


def _wait_until_healthy(server: Server, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"guard serve exited with status {process.returncode} before it was healthy")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise BenchError(f"guard serve did not answer /healthz within {STARTUP_TIMEOUT_S} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # uvicorn shuts down gracefully, its workers too
    try:
        process.wait(SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group this bench started, nothing else
        process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(unreadable: {exc})"
