"""Reading an order's state inside a transaction: set-based, one query per table per chunk.

Every path that decides (check, label, reprint, hand-over, release, the sweep,
follow-ups) takes its locks first — orders (ascending id), then the claims on
its parcels' tracking numbers (ascending) — and reads after them, in statements
of their own: under PostgreSQL's READ COMMITTED a statement sees what was
committed when it *started*, so a read that waited on a lock inside the same
statement would judge facts the lock's holder had already replaced.

Helpers here never commit; the use case that calls them owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard.facts import Fact
from guard.models import CarrierLabel, FactRow, Hold, Label, Order, Parcel, TrackingClaim, UTCDateTime, Waiver
from guard.parcels import DERIVED_AT, ParcelState, parcel_facts, parcel_order
from guard.storage.dialects import POSTGRESQL, SQLITE, dialect_of, driver_cursor

orders_t = Order.__table__
facts_t = FactRow.__table__
holds_t = Hold.__table__
waivers_t = Waiver.__table__
labels_t = Label.__table__
parcels_t = Parcel.__table__
claims_t = TrackingClaim.__table__
escrow_t = CarrierLabel.__table__

CHUNK = 5000  # ids per query (each query binds them as one parameter)


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def among(conn: Connection, column: sa.ColumnElement, ids: Sequence[str]) -> sa.ColumnElement[bool]:
    """`column IN ids`, bound as ONE parameter (guard/storage/dialects.py)."""
    return dialect_of(conn).among(column, ids)


@dataclass(slots=True)
class OrderState:
    """What the guard knows of one order: its facts, waivers, store, and its parcels."""

    order_id: str
    store_id: str | None = None
    ship_by: datetime | None = None
    ship_by_at: datetime | None = None
    facts: dict[str, Fact] = field(default_factory=dict)  # the order's own; the notice is each parcel's
    waivers: dict[str, str | None] = field(default_factory=dict)
    exists: bool = False
    parcels: dict[str, ParcelState] = field(default_factory=dict)
    # A parcel not loaded here has a notice (the single check reads its own parcel only).
    noticed_elsewhere: bool = False

    @property
    def known(self) -> bool:
        """Any fact at all about the order: its own, or a parcel's notice (else ORDER_UNKNOWN)."""
        return (
            bool(self.facts)
            or self.noticed_elsewhere
            or any(parcel.notice is not None for parcel in self.parcels.values())
        )

    def parcel_facts(self, parcel_id: str) -> dict[str, Fact]:
        """What the rules judge for one of its parcels (one that does not exist: no notice)."""
        return parcel_facts(self.facts, self.parcels.get(parcel_id), known=self.known)

    def judged_parcels(self) -> list[str]:
        """The parcels a verdict of the whole order covers: every existing one, at least "1"."""
        return sorted(self.parcels, key=parcel_order) or ["1"]


_ORDER_COLUMNS = (orders_t.c.order_id, orders_t.c.store_id, orders_t.c.ship_by, orders_t.c.ship_by_at)
_FACT_COLUMNS = (
    facts_t.c.order_id,
    facts_t.c.fact_type,
    facts_t.c.status,
    facts_t.c.occurred_at,
    facts_t.c.event_id,
    facts_t.c.untimed,
    facts_t.c.source,
)
_WAIVER_COLUMNS = (waivers_t.c.order_id, waivers_t.c.code, waivers_t.c.fact_stamp)
_PARCEL_COLUMNS = (
    parcels_t.c.order_id,
    parcels_t.c.parcel_id,
    parcels_t.c.notice_status,
    parcels_t.c.notice_occurred_at,
    parcels_t.c.notice_event_id,
    parcels_t.c.notice_untimed,
    parcels_t.c.notice_source,
    parcels_t.c.tracking_number,
    parcels_t.c.carrier,
    parcels_t.c.shipment_id,
    parcels_t.c.handed_over_at,
)
_LABEL_COLUMNS = (
    labels_t.c.order_id,
    labels_t.c.parcel_id,
    labels_t.c.label_id,
    labels_t.c.issued_at,
    labels_t.c.station_id,
    labels_t.c.tracking_number,
)


def parcel_state(
    parcel_id: str, status, occurred_at, event_id, untimed, source, number, carrier, shipment_id, handed_over_at
) -> ParcelState:
    notice = None
    if status is not None:
        notice = Fact(status, occurred_at, event_id, number, carrier, bool(untimed), source)
    return ParcelState(parcel_id, notice, shipment_id, handed_over_at)


