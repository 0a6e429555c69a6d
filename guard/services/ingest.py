"""Ingest: order facts in, under the contract's replacement rules, all or nothing.

A batch is applied in input order inside one transaction. It is set-based: a
fixed number of queries per batch (lock orders and numbers, load state, load
seen event ids, write events, facts, orders and parcels, bring claims and holds
in line), not per event. The notice goes to its parcel (contract v1.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from guard.config import Settings
from guard.errors import ValidationFailed, problem
from guard.events import IncomingEvent
from guard.facts import PLATFORM_WORD, Fact, Replacement, replacement
from guard.models import EventRow, FactRow, Order, Parcel
from guard.services import holds
from guard.services.apikeys import Principal
from guard.services.parcels import (
    ParcelChanges,
    announce_shared,
    apply_notice,
    ensure_orders,
    settle_orders,
    sync_claims,
    write_parcels,
)
from guard.storage.state import OrderState, chunks, lock_and_load
from guard.storage.writes import upsert_rows

if TYPE_CHECKING:
    from guard.services.context import Context

events_t = EventRow.__table__
facts_t = FactRow.__table__
orders_t = Order.__table__
parcels_t = Parcel.__table__


def ingest(ctx: Context, principal: Principal, events: list[IncomingEvent], now: datetime) -> dict:
    # Two batches may race on one new event id for different orders; the loser
    # retries once and then sees the winner's event as a duplicate.
    for attempt in (1, 2):
        try:
            with ctx.storage.transaction() as conn:
                return _apply(conn, ctx.settings, principal, events, now)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _refused_by_store(principal: Principal, event: IncomingEvent, state: OrderState, store_of: dict) -> dict | None:
    """Why a store-limited key may not write this event, per event (the batch still lands), or None.

    An order id belongs to the first store that wrote it. Another store's key is told only that
    the id is not available to it — never whose it is — and the operator hears of the collision.
    """
    known = store_of.get(event.order_id)
    if principal.stores is None:
        return None
    if known is None and state.known:
        # An order another key created without a store is not this key's to claim:
        # claiming it would show this key facts it could not see.
        return _NOT_AVAILABLE
    if known is not None and known not in principal.stores:
        return _NOT_AVAILABLE
    return None


_NOT_AVAILABLE = {
    "code": "ORDER_NOT_AVAILABLE",
    "message": "this order id is not available to this key's stores; nothing was stored (the operator is told)",
}


def _check_stores(principal: Principal, events: list[IncomingEvent], states: dict[str, OrderState]) -> None:
    """Refuse the batch (422) for what is wrong in the caller's own input: a store the key does
    not hold, or a store change within what the key may see."""
    problems = []
    store_of = {order_id: state.store_id for order_id, state in states.items()}
    for index, event in enumerate(events):
        if principal.stores is not None and event.store_id not in principal.stores:
            problems.append(problem("store_id", "must be one of this key's stores", index))
            continue
        if _refused_by_store(principal, event, states[event.order_id], store_of) is not None:
            continue  # answered per event, below
        known = store_of.get(event.order_id)
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
    ensure_orders(conn, order_ids, now)
    states = lock_and_load(conn, order_ids, {event.tracking_number for event in events if event.tracking_number})
    _check_stores(principal, events, states)
    store_of = {order_id: state.store_id for order_id, state in states.items()}
    seen = _seen_event_ids(conn, events)

    batch = _Batch(now)
    results: list[dict[str, object]] = []
    for event in events:
        if event.event_id in seen:
            facts = {kind: "duplicate" for kind, _ in event.facts}
            results.append({"event_id": event.event_id, "outcome": "duplicate", "facts": facts})
            continue
        state = states[event.order_id]
        refusal = _refused_by_store(principal, event, state, store_of)
        if refusal is not None:
            batch.collisions.append(event)
            results.append({"event_id": event.event_id, "outcome": "rejected", "facts": {}, "error": refusal})
            continue
        seen.add(event.event_id)
        results.append(batch.apply(state, event))
        store_of[event.order_id] = state.store_id

    batch.write(conn)
    # A store set now, or a number that changed: the claims follow (and their conflicts).
    claimed = set(batch.parcels.rows) | {
        (order_id, parcel_id) for order_id in batch.orders for parcel_id in states[order_id].parcels
    }
    shared = sync_claims(conn, states, claimed, now).shared_across_stores
    announce_shared(conn, shared, now)
    for event in batch.collisions:
        _announce_collision(conn, principal, event, now)
    # Re-judge what the floor must hear of in orders whose facts or parcels changed (contract,
    # "Holds"; v1.1 "Pull at once").
    touched = {order_id for order_id, _ in batch.facts} | {order_id for order_id, _ in claimed}
    settle_orders(conn, settings, states, touched, now)
    return {"results": results}


def _seen_event_ids(conn: Connection, events: list[IncomingEvent]) -> set[str]:
    seen: set[str] = set()
    for part in chunks(sorted({event.event_id for event in events})):
        seen.update(conn.execute(sa.select(events_t.c.event_id).where(events_t.c.event_id.in_(part))).scalars())
    return seen


@dataclass
class _Batch:
    """What a batch changes, gathered in memory in input order and written with one statement per
    table (the set-based promise above)."""

    now: datetime
    event_rows: list[dict] = field(default_factory=list)
    facts: dict[tuple[str, str], dict] = field(default_factory=dict)
    orders: dict[str, dict] = field(default_factory=dict)
    parcels: ParcelChanges = field(default_factory=ParcelChanges)
    collisions: list[IncomingEvent] = field(default_factory=list)
    countries: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    def apply(self, state: OrderState, event: IncomingEvent) -> dict[str, object]:
        """Judge and apply one new event's facts to the order's state; its answer in the batch."""
        fact_outcomes: dict[str, str] = {}
        not_applied: list[dict] = []
        for kind, incoming, judged in judge_facts(state, event):
            stored = state.facts.get(kind)
            if kind == "shipping_notice":  # the parcel's own notice (contract v1.1)
                judged, stored = apply_notice(
                    state, incoming, event.parcel_id, event.shipment_id, self.parcels, self.now
                )
            fact_outcomes[kind] = judged.outcome
            if judged.why is not None:
                not_applied.append(_not_applied(kind, incoming, stored, judged))
            if kind != "shipping_notice" and judged.outcome == "applied":
                state.facts[kind] = incoming
                self._fact(event, kind, incoming)
        outcome = _event_outcome(fact_outcomes.values())
        _note_order_fields(state, event, self.orders, self.now)
        self._country(event)
        self.event_rows.append(
            {
                "event_id": event.event_id,
                "order_id": event.order_id,
                "fact_type": event.type,
                "status": event.status,
                "occurred_at": event.occurred_at,
                "received_at": self.now,
                "outcome": outcome,
                "payload": event.raw,
            }
        )
        result: dict[str, object] = {"event_id": event.event_id, "outcome": outcome, "facts": fact_outcomes}
        if not_applied:
            result["untimed"] = not_applied
        return result

    def _fact(self, event: IncomingEvent, kind: str, incoming: Fact) -> None:
        self.facts[(event.order_id, kind)] = {
            "order_id": event.order_id,
            "fact_type": kind,
            "status": incoming.status,
            "occurred_at": incoming.occurred_at,
            "event_id": event.event_id,
            "tracking_number": None,
            "carrier": None,
            "note": event.reason,
            "updated_at": self.now,
            "untimed": incoming.untimed,
            "source": incoming.source,
        }

    def _country(self, event: IncomingEvent) -> None:
        """The buyer's country as the latest event that names one says."""
        if event.buyer_country is None:
            return
        known = self.countries.get(event.order_id)
        if known is None or event.occurred_at >= known[1]:
            self.countries[event.order_id] = (event.buyer_country, event.occurred_at)

    def write(self, conn: Connection) -> None:
        if self.event_rows:
            conn.execute(events_t.insert(), self.event_rows)
        if self.facts:
            upsert_rows(conn, facts_t, list(self.facts.values()))
        if self.orders:
            conn.execute(
                orders_t.update()
                .where(orders_t.c.order_id == sa.bindparam("b_order_id"))
                .values(
                    store_id=sa.bindparam("store_id"),
                    ship_by=sa.bindparam("ship_by"),
                    ship_by_at=sa.bindparam("ship_by_at"),
                    updated_at=sa.bindparam("updated_at"),
                ),
                list(self.orders.values()),
            )
        write_parcels(conn, self.parcels, self.now)
        _note_buyer_countries(conn, self.countries)


