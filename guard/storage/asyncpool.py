"""PostgreSQL on the event loop, for the single check (guard/services/checks.py).

The check is the hot path of every packing station. Run in a worker thread it
paid for two thread hand-offs and a wake-up per database round trip; on the
event loop it pays for none. Everything else keeps the engine (guard/db.py):
it is not hot, and SQLite has no async driver worth the name.

The pool is our own and small on purpose. Like the engine's, it opens a
connection when one is needed and none is idle, so the first check after an
outage connects at once; psycopg_pool reconnects in the background with a
backoff, which kept stations on 503 for seconds after the database was back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
import sqlalchemy as sa

from guard.config import Settings
from guard.db import postgres_connect_args
from guard.errors import Unavailable

T = TypeVar("T")


class AsyncDatabase:
    """Up to `GUARD_DB_POOL_SIZE` async psycopg connections of one API process."""

    def __init__(self, settings: Settings):
        self._conninfo = (
            sa.engine.make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._options: dict[str, Any] = postgres_connect_args(settings)  # as the engine's
        self._wait_s = settings.db_timeout_s
        self._slots = asyncio.Semaphore(settings.db_pool_size)
        self._idle: list[tuple[psycopg.AsyncConnection, int]] = []
        # Bumped when a connection turns out broken (the database went away): connections
        # opened before then are closed when next taken, not handed to one request after
        # another to fail in turn once the database is back (the engine does the same).
        self._generation = 0

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            await conn.close()

    async def run(self, work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
        """`work` in one transaction, committed when it returns.

        Cancelled (the request's deadline), the transaction must end at once and
        never commit. psycopg, cancelled mid-query, asks the server to cancel and
        waits for its answer — which a hung database never gives. So the work runs
        in a task of its own, shielded, and a cancelled caller closes the connection
        under it: the work fails at once and the server drops the transaction. A
        failed transaction is ended the same way, by closing rather than by a
        ROLLBACK that might not be answered.
        """
        try:
            async with asyncio.timeout(self._wait_s):
                await self._slots.acquire()
        except TimeoutError:
            raise Unavailable(
                "every database connection of this process is busy; do not ship until it answers"
            ) from None
        try:
            return await self._run(work)
        except psycopg.Error as exc:
            # Below the port, a driver error is what it means above it: no verdict. (A broken
            # statement would be a bug, not an outage; it is logged with its cause all the same.)
            raise Unavailable("the guard's database cannot be reached; do not ship until it answers") from exc
        finally:
            self._slots.release()

    async def _run(self, work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
        while True:
            conn, generation, reused = await self._take()
            task = asyncio.ensure_future(_commit_after(conn, work))
            try:
                result = await asyncio.shield(task)
            except BaseException as exc:
                await conn.close()
                if not task.done():
                    task.cancel()
                    task.add_done_callback(_retrieved)  # ends as it may, unawaited: no "never retrieved" noise
                if not (isinstance(exc, psycopg.OperationalError) and conn.broken):
                    raise
                # The database went away under this connection; those opened before it are
                # suspect too. An idle one that died while the database was away (nothing
                # asked it) is no reason to fail the first request after: once, on a new one.
                self._generation = max(self._generation, generation + 1)
                if not reused:
                    raise
                continue
            self._idle.append((conn, generation))
            return result

    async def _take(self) -> tuple[psycopg.AsyncConnection, int, bool]:
        """A connection, its generation, and whether it was idle in the pool (else new)."""
        while self._idle:
            conn, generation = self._idle.pop()
            if generation >= self._generation and not conn.closed:
                return conn, generation, True
            await conn.close()
        generation = self._generation
        return await psycopg.AsyncConnection.connect(self._conninfo, **self._options), generation, False


async def _commit_after(conn: psycopg.AsyncConnection, work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
    result = await work(conn)
    await conn.commit()
    return result


def _retrieved(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()
