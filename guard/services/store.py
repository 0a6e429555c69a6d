"""Reading an order's state inside a transaction: set-based, one query per table per chunk.

Helpers here never commit; the use case that calls them owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from guard.facts import Fact
from guard.models import FactRow, Hold, Label, Order, UTCDateTime, Waiver

orders_t = Order.__table__
facts_t = FactRow.__table__
holds_t = Hold.__table__
waivers_t = Waiver.__table__
labels_t = Label.__table__

CHUNK = 5000  # ids per query (each query binds them as one parameter)


def driver_cursor(conn: Connection) -> closing:
    """A plain driver cursor in the connection's transaction, closed on leaving the block:
    for the hot paths' hand-written SQL, which skips SQLAlchemy's per-statement work."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # a connection in use is never detached from its driver connection
    return closing(dbapi.cursor())


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def among(conn: Connection, column: sa.Column, ids: Sequence[str]) -> sa.ColumnElement[bool]:
    """`column IN ids`, bound as ONE parameter.

    An expanded IN list costs a bind parameter per id to render, send and parse;
    at 20,000 ids that was most of a wave check. PostgreSQL takes an array,
    SQLite a JSON list.
    """
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, list(ids), type_=ARRAY(sa.String)))
    values = sa.func.json_each(sa.bindparam(None, orjson.dumps(list(ids)).decode(), type_=sa.String))
    return column.in_(sa.select(sa.column("value")).select_from(values))


@dataclass(slots=True)
class OrderState:
    """What the guard knows of one order: its facts, waivers and store."""

    order_id: str
    store_id: str | None = None
    ship_by: datetime | None = None
    ship_by_at: datetime | None = None
    facts: dict[str, Fact] = field(default_factory=dict)
    waivers: dict[str, str | None] = field(default_factory=dict)
    exists: bool = False


_ORDER_COLUMNS = (orders_t.c.order_id, orders_t.c.store_id, orders_t.c.ship_by, orders_t.c.ship_by_at)
_FACT_COLUMNS = (
    facts_t.c.order_id,
    facts_t.c.fact_type,
    facts_t.c.status,
    facts_t.c.occurred_at,
    facts_t.c.event_id,
    facts_t.c.tracking_number,
    facts_t.c.carrier,
)
_WAIVER_COLUMNS = (waivers_t.c.order_id, waivers_t.c.code, waivers_t.c.fact_stamp)


# One order, the single check's path: statements built once, not per request.
_ONE: sa.BindParameter[str] = sa.bindparam("order_id")
_ORDER_ONE = sa.select(*_ORDER_COLUMNS).where(orders_t.c.order_id == _ONE)
_FACTS_ONE = sa.select(*_FACT_COLUMNS).where(facts_t.c.order_id == _ONE)
_WAIVERS_ONE = sa.select(*_WAIVER_COLUMNS).where(waivers_t.c.order_id == _ONE)
_LOCK_ONE = sa.select(orders_t.c.order_id).where(orders_t.c.order_id == _ONE).with_for_update()


def load_state(conn: Connection, order_id: str, *, with_waivers: bool = True) -> OrderState | None:
    """One order's state, or None if the guard has no row for it."""
    params = {"order_id": order_id}
    row = conn.execute(_ORDER_ONE, params).first()
    if row is None:
        return None
    state = OrderState(row[0], row[1], row[2], row[3], exists=True)
    for _, fact_type, status, occurred_at, event_id, tracking_number, carrier in conn.execute(_FACTS_ONE, params):
        state.facts[fact_type] = Fact(status, occurred_at, event_id, tracking_number, carrier)
    if with_waivers:
        for _, code, stamp in conn.execute(_WAIVERS_ONE, params):
            state.waivers[code] = stamp
    return state


