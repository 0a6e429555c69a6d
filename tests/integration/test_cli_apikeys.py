"""`guard apikey create | list | revoke`, run as an operator runs them: the real CLI in a subprocess.

Contract, "Running it": create prints the secret once, alone on the last line of
stdout, and only a hash is stored; list shows name, scopes, stores, created and
last used, never secrets; a revoked key answers 401 within 5 s.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from guard.api.app import create_app
from guard.config import Settings

from support.api import at

_INSTALLED = Path(sys.executable).with_name("guard")
GUARD = [str(_INSTALLED)] if _INSTALLED.exists() else [sys.executable, "-m", "guard.cli"]
SECRET = re.compile(r"gk_[A-Za-z0-9_\-]{40,}")


class Cli:
    """The `guard` command against one fresh SQLite file, with nothing else configured."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.url = f"sqlite:///{workdir / 'guard.db'}"
        # Only this database: no GUARD_* from the outer environment, and no .env (cwd is empty).
        self.env = {name: value for name, value in os.environ.items() if not name.startswith("GUARD_")}
        self.env["GUARD_DATABASE_URL"] = self.url

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [*GUARD, *args], cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=60
        )
        if ok:
            assert done.returncode == 0, f"guard {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def create(self, name: str, *scopes: str, stores: tuple[str, ...] = ()) -> str:
        args = ["apikey", "create", name]
        for scope in scopes:
            args += ["--scope", scope]
        for store in stores:
            args += ["--store", store]
        done = self(*args)
        return done.stdout.splitlines()[-1]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path)
    cli("db", "upgrade")
    return cli


@pytest.fixture
def api(cli: Cli) -> Iterator[TestClient]:
    """The API over the CLI's database; no key cache, so a revocation shows on the next call."""
    settings = Settings(database_url=cli.url, key_cache_s=0, redis_url=None, webhook_url=None, rules_file=None)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def an_event(event_id: str, **extra: str) -> dict:
    return {
        "events": [
            {
                "event_id": event_id,
                "order_id": "o-cli",
                "type": "payment",
                "status": "paid",
                "occurred_at": at(0),
                **extra,
            }
        ]
    }


def test_create_prints_the_secret_alone_on_the_last_line(cli):
    done = cli("apikey", "create", "station-1", "--scope", "check", "--scope", "events", "--store", "s1")
    lines = done.stdout.splitlines()
    secret = lines[-1]
    assert SECRET.fullmatch(secret), done.stdout
    assert done.stdout.endswith(secret + "\n")
    # Shown once: nowhere else in the output, and the lines before it say what was created.
    assert done.stdout.count(secret) == 1 and secret not in done.stderr
    assert all(not SECRET.search(line) for line in lines[:-1])
    assert "station-1" in done.stdout


def test_the_created_secret_works_against_the_api_with_its_scopes_and_store(cli, api):
    secret = cli.create("station-1", "check", "events", stores=("s1",))

    pushed = api.post("/v1/events", json=an_event("ev-cli-1", store_id="s1"), headers=bearer(secret))
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["results"][0]["outcome"] == "applied"

    checked = api.post("/v1/orders/o-cli/check", headers=bearer(secret))
    assert checked.status_code == 200, checked.text
    assert checked.json()["order_id"] == "o-cli"

    # Its store limit holds: an event without store s1 is refused.
    refused = api.post("/v1/events", json=an_event("ev-cli-2"), headers=bearer(secret))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "VALIDATION_ERROR"
    # ...and its scopes: no `holds` scope was given.
    assert api.get("/v1/holds", headers=bearer(secret)).status_code == 403


def test_a_check_only_key_cannot_push_events(cli, api):
    secret = cli.create("reader", "check")
    response = api.post("/v1/events", json=an_event("ev-cli-3"), headers=bearer(secret))
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"


