"""Re-derive the facts that came from FUND_PROCESSING and IN_ISSUE; drop waivers granted on them.

FUND_PROCESSING used to set payment `processing` (the waivable PAYMENT_PROCESSING), and
IN_ISSUE risk `reviewing`. They mean an agreed refund or settlement, and a dispute: a
supervisor may have released a parcel whose money is going back to the buyer. For every
order with such a stored event, its payment, risk, settlement and dispute facts are
replayed from its stored events under today's words and replacement rules; waivers
granted on those events go; held orders are re-checked at once.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

REMAPPED = ("FUND_PROCESSING", "IN_ISSUE")
REDERIVED = ("payment", "risk", "settlement", "dispute")
CHUNK = 500
# Far enough ahead that no stored occurred_at is "in the future" when the payload is parsed again.
REPLAY_NOW = datetime(9000, 1, 1, tzinfo=UTC)


def _tables():
    from guard.models import UTCDateTime

    events = sa.table(
        "events",
        sa.column("event_id", sa.String),
        sa.column("order_id", sa.String),
        sa.column("fact_type", sa.String),
        sa.column("status", sa.String),
        sa.column("occurred_at", UTCDateTime()),
        sa.column("received_at", UTCDateTime()),
        sa.column("payload", sa.JSON),
    )
    facts = sa.table(
        "facts",
        sa.column("order_id", sa.String),
        sa.column("fact_type", sa.String),
        sa.column("status", sa.String),
        sa.column("occurred_at", UTCDateTime()),
        sa.column("event_id", sa.String),
        sa.column("tracking_number", sa.String),
        sa.column("carrier", sa.String),
        sa.column("note", sa.String),
        sa.column("updated_at", UTCDateTime()),
        sa.column("untimed", sa.Boolean),
        sa.column("source", sa.String),
    )
    waivers = sa.table("waivers", sa.column("order_id", sa.String), sa.column("fact_stamp", sa.String))
    holds = sa.table(
        "holds", sa.column("order_id", sa.String), sa.column("state", sa.String), sa.column("recheck_at", UTCDateTime())
    )
    return events, facts, waivers, holds


def upgrade() -> None:
    from guard.events import parse_event
    from guard.facts import replacement_outcome

    conn = op.get_bind()
    events, facts, waivers, holds = _tables()
    now = datetime.now(UTC)
    remapped = conn.execute(
        sa.select(events.c.event_id, events.c.order_id).where(
            events.c.fact_type == "platform_status", events.c.status.in_(REMAPPED)
        )
    ).all()
    if not remapped:
        return
    order_ids = sorted({order_id for _, order_id in remapped})
    remapped_ids = sorted({event_id for event_id, _ in remapped})
    for start in range(0, len(remapped_ids), CHUNK):
        conn.execute(waivers.delete().where(waivers.c.fact_stamp.in_(remapped_ids[start : start + CHUNK])))

    for start in range(0, len(order_ids), CHUNK):
        part = order_ids[start : start + CHUNK]
        derived: dict[str, dict] = {order_id: {} for order_id in part}  # kind → (fact, note)
        rows = conn.execute(
            sa.select(events.c.order_id, events.c.payload)
            .where(events.c.order_id.in_(part))
            .order_by(events.c.received_at, events.c.occurred_at, events.c.event_id)
        ).all()
        for order_id, payload in rows:
            problems: list = []
            event = parse_event(payload, 0, REPLAY_NOW, problems)
            if event is None:
                continue  # cannot be read again: it set nothing we re-derive
            for kind, fact in event.facts:
                if kind not in REDERIVED:
                    continue
                stored = derived[order_id].get(kind)
                if replacement_outcome(kind, stored[0] if stored else None, fact) == "applied":
                    derived[order_id][kind] = (fact, event.reason)
        conn.execute(facts.delete().where(facts.c.order_id.in_(part), facts.c.fact_type.in_(REDERIVED)))
        new_rows = [
            {
                "order_id": order_id,
                "fact_type": kind,
                "status": fact.status,
                "occurred_at": fact.occurred_at,
                "event_id": fact.event_id,
                "tracking_number": None,
                "carrier": None,
                "note": note,
                "updated_at": now,
                "untimed": False,
                "source": fact.source,
            }
            for order_id, by_kind in derived.items()
            for kind, (fact, note) in by_kind.items()
        ]
        if new_rows:
            conn.execute(facts.insert(), new_rows)
        conn.execute(holds.update().where(holds.c.order_id.in_(part), holds.c.state == "held").values(recheck_at=now))


def downgrade() -> None:
    # The old words were wrong; there is nothing safe to go back to.
    pass