def load_states(conn: Connection, order_ids: Iterable[str], *, with_waivers: bool = True) -> dict[str, OrderState]:
    """Orders, their facts and waivers: three queries per chunk, rows fetched in bulk."""
    ids = sorted(set(order_ids))
    if len(ids) == 1:
        state = load_state(conn, ids[0], with_waivers=with_waivers)
        return {ids[0]: state} if state is not None else {}
    states: dict[str, OrderState] = {}
    for part in chunks(ids):
        for order_id, store_id, ship_by, ship_by_at in conn.execute(
            sa.select(*_ORDER_COLUMNS).where(among(conn, orders_t.c.order_id, part))
        ).all():
            states[order_id] = OrderState(order_id, store_id, ship_by, ship_by_at, exists=True)
        for order_id, fact_type, status, occurred_at, event_id, tracking_number, carrier in conn.execute(
            sa.select(*_FACT_COLUMNS).where(among(conn, facts_t.c.order_id, part))
        ).all():
            state = states.get(order_id)
            if state is not None:
                state.facts[fact_type] = Fact(status, occurred_at, event_id, tracking_number, carrier)
        if with_waivers:
            for order_id, code, stamp in conn.execute(
                sa.select(*_WAIVER_COLUMNS).where(among(conn, waivers_t.c.order_id, part))
            ).all():
                state = states.get(order_id)
                if state is not None:
                    state.waivers[code] = stamp
    return states


# The wave check judges verdicts only: rules read statuses, waivers read event ids.
_NOT_LOADED = datetime.min.replace(tzinfo=UTC)
_ORDERS_SQL = "SELECT order_id, store_id FROM orders WHERE order_id {among}"
_FACTS_SQL = "SELECT order_id, fact_type, status, event_id FROM facts WHERE order_id {among}"
_WAIVERS_SQL = "SELECT order_id, code, fact_stamp FROM waivers WHERE order_id {among}"


def load_for_verdicts(conn: Connection, order_ids: Iterable[str]) -> dict[str, OrderState]:
    """What a verdict needs of many orders, and nothing more, for the read-only wave check.

    Plain driver rows instead of SQLAlchemy rows, and the ids as one text
    parameter: at 20,000 orders (about 100,000 facts) row objects and per-id
    parameter handling were most of the call. The facts carry no source time
    (rules read statuses; waivers read event ids).
    """
    if conn.dialect.name == "postgresql":
        among_sql, pack = "= ANY(string_to_array(%s, ','))", ",".join  # ids never hold a comma
    else:
        among_sql, pack = "IN (SELECT value FROM json_each(?))", lambda part: orjson.dumps(list(part)).decode()
    states: dict[str, OrderState] = {}
    with driver_cursor(conn) as cursor:
        for part in chunks(sorted(set(order_ids))):
            param = (pack(part),)
            cursor.execute(_ORDERS_SQL.format(among=among_sql), param)
            for order_id, store_id in cursor.fetchall():
                states[order_id] = OrderState(order_id, store_id, exists=True)
            cursor.execute(_FACTS_SQL.format(among=among_sql), param)
            for order_id, fact_type, status, event_id in cursor.fetchall():
                state = states.get(order_id)
                if state is not None:
                    state.facts[fact_type] = Fact(status, _NOT_LOADED, event_id)
            cursor.execute(_WAIVERS_SQL.format(among=among_sql), param)
            for order_id, code, stamp in cursor.fetchall():
                state = states.get(order_id)
                if state is not None:
                    state.waivers[code] = stamp
    return states


@dataclass(slots=True)
class Shape:
    """Orders that share a store and the same statuses, and have no waiver: one verdict serves them all."""

    store_id: str | None
    facts: dict[str, Fact]  # statuses only (rules read nothing else)
    order_ids: list[str]


# PostgreSQL groups the wave by shape itself: a wave of 20,000 orders (about 100,000 facts)
# comes back as a few dozen rows, not 120,000, and Python judges each shape once.
_SHAPES_SQL = {
    "postgresql": """SELECT o.store_id, f.statuses, array_agg(o.order_id)
 FROM orders o LEFT JOIN (
   SELECT order_id, json_object_agg(fact_type, status ORDER BY fact_type)::text AS statuses
   FROM facts WHERE order_id = ANY(string_to_array(%(ids)s, ',')) GROUP BY order_id) f USING (order_id)
 WHERE o.order_id = ANY(string_to_array(%(ids)s, ','))
   AND NOT EXISTS (SELECT 1 FROM waivers w WHERE w.order_id = o.order_id)
 GROUP BY o.store_id, f.statuses""",
    "sqlite": """SELECT o.store_id, f.statuses, json_group_array(o.order_id)
 FROM orders o LEFT JOIN (
   SELECT order_id, json_group_object(fact_type, status) AS statuses
   FROM facts WHERE order_id IN (SELECT value FROM json_each(:ids)) GROUP BY order_id) f USING (order_id)
 WHERE o.order_id IN (SELECT value FROM json_each(:ids))
   AND NOT EXISTS (SELECT 1 FROM waivers w WHERE w.order_id = o.order_id)
 GROUP BY o.store_id, f.statuses""",
}
_WAIVED_SQL = {
    "postgresql": "SELECT DISTINCT order_id FROM waivers WHERE order_id = ANY(string_to_array(%(ids)s, ','))",
    "sqlite": "SELECT DISTINCT order_id FROM waivers WHERE order_id IN (SELECT value FROM json_each(:ids))",
}


