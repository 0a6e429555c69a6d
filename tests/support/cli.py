"""The operator's `guard` commands against the database under test: in this process, or as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner

from guard.cli import main

_INSTALLED = Path(sys.executable).with_name("guard")
GUARD = [str(_INSTALLED)] if _INSTALLED.exists() else [sys.executable, "-m", "guard.cli"]


class Cli:
    """`guard …` in this process (fast: the imports are paid once), with only GUARD_DATABASE_URL set."""

    def __init__(self, database_url: str):
        self.env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("GUARD_")}
        self.env["GUARD_DATABASE_URL"] = database_url

    def __call__(self, *args: str, ok: bool = True, **env: str) -> SimpleNamespace:
        result = CliRunner().invoke(main, list(args), env={**self.env, **env}, catch_exceptions=False)
        done = SimpleNamespace(stdout=result.stdout, stderr=result.stderr, returncode=result.exit_code)
        if ok:
            assert done.returncode == 0, f"guard {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def process(self, *args: str) -> subprocess.CompletedProcess:
        """The real command in a subprocess, as an operator's shell runs it."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("GUARD_")}
        env["GUARD_DATABASE_URL"] = str(self.env["GUARD_DATABASE_URL"])
        done = subprocess.run([*GUARD, *args], env=env, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        return done
