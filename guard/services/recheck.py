"""The re-check sweep: held orders whose `recheck_at` has come are judged again.

Timers live in the database, not in the broker: a periodic job takes due holds
in chunks (their orders locked `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
workers share the work without taking the same order twice) and settles each one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from guard.config import Settings
from guard.models import Hold
from guard.services import holds
from guard.services.outbox import take_written
from guard.services.parcels import ensure_orders, follow_up, load_partners, settle_order
from guard.storage.state import OrderState, lock_and_load, lock_orders_skip_locked

holds_t = Hold.__table__


@dataclass
class SweepReport:
    checked: int = 0
    states: dict[str, int] = field(default_factory=dict)
    notifications: list[str] = field(default_factory=list)


def recheck_due(engine: Engine, settings: Settings, now: datetime, limit: int = 500) -> SweepReport:
    """Re-check one chunk of due holds; call again while `checked == limit`.

    Lock, then read: the due holds are only a list of candidates; their orders are locked
    (ascending, skipping any another transaction holds — it is judging that order right now,
    and a later sweep finds it if it is still due), then their numbers, and only then are
    facts and holds read, and the holds still due judged.
    """
    report = SweepReport()
    with engine.begin() as conn:
        candidates = (
            conn.execute(
                sa.select(holds_t.c.order_id)
                .where(holds_t.c.state == "held", holds_t.c.recheck_at <= now)
                .order_by(holds_t.c.recheck_at)
                .limit(limit)
            )
            .scalars()
            .all()
        )
        if not candidates:
            return report
        ensure_orders(conn, candidates, now)  # an order held while unknown has no row to lock yet
        order_ids = lock_orders_skip_locked(conn, candidates)
        states = lock_and_load(conn, order_ids)
        current = holds.current_holds(conn, order_ids, states=("held",))
        due = {
            key: hold for key, hold in current.items() if hold["recheck_at"] is not None and hold["recheck_at"] <= now
        }
        partners = load_partners(conn, states)
        followups: set[str] = set()
        for (order_id, parcel_id), hold in sorted(due.items()):
            # An order held while unknown may still have no facts at all.
            state = states.get(order_id) or OrderState(order_id, store_id=hold["store_id"])
            followups |= settle_order(
                conn, settings, state, current, now, partners=partners, recheck=True, only=[parcel_id]
            )
            after = current.get((order_id, parcel_id)) or hold
            report.states[after["state"]] = report.states.get(after["state"], 0) + 1
        follow_up(conn, followups - set(states), now)
        report.checked = len(set(candidates))
        report.notifications = take_written(conn)
    return report


def sweep(
    engine: Engine,
    settings: Settings,
    clock: Callable[[], datetime],
    dispatch: Callable[[list[str]], None],
    chunk: int = 500,
    max_chunks: int = 100,
) -> int:
    """Re-check every due hold, chunk by chunk; returns how many were checked."""
    total = 0
    for _ in range(max_chunks):
        report = recheck_due(engine, settings, clock(), chunk)
        total += report.checked
        if report.notifications:
            dispatch(report.notifications)
        if report.checked < chunk:
            break
    return total
