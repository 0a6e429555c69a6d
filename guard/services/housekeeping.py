"""What an operator runs by hand: sizing a hold export, and retention (`guard purge`).

Retention removes what only history needs, older than a cutoff: events (the
duplicate-id record), decisions, notifications that need nothing more
(delivered, or failed for good), and holds that were released. It never
touches an open hold (held or blocked), nor the events and decisions of an
order that has one: the audit of why a parcel is on the shelf stays.
Facts, labels, waivers and keys are never purged.

Rows go in chunks, each in its own short transaction, so a purge during
business hours does not hold locks for long; every delete repeats its
condition, so a row that changed since it was picked stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from guard.db import reading
from guard.models import Decision, EventRow, Hold, Notification
from guard.services.apikeys import Principal
from guard.services.hold_queue import HoldFilter, _filtered

events_t = EventRow.__table__
decisions_t = Decision.__table__
outbox_t = Notification.__table__
holds_t = Hold.__table__

OPEN_STATES = ("held", "blocked")
CHUNK = 5000


def count_holds(engine: Engine, principal: Principal, flt: HoldFilter) -> int:
    """How many rows `hold_queue.export_csv` will stream for this filter."""
    with reading(engine) as conn:
        query = _filtered(conn, principal, flt).order_by(None).subquery()
        return conn.execute(sa.select(sa.func.count()).select_from(query)).scalar_one()


@dataclass
class PurgeCounts:
    events: int = 0
    decisions: int = 0
    notifications: int = 0
    released_holds: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, field.name) for field in fields(self))


def _no_open_hold(order_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(holds_t.c.order_id == order_id, holds_t.c.state.in_(OPEN_STATES))


def _targets(cutoff: datetime) -> dict[str, tuple[sa.Table, sa.Column, sa.ColumnElement[bool]]]:
    """Per kind: the table, its key, and which rows may go."""
    return {
        "events": (
            events_t,
            events_t.c.event_id,
            sa.and_(events_t.c.received_at < cutoff, _no_open_hold(events_t.c.order_id)),
        ),
        "decisions": (
            decisions_t,
            decisions_t.c.decision_id,
            sa.and_(decisions_t.c.decided_at < cutoff, _no_open_hold(decisions_t.c.order_id)),
        ),
        # next_attempt_at is NULL exactly when a row needs nothing more (delivered or failed for good).
        "notifications": (
            outbox_t,
            outbox_t.c.id,
            sa.and_(outbox_t.c.created_at < cutoff, outbox_t.c.next_attempt_at.is_(None)),
        ),
        "released_holds": (
            holds_t,
            holds_t.c.order_id,
            sa.and_(holds_t.c.state == "released", holds_t.c.since < cutoff),
        ),
    }


def count_purgeable(engine: Engine, cutoff: datetime) -> PurgeCounts:
    counts = PurgeCounts()
    with reading(engine) as conn:
        for kind, (table, _, condition) in _targets(cutoff).items():
            setattr(
                counts, kind, conn.execute(sa.select(sa.func.count()).select_from(table).where(condition)).scalar_one()
            )
    return counts


def purge(
    engine: Engine, cutoff: datetime, progress: Callable[[int], None] = lambda done: None, chunk: int = CHUNK
) -> PurgeCounts:
    """Delete what retention allows, older than `cutoff`; returns how many rows of each kind went."""
    counts = PurgeCounts()
    for kind, (table, key, condition) in _targets(cutoff).items():
        while True:
            with engine.begin() as conn:
                keys = conn.execute(sa.select(key).where(condition).order_by(key).limit(chunk)).scalars().all()
                deleted = conn.execute(table.delete().where(key.in_(keys), condition)).rowcount if keys else 0
            setattr(counts, kind, getattr(counts, kind) + deleted)
            progress(len(keys))
            if len(keys) < chunk:
                break
    return counts
