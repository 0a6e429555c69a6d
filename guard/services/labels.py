"""The label gate: a label exists only for an order that was clear when it printed.

- Carrier labels wait in escrow until the order is clear.
- `issue_label` spends a clearance atomically, re-evaluates, and issues at most
  one label per order and parcel; the spend is committed whatever follows.
- `reprint` and `handover` re-evaluate too, and are audited like every decision.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from guard import metrics
from guard.errors import Conflict, GuardError, NotFound, TooLarge, ValidationFailed, problem
from guard.ids import ID_PATTERN, ID_RULE
from guard.labels import LabelFields, render_pdf, render_zpl
from guard.models import CarrierLabel, Clearance, Label
from guard.printers import send_zpl
from guard.rules import Evaluation, evaluate
from guard.services import holds
from guard.services.apikeys import Principal
from guard.services.audit import new_id, record_decision
from guard.services.checks import DEFAULT_PARCEL, render_reason
from guard.services.outbox import take_written
from guard.services.store import OrderState, facts_snapshot, load_states, lock_order

if TYPE_CHECKING:
    from guard.runtime import Runtime

clearances_t = Clearance.__table__
labels_t = Label.__table__
escrow_t = CarrierLabel.__table__

MAX_CARRIER_LABEL = 2 * 1024 * 1024
FORMATS = ("pdf", "zpl")


class NotClear(GuardError):
    status = 409
    code = "ORDER_NOT_CLEAR"


def _not_clear(evaluation: Evaluation, order_id: str) -> NotClear:
    return NotClear(
        f"the order is no longer clear ({evaluation.verdict}): do not ship",
        details=[render_reason(finding) for finding in evaluation.reasons],
        order_id=order_id,
    )


# --- escrow ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CarrierLabelUpload:
    parcel_id: str
    format: str
    content: bytes
    tracking_number: str


def parse_carrier_label(body: object) -> CarrierLabelUpload:
    if not isinstance(body, dict):
        raise ValidationFailed([problem("", "the body must be a JSON object")])
    problems = []
    fmt, encoded = body.get("format"), body.get("content_base64")
    tracking, parcel_id = body.get("tracking_number"), body.get("parcel_id", DEFAULT_PARCEL)
    if fmt not in FORMATS:
        problems.append(problem("format", "pdf or zpl"))
    if not isinstance(tracking, str) or not tracking.strip() or len(tracking) > 128 or "\x00" in tracking:
        problems.append(problem("tracking_number", "a non-empty string of at most 128 characters"))
    if not isinstance(parcel_id, str) or not ID_PATTERN.fullmatch(parcel_id):
        problems.append(problem("parcel_id", ID_RULE))
    content = b""
    if not isinstance(encoded, str) or not encoded:
        problems.append(problem("content_base64", "is required: the label document, base64-encoded"))
    elif len(encoded) > (MAX_CARRIER_LABEL * 4) // 3 + 4:
        raise TooLarge("the carrier label is larger than 2 MiB")
    else:
        try:
            content = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            problems.append(problem("content_base64", "not valid base64"))
    if len(content) > MAX_CARRIER_LABEL:
        raise TooLarge("the carrier label is larger than 2 MiB")
    if not problems and not content:
        problems.append(problem("content_base64", "the document is empty"))
    if problems:
        raise ValidationFailed(problems)
    assert isinstance(fmt, str) and isinstance(tracking, str) and isinstance(parcel_id, str)  # checked above
    return CarrierLabelUpload(parcel_id, fmt, content, tracking.strip())


def _visible(conn: Connection, principal: Principal, order_id: str) -> OrderState:
    state = load_states(conn, [order_id]).get(order_id)
    if state is None or not state.facts or not principal.sees(state.store_id):
        raise NotFound(f"no order {order_id!r}", code="ORDER_NOT_FOUND")
    return state


def put_carrier_label(
    rt: Runtime, principal: Principal, order_id: str, upload: CarrierLabelUpload, now: datetime
) -> None:
    with rt.engine.begin() as conn:
        _visible(conn, principal, order_id)
        issued = conn.execute(
            sa.select(labels_t.c.label_id).where(
                labels_t.c.order_id == order_id, labels_t.c.parcel_id == upload.parcel_id
            )
        ).first()
        if issued is not None:
            raise Conflict(
                "this parcel's label was issued already; it can no longer be replaced", code="LABEL_ALREADY_ISSUED"
            )
        values = {
            "order_id": order_id,
            "parcel_id": upload.parcel_id,
            "format": upload.format,
            "content": upload.content,
            "tracking_number": upload.tracking_number,
            "received_at": now,
        }
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(escrow_t).values(**values)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["order_id", "parcel_id"],
                set_={key: insert.excluded[key] for key in ("format", "content", "tracking_number", "received_at")},
            )
        )


# --- issuing --------------------------------------------------------------


def parse_label_request(body: object) -> tuple[str, str | None]:
    if not isinstance(body, dict):
        raise ValidationFailed(
            [problem("", 'the body must be a JSON object: {"clearance": "...", "station_id": "..."}')]
        )
    problems = []
    token, station_id = body.get("clearance"), body.get("station_id")
    if not isinstance(token, str) or not token or len(token) > 64:
        problems.append(problem("clearance", "the clearance token from a clear check is required"))
    if station_id is not None and (not isinstance(station_id, str) or not ID_PATTERN.fullmatch(station_id)):
        problems.append(problem("station_id", ID_RULE))
    if problems:
        raise ValidationFailed(problems)
    assert isinstance(token, str)  # checked above
    return token, station_id


def _document(row) -> dict:
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


def _spend(conn: Connection, principal: Principal, token: str, now: datetime) -> tuple[dict, OrderState]:
    """Spend the clearance: exactly one caller wins, whatever their number. Returns it, and
    its order's state as read under the order's lock (what the label is judged on)."""
    row = conn.execute(sa.select(clearances_t).where(clearances_t.c.token == token)).mappings().first()
    state = None
    if row is not None:
        lock_order(conn, row["order_id"])
        state = load_states(conn, [row["order_id"]]).get(row["order_id"])
    if row is None or state is None or not principal.sees(state.store_id):
        raise NotFound("no such clearance", code="CLEARANCE_NOT_FOUND")  # another store's reads as unknown
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
        if row["used_at"] is not None or row["voided_at"] is not None or row["expires_at"] > now:
            raise Conflict("this clearance was used or replaced by a newer check; check again", code="CLEARANCE_USED")
        raise Conflict("this clearance has expired; check the order again", code="CLEARANCE_EXPIRED")
    return dict(row), state


@metrics.label_outcomes("issue")  # issued by source and format; refusals by code
def issue_label(
    rt: Runtime, principal: Principal, token: str, station_id: str | None, want_pdf: bool, now: datetime
) -> dict:
    refusal: GuardError | None = None
    with rt.engine.begin() as conn:
        clearance, state = _spend(conn, principal, token, now)
        order_id, parcel_id = clearance["order_id"], clearance["parcel_id"]
        rules = rt.settings.rules.for_store(state.store_id)
        evaluation = evaluate(state.facts, now, rules, state.waivers)
        decision_id = record_decision(
            conn,
            order_id=order_id,
            parcel_id=parcel_id,
            kind="label",
            verdict=evaluation.verdict,
            reasons=evaluation.codes,
            facts=facts_snapshot(state.facts),
            now=now,
            station_id=station_id,
            key_name=principal.name,
        )
        current = holds.current_holds(conn, [order_id], lock=True).get(order_id)
        holds.settle(conn, state, current, evaluation, now, rules=rules, station_id=station_id)
        if evaluation.verdict != "clear":
            refusal = _not_clear(evaluation, order_id)  # the clearance stays spent
            label = None
        else:
            label, zpl = _write_label(conn, state, parcel_id, station_id, token, want_pdf, now)
        notifications = take_written(conn)
    rt.dispatch(notifications)
    if refusal is not None:
        raise refusal
    return {**_document(label), "decision_id": decision_id, "printer": _print(rt, station_id, zpl)}


def _print(rt: Runtime, station_id: str | None, zpl: bytes | None) -> dict | None:
    """After the commit: send the label to the station's network printer, if it has one."""
    address = rt.settings.printers.get(station_id) if station_id else None
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
):
    escrow = conn.execute(
        sa.select(escrow_t).where(escrow_t.c.order_id == state.order_id, escrow_t.c.parcel_id == parcel_id)
    ).first()
    if escrow is not None:
        source, fmt, content, tracking = "carrier", escrow.format, escrow.content, escrow.tracking_number
        zpl = content if fmt == "zpl" else None
    else:
        notice = state.facts.get("shipping_notice")
        fields = LabelFields(
            state.order_id,
            parcel_id,
            (notice.tracking_number if notice else None) or "",
            notice.carrier if notice else None,
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
    try:
        with conn.begin_nested():
            conn.execute(labels_t.insert().values(**values))
    except IntegrityError:
        raise Conflict(
            "this parcel has a label already; a reprint needs a supervisor", code="LABEL_ALREADY_ISSUED"
        ) from None
    return SimpleNamespace(**values), zpl  # the row, read like a fetched one, and the printer's ZPL


def parse_reason(body: object) -> str:
    if not isinstance(body, dict):
        raise ValidationFailed([problem("", 'the body must be a JSON object: {"reason": "..."}')])
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000 or "\x00" in reason:
        raise ValidationFailed([problem("reason", "a written reason is required (1 to 1,000 characters)")])
    return reason.strip()


@metrics.label_outcomes("reprint")
def reprint(rt: Runtime, principal: Principal, label_id: str, note: str, now: datetime) -> dict:
    refusal: GuardError | None = None
    with rt.engine.begin() as conn:
        label = conn.execute(sa.select(labels_t).where(labels_t.c.label_id == label_id)).first()
        state = load_states(conn, [label.order_id]).get(label.order_id) if label is not None else None
        if label is None or state is None or not principal.sees(state.store_id):
            raise NotFound(f"no label {label_id!r}", code="LABEL_NOT_FOUND")
        evaluation = evaluate(state.facts, now, rt.settings.rules.for_store(state.store_id), state.waivers)
        decision_id = record_decision(
            conn,
            order_id=label.order_id,
            parcel_id=label.parcel_id,
            kind="reprint",
            verdict=evaluation.verdict,
            reasons=evaluation.codes,
            facts=facts_snapshot(state.facts),
            now=now,
            station_id=label.station_id,
            key_name=principal.name,
            note=note,
        )
        if evaluation.verdict != "clear":
            refusal = _not_clear(evaluation, label.order_id)  # the refused reprint stays on record
    if refusal is not None:
        raise refusal
    zpl = label.content if label.format == "zpl" else None
    return {**_document(label), "decision_id": decision_id, "printer": _print(rt, label.station_id, zpl)}


# --- hand-over ------------------------------------------------------------


def parse_handover(body: object) -> tuple[str, str | None]:
    if not isinstance(body, dict):
        raise ValidationFailed([problem("", 'the body must be a JSON object: {"code": "...", "station_id": "..."}')])
    problems = []
    code, station_id = body.get("code"), body.get("station_id")
    if not isinstance(code, str) or not code.strip() or len(code) > 128 or "\x00" in code:
        problems.append(problem("code", "the scanned order id or tracking number is required"))
    if station_id is not None and (not isinstance(station_id, str) or not ID_PATTERN.fullmatch(station_id)):
        problems.append(problem("station_id", ID_RULE))
    if problems:
        raise ValidationFailed(problems)
    assert isinstance(code, str)  # checked above
    return code.strip(), station_id


def handover(rt: Runtime, principal: Principal, code: str, station_id: str | None, now: datetime) -> dict:
    """The last scan before the parcel leaves: only a clear, labelled parcel goes."""
    refusal: GuardError | None = None
    with rt.engine.begin() as conn:
        state = load_states(conn, [code]).get(code) if ID_PATTERN.fullmatch(code) else None
        if state is not None and (not state.facts or not principal.sees(state.store_id)):
            state = None
        labels: Sequence[Any] = []
        if state is not None:  # an order id match wins over a tracking number
            labels = conn.execute(sa.select(labels_t.c.label_id).where(labels_t.c.order_id == code)).all()
        else:
            for row in conn.execute(
                sa.select(labels_t.c.order_id, labels_t.c.label_id).where(labels_t.c.tracking_number == code)
            ):
                candidate = load_states(conn, [row.order_id]).get(row.order_id)
                if candidate is not None and principal.sees(candidate.store_id):
                    state, labels = candidate, [row]
                    break
        if state is None:
            raise NotFound("no order or label matches this code", code="CODE_NOT_FOUND")
        lock_order(conn, state.order_id)
        rules = rt.settings.rules.for_store(state.store_id)
        evaluation = evaluate(state.facts, now, rules, state.waivers)
        record_decision(
            conn,
            order_id=state.order_id,
            kind="handover",
            verdict=evaluation.verdict,
            reasons=evaluation.codes,
            facts=facts_snapshot(state.facts),
            now=now,
            station_id=station_id,
            key_name=principal.name,
            note=f"scanned {code}",
        )
        current = holds.current_holds(conn, [state.order_id], lock=True).get(state.order_id)
        hold = holds.settle(conn, state, current, evaluation, now, rules=rules, station_id=station_id)
        if evaluation.verdict != "clear":
            # A parcel at the dock whose order turned bad: tell everyone to pull it.
            pull = hold or {"state": "held", "since": now, "station_id": station_id}
            holds.notify(
                conn,
                "order.pull",
                {**pull, "station_id": station_id or pull.get("station_id")},
                state,
                evaluation.codes,
                now,
            )
            refusal = _not_clear(evaluation, state.order_id)
        elif not labels:
            refusal = Conflict(
                "this parcel was never labelled by the guard: scan it at a packing station first",
                code="NOT_LABELLED",
                order_id=state.order_id,
            )
        notifications = take_written(conn)
    rt.dispatch(notifications)
    if refusal is not None:
        raise refusal
    return {"order_id": state.order_id, "verdict": "clear"}
