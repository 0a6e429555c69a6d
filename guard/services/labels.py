"""The label gate: a label exists only for a parcel that was clear when it printed.

- `issue_label` spends a clearance atomically, locks the parcel's order (and every
  shipment partner's) and numbers, re-judges, and issues at most one live label
  per parcel; the spend is committed whatever follows.
- `reprint` re-judges and re-issues the same document; an outdated label (its
  number is no longer the parcel's recorded one) is refused and pulled.
- `void_label` takes a label back (a parcel returned to stock, a damaged label,
  a corrected number): its number stops being live, and the parcel needs a new
  clearance.
Every one is audited like every decision.
"""

from __future__ import annotations

import base64
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard import metrics
from guard.errors import Conflict, GuardError, NotFound
from guard.labels import LabelFields, render_pdf, render_zpl
from guard.models import Clearance, Label
from guard.printers import send_zpl
from guard.rules import Evaluation
from guard.services import holds
from guard.services.apikeys import Principal
from guard.services.audit import new_id, record_decision
from guard.services.checks import render_reason
from guard.services.escrow import escrowed
from guard.services.parcels import judge, lock_with_partners, sync_claims
from guard.storage.dialects import dialect_of
from guard.storage.state import OrderState, facts_snapshot

if TYPE_CHECKING:
    from guard.services.context import Context

clearances_t = Clearance.__table__
labels_t = Label.__table__


class NotClear(GuardError):
    status = 409
    code = "ORDER_NOT_CLEAR"


def not_clear(evaluation: Evaluation, order_id: str, parcel_id: str) -> NotClear:
    """Refusal naming the parcel judged; for a shipment, the member holding it (if another)."""
    member = next((f.member for f in evaluation.reasons if f.member is not None and f.verdict != "clear"), None)
    context: dict[str, Any] = {"order_id": order_id, "parcel_id": parcel_id}
    if member is not None and all(f.member is not None for f in evaluation.reasons):
        context["member"] = {"order_id": member[0], "parcel_id": member[1]}
    return NotClear(
        f"the order is no longer clear ({evaluation.verdict}): do not ship",
        details=[render_reason(finding) for finding in evaluation.reasons],
        **context,
    )


def mismatch(order_id: str, parcel_id: str, label_number: str | None, recorded: str | None) -> GuardError:
    return Conflict(
        f"the label carries {label_number}, but the parcel's recorded number is now {recorded}: "
        "pull the parcel; void the label and print a new one",
        code="TRACKING_MISMATCH",
        order_id=order_id,
        parcel_id=parcel_id,
    )


# --- issuing --------------------------------------------------------------------------------------------------


def document(row: Any) -> dict:
    text = row.format == "zpl"
    return {
        "order_id": row.order_id,
        "parcel_id": row.parcel_id,
        "label_id": row.label_id,
        "source": row.source,
        "format": row.format,
        "tracking_number": row.tracking_number,
        "issued_at": row.issued_at,
        "station_id": row.station_id,
        "content": row.content.decode("utf-8", "replace") if text else None,
        "content_base64": None if text else base64.b64encode(row.content).decode(),
    }


_CLEARANCE = sa.select(clearances_t).where(clearances_t.c.token == sa.bindparam("token"))


