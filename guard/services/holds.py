"""The hold shelf: placing, updating, releasing and blocking, with their notifications.

Called inside a use case's transaction. Every state change writes its outbox
row in that same transaction, so a station or ERP is told exactly what was
committed — never a release that rolled back, never a block that was lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard.models import Hold, Notification
from guard.rules import Evaluation, StoreRules
from guard.rules.escalation import overdue_because
from guard.services.audit import new_id, record_decision
from guard.services.outbox import GIVE_UP_AFTER, written
from guard.services.store import HOLD_ONE, OrderState, facts_snapshot
from guard.services.writes import Insert, Target, Upsert, write

holds_t = Hold.__table__
outbox_t = Notification.__table__


def hold_view(row: Any) -> dict | None:
    if row is None:
        return None
    return {"state": row["state"], "since": row["since"]}


def _upsert(conn: Target, values: dict) -> None:
    write(conn, Upsert(holds_t, values))  # every hold write passes all of the hold's columns


def notify(
    conn: Target, kind: str, hold: dict, state: OrderState, reasons: list[str], now: datetime, **extra: object
) -> None:
    """Queue a notification in the outbox (contract, "Notifications")."""
    notification_id = new_id("ntf")
    body = {
        "id": notification_id,
        "type": kind,
        "created_at": now.isoformat(),
        "data": {
            "order_id": state.order_id,
            "store_id": state.store_id,
            "station_id": hold.get("station_id"),
            "reasons": reasons,
            "hold": {"state": hold["state"], "since": hold["since"].isoformat()},
            **extra,
        },
    }
    write(
        conn,
        Insert(
            outbox_t,
            {
                "notification_id": notification_id,
                "type": kind,
                "order_id": state.order_id,
                "store_id": state.store_id,
                "station_id": hold.get("station_id"),
                "body": body,
                "created_at": now,
                "next_attempt_at": now,
                "give_up_at": now + GIVE_UP_AFTER,
            },
        ),
    )
    written(conn, notification_id)


def _recheck_at(evaluation: Evaluation) -> datetime | None:
    times = [finding.recheck_at for finding in evaluation.reasons if finding.recheck_at is not None]
    return min(times) if times else None


def settle(
    conn: Target,
    state: OrderState,
    current: dict | None,
    evaluation: Evaluation,
    now: datetime,
    *,
    rules: StoreRules,
    station_id: str | None = None,
    automatic: bool = False,
    recheck: bool = False,
) -> dict | None:
    """Bring the order's hold in line with its verdict; return the hold as it now stands.

    `automatic` marks a change not made by a check (ingest, re-check sweep): a
    release is then audited as a `release` decision with the note "automatic".
    `recheck` marks the scheduled re-check: it counts towards escalation, and a
    hold it finds unchanged asks the ERP to re-sync the order (the guard does
    not poll the platform itself).
    """
    codes = evaluation.codes
    previous = current["state"] if current else None
    last: dict = current or {}  # the hold as it stood; empty if there was none
    if evaluation.verdict == "clear":
        if current is None or previous != "held":
            return current
        released = {
            **current,
            "state": "released",
            "since": now,
            "reasons": [],
            "recheck_at": None,
            "overdue": False,
            "updated_at": now,
        }
        _upsert(conn, released)
        notify(conn, "hold.released", released, state, current["reasons"], now)
        if automatic:
            record_decision(
                conn,
                order_id=state.order_id,
                kind="release",
                verdict="clear",
                reasons=[],
                facts=facts_snapshot(state.facts),
                now=now,
                note="automatic",
            )
        return released

    target = "blocked" if evaluation.verdict == "block" else "held"
    continuing = previous == target
    since = last["since"] if continuing else now
    # Re-checks are counted while the hold's reasons stay the same: "freight still
    # unpaid after repeated re-checks" means re-checks that found freight unpaid,
    # not the hours the hold spent waiting on a payment before that.
    unchanged = continuing and last["reasons"] == codes
    rechecks = (last["recheck_count"] if unchanged else 0) + (1 if recheck and continuing else 0)
    overdue_why = (
        []
        if target == "blocked"
        else overdue_because(
            codes, state.facts, since=since, rechecks=rechecks, ship_by=state.ship_by, now=now, store=rules
        )
    )
    hold = {
        "order_id": state.order_id,
        "store_id": state.store_id,
        "state": target,
        "reasons": codes,
        "since": since,
        "station_id": station_id or last.get("station_id"),
        "recheck_at": _recheck_at(evaluation) if target == "held" else None,
        "recheck_count": rechecks,
        "overdue": bool(overdue_why),
        "updated_at": now,
    }
    _upsert(conn, hold)
    if target == "blocked" and not continuing:
        notify(conn, "order.blocked", hold, state, codes, now)
    if target == "held":
        if hold["overdue"] and not (continuing and last["overdue"]):
            notify(conn, "hold.overdue", hold, state, codes, now, overdue_because=overdue_why)
        if recheck and continuing:
            notify(conn, "hold.refresh_requested", hold, state, codes, now)
    return hold


_HOLD_ONE_LOCKED = HOLD_ONE.with_for_update()


def current_holds(
    conn: Connection, order_ids: list[str], *, states: tuple[str, ...] | None = None, lock: bool = False
) -> dict[str, dict]:
    if len(order_ids) == 1 and not states:
        one = _HOLD_ONE_LOCKED if lock else HOLD_ONE
        row = conn.execute(one, {"order_id": order_ids[0]}).mappings().first()
        return {row["order_id"]: dict(row)} if row is not None else {}
    query = sa.select(holds_t).where(holds_t.c.order_id.in_(order_ids))
    if states:
        query = query.where(holds_t.c.state.in_(states))
    if lock:
        query = query.order_by(holds_t.c.order_id).with_for_update()
    return {row["order_id"]: dict(row) for row in conn.execute(query).mappings()}
