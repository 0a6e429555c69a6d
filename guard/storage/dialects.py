"""What differs between PostgreSQL (production) and SQLite (the embedded default), in one place.

Everything above the storage package speaks the domain (lock these orders, read their state,
upsert these rows); the SQL that differs lives here, one class per database, so no use case
ever asks which database it runs on. `dialect_of(conn)` is the only place that looks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection


def driver_cursor(conn: Connection) -> closing:
    """A plain driver cursor in the connection's transaction, closed on leaving the block:
    for the hot paths' hand-written SQL, which skips SQLAlchemy's per-statement work."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # a connection in use always has its driver connection
    return closing(dbapi.cursor())


class Dialect:
    """The operations whose SQL differs by database."""

    name: str
    # `id IN (…)` for hand-written SQL, with the ids bound as ONE parameter (`pack`).
    among_sql: str
    pack: Callable[[Sequence[str]], str]
    # The ids aggregated by the wave check's shapes, as the driver returns them.
    ids_of: Callable[[Any], list[str]]
    # The wave check's two statements (guard/storage/state.py builds them from the above).
    shapes_sql: str
    waived_sql: str

    def insert(self, table: sa.Table) -> Any:
        """The table's INSERT that knows ON CONFLICT."""
        raise NotImplementedError

    def among(self, column: sa.ColumnElement[Any], ids: Sequence[str]) -> sa.ColumnElement[bool]:
        """`column IN ids`, bound as ONE parameter: an expanded IN list costs a bind parameter per id
        to render, send and parse; at 20,000 ids that was most of a wave check."""
        raise NotImplementedError

    def lock_orders(self, conn: Connection, order_ids: Sequence[str], *, skip_locked: bool = False) -> list[str]:
        """Lock orders in ascending id; returns those locked (all, unless `skip_locked`)."""
        raise NotImplementedError

    def lock_numbers(self, conn: Connection, numbers: Sequence[str]) -> None:
        """Lock tracking numbers, ascending (after the orders)."""
        raise NotImplementedError

    def parcel_view(self, conn: Connection, order_id: str, parcel_id: str) -> tuple | None:
        """The single check's locked read in one round trip, if this database can (else None)."""
        return None

    def send_staged(self, conn: Connection, ops: list[Any], one_statement: Callable[[list[Any]], tuple]) -> bool:
        """Send a use case's staged writes at once, if this database can (else False: one by one)."""
        return False

    def has_reason(self, reasons: sa.ColumnElement[Any], code: str) -> sa.ColumnElement[bool]:
        """Whether a JSON list of reason codes holds `code`."""
        raise NotImplementedError

    def reason_codes(self, reasons: sa.ColumnElement[Any]) -> Any:
        """A table-valued function with one row (`value`) per code of a JSON list of reasons."""
        raise NotImplementedError


class PostgreSQL(Dialect):
    name = "postgresql"
    among_sql = "= ANY(string_to_array(%(ids)s, ','))"
    pack = staticmethod(",".join)  # ids never hold a comma
    ids_of = staticmethod(lambda ids: list(ids))

    def insert(self, table: sa.Table) -> Any:
        return postgresql.insert(table)

    def among(self, column: sa.ColumnElement[Any], ids: Sequence[str]) -> sa.ColumnElement[bool]:
        return column == sa.any_(sa.bindparam(None, list(ids), type_=ARRAY(sa.String)))

    def lock_orders(self, conn: Connection, order_ids: Sequence[str], *, skip_locked: bool = False) -> list[str]:
        ids = sorted(set(order_ids))
        if not ids:
            return []
        sql = "SELECT order_id FROM orders WHERE order_id = ANY(%s) ORDER BY order_id FOR UPDATE"
        with driver_cursor(conn) as cursor:
            cursor.execute(sql + (" SKIP LOCKED" if skip_locked else ""), (ids,))
            return [order_id for (order_id,) in cursor.fetchall()]

    def lock_numbers(self, conn: Connection, numbers: Sequence[str]) -> None:
        # A transaction-scoped advisory lock (migration 0007): a number need not have a row to be locked.
        wanted = sorted(set(numbers))
        if wanted:
            with driver_cursor(conn) as cursor:
                cursor.execute("SELECT guard_lock_numbers(%s)", (wanted,))

    def parcel_view(self, conn: Connection, order_id: str, parcel_id: str) -> tuple | None:
        with driver_cursor(conn) as cursor:
            cursor.execute(PARCEL_VIEW_SQL, parcel_view_params(order_id, parcel_id))
            return cursor.fetchone()

    def send_staged(self, conn: Connection, ops: list[Any], one_statement: Callable[[list[Any]], tuple]) -> bool:
        if len(ops) < 2:
            return False
        with driver_cursor(conn) as cursor:
            cursor.execute(*one_statement(ops))
        return True

    def has_reason(self, reasons: sa.ColumnElement[Any], code: str) -> sa.ColumnElement[bool]:
        return sa.cast(reasons, postgresql.JSONB).contains([code])

    def reason_codes(self, reasons: sa.ColumnElement[Any]) -> Any:
        return sa.func.jsonb_array_elements_text(sa.cast(reasons, postgresql.JSONB)).table_valued("value")


class SQLite(Dialect):
    name = "sqlite"
    among_sql = "IN (SELECT value FROM json_each(:ids))"
    pack = staticmethod(lambda part: orjson.dumps(list(part)).decode())
    ids_of = staticmethod(orjson.loads)

    def insert(self, table: sa.Table) -> Any:
        return sqlite.insert(table)

    def among(self, column: sa.ColumnElement[Any], ids: Sequence[str]) -> sa.ColumnElement[bool]:
        values = sa.func.json_each(sa.bindparam(None, orjson.dumps(list(ids)).decode(), type_=sa.String))
        return column.in_(sa.select(sa.column("value")).select_from(values))

    def lock_orders(self, conn: Connection, order_ids: Sequence[str], *, skip_locked: bool = False) -> list[str]:
        # Every writing transaction takes the database's write lock up front (guard/db.py):
        # writers already run one at a time.
        return sorted(set(order_ids))

    def lock_numbers(self, conn: Connection, numbers: Sequence[str]) -> None:
        return None

    def has_reason(self, reasons: sa.ColumnElement[Any], code: str) -> sa.ColumnElement[bool]:
        return sa.exists(
            sa.select(sa.literal(1))
            .select_from(sa.func.json_each(reasons).table_valued("value"))
            .where(sa.column("value") == code)
        )

    def reason_codes(self, reasons: sa.ColumnElement[Any]) -> Any:
        return sa.func.json_each(reasons).table_valued("value")


POSTGRESQL, SQLITE = PostgreSQL(), SQLite()


def dialect_of(conn: Connection) -> Dialect:
    return POSTGRESQL if conn.dialect.name == "postgresql" else SQLITE


# PostgreSQL: `guard_parcel_view` (migration 0007) locks the order, then the numbers its parcel
# claims, and only then reads — in statements of its own, each on a fresh snapshot — so the
# check is still one round trip. Child rows come back as JSON text, parsed by orjson.
PARCEL_VIEW_SQL = "SELECT guard_parcel_view(%(o)s, %(p)s)"


def parcel_view_params(order_id: str, parcel_id: str) -> dict[str, str]:
    return {"o": order_id, "p": parcel_id}


def sorted_unique(values: Iterable[str]) -> list[str]:
    return sorted(set(values))