def load_shapes(conn: Connection, order_ids: Iterable[str]) -> tuple[list[Shape], dict[str, OrderState]]:
    """What the read-only wave check needs: known orders grouped by shape, plus, in full, the
    few with waivers (a waiver counts only while the fact it saw stands, so they are judged one by one).
    Ids the guard has never heard of are in neither."""
    dialect = conn.dialect.name
    pack: Callable[[Iterable[str]], str]
    ids_of: Callable[[Any], list[str]]
    if dialect == "postgresql":
        pack, ids_of = ",".join, list  # ids never hold a comma
    else:
        pack, ids_of = (lambda part: orjson.dumps(list(part)).decode()), orjson.loads
    shapes: list[Shape] = []
    waived: list[str] = []
    with driver_cursor(conn) as cursor:
        for part in chunks(sorted(set(order_ids))):
            params = {"ids": pack(part)}
            cursor.execute(_SHAPES_SQL[dialect], params)
            for store_id, statuses, ids in cursor.fetchall():
                facts = {
                    fact_type: Fact(status, _NOT_LOADED, "")
                    for fact_type, status in orjson.loads(statuses or "{}").items()
                }
                shapes.append(Shape(store_id, facts, ids_of(ids)))
            cursor.execute(_WAIVED_SQL[dialect], params)
            waived += [order_id for (order_id,) in cursor.fetchall()]
    return shapes, load_for_verdicts(conn, waived) if waived else {}


def facts_snapshot(facts: dict[str, Fact]) -> dict[str, dict]:
    """The facts a decision saw, as stored with it (and shown by GET /v1/orders/{id})."""
    snapshot = {}
    for fact_type, fact in facts.items():
        entry = {"status": fact.status, "occurred_at": fact.occurred_at.isoformat(), "event_id": fact.event_id}
        if fact.tracking_number is not None:
            entry["tracking_number"] = fact.tracking_number
        if fact.carrier is not None:
            entry["carrier"] = fact.carrier
        snapshot[fact_type] = entry
    return snapshot


@dataclass(slots=True)
class ParcelView:
    """What a single check reads: the order's state, its hold, the parcel's label if one was
    issued, and who granted each of the order's waivers (shown with the verdict they changed)."""

    state: OrderState | None
    hold: dict | None
    label: dict | None  # label_id, issued_at, station_id
    waivers: dict[str, dict]  # code → {"code", "note", "key_name", "at"}


_HOLD_COLUMNS = tuple(column.name for column in holds_t.c)
_HOLD_TIMES = tuple(i for i, column in enumerate(holds_t.c) if isinstance(column.type, UTCDateTime))
HOLD_ONE = sa.select(holds_t).where(holds_t.c.order_id == _ONE)  # also holds.current_holds
_LABEL_ONE = sa.select(labels_t.c.label_id, labels_t.c.issued_at, labels_t.c.station_id).where(
    labels_t.c.order_id == _ONE, labels_t.c.parcel_id == sa.bindparam("parcel_id")
)
_WAIVERS_NOTED_ONE = sa.select(
    waivers_t.c.code, waivers_t.c.fact_stamp, waivers_t.c.note, waivers_t.c.key_name, waivers_t.c.granted_at
).where(waivers_t.c.order_id == _ONE)

