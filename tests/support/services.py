"""The services the tests need, and each xdist worker's own share of them.

PostgreSQL comes from GUARD_TEST_DATABASE_URL (an admin URL: the session fixture
`postgres_url` creates a scratch database per worker and drops it at the end), Redis
from GUARD_TEST_REDIS_URL. Locally a missing service skips the tests that need it,
with the reason; under CI=true it fails them.

Run in parallel (`pytest -n auto`), every worker (`gw0`, `gw1`, …) has its own
PostgreSQL database, its own Redis database and Celery queues (`support.stack.broker`),
and its own slice of ports (`support.processes.free_port`).
"""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("GUARD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("GUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# "gw0", "gw1", … under pytest-xdist; "main" in a serial run.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def worker_index() -> int:
    """0 for a serial run and for gw0, 1 for gw1, …"""
    digits = WORKER.removeprefix("gw")
    return int(digits) if digits.isdigit() else 0


def service_missing(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({type(error).__name__}: {error})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)
