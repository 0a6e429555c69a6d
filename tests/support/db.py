"""The test databases: empty them between tests (every test expects to start with none of its rows)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import SQLModel

import guard.models  # noqa: F401 - registers the tables on SQLModel.metadata
from guard.config import Settings
from guard.db import upgrade

from support.services import PG_ADMIN_URL, WORKER, service_missing


@contextmanager
def scratch_postgres(revision: str = "head") -> Iterator[str]:
    """A new PostgreSQL database of this worker's, migrated to `revision`; yields its URL, drops it after."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"guard_test_{WORKER}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        service_missing("PostgreSQL", exc)
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(Settings(database_url=url), revision)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def empty_tables(url: str) -> None:
    """Delete every row of every table (PostgreSQL: TRUNCATE, identities restarted)."""
    engine = sa.create_engine(url)
    names = [table.name for table in SQLModel.metadata.sorted_tables]
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"TRUNCATE {', '.join(names)} RESTART IDENTITY")
            else:
                for name in names:
                    conn.exec_driver_sql(f"DELETE FROM {name}")
    finally:
        engine.dispose()
