"""Reading an order back: its facts, its verdict now, its hold, labels and decision history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from guard.db import reading
from guard.errors import NotFound, ValidationFailed, problem
from guard.models import FactRow, Label
from guard.services import holds
from guard.services.apikeys import Principal
from guard.services.audit import page_of_decisions
from guard.services.checks import judge, render_reason, waived
from guard.services.store import OrderState, load_states, waiver_notes

if TYPE_CHECKING:
    from guard.runtime import Runtime

facts_t = FactRow.__table__
labels_t = Label.__table__

MAX_PAGE = 1000


def _visible_state(conn, principal: Principal, order_id: str) -> OrderState:
    state = load_states(conn, [order_id]).get(order_id)
    # Another store's order reads exactly like an unknown one, so ids do not leak.
    if state is None or not state.facts or not principal.sees(state.store_id):
        raise NotFound(f"no order {order_id!r}", code="ORDER_NOT_FOUND")
    return state


def get_order(rt: Runtime, principal: Principal, order_id: str, now: datetime) -> dict:
    with reading(rt.engine) as conn:
        state = _visible_state(conn, principal, order_id)
        evaluation = judge(state, principal, rt.settings, now)
        fact_rows = conn.execute(sa.select(facts_t).where(facts_t.c.order_id == order_id)).all()
        facts = {
            row.fact_type: {
                "status": row.status,
                "occurred_at": row.occurred_at,
                "event_id": row.event_id,
                "tracking_number": row.tracking_number,
                "carrier": row.carrier,
                "reason": row.note,
                # v1.1: the platform word that set it, and whether it had a time of its own.
                "source": row.source,
                "untimed": row.untimed,
            }
            for row in fact_rows
        }
        hold = holds.current_holds(conn, [order_id]).get(order_id)
        labels = conn.execute(
            sa.select(*[c for c in labels_t.c if c.name != "content"])
            .where(labels_t.c.order_id == order_id)
            .order_by(labels_t.c.issued_at)
        )
        return {
            "order_id": order_id,
            "store_id": state.store_id,
            "ship_by": state.ship_by,
            "facts": facts,
            "verdict": evaluation.verdict,
            "reasons": [render_reason(finding) for finding in evaluation.reasons],
            "waived": waived(waiver_notes(conn, order_id), evaluation),
            "hold": holds.hold_view(hold),
            "labels": [
                {
                    "label_id": row.label_id,
                    "parcel_id": row.parcel_id,
                    "source": row.source,
                    "format": row.format,
                    "tracking_number": row.tracking_number,
                    "station_id": row.station_id,
                    "issued_at": row.issued_at,
                }
                for row in labels
            ],
        }


def parse_limit(value: str | None, default: int = 50, maximum: int = MAX_PAGE) -> int:
    if value is None:
        return default
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= maximum:
        raise ValidationFailed([problem("limit", f"must be a whole number from 1 to {maximum}")])
    return limit


def list_decisions(engine: Engine, principal: Principal, order_id: str, limit: int, cursor: str | None) -> dict:
    with reading(engine) as conn:
        try:
            _visible_state(conn, principal, order_id)
        except NotFound:
            # An order scanned before the guard knew anything of it still has its
            # checks on record; an unrestricted key may read them.
            page = page_of_decisions(conn, order_id, limit, cursor) if principal.stores is None else None
            if not page or not page["items"]:
                raise
            return page
        return page_of_decisions(conn, order_id, limit, cursor)
