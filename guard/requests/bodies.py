"""Request bodies of the low-volume routes: each model validates the body and documents it.

The routes read a body with `guard.api.deps.body(Model)`: raw JSON (whatever the
Content-Type, as always), NUL refused, then the model; each problem becomes one
detail of a 422 VALIDATION_ERROR. Each model turns into the domain value its
service takes (`.upload()`, `.declaration()`): the services never see a model.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema, field_validator

from guard.errors import TooLarge
from guard.parcels import DEFAULT_PARCEL, normal_tracking
from guard.requests.fields import Id, RequestModel, TrackingNumber, WrittenReason, is_text
from guard.services.aliexpress_fulfil import Declaration
from guard.services.escrow import MAX_CARRIER_LABEL, CarrierLabelUpload

BASE64_REGEX = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
# A logistics service key as AliExpress lists them (e.g. CAINIAO_STANDARD, EMS, OTHER).
SERVICE_KEY = re.compile(r"[A-Z0-9][A-Z0-9_\-]{1,63}")
PLATFORM_TRACKING = re.compile(r"[A-Za-z0-9\-]{4,64}")


# --- labels, reprints, voids, releases --------------------------------------------------------------------------


def _clearance(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ValueError("the clearance token from a clear check is required")
    return value


class LabelRequest(RequestModel):
    """Spend a clearance for the parcel's label."""

    clearance: Annotated[
        str,
        BeforeValidator(_clearance),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 64}),
    ] = Field(description="The token from a clear check (single use).")
    station_id: Id | None = Field(None, description="The station printing it (its printer, if configured).")


class ReprintRequest(RequestModel):
    """Why the same label is printed again (audited)."""

    reason: WrittenReason


class VoidRequest(RequestModel):
    """Why the label is taken back (audited): a parcel returned to stock, a damaged label, a corrected number."""

    reason: WrittenReason


class ReleaseRequest(RequestModel):
    """Why the hold is released by hand (audited; required, non-empty)."""

    reason: WrittenReason


# --- the dock ---------------------------------------------------------------------------------------------------


def _scan(value: Any) -> str:
    if not is_text(value, 128) or not normal_tracking(value):
        raise ValueError("the scanned order id or tracking number is required")
    return value.strip()


class HandoverRequest(RequestModel):
    """The last scan before a parcel leaves."""

    code: Annotated[
        str,
        BeforeValidator(_scan),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 128, "pattern": r"^[^\x00]*\S[^\x00]*$"}),
    ] = Field(description="An order id or a label's tracking number, as scanned (compared in normal form).")
    station_id: Id | None = None


class PullAck(RequestModel):
    """A pulled parcel was taken off the line, or could not be found."""

    station_id: Id | None = None
    outcome: Literal["pulled", "not_found"]


class ResolveRequest(RequestModel):
    """Which parcel keeps a number two parcels claim (audited)."""

    order_id: Id = Field(description="The order whose parcel keeps the number.")
    parcel_id: Id = DEFAULT_PARCEL
    reason: WrittenReason


# --- carrier labels in escrow -----------------------------------------------------------------------------------


def _document(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        raise ValueError("is required: the label document, base64-encoded")
    if len(value) > (MAX_CARRIER_LABEL * 4) // 3 + 4:
        raise TooLarge("the carrier label is larger than 2 MiB")  # 413, not a 422 detail
    try:
        content = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None
    if len(content) > MAX_CARRIER_LABEL:
        raise TooLarge("the carrier label is larger than 2 MiB")
    if not content:
        raise ValueError("the document is empty")
    return content


class CarrierLabelRequest(RequestModel):
    """The carrier's own label, held in escrow until its parcel is clear."""

    format: Literal["pdf", "zpl"]
    content_base64: Annotated[
        bytes,
        BeforeValidator(_document),
        WithJsonSchema({"type": "string", "minLength": 4, "pattern": BASE64_REGEX}),
    ] = Field(description="The carrier's document, base64; at most 2 MiB decoded (else 413).")
    tracking_number: TrackingNumber = Field(
        description="The number the document carries (ZPL: in a ^FD field; PDF: in its text layer), else 422 "
        "LABEL_TRACKING_NOT_FOUND. Compared in normal form."
    )
    parcel_id: Id = DEFAULT_PARCEL
    shipment_id: Id | None = Field(None, description="One box, one number, several orders (合并发货).")

    def upload(self) -> CarrierLabelUpload:
        return CarrierLabelUpload(
            self.parcel_id, self.format, self.content_base64, self.tracking_number, self.shipment_id
        )


# --- recording the notice through AliExpress ------------------------------------------------------------------


def _service(value: Any) -> str:
    if not isinstance(value, str) or not SERVICE_KEY.fullmatch(value):
        raise ValueError("the logistics service's key, e.g. CAINIAO_STANDARD (not free text)")
    return value


def _platform_tracking(value: Any) -> str:
    if not isinstance(value, str) or not PLATFORM_TRACKING.fullmatch(value.strip()):
        raise ValueError("4 to 64 letters, digits and -")
    return value.strip()


class FulfilRequest(RequestModel):
    """Declare the shipment to AliExpress."""

    service_name: Annotated[
        str,
        BeforeValidator(_service),
        WithJsonSchema({"type": "string", "pattern": "^" + SERVICE_KEY.pattern + "$"}),
    ] = Field(description="The logistics service's key as AliExpress lists it, e.g. CAINIAO_STANDARD.")
    tracking_number: Annotated[
        str,
        BeforeValidator(_platform_tracking),
        WithJsonSchema({"type": "string", "pattern": r"^\s*[A-Za-z0-9\-]{4,64}\s*$"}),
    ] = Field(description="The parcel's tracking number (4 to 64 letters, digits and -).")
    send_type: Literal["all", "part"] = Field("all", description="`part` while more parcels are to follow.")
    tracking_website: str | None = Field(
        None,
        validate_default=True,
        description="The carrier's tracking page (http:// or https://); required with OTHER.",
    )
    parcel_id: Id | None = Field(None, description="The parcel the number belongs to.")

    @field_validator("tracking_website")
    @classmethod
    def _website_with_other(cls, website: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("service_name") == "OTHER" and not (website and website.startswith(("http://", "https://"))):
            raise ValueError("required with service_name OTHER: the carrier's tracking page")
        return website

    def declaration(self) -> Declaration:
        return Declaration(
            service_name=self.service_name,
            tracking_number=self.tracking_number,
            send_type=self.send_type,
            tracking_website=self.tracking_website if self.service_name == "OTHER" else None,
            parcel_id=self.parcel_id,
        )