# PostgreSQL: the whole view in one statement, locking the order row, then the hold row
# (the order every writer locks them in). Child rows come back as JSON text, parsed by orjson.
PARCEL_VIEW_SQL = f"""SELECT
 (SELECT json_build_array(store_id, ship_by, ship_by_at)::text FROM orders WHERE order_id = %(o)s FOR UPDATE),
 (SELECT json_agg(json_build_array(fact_type, status, occurred_at, event_id, tracking_number, carrier))::text
    FROM facts WHERE order_id = %(o)s),
 (SELECT json_agg(json_build_array(code, fact_stamp, note, key_name, granted_at))::text
    FROM waivers WHERE order_id = %(o)s),
 (SELECT json_build_array({", ".join(_HOLD_COLUMNS)})::text
    FROM (SELECT * FROM holds WHERE order_id = %(o)s FOR UPDATE) AS locked),
 (SELECT json_build_array(label_id, issued_at, station_id)::text
    FROM labels WHERE order_id = %(o)s AND parcel_id = %(p)s)"""


def parcel_view_params(order_id: str, parcel_id: str) -> dict[str, str]:
    return {"o": order_id, "p": parcel_id}


def load_for_check(conn: Connection, order_id: str, parcel_id: str) -> ParcelView:
    """Lock the order (and its hold) and read what a single check needs of it.

    One round trip on PostgreSQL instead of six: the check is the hot path of a
    packing station, and each round trip costs the request a wait.
    """
    if conn.dialect.name != "postgresql":
        params = {"order_id": order_id}
        state = load_state(conn, order_id, with_waivers=False)
        hold = conn.execute(HOLD_ONE, params).mappings().first()
        label = conn.execute(_LABEL_ONE, {**params, "parcel_id": parcel_id}).mappings().first()
        notes = {}
        for row in conn.execute(_WAIVERS_NOTED_ONE, params):
            if state is not None:
                state.waivers[row.code] = row.fact_stamp
            notes[row.code] = _waiver_note(row.code, row.note, row.key_name, row.granted_at)
        return ParcelView(state, dict(hold) if hold else None, dict(label) if label else None, notes)
    with driver_cursor(conn) as cursor:
        cursor.execute(PARCEL_VIEW_SQL, parcel_view_params(order_id, parcel_id))
        return parcel_view(order_id, cursor.fetchone())


def waiver_notes(conn: Connection, order_id: str) -> dict[str, dict]:
    """Who waived what on this order, and why: code → {"code", "note", "key_name", "at"}."""
    return {
        row.code: _waiver_note(row.code, row.note, row.key_name, row.granted_at)
        for row in conn.execute(_WAIVERS_NOTED_ONE, {"order_id": order_id})
    }


def parcel_view(order_id: str, row: tuple) -> ParcelView:
    """The view from PARCEL_VIEW_SQL's one row (read by a sync or an async driver)."""
    order, facts, waivers, hold, label = row
    state = None
    notes = {}
    if order is not None:
        store_id, ship_by, ship_by_at = orjson.loads(order)
        state = OrderState(order_id, store_id, _utc(ship_by), _utc(ship_by_at), exists=True)
        for fact_type, status, occurred_at, event_id, tracking_number, carrier in orjson.loads(facts or "[]"):
            state.facts[fact_type] = Fact(status, _utc(occurred_at), event_id, tracking_number, carrier)
        for code, stamp, note, key_name, granted_at in orjson.loads(waivers or "[]"):
            state.waivers[code] = stamp
            notes[code] = _waiver_note(code, note, key_name, _utc(granted_at))
    if hold is not None:
        values = orjson.loads(hold)
        for i in _HOLD_TIMES:
            values[i] = _utc(values[i])
        hold = dict(zip(_HOLD_COLUMNS, values))
    if label is not None:
        label_id, issued_at, station_id = orjson.loads(label)
        label = {"label_id": label_id, "issued_at": _utc(issued_at), "station_id": station_id}
    return ParcelView(state, hold, label, notes)


def _waiver_note(code: str, note: str, key_name: str | None, granted_at: datetime) -> dict:
    return {"code": code, "note": note, "key_name": key_name, "at": granted_at.isoformat()}


@overload
def _utc(text: str) -> datetime: ...
@overload
def _utc(text: None) -> None: ...
def _utc(text: str | None) -> datetime | None:
    # JSON renders timestamptz in the session's time zone, with its offset.
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def lock_order(conn: Connection, order_id: str) -> None:
    """Serialise the use cases that change one order's hold, clearances and labels.

    Every writer takes the order's row lock first (PostgreSQL; SQLite writers
    are serialised anyway), so they queue instead of deadlocking on the rows
    they touch after it.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK_ONE, {"order_id": order_id})