def test_only_a_hash_of_the_created_secret_is_stored(cli):
    secret = cli.create("station-1", "check", "events", stores=("s1",))
    engine = sa.create_engine(cli.url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_keys")).all()
    engine.dispose()
    assert len(rows) == 1
    assert all(secret not in str(value) and secret[3:] not in str(value) for value in rows[0])


def list_rows(cli) -> tuple[list[str], dict[str, str], str]:
    done = cli("apikey", "list")
    lines = done.stdout.splitlines()
    return lines, {line.split()[0]: line for line in lines[1:]}, done.stdout + done.stderr


def test_list_shows_name_scopes_stores_created_and_last_used_but_never_a_secret(cli, api):
    station = cli.create("station-1", "check", "events", stores=("s1", "s2"))
    erp = cli.create("erp", "events")

    lines, rows, output = list_rows(cli)
    header = lines[0]
    for column in ("NAME", "SCOPES", "STORES", "CREATED", "LAST USED"):
        assert column in header
    assert set(rows) == {"station-1", "erp"}
    assert "check" in rows["station-1"] and "events" in rows["station-1"]
    assert "s1" in rows["station-1"] and "s2" in rows["station-1"]
    assert "all" in rows["erp"].split()  # no store limit
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert today in rows["station-1"] and today in rows["erp"]
    assert rows["station-1"].count(today) == 1  # created, and not used yet
    assert station not in output and erp not in output and not SECRET.search(output)

    # Once used, "last used" shows when.
    assert api.post("/v1/checks", json={"order_ids": ["o-1"]}, headers=bearer(station)).status_code == 200
    _, rows, output = list_rows(cli)
    assert rows["station-1"].count(today) == 2  # created and last used
    assert rows["erp"].count(today) == 1
    assert not SECRET.search(output)


def test_list_of_no_keys_says_so(cli):
    done = cli("apikey", "list")
    assert "no keys" in done.stdout.lower()


def test_revoke_makes_the_key_answer_401(cli, api):
    secret = cli.create("station-1", "check")
    other = cli.create("station-2", "check")
    assert api.post("/v1/orders/o-1/check", headers=bearer(secret)).status_code == 200

    done = cli("apikey", "revoke", "station-1")
    assert "station-1" in done.stdout

    response = api.post("/v1/orders/o-1/check", headers=bearer(secret))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert api.post("/v1/orders/o-1/check", headers=bearer(other)).status_code == 200

    _, rows, _ = list_rows(cli)
    assert "revoked" in rows["station-1"] and "revoked" not in rows["station-2"]


def test_a_revoked_key_is_refused_within_5_seconds_despite_the_key_cache(cli):
    settings = Settings(database_url=cli.url, redis_url=None, webhook_url=None, rules_file=None)  # default cache
    assert 0 < settings.key_cache_s <= 5
    secret = cli.create("cached", "check")
    with TestClient(create_app(settings), raise_server_exceptions=False) as api:
        assert api.get("/v1/orders/o-1", headers=bearer(secret)).status_code == 404  # known key, unknown order
        cli("apikey", "revoke", "cached")
        revoked_at = time.monotonic()
        while api.get("/v1/orders/o-1", headers=bearer(secret)).status_code != 401:
            assert time.monotonic() - revoked_at < 5, "a revoked key still answered after 5 s"
            time.sleep(0.2)


def test_revoking_an_unknown_or_revoked_key_fails_clearly(cli):
    missing = cli("apikey", "revoke", "nobody", ok=False)
    assert missing.returncode != 0
    assert "nobody" in missing.stderr

    cli.create("once", "check")
    cli("apikey", "revoke", "once")
    again = cli("apikey", "revoke", "once", ok=False)
    assert again.returncode != 0 and "once" in again.stderr


def test_a_duplicate_name_exits_non_zero_with_a_clear_message(cli, api):
    first = cli.create("station-1", "check")
    done = cli("apikey", "create", "station-1", "--scope", "events", ok=False)
    assert done.returncode != 0
    assert "station-1" in done.stderr and "exists" in done.stderr
    assert not SECRET.search(done.stdout + done.stderr)  # no secret for a key that was not made
    # The first key is untouched and still works with its own scope.
    assert api.post("/v1/orders/o-1/check", headers=bearer(first)).status_code == 200
    _, rows, _ = list_rows(cli)
    assert list(rows) == ["station-1"]
    assert "events" not in rows["station-1"]


@pytest.mark.parametrize(
    "scopes", [["admin"], ["check", "admin"], ["Check"], [""]], ids=lambda s: ",".join(s) or "empty"
)
def test_an_unknown_scope_exits_non_zero_with_a_clear_message(cli, scopes):
    args = ["apikey", "create", "station-1"]
    for scope in scopes:
        args += ["--scope", scope]
    done = cli(*args, ok=False)
    assert done.returncode != 0
    assert "scope" in done.stderr.lower()
    for valid in ("events", "check", "labels", "holds", "supervise"):
        assert valid in done.stderr  # it says what to choose from
    assert not SECRET.search(done.stdout + done.stderr)
    assert "no keys" in cli("apikey", "list").stdout.lower()


@pytest.mark.parametrize(
    "args",
    [
        ["apikey", "create", "station-1"],  # no scope at all
        ["apikey", "create", "bad name", "--scope", "check"],  # name outside the id rule
        ["apikey", "create", "station-1", "--scope", "check", "--store", "s/1"],  # store outside the id rule
    ],
    ids=["no-scope", "bad-name", "bad-store"],
)
def test_other_bad_create_arguments_exit_non_zero_and_make_no_key(cli, args):
    done = cli(*args, ok=False)
    assert done.returncode != 0
    assert done.stderr.strip()
    assert not SECRET.search(done.stdout + done.stderr)
    assert "no keys" in cli("apikey", "list").stdout.lower()