def _spend(conn: Connection, token: str, now: datetime) -> None:
    """Spend the clearance: exactly one caller wins, whatever their number."""
    won = conn.execute(
        clearances_t.update()
        .where(
            clearances_t.c.token == token,
            clearances_t.c.used_at.is_(None),
            clearances_t.c.voided_at.is_(None),
            clearances_t.c.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    if won != 1:
        row = conn.execute(_CLEARANCE, {"token": token}).mappings().one()
        if row["used_at"] is not None or row["voided_at"] is not None or row["expires_at"] > now:
            raise Conflict("this clearance was used or replaced by a newer check; check again", code="CLEARANCE_USED")
        raise Conflict("this clearance has expired; check the order again", code="CLEARANCE_EXPIRED")


@metrics.label_outcomes("issue")  # issued by source and format; refusals by code
def issue_label(
    ctx: Context, principal: Principal, token: str, station_id: str | None, want_pdf: bool, now: datetime
) -> dict:
    zpl: list[bytes | None] = [None]

    def work(conn: Connection) -> dict | GuardError:
        clearance = conn.execute(_CLEARANCE, {"token": token}).mappings().first()
        if clearance is None:
            raise NotFound("no such clearance", code="CLEARANCE_NOT_FOUND")
        order_id, parcel_id = clearance["order_id"], clearance["parcel_id"]
        states = lock_with_partners(conn, [order_id])
        state = states.get(order_id)
        if state is None or not principal.sees(state.store_id):
            raise NotFound("no such clearance", code="CLEARANCE_NOT_FOUND")  # another store's reads as unknown
        _spend(conn, token, now)
        evaluation = judge(state, parcel_id, ctx.settings, now, states)
        decision_id = record_decision(
            conn,
            order_id=order_id,
            parcel_id=parcel_id,
            kind="label",
            verdict=evaluation.verdict,
            reasons=evaluation.codes,
            facts=facts_snapshot(state.parcel_facts(parcel_id)),
            now=now,
            station_id=station_id,
            key_name=principal.name,
        )
        rules = ctx.settings.rules.for_store(state.store_id)
        current = holds.current_holds(conn, [order_id]).get((order_id, parcel_id))
        holds.settle(conn, state, parcel_id, current, evaluation, now, rules=rules, station_id=station_id)
        if evaluation.verdict != "clear":
            return not_clear(evaluation, order_id, parcel_id)  # the clearance stays spent
        label, zpl[0] = _write_label(conn, state, parcel_id, station_id, token, want_pdf, now)
        sync_claims(conn, states, [], now, revive=[(order_id, parcel_id)])
        return {**document(label), "decision_id": decision_id}

    issued = ctx.storage.run(work)
    return {**issued, "printer": print_label(ctx, station_id, zpl[0])}


def print_label(ctx: Context, station_id: str | None, zpl: bytes | None) -> dict | None:
    """After the commit: send the label to the station's network printer, if it has one."""
    address = ctx.settings.printers.get(station_id) if station_id else None
    if address is None:
        return None
    if zpl is None:
        return {
            "address": f"{address[0]}:{address[1]}",
            "sent": False,
            "error": "the carrier's label is a PDF; print it from the browser",
        }
    error = send_zpl(address, zpl)
    return {"address": f"{address[0]}:{address[1]}", "sent": error is None, "error": error}


def _write_label(
    conn: Connection,
    state: OrderState,
    parcel_id: str,
    station_id: str | None,
    token: str,
    want_pdf: bool,
    now: datetime,
) -> tuple[SimpleNamespace, bytes | None]:
    """The label row and document: the carrier's from escrow, else the guard's parcel tag — with
    this parcel's own recorded number (a clear parcel's escrow carries that very number)."""
    parcel = state.parcels[parcel_id]
    # The parcel's state says whether anything is in escrow: no read for the common case.
    escrow = escrowed(conn, state, parcel_id) if parcel.escrow_number is not None else None
    if escrow is not None:
        source, fmt, content, tracking = "carrier", escrow.format, escrow.content, escrow.tracking_number
        zpl = content if fmt == "zpl" else None
    else:
        notice = parcel.notice
        fields = LabelFields(
            state.order_id,
            parcel_id,
            notice.tracking_number if notice is not None and notice.tracking_number else "",
            notice.carrier if notice is not None else None,
            station_id,
            now,
        )
        source, tracking = "guard", fields.tracking_number
        zpl = render_zpl(fields).encode()  # what a thermal printer takes, whatever the caller asked for
        fmt, content = ("pdf", render_pdf(fields)) if want_pdf else ("zpl", zpl)
    values = {
        "label_id": new_id("lbl"),
        "order_id": state.order_id,
        "parcel_id": parcel_id,
        "source": source,
        "format": fmt,
        "tracking_number": tracking,
        "station_id": station_id,
        "clearance_token": token,
        "issued_at": now,
        "content": content,
    }
    # One live label per parcel (a partial unique index): a second is not written, in one round trip.
    inserted = conn.execute(
        dialect_of(conn)
        .insert(labels_t)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["order_id", "parcel_id"], index_where=labels_t.c.voided_at.is_(None))
        .returning(labels_t.c.label_id)
    ).first()
    if inserted is None:
        raise Conflict("this parcel has a label already; a reprint needs a supervisor", code="LABEL_ALREADY_ISSUED")
    parcel.label = {"label_id": values["label_id"], "issued_at": now, "station_id": station_id,
                    "tracking_number": tracking}  # fmt: skip
    return SimpleNamespace(**values), zpl  # the row, read like a fetched one, and the printer's ZPL


# --- reprints and voids -----------------------------------------------------------------------------------------


_LABEL = sa.select(labels_t).where(labels_t.c.label_id == sa.bindparam("label_id"))


def _label_and_state(conn: Connection, principal: Principal, label_id: str) -> tuple[Any, OrderState, dict]:
    """The label, and its order locked (with its shipment partners) and read after the locks."""
    found = conn.execute(_LABEL, {"label_id": label_id}).first()
    states = lock_with_partners(conn, [found.order_id]) if found is not None else {}
    state = states.get(found.order_id) if found is not None else None
    if found is None or state is None or not principal.sees(state.store_id):
        raise NotFound(f"no label {label_id!r}", code="LABEL_NOT_FOUND")
    return conn.execute(_LABEL, {"label_id": label_id}).first(), state, states


@metrics.label_outcomes("reprint")
def reprint(ctx: Context, principal: Principal, label_id: str, note: str, now: datetime) -> dict:
    def work(conn: Connection) -> dict | GuardError:
        label, state, states = _label_and_state(conn, principal, label_id)
        parcel = state.parcels.get(label.parcel_id)
        evaluation = judge(state, label.parcel_id, ctx.settings, now, states)
        decision_id = record_decision(
            conn,
            order_id=label.order_id,
            parcel_id=label.parcel_id,
            kind="reprint",
            verdict=evaluation.verdict,
            reasons=evaluation.codes,
            facts=facts_snapshot(state.parcel_facts(label.parcel_id)),
            now=now,
            station_id=label.station_id,
            key_name=principal.name,
            note=note,
        )
        # Each refusal stays on record (the decision above commits with it).
        if label.voided_at is not None:
            return Conflict("this label was voided; check the parcel again for a new one", code="LABEL_VOIDED",
                            order_id=label.order_id, parcel_id=label.parcel_id)  # fmt: skip
        if parcel is not None and parcel.handed_over_at is not None:
            return Conflict("this parcel was handed over already; a second copy must not pass",
                            code="ALREADY_HANDED_OVER", order_id=label.order_id, parcel_id=label.parcel_id)  # fmt: skip
        recorded = parcel.tracking_number if parcel is not None else None
        if label.tracking_number != recorded:
            pull_labelled(conn, state, label.parcel_id, ["TRACKING_MISMATCH"], now, label.station_id)
            return mismatch(label.order_id, label.parcel_id, label.tracking_number, recorded)
        if evaluation.verdict != "clear":
            return not_clear(evaluation, label.order_id, label.parcel_id)
        return {**document(label), "decision_id": decision_id}

    reprinted = ctx.storage.run(work)
    zpl = reprinted["content"].encode() if reprinted["format"] == "zpl" else None
    return {**reprinted, "printer": print_label(ctx, reprinted["station_id"], zpl)}


def pull_labelled(
    conn: Connection, state: OrderState, parcel_id: str, reasons: list[str], now: datetime, station_id: str | None
) -> str:
    """`order.pull` for a labelled parcel that must not leave, whatever its hold says."""
    current = holds.current_holds(conn, [state.order_id]).get((state.order_id, parcel_id))
    hold = current or {"state": "held", "since": now, "station_id": station_id}
    return holds.pull(conn, {**hold, "station_id": station_id or hold.get("station_id")}, state, parcel_id,
                      reasons, now)  # fmt: skip


def void_label(ctx: Context, principal: Principal, label_id: str, note: str, now: datetime) -> dict:
    """Take a label back: its number stops being live, and the parcel needs a new clearance."""

    def work(conn: Connection) -> dict:
        label, state, states = _label_and_state(conn, principal, label_id)
        parcel = state.parcels.get(label.parcel_id)
        if label.voided_at is not None:
            raise Conflict("this label was voided already", code="LABEL_VOIDED", order_id=label.order_id,
                           parcel_id=label.parcel_id)  # fmt: skip
        if parcel is not None and parcel.handed_over_at is not None:
            raise Conflict("this parcel was handed over: its label can no longer be voided",
                           code="ALREADY_HANDED_OVER", order_id=label.order_id, parcel_id=label.parcel_id)  # fmt: skip
        conn.execute(
            labels_t.update()
            .where(labels_t.c.label_id == label_id)
            .values(voided_at=now, void_note=note, voided_by=principal.name)
        )
        decision_id = record_decision(
            conn,
            order_id=label.order_id,
            parcel_id=label.parcel_id,
            kind="void",
            verdict=judge(state, label.parcel_id, ctx.settings, now, states).verdict,
            reasons=[],
            facts=facts_snapshot(state.parcel_facts(label.parcel_id)),
            now=now,
            station_id=label.station_id,
            key_name=principal.name,
            note=note,
        )
        if parcel is not None:
            parcel.label = None
        sync_claims(conn, states, [], now, release=[(label.order_id, label.parcel_id)])
        return {
            "label_id": label_id,
            "order_id": label.order_id,
            "parcel_id": label.parcel_id,
            "voided_at": now,
            "decision_id": decision_id,
        }

    return ctx.storage.run(work)
