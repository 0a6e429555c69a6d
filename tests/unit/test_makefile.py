"""`make run` listens where it is told: PORT / HOST on the command line, or GUARD_PORT / GUARD_HOST."""

import os
import shutil
import subprocess
from pathlib import Path

from support.services import service_missing

ROOT = Path(__file__).resolve().parents[2]


def serve_command(*args: str, **env: str) -> str:
    """The `guard serve` line `make run` would execute (a dry run: nothing starts)."""
    if shutil.which("make") is None:  # `make test` itself needs it; a bare pytest may not have it
        service_missing("make", FileNotFoundError("make (apt-get install make)"))  # fails under CI=true
    # Not this run's settings, nor a parent make's (`make test` runs this suite).
    inherited = ("GUARD_", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    clean = {name: value for name, value in os.environ.items() if not name.startswith(inherited)}
    done = subprocess.run(
        ["make", "--dry-run", "run", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=True
    )
    [line] = [line for line in done.stdout.splitlines() if " serve " in line]
    return line.split("guard ", 1)[1]


def test_make_run_listens_on_8000_by_default():
    assert serve_command() == "serve --host 127.0.0.1 --port 8000"


def test_make_run_takes_the_port_and_host_on_the_command_line():
    assert serve_command("PORT=8080", "HOST=0.0.0.0") == "serve --host 0.0.0.0 --port 8080"


def test_a_stray_host_or_port_in_the_environment_does_not_move_make_run():
    assert serve_command(HOST="my-laptop", PORT="5000") == "serve --host 127.0.0.1 --port 8000"


def test_make_run_honours_guard_port_and_guard_host_from_the_environment():
    assert serve_command(GUARD_PORT="9001", GUARD_HOST="0.0.0.0") == "serve --host 0.0.0.0 --port 9001"
    assert (
        serve_command("PORT=7000", GUARD_PORT="9001") == "serve --host 127.0.0.1 --port 7000"
    )  # the command line wins
