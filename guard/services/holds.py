"""The hold shelf: placing, updating, releasing and blocking parcels, with their notifications.

Holds are per (order, parcel). Called inside a use case's transaction, under the
order's lock. Every state change writes its outbox row in that same
transaction, so a station or ERP is told exactly what was committed — never a
release that rolled back, never a block that was lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard.models import Hold, Notification, Pull
from guard.rules import Evaluation, StoreRules
from guard.rules.escalation import overdue_because
from guard.services.audit import new_id, record_decision
from guard.services.outbox import GIVE_UP_AFTER, written
from guard.storage.state import OrderState, facts_snapshot
from guard.storage.writes import Insert, Target, Upsert, write

holds_t = Hold.__table__
outbox_t = Notification.__table__
pulls_t = Pull.__table__

OPEN = ("held", "blocked")


def hold_view(row: Any) -> dict | None:
    if row is None:
        return None
    return {"state": row["state"], "since": row["since"]}


def notify(
    conn: Target,
    kind: str,
    hold: dict,
    state: OrderState,
    reasons: list[str],
    now: datetime,
    *,
    parcel_id: str | None = None,
    **extra: object,
) -> str:
    """Queue a notification in the outbox (contract, "Notifications"); returns its id."""
    notification_id = new_id("ntf")
    parcel_id = parcel_id or hold.get("parcel_id")
    body = {
        "id": notification_id,
        "type": kind,
        "created_at": now.isoformat(),
        "data": {
            "order_id": state.order_id,
            "parcel_id": parcel_id,
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
                "parcel_id": parcel_id,
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
    return notification_id


def pull(conn: Target, hold: dict, state: OrderState, parcel_id: str, reasons: list[str], now: datetime) -> str:
    """`order.pull`: a labelled parcel must not leave. Listed on the hold board until a station
    acknowledges it (`POST /v1/pulls/{id}/ack`)."""
    notification_id = notify(conn, "order.pull", hold, state, reasons, now, parcel_id=parcel_id)
    write(
        conn,
        Insert(
            pulls_t,
            {
                "notification_id": notification_id,
                "order_id": state.order_id,
                "parcel_id": parcel_id,
                "store_id": state.store_id,
                "station_id": hold.get("station_id"),
                "reasons": reasons,
                "created_at": now,
            },
        ),
    )
    return notification_id


def _recheck_at(evaluation: Evaluation) -> datetime | None:
    times = [finding.recheck_at for finding in evaluation.reasons if finding.recheck_at is not None]
    return min(times) if times else None


def settle(
    conn: Target,
    state: OrderState,
    parcel_id: str,
    current: dict | None,
    evaluation: Evaluation,
    now: datetime,
    *,
    rules: StoreRules,
    station_id: str | None = None,
    automatic: bool = False,
    recheck: bool = False,
    pull_if_labelled: bool = True,
) -> dict | None:
    """Bring one parcel's hold in line with its verdict; return the hold as it now stands.

    `automatic` marks a change not made by a check (ingest, re-check sweep,
    follow-up): a release is then audited as a `release` decision with the note
    "automatic". `recheck` marks the scheduled re-check: it counts towards
    escalation, and a hold it finds unchanged asks the ERP to re-sync the order
    (the guard does not poll the platform itself). A labelled parcel, not yet
    handed over, that stops being clear is pulled at once (`order.pull`), unless
    the caller pulls it itself (`pull_if_labelled=False`: the hand-over).
    """
    if evaluation.verdict == "clear":
        return _release(conn, state, parcel_id, current, now, automatic=automatic)
    codes = evaluation.codes
    previous = current["state"] if current else None
    last: dict = current or {}  # the hold as it stood; empty if there was none
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
        "parcel_id": parcel_id,
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
    write(conn, Upsert(holds_t, hold))
    if pull_if_labelled and previous not in OPEN:
        _pull_if_labelled(conn, state, parcel_id, hold, now)
    if target == "blocked" and not continuing:
        notify(conn, "order.blocked", hold, state, codes, now)
    if target == "held":
        if hold["overdue"] and not (continuing and last["overdue"]):
            notify(conn, "hold.overdue", hold, state, codes, now, overdue_because=overdue_why)
        if recheck and continuing:
            notify(conn, "hold.refresh_requested", hold, state, codes, now)
    return hold


def _release(
    conn: Target, state: OrderState, parcel_id: str, current: dict | None, now: datetime, *, automatic: bool
) -> dict | None:
    """A clear verdict ends an open hold (`hold.released`); anything else stays as it stands."""
    if current is None or current["state"] != "held":
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
    write(conn, Upsert(holds_t, released))
    notify(conn, "hold.released", released, state, current["reasons"], now)
    if automatic:
        record_decision(
            conn,
            order_id=state.order_id,
            parcel_id=parcel_id,
            kind="release",
            verdict="clear",
            reasons=[],
            facts=facts_snapshot(state.parcel_facts(parcel_id)),
            now=now,
            note="automatic",
        )
    return released


def _pull_if_labelled(conn: Target, state: OrderState, parcel_id: str, hold: dict, now: datetime) -> None:
    """Pull at once: the parcel wears a label and is somewhere between the station and the dock;
    the station that printed it is told, if the hold names none."""
    parcel = state.parcels.get(parcel_id)
    if parcel is None or parcel.label is None or parcel.handed_over_at is not None:
        return
    station = hold["station_id"] or parcel.label.get("station_id")
    pull(conn, {**hold, "station_id": station}, state, parcel_id, hold["reasons"], now)


def current_holds(
    conn: Connection, order_ids: list[str], *, states: tuple[str, ...] | None = None
) -> dict[tuple[str, str], dict]:
    """The holds of these orders, by (order_id, parcel_id). Read under the orders' locks."""
    query = sa.select(holds_t).where(holds_t.c.order_id.in_(order_ids))
    if states:
        query = query.where(holds_t.c.state.in_(states))
    return {(row["order_id"], row["parcel_id"]): dict(row) for row in conn.execute(query).mappings()}
