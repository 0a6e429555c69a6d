"""Test wiring: every API test runs against SQLite *and* PostgreSQL, each a fresh database.

PostgreSQL comes from GUARD_TEST_DATABASE_URL (an admin URL; a scratch database is
created and dropped per run, one per xdist worker). Locally, a missing server skips
those tests with the reason; under CI=true a missing server fails the run.

Fixtures only: the helpers the tests share live in tests/support/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from guard.config import Settings
from guard.db import upgrade

from support.api import Guard, running_guard
from support.cli import Cli
from support.db import empty_tables, scratch_postgres


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """This worker's scratch database, migrated; dropped at the end of the run."""
    with scratch_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'guard.db'}"
    upgrade(Settings(database_url=url))
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    yield url
    empty_tables(url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No key cache in tests, so a revoked key is refused on the very next call; no rate
    # limit and a generous deadline, so a loaded CI machine does not fail closed on us.
    return Settings(
        database_url=database_url,
        key_cache_s=0,
        redis_url=None,
        webhook_url=None,
        rules_file=None,
        rate_limit_per_s=0,
        request_timeout_s=30,
    )


@pytest.fixture
def guard(settings: Settings) -> Iterator[Guard]:
    yield from running_guard(settings)


@pytest.fixture
def quiet_settings(settings: Settings) -> Settings:
    """No embedded jobs: only the test delivers notifications and moves the clock."""
    return settings.model_copy(update={"embedded_jobs": False})


@pytest.fixture
def quiet_guard(quiet_settings: Settings) -> Iterator[Guard]:
    yield from running_guard(quiet_settings)


@pytest.fixture
def cli(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The operator's `guard` against this test's database."""
    monkeypatch.chdir(tmp_path)  # no .env from the developer's working directory
    return Cli(database_url)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
