"""The re-check sweep: held orders whose `recheck_at` has come are judged again.

Timers live in the database, not in the broker: a periodic job takes due holds
in chunks (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers share the
work without taking the same hold twice) and settles each one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from guard.config import Settings
from guard.models import Hold
from guard.rules import evaluate
from guard.services import holds
from guard.services.outbox import take_written
from guard.services.store import OrderState, load_states

holds_t = Hold.__table__


@dataclass
class SweepReport:
    checked: int = 0
    states: dict[str, int] = field(default_factory=dict)
    notifications: list[str] = field(default_factory=list)


def recheck_due(engine: Engine, settings: Settings, now: datetime, limit: int = 500) -> SweepReport:
    """Re-check one chunk of due holds; call again while `checked == limit`."""
    report = SweepReport()
    with engine.begin() as conn:
        due = (
            conn.execute(
                sa.select(holds_t)
                .where(holds_t.c.state == "held", holds_t.c.recheck_at <= now)
                .order_by(holds_t.c.recheck_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            .mappings()
            .all()
        )
        if not due:
            return report
        states = load_states(conn, [row["order_id"] for row in due])
        for row in due:
            # An order held while unknown may still have no facts at all.
            state = states.get(row["order_id"]) or OrderState(row["order_id"], store_id=row["store_id"])
            rules = settings.rules.for_store(state.store_id)
            evaluation = evaluate(state.facts, now, rules, state.waivers)
            hold = holds.settle(conn, state, dict(row), evaluation, now, rules=rules, automatic=True, recheck=True)
            assert hold is not None  # settle returns None only for an order that had no hold
            report.states[hold["state"]] = report.states.get(hold["state"], 0) + 1
        report.checked = len(due)
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
