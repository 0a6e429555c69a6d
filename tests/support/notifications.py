"""Notifications as the tests bring them about and read them back: a released hold and its outbox rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from guard.models import Notification

from support.api import CLEAR_FACTS, Guard


def real_now() -> datetime:
    return datetime.now(UTC)


def held_then_released(
    guard: Guard, order_id: str, station_id: str | None = "pack-1", store_id: str = "shop-1"
) -> dict:
    """Hold an order (payment processing) at a station, then let the payment land.

    The processing started a minute ago, so the hold is not overdue: the release
    is the order's one notification. Returns its outbox row.
    """
    started = (real_now() - timedelta(minutes=1)).isoformat()
    events = []
    for fact_type, status in {**CLEAR_FACTS, "payment": "processing"}.items():
        extra: dict[str, Any] = {"occurred_at": started, "store_id": store_id}
        if status == "recorded":
            extra["tracking_number"] = f"LP-{order_id}"
        events.append(guard.event(order_id, fact_type, status, **extra))
    guard.push(*events)
    held = guard.check(order_id, **({"station_id": station_id} if station_id else {}))
    assert held["hold"]["state"] == "held"
    guard.push(guard.event(order_id, "payment", "paid", occurred_at=real_now().isoformat()))
    [row] = outbox(guard, order_id)
    assert row["type"] == "hold.released"
    return row


def outbox(guard: Guard, order_id: str) -> list[dict]:
    """The outbox rows of one order, oldest first."""
    table = Notification.__table__
    with guard.engine.connect() as conn:
        rows = conn.execute(sa.select(table).where(table.c.order_id == order_id).order_by(table.c.id)).mappings()
        return [dict(row) for row in rows]
