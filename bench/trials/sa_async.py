"""Trial, not used by the guard: the single check's pool as SQLAlchemy's async engine
(`postgresql+psycopg`, create_async_engine). Measured against guard/storage/asyncpool.py and
set aside (docs/benchmarks.md, "SQLAlchemy's async engine for the single check").

To measure it again: copy the tree's `guard` package to /tmp/sa, put this file in
/tmp/sa/guard/storage/, make /tmp/sa/guard/api/app.py call
`runtime.use_async_pool(EngineAsyncDatabase(settings))` instead of `AsyncDatabase(settings)`,
and run `python -m bench.versions /tmp/sa --runs 5` ("this" is the hand-made pool).

The same contract as guard/storage/asyncpool.py's AsyncDatabase: `run(work)` runs `work` on a
psycopg AsyncConnection in one transaction, committed when it returns; a cancelled or failed
transaction is ended by closing its connection (invalidated: never a ROLLBACK a hung database
might not answer); a driver error is `Unavailable`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from guard.config import Settings
from guard.db import postgres_connect_args
from guard.errors import Unavailable

T = TypeVar("T")


class EngineAsyncDatabase:
    def __init__(self, settings: Settings):
        url = sa.engine.make_url(settings.database_url).set(drivername="postgresql+psycopg")
        self._engine = create_async_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=0,
            pool_timeout=settings.db_timeout_s,
            pool_pre_ping=False,
            connect_args=postgres_connect_args(settings),
        )

    async def close(self) -> None:
        await self._engine.dispose()

    async def run(self, work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
        try:
            conn = await self._engine.connect()
        except sa.exc.TimeoutError:
            raise Unavailable(
                "every database connection of this process is busy; do not ship until it answers"
            ) from None
        except (sa.exc.DBAPIError, psycopg.Error) as exc:
            raise Unavailable("the guard's database cannot be reached; do not ship until it answers") from exc
        task = asyncio.ensure_future(_in_transaction(conn, work))
        try:
            return await asyncio.shield(task)
        except BaseException as exc:
            await conn.invalidate()  # closes the driver connection: the server drops the transaction
            if not task.done():
                task.cancel()
                task.add_done_callback(_retrieved)
            if isinstance(exc, (sa.exc.DBAPIError, psycopg.Error)):
                raise Unavailable("the guard's database cannot be reached; do not ship until it answers") from exc
            raise
        finally:
            await conn.close()


async def _in_transaction(conn: AsyncConnection, work: Callable[[Any], Awaitable[T]]) -> T:
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    async with conn.begin():
        return await work(driver)


def _retrieved(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()
