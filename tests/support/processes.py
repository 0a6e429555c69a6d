"""Real processes: `guard …` commands, `guard serve` on a port of its own, waiting on conditions."""

from __future__ import annotations

import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx

from support.services import worker_index

T = TypeVar("T")

GUARD = [sys.executable, "-m", "guard.cli"]
# How long a `guard serve` or `guard worker` may take to come up: it bounds a broken start
# only (a start takes a second or two, but a parallel run on a loaded 2-core machine can
# stretch the imports and migrations well past that).
STARTUP_S = 90.0


# --- ports ------------------------------------------------------------------------------------

# Ports for the servers the tests start come from below the kernel's ephemeral range: a port
# taken from inside it (bind to 0, close, hand it to the server) can be taken in the meantime
# by any outgoing connection of a parallel test, and the server then fails to bind. Each
# xdist worker has a slice of its own, so two workers never hand out the same port either.
_SLICE = 400
_FIRST = 15_000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


_SLICES = max(1, (_ephemeral_start() - _FIRST) // _SLICE)
_START = _FIRST + (worker_index() % _SLICES) * _SLICE
_NEXT = itertools.count(random.randrange(_SLICE))  # another run at the same time starts elsewhere


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nobody listens on: this worker's next free one (never the same twice in a row)."""
    if _ephemeral_start() <= _FIRST + _SLICE:  # an unusual kernel setting: leave the choice to it
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    for _ in range(_SLICE):
        port = _START + next(_NEXT) % _SLICE
        if _bindable(port):
            return port
    raise AssertionError(f"no free port in {_START}–{_START + _SLICE - 1}")


# --- waiting ----------------------------------------------------------------------------------


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 20.0,
    what: str = "the condition",
    explain: Callable[[], str] = lambda: "",
) -> T:
    """Poll until `predicate()` is truthy (and return it); fail with `explain()` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s\n{explain()}")
        time.sleep(0.05)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --- guard commands ---------------------------------------------------------------------------


def guard_env(**values: str) -> dict[str, str]:
    """This process's environment without any GUARD_* setting, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUARD_")}
    env.update(values)
    return env


def run_guard(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run([*GUARD, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result


@contextmanager
def served_with_key(cwd: Path, name: str, *scopes: str) -> Iterator[tuple[str, str]]:
    """A fresh `guard serve` on the embedded default in `cwd`, and a key with these scopes:
    (its base URL, the key's secret). Stopped on the way out."""
    env = guard_env()
    run_guard("db", "upgrade", cwd=cwd, env=env)
    created = run_guard("apikey", "create", name, *(f"--scope={scope}" for scope in scopes), cwd=cwd, env=env)
    process, base = serve(cwd, env)
    try:
        yield base, created.stdout.strip().splitlines()[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def serve(cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`guard serve` on a free port, once /healthz answers: (the process, its base URL)."""
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
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"guard serve exited: {process.stdout.read()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"guard serve did not come up within {STARTUP_S:g} s")


def tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def stop_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left of it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGCONT)  # a frozen group would not see the SIGTERM
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # pool children and beat, if the main one left them
    except ProcessLookupError:
        pass
    process.wait(timeout=10)