def load_states(
    conn: Connection, order_ids: Iterable[str], *, with_waivers: bool = True, with_parcels: bool = True
) -> dict[str, OrderState]:
    """Orders with their facts, waivers and parcels: a few queries per chunk, rows fetched in bulk.

    Reads only: the caller takes the locks first (`lock_orders`, `lock_numbers`).
    """
    ids = sorted(set(order_ids))
    states: dict[str, OrderState] = {}
    for part in chunks(ids):
        for order_id, store_id, ship_by, ship_by_at in conn.execute(
            sa.select(*_ORDER_COLUMNS).where(among(conn, orders_t.c.order_id, part))
        ).all():
            states[order_id] = OrderState(order_id, store_id, ship_by, ship_by_at, exists=True)
        for order_id, fact_type, status, occurred_at, event_id, untimed, source in conn.execute(
            sa.select(*_FACT_COLUMNS).where(among(conn, facts_t.c.order_id, part))
        ).all():
            if (state := states.get(order_id)) is not None:
                state.facts[fact_type] = Fact(status, occurred_at, event_id, untimed=bool(untimed), source=source)
        if with_waivers:
            for order_id, code, stamp in conn.execute(
                sa.select(*_WAIVER_COLUMNS).where(among(conn, waivers_t.c.order_id, part))
            ).all():
                if (state := states.get(order_id)) is not None:
                    state.waivers[code] = stamp
        if with_parcels:
            _load_parcels(conn, part, states)
    return states


def _load_parcels(conn: Connection, part: Sequence[str], states: dict[str, OrderState]) -> None:
    for order_id, parcel_id, *columns in conn.execute(
        sa.select(*_PARCEL_COLUMNS).where(among(conn, parcels_t.c.order_id, part))
    ).all():
        if (state := states.get(order_id)) is not None:
            state.parcels[parcel_id] = parcel_state(parcel_id, *columns)

    def parcel_of(order_id: str, parcel_id: str) -> ParcelState | None:
        state = states.get(order_id)
        return state.parcels.get(parcel_id) if state is not None else None

    for order_id, parcel_id, number in conn.execute(
        sa.select(escrow_t.c.order_id, escrow_t.c.parcel_id, escrow_t.c.tracking_number).where(
            among(conn, escrow_t.c.order_id, part)
        )
    ).all():
        if (parcel := parcel_of(order_id, parcel_id)) is not None:
            parcel.escrow_number = number
    for order_id, parcel_id, label_id, issued_at, station_id, number in conn.execute(
        sa.select(*_LABEL_COLUMNS).where(among(conn, labels_t.c.order_id, part), labels_t.c.voided_at.is_(None))
    ).all():
        if (parcel := parcel_of(order_id, parcel_id)) is not None:
            parcel.label = {"label_id": label_id, "issued_at": issued_at, "station_id": station_id,
                            "tracking_number": number}  # fmt: skip
    for order_id, parcel_id in conn.execute(
        sa.select(claims_t.c.order_id, claims_t.c.parcel_id)
        .where(among(conn, claims_t.c.order_id, part), claims_t.c.conflict.is_(True))
        .distinct()
    ).all():
        if (parcel := parcel_of(order_id, parcel_id)) is not None:
            parcel.conflict = True


def load_state(conn: Connection, order_id: str) -> OrderState | None:
    return load_states(conn, [order_id]).get(order_id)


# --- locks ---------------------------------------------------------------------------------------------------


def lock_orders(conn: Connection, order_ids: Iterable[str]) -> None:
    """Lock orders in ascending id, the first step of every deciding path (no deadlocks)."""
    dialect_of(conn).lock_orders(conn, sorted(set(order_ids)))


def lock_orders_skip_locked(conn: Connection, order_ids: Iterable[str]) -> list[str]:
    """Lock the orders no other transaction holds (ascending; never waits); returns those locked."""
    return dialect_of(conn).lock_orders(conn, sorted(set(order_ids)), skip_locked=True)


def lock_numbers(conn: Connection, numbers: Iterable[str]) -> None:
    """Lock tracking numbers (ascending), after the orders: the claims on a number change only
    under its lock, so two concurrent assignments of one number cannot both see "no conflict"."""
    dialect_of(conn).lock_numbers(conn, sorted(set(numbers)))


