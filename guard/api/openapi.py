"""The OpenAPI document: what every route answers, its security, tags and request bodies.

Request bodies and query strings are described by the models that validate them
(guard/requests/); the busy routes' hand parsers are held to their models by
tests/unit/test_request_agreement.py. The response models here are documentation:
the routes render their own dicts (orjson, for speed), so these must follow what
the services return — tests/integration/test_schemathesis.py fuzzes the app
against this document and fails on any answer it does not describe.

Every response object allows fields it does not list (the contract: clients
ignore fields they do not know; the guard may add some).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from guard.rules import REASONS

if TYPE_CHECKING:
    from fastapi import FastAPI

Verdict = Literal["clear", "hold", "block"]
HoldState = Literal["held", "blocked", "released"]
EventOutcome = Literal["applied", "stale", "final", "duplicate", "rejected"]
FactOutcome = Literal["applied", "stale", "final", "duplicate", "unassigned"]
# A string, not an enum, in answers: later versions add reason codes (v1.1 did), and a client
# generated with an enum would fail to read an answer naming a new one. Treat an unknown code as
# not clear; the codes of this version are listed (x-known-values, docs/rules.md).
ReasonCode = Annotated[
    str,
    Field(
        description="A reason code. New codes may be added: a code the client does not know means not clear.",
        json_schema_extra={"x-known-values": sorted(REASONS)},
    ),
]


class _Open(BaseModel):
    """Unknown fields are allowed (`additionalProperties: true`), in requests and responses alike."""

    model_config = ConfigDict(extra="allow")


# --- responses ---------------------------------------------------------------------


class Reason(_Open):
    code: ReasonCode
    verdict: Literal["hold", "block"]
    rule: str
    message: str = Field(description="What the packer does now.")
    message_zh: str
    buyer_messages: dict[str, str] = Field(description="Quick replies for the buyer, by language.")
    recheck_at: datetime | None = Field(description="When the guard looks again on its own.")
    detail: str | None = Field(None, description="RULE_ERROR: what could not be judged, e.g. an unknown platform word.")


class Waiver(_Open):
    code: ReasonCode
    note: str
    key_name: str | None
    at: datetime


class Clearance(_Open):
    token: str
    expires_at: datetime


class HoldView(_Open):
    state: HoldState
    since: datetime


class LabelRef(_Open):
    label_id: str
    issued_at: datetime
    station_id: str | None


class CheckResponse(_Open):
    order_id: str
    parcel_id: str
    verdict: Verdict
    reasons: list[Reason]
    waived: list[Waiver]
    decision_id: str | None = Field(description="Null when a store-limited key checked an order it cannot see.")
    decided_at: datetime
    clearance: Clearance | None
    hold: HoldView | None
    label: LabelRef | None


class EventResult(_Open):
    event_id: str
    outcome: EventOutcome
    facts: dict[str, FactOutcome] = Field(description="Outcome per fact type the event set.")
    error: dict | None = Field(None, description="Why a `rejected` event was refused (`ORDER_NOT_AVAILABLE`).")


class EventsResponse(_Open):
    results: list[EventResult]


class BatchResult(_Open):
    order_id: str
    verdict: Verdict
    reasons: list[ReasonCode]


class VerdictCounts(_Open):
    clear: int
    hold: int
    block: int


class BatchCheckResponse(_Open):
    results: list[BatchResult]
    counts: VerdictCounts


class OrderFact(_Open):
    status: str
    occurred_at: datetime
    event_id: str | None
    tracking_number: str | None = Field(None, description="The notice's (parcel 1's).")
    carrier: str | None = None
    reason: str | None = None
    source: str | None = Field(None, description="The platform word that set it, e.g. fund_status=NOT_PAY.")
    untimed: bool = Field(False, description="From a source without a time of its own (an export row).")


class ParcelNotice(_Open):
    status: str
    occurred_at: datetime
    event_id: str | None
    tracking_number: str | None
    carrier: str | None
    source: str | None = Field(None, description="The platform word that set it, e.g. status=WAIT_BUYER_ACCEPT_GOODS.")
    untimed: bool = Field(False, description="From a source without a time of its own (an export row).")


class ParcelLabel(_Open):
    label_id: str
    issued_at: datetime
    station_id: str | None
    tracking_number: str | None


class OrderParcel(_Open):
    parcel_id: str
    verdict: Verdict
    reasons: list[ReasonCode]
    notice: ParcelNotice | None
    shipment_id: str | None
    carrier_label: dict | None = Field(description="The carrier label in escrow: its tracking number.")
    label: ParcelLabel | None = Field(description="The live (not voided) label.")
    hold: HoldView | None
    handed_over_at: datetime | None


class UnassignedNumber(_Open):
    tracking_number: str
    status: str
    occurred_at: datetime


class OrderLabel(_Open):
    label_id: str
    parcel_id: str
    source: Literal["carrier", "guard"]
    format: Literal["pdf", "zpl"]
    tracking_number: str
    station_id: str | None
    issued_at: datetime
    voided_at: datetime | None = None


class Order(_Open):
    order_id: str
    store_id: str | None
    ship_by: datetime | None
    facts: dict[str, OrderFact] = Field(description="By fact type.")
    verdict: Verdict
    reasons: list[Reason]
    waived: list[Waiver]
    hold: HoldView | None = Field(description="Parcel 1's hold.")
    parcels: list[OrderParcel]
    unassigned_tracking_numbers: list[UnassignedNumber]
    labels: list[OrderLabel]


class Decision(_Open):
    decision_id: str
    decided_at: datetime
    kind: Literal["check", "label", "reprint", "release", "handover"]
    verdict: Verdict
    parcel_id: str | None
    reasons: list[ReasonCode]
    waived: list[dict[str, Any]]
    station_id: str | None
    operator: str | None
    key_name: str | None = Field(description="Null for an automatic release.")
    facts: dict[str, Any] = Field(description="The facts the decision saw.")
    note: str | None = Field(description="An override's written reason; `automatic` for an automatic release.")


class DecisionsPage(_Open):
    items: list[Decision] = Field(description="Newest first.")
    next_cursor: str | None


class HoldItem(_Open):
    order_id: str
    parcel_id: str
    order_parcels: int = Field(description="How many parcels the order has (the board names the parcel if several).")
    state: HoldState
    reasons: list[ReasonCode]
    since: datetime
    station_id: str | None
    recheck_at: datetime | None
    ship_by: datetime | None
    overdue: bool
    store_id: str | None


class HoldsPage(_Open):
    items: list[HoldItem] = Field(description="Oldest first.")
    next_cursor: str | None


class HoldSummary(_Open):
    held: int
    blocked: int
    released: int
    overdue: int
    by_reason: dict[str, int] = Field(description="Held orders by reason code, most frequent first.")
    oldest_since: datetime | None
    as_of: datetime


class Release(_Open):
    order_id: str
    decision_id: str
    hold: HoldView | None
    parcels: list[dict] = Field(description="Each held parcel released: parcel_id and its hold.")
    waived: list[Waiver]


class Notification(_Open):
    id: str
    type: str
    order_id: str | None
    station_id: str | None
    created_at: datetime
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    body: dict[str, Any] = Field(description="The notification as delivered (contract, Notifications).")


class NotificationsPage(_Open):
    items: list[Notification]
    next_cursor: str | None


class Retried(_Open):
    retried: list[str]


class Printer(_Open):
    address: str = Field(description="host:port")
    sent: bool
    error: str | None


class Label(_Open):
    order_id: str
    parcel_id: str
    label_id: str
    source: Literal["carrier", "guard"]
    format: Literal["pdf", "zpl"]
    content: str | None = Field(description="ZPL text (format zpl), else null.")
    content_base64: str | None = Field(description="The PDF, base64 (format pdf), else null.")
    tracking_number: str
    issued_at: datetime
    station_id: str | None
    decision_id: str
    printer: Printer | None = Field(
        None, description="The station's network printer (GUARD_PRINTERS), if it has one: what was sent."
    )


class Handover(_Open):
    order_id: str
    parcel_id: str
    verdict: Literal["clear"]
    handed_over_at: datetime
    shipment_id: str | None = None
    parcels: list[dict] | None = Field(None, description="A shipment: every member parcel handed over.")


class Voided(_Open):
    label_id: str
    order_id: str
    parcel_id: str
    voided_at: datetime
    decision_id: str


class Escrowed(_Open):
    order_id: str
    parcel_id: str
    tracking_number: str
    verified: bool = Field(description="False for a PDF with no text layer: its number could not be read.")
    matches_notice: bool


class PullItem(_Open):
    notification_id: str
    order_id: str
    parcel_id: str
    store_id: str | None
    station_id: str | None
    reasons: list[str]
    created_at: datetime
    acked_at: datetime | None
    ack_station_id: str | None
    ack_outcome: str | None
    ack_key_name: str | None


class OpenPull(PullItem):
    label_id: str | None = Field(description="The parcel's live label, to void it; null once voided.")
    order_parcels: int = Field(description="How many parcels the order has (the board names the parcel if several).")


class PullsPage(_Open):
    items: list[OpenPull]


class Resolution(_Open):
    tracking_number: str
    kept_by: dict
    voided: list[dict]


class Fulfilled(_Open):
    order_id: str
    tracking_number: str
    service_name: str
    recorded: bool = Field(description="Always true: the notice is recorded only on the platform's success answer.")
    event_id: str
    outcome: str = Field(description="What the recorded notice did: applied, stale, final, duplicate.")


class Health(_Open):
    status: Literal["ok"]


class Ready(_Open):
    database: Literal["up"]
    redis: str | None = Field(description='"up", "down" or "not configured".')
    outbox_backlog: int | None = Field(description="Notifications still to deliver.")


class ParcelRef(_Open):
    order_id: str
    parcel_id: str


class ErrorBody(_Open):
    code: str = Field(
        pattern=r"^[A-Z][A-Z0-9_]*$",
        examples=["VALIDATION_ERROR"],
        description="Every code, its status and meaning: docs/integration.md, Errors.",
    )
    message: str
    details: list[dict[str, Any]] = Field(
        default_factory=list,
        description='Optional. For VALIDATION_ERROR one {"index": int | null, "field": str, "message": str} per '
        "problem; for ORDER_NOT_CLEAR the current reasons; for NOT_WAIVABLE and ORDER_BLOCKED the codes; for "
        "CODE_AMBIGUOUS the candidate parcels the key may see.",
    )
    # Extra fields of some refusals (409s mostly): the parcel the refusal judged.
    order_id: str | None = Field(
        None,
        description="ORDER_NOT_CLEAR, NOT_LABELLED, TRACKING_MISMATCH, ALREADY_HANDED_OVER, LABEL_VOIDED, "
        "PULL_ALREADY_ACKNOWLEDGED: the order concerned.",
    )
    parcel_id: str | None = Field(None, description="With `order_id`: its parcel.")
    member: ParcelRef | None = Field(
        None, description="ORDER_NOT_CLEAR of a shipment: the member parcel that is not clear."
    )
    handed_over_at: datetime | None = Field(None, description="ALREADY_HANDED_OVER: when it left.")


class ErrorEnvelope(_Open):
    """Every 4xx/5xx body."""

    error: ErrorBody


# --- per-route documentation --------------------------------------------------------

SECURITY_SCHEME = "bearerKey"
SECURITY_SCHEMES = {
    SECURITY_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key's secret (`guard apikey create NAME --scope S`), sent as "
        "`Authorization: Bearer <secret>`. Each operation names the scope it needs.",
    }
}
TAGS = [
    {"name": "events", "description": "Facts about orders, pushed by the ERP."},
    {"name": "checks", "description": "The verdict before a label prints; wave pre-checks."},
    {"name": "orders", "description": "An order's facts, verdict, parcels and decisions."},
    {"name": "labels", "description": "Carrier labels in escrow, labels, reprints, voids."},
    {"name": "dock", "description": "The hand-over scan and the parcels pulled off the line."},
    {"name": "holds", "description": "The hold queue a supervisor works."},
    {"name": "tracking", "description": "Tracking-number conflicts."},
    {"name": "notifications", "description": "The outbox: notifications by delivery state; station streams."},
    {"name": "platform", "description": "Acting on the platform for the seller (AliExpress)."},
    {"name": "health", "description": "Probes and metrics (no key)."},
]
# Request body models by name, as the routes declared them: added to the document's components.
REQUEST_BODIES: dict[str, type[BaseModel]] = {}

_ERRORS: dict[int, str] = {
    401: "`UNAUTHENTICATED`: missing, unknown or revoked key (`Authorization: Bearer <secret>`).",
    403: "`FORBIDDEN`: the key lacks the scope.",
    404: "Not found.",
    409: "Conflict.",
    413: "`TOO_LARGE`: the body is over the limit (8 MiB).",
    422: "`VALIDATION_ERROR`: bad input (malformed JSON included); `details` names every problem.",
    429: "`RATE_LIMITED`: too many requests for this key; see `Retry-After`.",
    503: "`UNAVAILABLE`: the database cannot be reached — never a verdict; do not ship.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer", "minimum": 1}}}


def _error(status: int, description: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"model": ErrorEnvelope, "description": description or _ERRORS[status]}
    if status == 429:
        response["headers"] = _RETRY_AFTER
    return response


def documented(
    operation_id: str,
    tag: str,
    *,
    ok: type[BaseModel] | None = None,
    status: int = 200,
    ok_description: str | None = None,
    ok_media: dict[str, dict[str, Any]] | None = None,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    scope: str | None = None,
    database: bool = True,
    invalid: bool = True,
    errors: dict[int, str] | None = None,
) -> dict[str, Any]:
    """Decorator arguments that document one route: `@router.post(path, **documented(...))`.

    - `operation_id`, `tag`: what a generated client names the call and groups it under.
    - `ok`: the success model (JSON); or `ok_media` for another media type; neither for an empty 204.
    - `body`: the request body's model (`body_required` as the contract says), the same model the
      route validates with (or, on a hand-parsed route, the one held to its parser).
    - `scope`: the key's scope (`security` bearer, 401, 403, 429); none for a public route.
    - `database`: it may answer 503; `invalid`: it takes input (422).
    - `errors`: the route's own 404/409/... with the codes it uses.
    A body route may also answer 413.
    """
    success: dict[str, Any] = {"description": ok_description or "Success"}
    if ok is not None:
        success["model"] = ok
    elif ok_media is not None:
        success["content"] = ok_media
    responses: dict[int | str, dict[str, Any]] = {status: success}
    codes: dict[int, str | None] = {}
    if scope is not None:
        codes.update({401: None, 403: f"`FORBIDDEN`: the key lacks the scope `{scope}`.", 429: None})
    if invalid or body is not None:
        codes[422] = None
    if body is not None:
        codes[413] = None
    if database:
        codes[503] = None
    codes.update(errors or {})
    for code in sorted(codes):
        responses[code] = _error(code, codes[code])
    extra: dict[str, Any] = {}
    if scope is not None:
        extra["security"] = [{SECURITY_SCHEME: []}]
    if body is not None:
        known = REQUEST_BODIES.setdefault(body.__name__, body)
        assert known is body, f"two request models named {body.__name__}"
        extra["requestBody"] = {
            "required": body_required,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body.__name__}"}}},
        }
    arguments: dict[str, Any] = {
        "operation_id": operation_id,
        "tags": [tag],
        "responses": responses,
        "response_model": None,
    }
    if extra:
        arguments["openapi_extra"] = extra
    return arguments


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document (built once): FastAPI's, plus the request bodies and the key scheme."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=TAGS
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _, definitions = models_json_schema(
        [(model, "validation") for model in REQUEST_BODIES.values()], ref_template="#/components/schemas/{model}"
    )
    for name, definition in definitions.get("$defs", {}).items():
        if schemas.setdefault(name, definition) != definition:
            raise RuntimeError(f"the OpenAPI document has two schemas named {name}")
    components["securitySchemes"] = SECURITY_SCHEMES
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
