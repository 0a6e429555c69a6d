"""Pulls: labelled parcels the floor was told to take off the line, until a station says it did.

An `order.pull` is sent when a labelled parcel that has not left stops being
clear (at once, by whatever changed it), or is refused at the dock. The hold
board lists the pulls nobody acknowledged yet; `POST /v1/pulls/{id}/ack` records
that the parcel was taken off the line (`pulled`) or could not be found
(`not_found` — the supervisor must look for it).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard.errors import Conflict, NotFound
from guard.models import Label, Parcel, Pull
from guard.services.apikeys import Principal

if TYPE_CHECKING:
    from guard.services.context import Context

pulls_t = Pull.__table__
labels_t = Label.__table__
parcels_t = Parcel.__table__
OUTCOMES = ("pulled", "not_found")
MAX_PAGE = 1000


def view(row) -> dict:
    return {
        "notification_id": row.notification_id,
        "order_id": row.order_id,
        "parcel_id": row.parcel_id,
        "store_id": row.store_id,
        "station_id": row.station_id,
        "reasons": row.reasons,
        "created_at": row.created_at,
        "acked_at": row.acked_at,
        "ack_station_id": row.ack_station_id,
        "ack_outcome": row.ack_outcome,
        "ack_key_name": row.ack_key_name,
    }


def acknowledge(
    ctx: Context, principal: Principal, notification_id: str, station_id: str | None, outcome: str, now: datetime
) -> dict:
    def work(conn: Connection) -> dict:
        row = conn.execute(
            sa.select(pulls_t).where(pulls_t.c.notification_id == notification_id).with_for_update()
        ).first()
        if row is None or not principal.sees(row.store_id):
            raise NotFound(f"no pull {notification_id!r}", code="PULL_NOT_FOUND")
        if row.acked_at is not None:
            raise Conflict("this pull was acknowledged already", code="PULL_ALREADY_ACKNOWLEDGED", **view(row))
        conn.execute(
            pulls_t.update()
            .where(pulls_t.c.notification_id == notification_id)
            .values(acked_at=now, ack_station_id=station_id, ack_outcome=outcome, ack_key_name=principal.name)
        )
        return view(conn.execute(sa.select(pulls_t).where(pulls_t.c.notification_id == notification_id)).one())

    return ctx.storage.run(work)


def open_pulls(ctx: Context, principal: Principal, limit: int = 100) -> dict:
    """Pulls not acknowledged yet, oldest first (the hold board's "take these off the line")."""
    query = sa.select(pulls_t).where(pulls_t.c.acked_at.is_(None))
    if principal.stores is not None:
        query = query.where(pulls_t.c.store_id.in_(sorted(principal.stores)))
    with ctx.storage.reading() as conn:
        rows = conn.execute(query.order_by(pulls_t.c.created_at, pulls_t.c.notification_id).limit(limit)).all()
        orders = sorted({r.order_id for r in rows})
        # The parcel's live label, so the board can void it (a label that must not be used again).
        live = {
            (row.order_id, row.parcel_id): row.label_id
            for row in conn.execute(
                sa.select(labels_t.c.order_id, labels_t.c.parcel_id, labels_t.c.label_id).where(
                    labels_t.c.order_id.in_(orders), labels_t.c.voided_at.is_(None)
                )
            )
        }
        # How many parcels each order has: the board names the parcel where there are several
        # (parcel 1 of a two-parcel order too), as on the hold queue.
        counts: dict[str, int] = {
            row.order_id: row.parcels
            for row in conn.execute(
                sa.select(parcels_t.c.order_id, sa.func.count().label("parcels"))
                .where(parcels_t.c.order_id.in_(orders))
                .group_by(parcels_t.c.order_id)
            )
        }
    return {
        "items": [
            {
                **view(row),
                "label_id": live.get((row.order_id, row.parcel_id)),
                "order_parcels": max(counts.get(row.order_id, 0), 1),
            }
            for row in rows
        ]
    }