def _announce_collision(conn: Connection, principal: Principal, event: IncomingEvent, now: datetime) -> None:
    """`order.collision` to the operator (no store: only unrestricted keys see it): a store-limited
    key wrote to an order id another store (or another key, without a store) already holds."""
    state = OrderState(event.order_id)
    hold = {"state": "held", "since": now, "station_id": None}
    holds.notify(conn, "order.collision", hold, state, [], now, parcel_id=None,
                 claimed_by_key=principal.name, claimed_for_store=event.store_id, event_id=event.event_id)  # fmt: skip


def judge_facts(state: OrderState, event: IncomingEvent) -> list[tuple[str, Fact, Replacement]]:
    """What each of the event's facts does to the order's stored ones (rules 2-4, and v1.1's
    facts without a time of their own), before any of them is applied."""
    # "Already known in the same store": the order had facts before this event, and the
    # event names no other store (one that did was refused by _check_stores).
    known = _known_in_store(state, event)
    judged = []
    for kind, incoming in event.facts:
        if kind == "shipping_notice":  # judged against its parcel's notice (parcels.apply_notice)
            judged.append((kind, incoming, Replacement("applied")))
            continue
        stored = state.facts.get(kind)
        if kind == PLATFORM_WORD and stored is None and incoming.status != "unknown":
            continue  # only known words, and never an unknown one: nothing to note or undo
        judged.append((kind, incoming, replacement(kind, stored, incoming, order_known=known)))
    return judged


