"""Engine, transactions and migrations, for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from guard.config import Settings

MIGRATIONS = Path(__file__).with_name("migrations")


def _json_text(value: object) -> str:
    # orjson: fast, and datetimes in JSON columns become RFC 3339 text.
    return orjson.dumps(value).decode()


# Set by the API for the thread that runs a request's service function: once the
# caller has been answered 503 (deadline passed), that work must not commit late.
abandoned: ContextVar[threading.Event | None] = ContextVar("guard_abandoned", default=None)


class Abandoned(Exception):
    """The caller was already told 503; this transaction rolls back instead of committing."""


def _refuse_abandoned_commit(conn: Connection) -> None:
    flag = abandoned.get()
    if flag is not None and flag.is_set():
        raise Abandoned("the request's deadline passed; rolled back")


def make_engine(settings: Settings) -> Engine:
    engine = _make_engine(settings)
    event.listen(engine, "commit", _refuse_abandoned_commit)
    return engine


def _make_engine(settings: Settings) -> Engine:
    # An error's text reaches the logs (log.exception, a worker's retry line): it names the
    # statement but never its values, which carry buyer data and tokens (design, "Security").
    if settings.is_sqlite:
        engine = sa.create_engine(
            settings.database_url,
            json_serializer=_json_text,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": settings.db_timeout_s * 5},
            pool_size=settings.db_pool_size,
            max_overflow=0,
        )
        _sqlite_serialised_writes(engine)
        return engine
    return sa.create_engine(
        settings.database_url,
        json_serializer=_json_text,
        hide_parameters=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size // 2,
        pool_timeout=settings.db_timeout_s,
        pool_recycle=1800,
        pool_pre_ping=False,  # a dead connection fails the request (503) and is dropped; no extra round trip
        connect_args=postgres_connect_args(settings, custom_plans=True),
    )


def postgres_connect_args(settings: Settings, *, custom_plans: bool = False) -> dict[str, Any]:
    """psycopg's connection keywords, for the engine and the async pool alike: fail closed in
    bounded time — a hung database answers 503, never a hang.

    `custom_plans`: plan each statement for its own parameters. The engine's set-based
    statements look rows up by `= ANY(:ids)` with up to a thousand ids; psycopg prepares a
    statement after five uses, and a generic plan of such a lookup (chosen while a table was
    small, or its statistics stale after a bulk load) scans the whole table and compares every
    row with every id — seen at 100 ms per statement while ingesting, growing with the table.
    A custom plan sees the ids: an index lookup, or a hashed comparison. The single check's
    pool keeps generic plans (one function call, planned once per connection).
    """
    timeout_ms = int(settings.db_timeout_s * 1000)
    options = f"-c statement_timeout={timeout_ms * 5} -c lock_timeout={timeout_ms * 2}"
    if custom_plans:
        options += " -c plan_cache_mode=force_custom_plan"
    return {"connect_timeout": max(1, int(settings.db_timeout_s)), "options": options}


def _sqlite_serialised_writes(engine: Engine) -> None:
    """SQLite: WAL, and every transaction takes the write lock up front.

    pysqlite's deferred BEGIN lets two writers read, then one fails on upgrade
    ("database is locked"); BEGIN IMMEDIATE makes them queue instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


READ_ONLY = "guard_read_only"


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (on SQLite it does not queue behind writers)."""
    with engine.connect() as conn:
        conn.execution_options(**{READ_ONLY: True})
        yield conn


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings.database_url), revision)
