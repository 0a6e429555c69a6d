"""Resolving a tracking-number conflict by hand (contract v1.1, `POST /v1/tracking/{number}/resolve`).

Two live parcels of one store with one number (not declared one shipment) both
hold with TRACKING_CONFLICT. A supervisor who knows which parcel really wears
the number says so, with a written reason: that parcel keeps it; every other
claim of the store on it is void — those parcels stay held until an event gives
them another number. Audited on every order concerned.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard.errors import NotFound
from guard.models import TrackingClaim
from guard.parcels import LIVE, RELEASED, VOID
from guard.services.apikeys import Principal
from guard.services.audit import record_decision
from guard.services.parcels import PartnersMoved, refresh_conflicts, settle_orders
from guard.storage.state import facts_snapshot, lock_and_load

if TYPE_CHECKING:
    from guard.services.context import Context

claims_t = TrackingClaim.__table__


def resolve_conflict(
    ctx: Context, principal: Principal, number: str, order_id: str, parcel_id: str, note: str, now: datetime
) -> dict:
    def work(conn: Connection) -> dict:
        claims = conn.execute(sa.select(claims_t).where(claims_t.c.tracking_number == number)).all()
        keeper = next((c for c in claims if (c.order_id, c.parcel_id) == (order_id, parcel_id)), None)
        if keeper is None or not principal.sees(keeper.store_id):
            raise NotFound(f"parcel {order_id}/{parcel_id} holds no claim on {number}", code="CLAIM_NOT_FOUND")
        # Only the keeper's store: across stores a shared number holds no one.
        same_store = [c for c in claims if c.store_id == keeper.store_id]
        states = lock_and_load(conn, {c.order_id for c in same_store}, [number])
        voided = []
        now_claimed = conn.execute(
            sa.select(claims_t).where(
                claims_t.c.tracking_number == number, claims_t.c.store_id.is_not_distinct_from(keeper.store_id)
            )
        ).all()
        if {c.order_id for c in now_claimed} - set(states):
            raise PartnersMoved  # another parcel claimed it meanwhile: lock its order too, from the start
        for claim in now_claimed:
            keep = (claim.order_id, claim.parcel_id) == (order_id, parcel_id)
            if keep:
                new_state = LIVE if claim.state != RELEASED else RELEASED
            elif claim.state == RELEASED:
                continue  # handed over or voided: it holds no one
            else:
                new_state = VOID
                voided.append({"order_id": claim.order_id, "parcel_id": claim.parcel_id})
            conn.execute(
                claims_t.update()
                .where(
                    claims_t.c.tracking_number == number,
                    claims_t.c.order_id == claim.order_id,
                    claims_t.c.parcel_id == claim.parcel_id,
                )
                .values(state=new_state, updated_at=now)
            )
        refresh_conflicts(conn, states, {number}, now)
        for affected in sorted({order_id, *(v["order_id"] for v in voided)}):
            state = states[affected]
            for pid in sorted(p for p, parcel in state.parcels.items() if number in parcel.numbers):
                record_decision(
                    conn,
                    order_id=affected,
                    parcel_id=pid,
                    kind="resolve",
                    verdict="clear" if (affected, pid) == (order_id, parcel_id) else "hold",
                    reasons=[] if (affected, pid) == (order_id, parcel_id) else ["TRACKING_CONFLICT"],
                    facts=facts_snapshot(state.parcel_facts(pid)),
                    now=now,
                    key_name=principal.name,
                    note=f"{number} kept by {order_id}/{parcel_id}: {note}",
                )
        settle_orders(conn, ctx.settings, states, states, now)
        return {"tracking_number": number, "kept_by": {"order_id": order_id, "parcel_id": parcel_id}, "voided": voided}

    return ctx.storage.run(work)
