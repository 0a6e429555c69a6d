"""A throwaway guard for one replay: a temporary SQLite file, a key, the API in a
subprocess on a free port, its clock driven by the replay. Removed afterwards.

The replay also plays the guard's worker: it runs the re-check sweep (what
`guard worker --beat` or `guard serve`'s embedded loop would run) itself, at set
simulated moments, between requests. A sweep that ran whenever a background
thread woke would make two replays of one seed differ.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from guard.simulate.clock import FileClock

SCOPES = ["events", "check", "labels", "holds", "supervise"]
STARTUP_TIMEOUT_S = 60


class EmbeddedGuardError(RuntimeError):
    pass


@dataclass
class EmbeddedGuard:
    base_url: str
    key: str
    clock: FileClock
    database_url: str
    _engine: object
    _settings: object

    def sweep(self) -> int:
        """Re-check every hold that is due now (simulated time); returns how many were."""
        from guard.services.recheck import sweep

        return sweep(self._engine, self._settings, self.clock.now, lambda ids: None)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(database_url: str) -> dict[str, str]:
    # Never the operator's Redis, webhook receiver or database: this guard is a toy.
    # GUARD_RULES_FILE is kept, so a store's own rule settings can be replayed.
    return {
        **os.environ,
        "GUARD_ENV": "development",
        "GUARD_DATABASE_URL": database_url,
        "GUARD_REDIS_URL": "",
        "GUARD_WEBHOOK_URL": "",
        "GUARD_WEBHOOK_SECRET": "",
        "GUARD_EMBEDDED_JOBS": "false",
    }


@contextmanager
def embedded_guard(start: datetime) -> Iterator[EmbeddedGuard]:
    """Start a guard whose clock reads `start`; yields once it answers, removes it all after."""
    from guard.config import Settings
    from guard.db import make_engine, upgrade
    from guard.services.apikeys import create_key

    workdir = Path(tempfile.mkdtemp(prefix="guard-simulate-"))
    database_url = f"sqlite:///{workdir / 'guard.db'}"
    env = _environment(database_url)
    settings = Settings(
        database_url=database_url, redis_url=None, webhook_url=None, webhook_secret=None, embedded_jobs=False
    )
    process: subprocess.Popen | None = None
    clock: FileClock | None = None
    engine = None
    log = workdir / "guard.log"
    try:
        settings.rules  # noqa: B018 - a bad GUARD_RULES_FILE stops the replay here, with its reason
        upgrade(settings)
        engine = make_engine(settings)
        key = create_key(engine, "simulate", SCOPES, None)
        clock = FileClock.create(workdir / "clock", start)
        port = _free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "guard.simulate.server", "--port", str(port), "--clock", str(workdir / "clock")],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, process, log)
        yield EmbeddedGuard(base_url, key, clock, database_url, engine, settings)
    finally:
        if process is not None:
            _stop(process)
        if clock is not None:
            clock.close()
        if engine is not None:
            engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_until_healthy(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedGuardError(f"the embedded guard exited ({process.returncode}):\n{_tail(log)}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise EmbeddedGuardError(f"the embedded guard did not answer within {STARTUP_TIMEOUT_S} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only what this replay started
        process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"
