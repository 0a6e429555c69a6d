"""Carrier labels in escrow: the logistics provider's own label, held until its parcel is clear.

The document is checked for its own tracking number at upload (contract v1.1): a
ZPL label must carry it in a field, a PDF in its text layer — a label whose
number cannot be found would ship a parcel under a number nobody declared. A
PDF with no text layer at all (a scan) cannot be read: it is accepted and
marked unverified. A number that differs from the parcel's recorded notice
holds the parcel (TRACKING_MISMATCH) and the document is never released.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard.errors import Conflict, GuardError, NotFound, ValidationFailed, problem
from guard.models import CarrierLabel, Label
from guard.parcels import ParcelState, normal_tracking
from guard.services import holds
from guard.services.apikeys import Principal
from guard.services.parcels import ParcelChanges, announce_shared, settle_order, sync_claims, write_parcels
from guard.storage.state import OrderState, lock_and_load
from guard.storage.writes import upsert_rows

if TYPE_CHECKING:
    from guard.services.context import Context

escrow_t = CarrierLabel.__table__
labels_t = Label.__table__

MAX_CARRIER_LABEL = 2 * 1024 * 1024
FORMATS = ("pdf", "zpl")


class TrackingNotFound(GuardError):
    status = 422
    code = "LABEL_TRACKING_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class CarrierLabelUpload:
    parcel_id: str
    format: str
    content: bytes
    tracking_number: str  # normal form
    shipment_id: str | None = None


# --- the number on the document ----------------------------------------------------------------------------

_ZPL_FIELD = re.compile(rb"\^FD(.*?)(?=\^FS|\^XZ|$)", re.S)
_ZPL_HEX = re.compile(rb"_([0-9A-Fa-f]{2})")


def _zpl_texts(content: bytes) -> list[str]:
    """The data of every ^FD field; a field after ^FH (hex escapes, `_7E`) is decoded."""
    texts = []
    for match in _ZPL_FIELD.finditer(content):
        start = match.start()
        data = match.group(1)
        if content.rfind(b"^FH", 0, start) > content.rfind(b"^FS", 0, start):
            data = _ZPL_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), data)
        text = data.decode("utf-8", "replace")
        texts.append(text[3:] if text[:3] in (">:0", ">;0") else text)  # a Code 128 subset prefix
        texts.append(re.sub(r">[0-9:;5]", "", text))  # Code 128 invocation codes inside the data
    return texts


def document_number(fmt: str, content: bytes, number: str) -> bool | None:
    """Whether the document carries `number` (normal form): True, False — or None when it has no
    text to read (a PDF without a text layer)."""
    if fmt == "zpl":
        return any(number in normal_tracking(text) for text in _zpl_texts(content))
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content))
        text = "".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        raise ValidationFailed(
            [problem("content_base64", "not a PDF this guard can read")], "the carrier label is not a readable PDF"
        ) from None
    if not text.strip():
        return None
    return number in normal_tracking(text)


# --- the use case -----------------------------------------------------------------------------------------


def put_carrier_label(
    ctx: Context, principal: Principal, order_id: str, upload: CarrierLabelUpload, now: datetime
) -> dict:
    """Hold the carrier's label for its parcel until the parcel is clear (replaceable until its
    label is issued). Returns the escrow as stored (`verified`: its number was read off it)."""
    verified = document_number(upload.format, upload.content, upload.tracking_number)
    if verified is False:
        raise TrackingNotFound(
            "the carrier label's tracking number was not found in the document",
            [problem("content_base64", f"the document does not carry tracking number {upload.tracking_number}")],
        )

    def work(conn: Connection) -> dict:
        states = lock_and_load(conn, [order_id], [upload.tracking_number])
        state = states.get(order_id)
        if state is None or not state.known or not principal.sees(state.store_id):
            raise NotFound(f"no order {order_id!r}", code="ORDER_NOT_FOUND")
        parcel = state.parcels.get(upload.parcel_id)
        if parcel is not None and parcel.label is not None:
            raise Conflict(
                "this parcel's label was issued already; it can no longer be replaced", code="LABEL_ALREADY_ISSUED"
            )
        changes = ParcelChanges()
        if parcel is None:
            parcel = state.parcels[upload.parcel_id] = ParcelState(upload.parcel_id)  # an escrowed label names it
        if upload.shipment_id is not None:
            parcel.shipment_id = upload.shipment_id
        parcel.escrow_number = upload.tracking_number
        changes.touch(state, parcel, now)
        write_parcels(conn, changes, now)
        upsert_rows(
            conn,
            escrow_t,
            [
                {
                    "order_id": order_id,
                    "parcel_id": upload.parcel_id,
                    "format": upload.format,
                    "content": upload.content,
                    "tracking_number": upload.tracking_number,
                    "shipment_id": upload.shipment_id,
                    "verified": verified is True,
                    "received_at": now,
                }
            ],
        )
        outcome = sync_claims(conn, states, [(order_id, upload.parcel_id)], now)
        announce_shared(conn, outcome.shared_across_stores, now)
        settle_order(conn, ctx.settings, state, holds.current_holds(conn, [order_id]), now, only=[upload.parcel_id])
        return {
            "order_id": order_id,
            "parcel_id": upload.parcel_id,
            "tracking_number": upload.tracking_number,
            "verified": verified is True,
            "matches_notice": parcel.tracking_number in (None, upload.tracking_number),
        }

    return ctx.storage.run(work)


def escrowed(conn: Connection, state: OrderState, parcel_id: str) -> sa.Row | None:
    return conn.execute(
        sa.select(escrow_t).where(escrow_t.c.order_id == state.order_id, escrow_t.c.parcel_id == parcel_id)
    ).first()
