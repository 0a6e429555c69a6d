"""The test databases: empty them between tests (every test expects to start with none of its rows)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

import guard.models  # noqa: F401 - registers the tables on SQLModel.metadata


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