def claimed_numbers(conn: Connection, order_ids: Iterable[str]) -> set[str]:
    """The numbers these orders' parcels hold claims on (read under the orders' locks)."""
    ids = sorted(set(order_ids))
    numbers: set[str] = set()
    for part in chunks(ids):
        numbers.update(
            conn.execute(sa.select(claims_t.c.tracking_number).where(among(conn, claims_t.c.order_id, part))).scalars()
        )
    return numbers


def lock_and_load(
    conn: Connection, order_ids: Iterable[str], extra_numbers: Iterable[str] = ()
) -> dict[str, OrderState]:
    """Lock, then read: the orders, then every number their parcels claim (and `extra_numbers`),
    then their state — each read a statement of its own, after the locks were granted."""
    ids = sorted(set(order_ids))
    lock_orders(conn, ids)
    lock_numbers(conn, claimed_numbers(conn, ids) | set(extra_numbers))
    return load_states(conn, ids)


# --- the wave check ------------------------------------------------------------------------------------------

_NOT_LOADED = datetime.min.replace(tzinfo=UTC)


@dataclass(slots=True)
class Shape:
    """Orders that share a store, the same statuses and the same parcels, and have no waiver:
    one verdict serves them all."""

    store_id: str | None
    facts: dict[str, Fact]  # statuses only (rules read nothing else)
    parcels: list[ParcelState]
    order_ids: list[str]


# PostgreSQL groups the wave by shape itself: a wave of 20,000 orders (about 100,000 facts)
# comes back as a few dozen rows, not 120,000, and Python judges each shape once. A parcel
# is "status:flags" (C: a conflict on its number, M: its escrowed label's number differs).
_PARCELS_AGG = """SELECT p.order_id, {agg} AS parcels
   FROM parcels p
   LEFT JOIN carrier_labels e ON e.order_id = p.order_id AND e.parcel_id = p.parcel_id
   LEFT JOIN (SELECT DISTINCT order_id, parcel_id FROM tracking_claims
              WHERE conflict AND order_id {among}) c ON c.order_id = p.order_id AND c.parcel_id = p.parcel_id
   WHERE p.order_id {among} GROUP BY p.order_id"""
_PARCEL_SIGNATURE = """coalesce(p.notice_status, '') || ':'
   || CASE WHEN c.order_id IS NULL THEN '' ELSE 'C' END
   || CASE WHEN e.tracking_number <> p.tracking_number THEN 'M' ELSE '' END"""
_PG_AMONG = POSTGRESQL.among_sql
# A status set by a platform's word is marked with a trailing "@": PAYMENT_UNPAID from the
# platform may not be switched off by a store, so it is another shape ("@" is in no status word).
_MARKED_STATUS = "CASE WHEN source IS NULL THEN status ELSE status || '@' END"
_PLATFORM_WORD = "platform"  # stands for any source where only its presence matters
_SQLITE_AMONG = SQLITE.among_sql
_SHAPES_SQL = {
    "postgresql": f"""SELECT o.store_id, f.statuses, pc.parcels, array_agg(o.order_id)
 FROM orders o LEFT JOIN (
   SELECT order_id, json_object_agg(fact_type, {_MARKED_STATUS} ORDER BY fact_type)::text AS statuses
   FROM facts WHERE order_id {_PG_AMONG} GROUP BY order_id) f USING (order_id)
 LEFT JOIN ({_PARCELS_AGG.format(among=_PG_AMONG, agg=f"string_agg({_PARCEL_SIGNATURE}, ',' ORDER BY p.parcel_id)")}
 ) pc USING (order_id)
 WHERE o.order_id {_PG_AMONG}
   AND NOT EXISTS (SELECT 1 FROM waivers w WHERE w.order_id = o.order_id)
 GROUP BY o.store_id, f.statuses, pc.parcels""",
    "sqlite": f"""SELECT o.store_id, f.statuses, pc.parcels, json_group_array(o.order_id)
 FROM orders o LEFT JOIN (
   SELECT order_id, json_group_object(fact_type, {_MARKED_STATUS}) AS statuses
   FROM facts WHERE order_id {_SQLITE_AMONG} GROUP BY order_id) f USING (order_id)
 LEFT JOIN ({_PARCELS_AGG.format(among=_SQLITE_AMONG, agg=f"group_concat({_PARCEL_SIGNATURE}, ',')")}
 ) pc USING (order_id)
 WHERE o.order_id {_SQLITE_AMONG}
   AND NOT EXISTS (SELECT 1 FROM waivers w WHERE w.order_id = o.order_id)
 GROUP BY o.store_id, f.statuses, pc.parcels""",
}
_WAIVED_SQL = {
    "postgresql": f"SELECT DISTINCT order_id FROM waivers WHERE order_id {_PG_AMONG}",
    "sqlite": f"SELECT DISTINCT order_id FROM waivers WHERE order_id {_SQLITE_AMONG}",
}


