"""The database, as the use cases need it: one port, a PostgreSQL and a SQLite implementation.

A use case asks for a **transaction** (its one commit point), and gets what the floor must hear
of it told only after the commit: the notifications it wrote are handed to delivery, the orders
it queued for follow-up are woken (never a notification for a change that rolled back). Inside,
it loads what a decision needs the one way the port offers — **lock, then read** (orders, then
the tracking numbers their parcels claim, then the state, each read a statement of its own after
the locks: `guard/storage/state.py`). What differs between the databases lives in
`guard/storage/dialects.py`; the single check's one-round-trip path on the event loop is
`check_async` (PostgreSQL only). Driver errors stay below this line: the async pool answers
`Unavailable` for a database it cannot reach.

Two guards keep a late answer from committing: a request answered 503 at its deadline marks its
worker thread's transaction as abandoned (it rolls back instead of committing, guard/db.py), and
the async path closes the connection under a cancelled transaction (guard/storage/asyncpool.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
from sqlalchemy.engine import Connection, Engine

from guard.db import reading
from guard.errors import GuardError, Unavailable
from guard.storage.writes import FOLLOWUPS_KEY, PENDING_KEY, Staged, one_statement

if TYPE_CHECKING:
    from guard.storage.asyncpool import AsyncDatabase
    from guard.storage.state import ParcelView

T = TypeVar("T")
ATTEMPTS = 3


@contextmanager
def _driver_errors_unavailable() -> Iterator[None]:
    """The hot paths' plain driver statements (dialects.driver_cursor) raise the driver's own errors,
    which SQLAlchemy does not wrap: above the port they mean no verdict (503). A unique violation
    stays what it is (a use case may retry on it)."""
    try:
        yield
    except (psycopg.IntegrityError, sqlite3.IntegrityError):
        raise
    except (psycopg.Error, sqlite3.Error) as exc:
        raise Unavailable("the guard's database cannot be reached; do not ship until it answers") from exc


class Retry(Exception):
    """Raised inside a transaction's work: what it locked is not what it must lock (a shipment gained a
    member, a scanned code means other orders now). The transaction rolls back and runs again."""


AfterCommit = Callable[[list[str], bool], None]


class Storage:
    """The port. `after_commit(notification_ids, followups)` is called after each commit of a
    transaction that wrote notifications or queued follow-ups."""

    def __init__(self, engine: Engine, *, pool: AsyncDatabase | None = None, after_commit: AfterCommit | None = None):
        self.engine = engine
        self.pool = pool  # PostgreSQL on the event loop (the API's single check), else None
        self._after_commit = after_commit or (lambda notifications, followups: None)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One use case's transaction: committed when the block ends, then the floor is told."""
        with _driver_errors_unavailable(), self.engine.begin() as conn:
            yield conn
            notifications = conn.info.pop(PENDING_KEY, [])
            followups = bool(conn.info.pop(FOLLOWUPS_KEY, False))
        if notifications or followups:
            self._after_commit(notifications, followups)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only transaction (on SQLite it does not queue behind writers)."""
        with _driver_errors_unavailable(), reading(self.engine) as conn:
            yield conn

    def run(self, work: Callable[[Connection], T | GuardError]) -> T:
        """`work` in a transaction, again from the start if it asks (`Retry`). A refusal that must
        still commit what it did (a spent clearance, an audited refusal) is returned by the work as
        a `GuardError`, and raised after the commit."""
        for _ in range(ATTEMPTS):
            try:
                with self.transaction() as conn:
                    result = work(conn)
            except Retry:
                continue
            if isinstance(result, GuardError):
                raise result
            return result
        raise Unavailable("what this request must lock kept changing while it was judged; scan again")

    @property
    def on_the_event_loop(self) -> bool:
        """Whether `check_async` can run (PostgreSQL behind the API); else use the engine, in a thread."""
        return self.pool is not None

    async def check_async(
        self,
        order_id: str,
        parcel_id: str,
        judge: Callable[[ParcelView], tuple[T, Staged] | None],
    ) -> tuple[T, Staged] | None:
        """The single check in two round trips on the event loop: lock, then read (one function
        call), judge (pure), write (one statement). `judge` answering None writes nothing."""
        from guard.storage.dialects import PARCEL_VIEW_SQL, parcel_view_params
        from guard.storage.state import parcel_view

        assert self.pool is not None, "check_async needs the async pool (PostgreSQL behind the API)"

        async def in_transaction(conn: Any) -> tuple[T, Staged] | None:
            cursor = await conn.execute(PARCEL_VIEW_SQL, parcel_view_params(order_id, parcel_id))
            row = await cursor.fetchone()
            assert row is not None  # the function answers one row, found or not
            judged = judge(parcel_view(order_id, parcel_id, row))
            if judged is not None and judged[1].ops:
                await conn.execute(*one_statement(judged[1].ops))
            return judged

        judged = await self.pool.run(in_transaction)
        if judged is not None and judged[1].notifications:
            self._after_commit(judged[1].notifications, False)
        return judged

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