def _not_applied(kind: str, incoming: Fact, stored: Fact | None, judged: Replacement) -> dict:
    return {
        "fact": kind,
        "status": incoming.status,
        "stored": stored.status if stored is not None else None,
        "why": judged.why,
    }


def _known_in_store(state: OrderState, event: IncomingEvent) -> bool:
    """ "Already known in the same store": the order had facts before this event, and the event
    names no other store (one that did was refused by _check_stores)."""
    return bool(state.facts) and event.store_id in (None, state.store_id)


def _event_outcome(outcomes: Iterable[str]) -> str:
    """A platform status sets several facts: applied if any was (a notice kept unassigned counts:
    it was stored), else final if any was, else untimed if an untimed fact was held back."""
    seen = {"applied" if outcome == "unassigned" else outcome for outcome in outcomes}
    for outcome in ("applied", "final", "untimed"):
        if outcome in seen:
            return outcome
    return "stale"


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


def _note_buyer_countries(conn: Connection, countries: dict[str, tuple[str, datetime]]) -> None:
    """The buyer's country follows the newest source time, like ship_by: a lagging event
    cannot move it back (an equal time replaces it, as a later event in the batch does)."""
    if not countries:
        return
    at = sa.bindparam("b_at", type_=orders_t.c.buyer_country_at.type)
    conn.execute(
        orders_t.update()
        .where(
            orders_t.c.order_id == sa.bindparam("b_order_id"),
            sa.or_(orders_t.c.buyer_country_at.is_(None), orders_t.c.buyer_country_at <= at),
        )
        .values(buyer_country=sa.bindparam("b_country"), buyer_country_at=at),
        [{"b_order_id": order_id, "b_country": country, "b_at": at_} for order_id, (country, at_) in countries.items()],
    )
