"""Ingest: order facts in, under the contract's replacement rules, all or nothing.

A batch is applied in input order inside one transaction. It is set-based: a
fixed number of queries per batch (lock orders, load facts, load seen event
ids, write events, upsert facts, update orders, settle holds), not per event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from guard.config import Settings
from guard.errors import ValidationFailed, problem
from guard.events import IncomingEvent
from guard.facts import Outcome, replacement_outcome
from guard.models import EventRow, FactRow, Order
from guard.rules import evaluate
from guard.services import holds
from guard.services.apikeys import Principal
from guard.services.outbox import take_written
from guard.services.store import OrderState, chunks, load_states

if TYPE_CHECKING:
    from guard.runtime import Runtime

events_t = EventRow.__table__
facts_t = FactRow.__table__
orders_t = Order.__table__


def _insert(conn: Connection, table: sa.Table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def ingest(rt: Runtime, principal: Principal, events: list[IncomingEvent], now: datetime) -> dict:
    # Two batches may race on one new event id for different orders; the loser
    # retries once and then sees the winner's event as a duplicate.
    for attempt in (1, 2):
        try:
            with rt.engine.begin() as conn:
                result = _apply(conn, rt.settings, principal, events, now)
                notifications = take_written(conn)
            rt.dispatch(notifications)
            return result
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _lock_orders(conn: Connection, order_ids: list[str], now: datetime) -> dict[str, OrderState]:
    """Make sure every order has a row, lock them (in id order: no deadlocks), and load them."""
    for part in chunks(order_ids):
        conn.execute(
            _insert(conn, orders_t).on_conflict_do_nothing(index_elements=["order_id"]),
            [{"order_id": order_id, "created_at": now, "updated_at": now} for order_id in part],
        )
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.select(orders_t.c.order_id)
                .where(orders_t.c.order_id.in_(part))
                .order_by(orders_t.c.order_id)
                .with_for_update()
            )
    return load_states(conn, order_ids)


def _check_stores(principal: Principal, events: list[IncomingEvent], states: dict[str, OrderState]) -> None:
    problems = []
    store_of = {order_id: state.store_id for order_id, state in states.items()}
    existed = {order_id for order_id, state in states.items() if state.facts}
    for index, event in enumerate(events):
        known = store_of.get(event.order_id)
        if principal.stores is not None:
            if event.store_id not in principal.stores:
                problems.append(problem("store_id", "must be one of this key's stores", index))
                continue
            if known is None and event.order_id in existed:
                # An order another key created without a store is not this key's to claim:
                # claiming it would show this key facts it could not see.
                problems.append(problem("store_id", "an order's store_id never changes", index))
                continue
        if event.store_id is not None:
            if known is None:
                store_of[event.order_id] = event.store_id
            elif known != event.store_id:
                problems.append(problem("store_id", "an order's store_id never changes", index))
    if problems:
        raise ValidationFailed(problems)


def _apply(
    conn: Connection, settings: Settings, principal: Principal, events: list[IncomingEvent], now: datetime
) -> dict:
    order_ids = sorted({event.order_id for event in events})
    states = _lock_orders(conn, order_ids, now)
    _check_stores(principal, events, states)

    event_ids = [event.event_id for event in events]
    seen: set[str] = set()
    for part in chunks(sorted(set(event_ids))):
        seen.update(conn.execute(sa.select(events_t.c.event_id).where(events_t.c.event_id.in_(part))).scalars())

    results = []
    event_rows = []
    changed_facts: dict[tuple[str, str], dict] = {}
    changed_orders: dict[str, dict] = {}
    for event in events:
        if event.event_id in seen:
            results.append(
                {
                    "event_id": event.event_id,
                    "outcome": "duplicate",
                    "facts": {kind: "duplicate" for kind, _ in event.facts},
                }
            )
            continue
        seen.add(event.event_id)
        state = states[event.order_id]
        fact_outcomes: dict[str, Outcome] = {}
        for kind, incoming in event.facts:
            outcome = replacement_outcome(kind, state.facts.get(kind), incoming)
            fact_outcomes[kind] = outcome
            if outcome == "applied":
                state.facts[kind] = incoming
                changed_facts[(event.order_id, kind)] = {
                    "order_id": event.order_id,
                    "fact_type": kind,
                    "status": incoming.status,
                    "occurred_at": incoming.occurred_at,
                    "event_id": event.event_id,
                    "tracking_number": incoming.tracking_number,
                    "carrier": incoming.carrier,
                    "note": event.reason,
                    "updated_at": now,
                }
        outcome = _event_outcome(fact_outcomes.values())
        _note_order_fields(state, event, changed_orders, now)
        event_rows.append(
            {
                "event_id": event.event_id,
                "order_id": event.order_id,
                "fact_type": event.type,
                "status": event.status,
                "occurred_at": event.occurred_at,
                "received_at": now,
                "outcome": outcome,
                "payload": event.raw,
            }
        )
        results.append({"event_id": event.event_id, "outcome": outcome, "facts": fact_outcomes})

    if event_rows:
        conn.execute(events_t.insert(), event_rows)
    if changed_facts:
        upsert = _insert(conn, facts_t)
        upsert = upsert.on_conflict_do_update(
            index_elements=["order_id", "fact_type"],
            set_={
                column: upsert.excluded[column]
                for column in ("status", "occurred_at", "event_id", "tracking_number", "carrier", "note", "updated_at")
            },
        )
        conn.execute(upsert, list(changed_facts.values()))
    if changed_orders:
        conn.execute(
            orders_t.update()
            .where(orders_t.c.order_id == sa.bindparam("b_order_id"))
            .values(
                store_id=sa.bindparam("store_id"),
                ship_by=sa.bindparam("ship_by"),
                ship_by_at=sa.bindparam("ship_by_at"),
                updated_at=sa.bindparam("updated_at"),
            ),
            list(changed_orders.values()),
        )
    _settle_holds(conn, settings, states, {order_id for order_id, _ in changed_facts}, now)
    return {"results": results}


def _event_outcome(outcomes: Iterable[Outcome]) -> Outcome:
    """A platform status sets several facts: applied if any was, else final if any was."""
    seen = set(outcomes)
    if "applied" in seen:
        return "applied"
    return "final" if "final" in seen else "stale"


def _note_order_fields(state: OrderState, event: IncomingEvent, changed: dict[str, dict], now: datetime) -> None:
    store_changed = event.store_id is not None and state.store_id is None
    # ship_by follows the newest source time, so a lagging view cannot move it back.
    ship_by_changed = event.ship_by is not None and (state.ship_by_at is None or event.occurred_at >= state.ship_by_at)
    if not (store_changed or ship_by_changed):
        return
    entry = changed.get(state.order_id)
    if entry is None:
        entry = changed[state.order_id] = {
            "b_order_id": state.order_id,
            "store_id": state.store_id,
            "ship_by": state.ship_by,
            "ship_by_at": state.ship_by_at,
            "updated_at": now,
        }
    if store_changed:
        state.store_id = entry["store_id"] = event.store_id
    if ship_by_changed:
        state.ship_by = entry["ship_by"] = event.ship_by
        state.ship_by_at = entry["ship_by_at"] = event.occurred_at


def _settle_holds(
    conn: Connection, settings: Settings, states: dict[str, OrderState], order_ids: set[str], now: datetime
) -> None:
    """Re-evaluate the open holds of orders whose facts changed (contract, "Holds")."""
    if not order_ids:
        return
    for part in chunks(sorted(order_ids)):
        for order_id, current in holds.current_holds(conn, list(part), states=("held",), lock=True).items():
            state = states[order_id]
            rules = settings.rules.for_store(state.store_id)
            evaluation = evaluate(state.facts, now, rules, state.waivers)
            holds.settle(conn, state, current, evaluation, now, rules=rules, automatic=True)
