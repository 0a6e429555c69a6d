"""Reading an order back: its facts, its verdict now, its hold, labels and decision history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guard.db import reading
from guard.errors import NotFound
from guard.facts import Fact
from guard.models import FactRow, Label, LooseNotice, Order
from guard.parcels import DEFAULT_PARCEL, ParcelState, parcel_order
from guard.rules import Evaluation
from guard.rules.reasons import SEVERITY
from guard.services import holds
from guard.services.apikeys import Principal
from guard.services.audit import page_of_decisions
from guard.services.checks import judge, render_reason, waived
from guard.services.parcels import load_partners
from guard.storage.state import OrderState, load_states, waiver_notes

if TYPE_CHECKING:
    from guard.services.context import Context

facts_t = FactRow.__table__
labels_t = Label.__table__
loose_t = LooseNotice.__table__
orders_t = Order.__table__

MAX_PAGE = 1000


def _visible_state(conn, principal: Principal, order_id: str) -> OrderState:
    state = load_states(conn, [order_id]).get(order_id)
    # Another store's order reads exactly like an unknown one, so ids do not leak.
    if state is None or not state.known or not principal.sees(state.store_id):
        raise NotFound(f"no order {order_id!r}", code="ORDER_NOT_FOUND")
    return state


def _notice_view(notice: Fact) -> dict:
    return {
        "status": notice.status,
        "occurred_at": notice.occurred_at,
        "event_id": notice.event_id,
        "tracking_number": notice.tracking_number,
        "carrier": notice.carrier,
        "untimed": notice.untimed,
        "source": notice.source,
    }


def get_order(ctx: Context, principal: Principal, order_id: str, now: datetime) -> dict:
    """The order as the guard knows it: its facts, its verdict now (its worst parcel's), and each
    parcel with its notice, live label, hold and hand-over."""
    with ctx.storage.reading() as conn:
        state = _visible_state(conn, principal, order_id)
        partners = load_partners(conn, {order_id: state})
        evaluations = {pid: judge(state, pid, principal, ctx.settings, now, partners) for pid in state.judged_parcels()}
        worst = max(evaluations.values(), key=lambda e: SEVERITY[e.verdict])
        reasons: dict[str, dict] = {}
        for evaluation in evaluations.values():
            for finding in evaluation.reasons:
                reasons.setdefault(finding.code, render_reason(finding))
        facts = _fact_views(conn, state)
        buyer_country = conn.execute(
            sa.select(orders_t.c.buyer_country).where(orders_t.c.order_id == order_id)
        ).scalar()
        current = holds.current_holds(conn, [order_id])
        labels = conn.execute(
            sa.select(*[c for c in labels_t.c if c.name != "content"])
            .where(labels_t.c.order_id == order_id)
            .order_by(labels_t.c.issued_at)
        )
        loose = conn.execute(sa.select(loose_t).where(loose_t.c.order_id == order_id).order_by(loose_t.c.occurred_at))
        notes = waiver_notes(conn, order_id)
        return {
            "order_id": order_id,
            "store_id": state.store_id,
            "ship_by": state.ship_by,
            "buyer_country": buyer_country,
            "facts": facts,
            "verdict": worst.verdict,
            "reasons": list(reasons.values()),
            "waived": list({w["code"]: w for e in evaluations.values() for w in waived(notes, e)}.values()),
            "hold": holds.hold_view(current.get((order_id, DEFAULT_PARCEL))),
            "parcels": [
                _parcel_view(pid, parcel, evaluations[pid], current.get((order_id, pid)))
                for pid, parcel in sorted(state.parcels.items(), key=lambda item: parcel_order(item[0]))
            ],
            "unassigned_tracking_numbers": [
                {"tracking_number": row.tracking_number, "status": row.status, "occurred_at": row.occurred_at}
                for row in loose
            ],
            "labels": [_label_view(row) for row in labels],
        }


def _fact_views(conn: Connection, state: OrderState) -> dict[str, dict]:
    rows = conn.execute(sa.select(facts_t).where(facts_t.c.order_id == state.order_id)).all()
    facts = {
        row.fact_type: {
            "status": row.status,
            "occurred_at": row.occurred_at,
            "event_id": row.event_id,
            "reason": row.note,
            # v1.1: the platform word that set it, and whether it had a time of its own.
            "source": row.source,
            "untimed": row.untimed,
        }
        for row in rows
    }
    first = state.parcels.get(DEFAULT_PARCEL)
    if first is not None and first.notice is not None:
        facts["shipping_notice"] = _notice_view(first.notice)  # v1 clients read parcel 1's notice here
    return facts


def _parcel_view(parcel_id: str, parcel: ParcelState, evaluation: Evaluation, hold: dict | None) -> dict:
    return {
        "parcel_id": parcel_id,
        "verdict": evaluation.verdict,
        "reasons": evaluation.codes,
        "notice": _notice_view(parcel.notice) if parcel.notice is not None else None,
        "shipment_id": parcel.shipment_id,
        "carrier_label": {"tracking_number": parcel.escrow_number} if parcel.escrow_number else None,
        "label": parcel.label,
        "hold": holds.hold_view(hold),
        "handed_over_at": parcel.handed_over_at,
    }


def _label_view(row: sa.Row) -> dict:
    return {
        "label_id": row.label_id,
        "parcel_id": row.parcel_id,
        "source": row.source,
        "format": row.format,
        "tracking_number": row.tracking_number,
        "station_id": row.station_id,
        "issued_at": row.issued_at,
        "voided_at": row.voided_at,
    }


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