def _signature_parcels(signature: str | None) -> list[ParcelState]:
    """The parcels of a shape, from "recorded:,tracking_assigned:CM" (statuses and flags only)."""
    parcels = []
    for number, entry in enumerate(signature.split(",") if signature else ()):
        status, _, flags = entry.partition(":")
        parcels.append(ParcelState.judged_only(str(number), status or None, "C" in flags, "M" in flags))
    return parcels


def load_shapes(conn: Connection, order_ids: Iterable[str]) -> tuple[list[Shape], list[str]]:
    """What the read-only wave check needs: known orders grouped by shape, and the ids of the
    few with waivers (a waiver counts only while the fact it saw stands: judged one by one).
    Ids the guard has never heard of are in neither."""
    dialect = dialect_of(conn)
    shapes: list[Shape] = []
    waived: list[str] = []
    with driver_cursor(conn) as cursor:
        for part in chunks(sorted(set(order_ids))):
            params = {"ids": dialect.pack(part)}
            cursor.execute(_SHAPES_SQL[dialect.name], params)
            for store_id, statuses, parcels, ids in cursor.fetchall():
                facts = {
                    fact_type: Fact(status.rstrip("@"), _NOT_LOADED, "", source=_source_mark(status))
                    for fact_type, status in orjson.loads(statuses or "{}").items()
                }
                shapes.append(Shape(store_id, facts, _signature_parcels(parcels), dialect.ids_of(ids)))
            cursor.execute(_WAIVED_SQL[dialect.name], params)
            waived += [order_id for (order_id,) in cursor.fetchall()]
    return shapes, waived


def _source_mark(status: str) -> str | None:
    return _PLATFORM_WORD if status.endswith("@") else None


def facts_snapshot(facts: dict[str, Fact]) -> dict[str, dict]:
    """The facts a decision saw, as stored with it (and shown by GET /v1/orders/{id})."""
    snapshot = {}
    for fact_type, fact in facts.items():
        entry: dict = {"status": fact.status}
        if fact.occurred_at != DERIVED_AT:  # what the guard worked out has no source time
            entry["occurred_at"] = fact.occurred_at.isoformat()
            entry["event_id"] = fact.event_id
        if fact.tracking_number is not None:
            entry["tracking_number"] = fact.tracking_number
        if fact.carrier is not None:
            entry["carrier"] = fact.carrier
        if fact.untimed:
            entry["untimed"] = True
        if fact.source is not None:
            entry["source"] = fact.source
        snapshot[fact_type] = entry
    return snapshot


# --- the single check -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class ParcelView:
    """What a single check reads: the order's state (its parcels included), the parcel's hold,
    its live label if one was issued, and who granted each of the order's waivers."""

    parcel_id: str
    state: OrderState | None
    hold: dict | None
    label: dict | None  # label_id, issued_at, station_id
    waivers: dict[str, dict]  # code → {"code", "note", "key_name", "at"}

    @property
    def shipment_id(self) -> str | None:
        parcel = self.state.parcels.get(self.parcel_id) if self.state is not None else None
        return parcel.shipment_id if parcel is not None else None


_HOLD_TIMES = tuple(column.name for column in holds_t.c if isinstance(column.type, UTCDateTime))
_ONE: sa.BindParameter[str] = sa.bindparam("order_id")
HOLD_ONE = sa.select(holds_t).where(holds_t.c.order_id == _ONE, holds_t.c.parcel_id == sa.bindparam("parcel_id"))
_WAIVERS_NOTED_ONE = sa.select(
    waivers_t.c.code, waivers_t.c.fact_stamp, waivers_t.c.note, waivers_t.c.key_name, waivers_t.c.granted_at
).where(waivers_t.c.order_id == _ONE)


