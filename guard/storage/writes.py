"""A use case's writes: executed at once, or staged and sent together before its commit.

The single check writes a decision, maybe a hold, maybe notifications, and a
clearance (voiding the one before). Sent one by one that was up to six round
trips, each paid for twice: by PostgreSQL and by the request waiting on it.
Given a `Staged` instead of a connection, the writers (`write`, and the
helpers built on it: decisions, holds, notifications) only note what to write;
the caller then sends it all — on PostgreSQL as ONE statement (data-modifying
CTEs), elsewhere one statement after another. Given a connection, they execute
at once, so use cases that read their own writes back work unchanged. Nothing
here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from guard.models import Clearance, Hold
from guard.storage.dialects import POSTGRESQL, SQLITE, Dialect, dialect_of

PENDING_KEY = "guard.outbox.pending"
FOLLOWUPS_KEY = "guard.followups"  # set when a transaction queued follow-ups (services/parcels.follow_up)  # notification ids a transaction wrote (outbox.written)
clearances_t = Clearance.__table__
holds_t = Hold.__table__


@dataclass(frozen=True, slots=True)
class Insert:
    table: sa.Table
    values: dict


@dataclass(frozen=True, slots=True)
class Upsert:
    """Insert, or replace every column but the key's (the key is the table's primary key)."""

    table: sa.Table
    values: dict


@dataclass(frozen=True, slots=True)
class VoidClearances:
    """Void a parcel's live clearances: a new check's clearance replaces them."""

    order_id: str
    parcel_id: str
    now: datetime


Write = Insert | Upsert | VoidClearances


class Staged:
    """Writes noted for later, in order, with the ids of the notifications among them.

    Passed where a use case's helpers expect a connection to write to (`write`,
    `outbox.written` and the functions built on them), it only collects; the
    caller sends `ops` itself — how depends on the driver (sync or async).
    """

    def __init__(self) -> None:
        self.ops: list[Write] = []
        self.info: dict = {PENDING_KEY: []}  # what outbox.written fills in

    @property
    def notifications(self) -> list[str]:
        return self.info[PENDING_KEY]


Target = Connection | Staged


def write(target: Target, op: Write) -> None:
    """Note the write in a Staged, or execute it now on a connection."""
    if isinstance(target, Staged):
        target.ops.append(op)
    else:
        _execute(target, op)


def send(conn: Connection, staged: Staged) -> None:
    """Execute staged writes — one statement where the database can (PostgreSQL), one after
    another elsewhere — and keep their notifications for after the commit."""
    if not dialect_of(conn).send_staged(conn, staged.ops, one_statement):
        for op in staged.ops:
            _execute(conn, op)
    conn.info.setdefault(PENDING_KEY, []).extend(staged.notifications)


# --- one at a time (any database) -------------------------------------------------------------------------

_VOID = (
    clearances_t.update()
    .where(
        clearances_t.c.order_id == sa.bindparam("b_order_id"),
        clearances_t.c.parcel_id == sa.bindparam("b_parcel_id"),
        clearances_t.c.used_at.is_(None),
        clearances_t.c.voided_at.is_(None),
    )
    .values(voided_at=sa.bindparam("b_now"))
)


def _upsert_statement(dialect: Dialect, table: sa.Table) -> Any:
    statement = dialect.insert(table)
    keys = [column.name for column in table.primary_key]
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={column.name: statement.excluded[column.name] for column in table.c if column.name not in keys},
    )


# Built once per dialect and table; every upsert passes all of the row's columns.
_UPSERTS = {
    (dialect.name, table.name): _upsert_statement(dialect, table)
    for dialect in (POSTGRESQL, SQLITE)
    for table in (holds_t,)
}
_INSERTS: dict[str, sa.Insert] = {}


def _execute(conn: Connection, op: Write) -> None:
    if isinstance(op, Insert):
        statement = _INSERTS.get(op.table.name)
        if statement is None:
            statement = _INSERTS[op.table.name] = op.table.insert()
        conn.execute(statement, op.values)
    elif isinstance(op, Upsert):
        conn.execute(_UPSERTS[(dialect_of(conn).name, op.table.name)], op.values)
    else:
        conn.execute(_VOID, {"b_order_id": op.order_id, "b_parcel_id": op.parcel_id, "b_now": op.now})


def upsert_rows(
    conn: Connection, table: sa.Table, rows: list[dict], *, keep: tuple[str, ...] = (), only_new: bool = False
) -> None:
    """Insert rows; on a primary-key conflict update every given column but the key's and `keep`'s
    (`only_new`: leave the existing row as it is)."""
    if not rows:
        return
    insert = dialect_of(conn).insert(table)
    keys = {column.name for column in table.primary_key}
    updated = [] if only_new else [name for name in rows[0] if name not in keys and name not in keep]
    statement = (
        insert.on_conflict_do_update(index_elements=sorted(keys), set_={n: insert.excluded[n] for n in updated})
        if updated
        else insert.on_conflict_do_nothing(index_elements=sorted(keys))
    )
    conn.execute(statement, rows)


# --- all at once (PostgreSQL) -----------------------------------------------------------------------------


def one_statement(ops: list[Write]) -> tuple[str, list[object]]:
    """Every staged write as one PostgreSQL statement: `WITH w0 AS (...), w1 AS (...) <last write>`.

    PostgreSQL runs the sub-statements on one snapshot, so none sees another's
    rows; the staged writes never depend on each other (a clearance is voided
    before its replacement is inserted, and the new one is not among the voided).
    Plain driver SQL, as in store.load_for_verdicts: the statement text depends
    only on which writes and columns there are, so the driver prepares each shape once.
    """
    parts: list[str] = []
    params: list[object] = []
    for op in ops:
        sql, values = _fragment(op)
        parts.append(sql)
        params.extend(values)
    last = parts.pop()
    text = (("WITH " + ", ".join(f"w{n} AS ({sql})" for n, sql in enumerate(parts)) + " ") if parts else "") + last
    return text, params


_FRAGMENTS: dict[tuple, str] = {}


def _fragment(op: Write) -> tuple[str, list[object]]:
    sql: str | None
    if isinstance(op, VoidClearances):
        sql = (
            "UPDATE clearances SET voided_at = %s WHERE order_id = %s AND parcel_id = %s"
            " AND used_at IS NULL AND voided_at IS NULL"
        )
        return sql, [op.now, op.order_id, op.parcel_id]
    table = op.table
    values = {**_scalar_defaults(table), **op.values}
    names = tuple(values)
    shape = (type(op), table.name, names)
    sql = _FRAGMENTS.get(shape)
    if sql is None:
        columns = [table.c[name] for name in names]
        placeholders = ", ".join("%s::json" if isinstance(column.type, sa.JSON) else "%s" for column in columns)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})"
        if isinstance(op, Upsert):
            keys = [column.name for column in table.primary_key]
            updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name not in keys)
            sql += f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        _FRAGMENTS[shape] = sql
    return sql, [_bound(table.c[name], value) for name, value in values.items()]


_DEFAULTS: dict[str, dict] = {}


def _scalar_defaults(table: sa.Table) -> dict:
    """The Python-side column defaults SQLAlchemy would fill in (e.g. outbox.attempts = 0)."""
    defaults = _DEFAULTS.get(table.name)
    if defaults is None:
        defaults = _DEFAULTS[table.name] = {
            column.name: column.default.arg
            for column in table.c
            if isinstance(column.default, ScalarElementColumnDefault)
        }
    return defaults


def _bound(column: sa.Column, value: object) -> object:
    # What the column types would do on the way in (guard/models.py: JSON as orjson text, UTC datetimes).
    if value is None:
        return None
    if isinstance(column.type, sa.JSON):
        return orjson.dumps(value).decode()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)
    return value
