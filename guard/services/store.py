"""Reading an order's state inside a transaction: set-based, one query per table per chunk.

Helpers here never commit; the use case that calls them owns the transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard.facts import Fact
from guard.models import FactRow, Hold, Label, Order, Waiver

orders_t = Order.__table__
facts_t = FactRow.__table__
holds_t = Hold.__table__
waivers_t = Waiver.__table__
labels_t = Label.__table__

CHUNK = 2000  # ids per query: well under SQLite's and PostgreSQL's parameter limits


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


def load_states(conn: Connection, order_ids: Iterable[str], *, with_waivers: bool = True) -> dict[str, OrderState]:
    ids = sorted(set(order_ids))
    states: dict[str, OrderState] = {}
    for part in chunks(ids):
        for row in conn.execute(
            sa.select(orders_t.c.order_id, orders_t.c.store_id, orders_t.c.ship_by, orders_t.c.ship_by_at).where(orders_t.c.order_id.in_(part))
        ):
            states[row.order_id] = OrderState(row.order_id, row.store_id, row.ship_by, row.ship_by_at, exists=True)
        for row in conn.execute(
            sa.select(
                facts_t.c.order_id, facts_t.c.fact_type, facts_t.c.status, facts_t.c.occurred_at,
                facts_t.c.event_id, facts_t.c.tracking_number, facts_t.c.carrier,
            ).where(facts_t.c.order_id.in_(part))
        ):
            state = states.get(row.order_id)
            if state is not None:
                state.facts[row.fact_type] = Fact(row.status, row.occurred_at, row.event_id, row.tracking_number, row.carrier)
        if with_waivers:
            for row in conn.execute(
                sa.select(waivers_t.c.order_id, waivers_t.c.code, waivers_t.c.fact_stamp).where(waivers_t.c.order_id.in_(part))
            ):
                state = states.get(row.order_id)
                if state is not None:
                    state.waivers[row.code] = row.fact_stamp
    return states


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


def lock_order(conn: Connection, order_id: str) -> None:
    """Serialise the use cases that change one order's hold, clearances and labels.

    Every writer takes the order's row lock first (PostgreSQL; SQLite writers
    are serialised anyway), so they queue instead of deadlocking on the rows
    they touch after it.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(orders_t.c.order_id).where(orders_t.c.order_id == order_id).with_for_update())