def load_for_check(conn: Connection, order_id: str, parcel_id: str) -> ParcelView:
    """Lock the order and its parcel's numbers, then read what a single check needs of it:
    one round trip where the database can (PostgreSQL's `guard_parcel_view`)."""
    row = dialect_of(conn).parcel_view(conn, order_id, parcel_id)
    if row is not None:
        return parcel_view(order_id, parcel_id, row)
    state = lock_and_load(conn, [order_id]).get(order_id)
    hold = conn.execute(HOLD_ONE, {"order_id": order_id, "parcel_id": parcel_id}).mappings().first()
    notes = waiver_notes(conn, order_id)
    parcel = state.parcels.get(parcel_id) if state is not None else None
    label = parcel.label if parcel is not None else None
    return ParcelView(parcel_id, state, dict(hold) if hold else None, _label_view(label), notes)


def waiver_notes(conn: Connection, order_id: str) -> dict[str, dict]:
    """Who waived what on this order, and why: code → {"code", "note", "key_name", "at"}."""
    return {
        row.code: _waiver_note(row.code, row.note, row.key_name, row.granted_at)
        for row in conn.execute(_WAIVERS_NOTED_ONE, {"order_id": order_id})
    }


def parcel_view(order_id: str, parcel_id: str, row: tuple) -> ParcelView:
    """The view from `guard_parcel_view`'s one value (read by a sync or an async driver)."""
    order, facts, waivers, hold, parcel, conflict, escrow, label, noticed = orjson.loads(row[0])
    state = None
    notes = {}
    if order is not None:
        store_id, ship_by, ship_by_at = order
        state = OrderState(order_id, store_id, _utc(ship_by), _utc(ship_by_at), exists=True)
        for fact_type, status, occurred_at, event_id, untimed, source in facts or ():
            state.facts[fact_type] = Fact(status, _at(occurred_at), event_id, untimed=bool(untimed), source=source)
        for code, stamp, note, key_name, granted_at in waivers or ():
            state.waivers[code] = stamp
            notes[code] = _waiver_note(code, note, key_name, _at(granted_at))
        if parcel is not None:
            status, occurred_at, event_id, untimed, source, number, carrier, shipment_id, handed_over_at = parcel
            own = parcel_state(parcel_id, status, _utc(occurred_at), event_id, untimed, source, number, carrier,
                               shipment_id, _utc(handed_over_at))  # fmt: skip
            own.conflict, own.escrow_number = bool(conflict), escrow
            if label is not None:
                own.label = {"label_id": label[0], "issued_at": _utc(label[1]), "station_id": label[2],
                             "tracking_number": label[3]}  # fmt: skip
            state.parcels[parcel_id] = own
        state.noticed_elsewhere = bool(noticed)
    if hold is not None:
        for name in _HOLD_TIMES:
            hold[name] = _utc(hold[name])
    own_label = state.parcels[parcel_id].label if state is not None and parcel_id in state.parcels else None
    return ParcelView(parcel_id, state, hold, _label_view(own_label), notes)


def _label_view(label: dict | None) -> dict | None:
    if label is None:
        return None
    return {"label_id": label["label_id"], "issued_at": label["issued_at"], "station_id": label["station_id"]}


def _waiver_note(code: str, note: str, key_name: str | None, granted_at: datetime) -> dict:
    return {"code": code, "note": note, "key_name": key_name, "at": granted_at.isoformat()}


def _at(text: str) -> datetime:
    """A timestamp column that is never NULL, read back from JSON."""
    return datetime.fromisoformat(text).astimezone(UTC)


def _utc(text: str | None) -> datetime | None:
    # JSON renders timestamptz in the session's time zone, with its offset.
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def count_by_reason(conn: Connection, where: sa.ColumnElement[bool]) -> dict[str, int]:
    """Holds matching `where` per reason code (a hold counts once under each of its reasons)."""
    code = dialect_of(conn).reason_codes(holds_t.c.reasons)
    rows = conn.execute(
        sa.select(code.c.value, sa.func.count())
        .select_from(holds_t)
        .join(code, sa.true())
        .where(where)
        .group_by(code.c.value)
    ).all()
    return {str(reason): int(count) for reason, count in rows}  # typed for the callers
