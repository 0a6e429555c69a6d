"""The OpenAPI document's models: what every route takes and answers, for /docs and for fuzzing.

Documentation only. The routes keep reading raw JSON and parsing it by hand
(guard/events.py and the services), so that every problem in a batch is named
with its index in one pass; nothing here validates a request or a response.
These models must therefore follow what the parsers accept and what the
services return — tests/integration/test_schemathesis.py fuzzes the app
against this document and fails on any answer it does not describe.

Every response object allows fields it does not list (the contract: clients
ignore fields they do not know; the guard may add some).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from guard.events import MAX_EVENTS
from guard.facts import FACT_STATUSES
from guard.ids import ID_RULE
from guard.platform_statuses import END_REASON, FROZEN_STATUS, FUND_STATUS, ISSUE_STATUS, MAIN_STATUS, PLATFORMS
from guard.rules import REASONS

ID_REGEX = r"^[A-Za-z0-9_.:\-]{1,64}$"  # guard.ids.ID_PATTERN, anchored for JSON Schema
WORD_REGEX = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"  # guard.platform_statuses.LOGISTICS_WORD
# guard.platform_statuses.is_word: a known word maps to facts; an unknown one holds (RULE_ERROR).
BASE64_REGEX = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
MAX_BATCH_IDS = 20_000  # guard.services.checks.MAX_BATCH (not imported: api stays off service internals)

Text = r"\S"  # not blank: the parsers refuse whitespace-only text
Id = Annotated[str, Field(pattern=ID_REGEX, description=ID_RULE, examples=["8123456789"])]
Verdict = Literal["clear", "hold", "block"]
HoldState = Literal["held", "blocked", "released"]
EventOutcome = Literal["applied", "stale", "final", "duplicate", "rejected"]
FactOutcome = Literal["applied", "stale", "final", "duplicate", "unassigned"]
ReasonCode = Annotated[str, Field(json_schema_extra={"enum": sorted(REASONS)})]


class _Open(BaseModel):
    """Unknown fields are allowed (`additionalProperties: true`), in requests and responses alike."""

    model_config = ConfigDict(extra="allow")


# --- request bodies ----------------------------------------------------------------


class _EventBase(_Open):
    event_id: Id = Field(description="Unique across all orders; a repeat is a `duplicate`. " + ID_RULE)
    order_id: Id
    occurred_at: datetime = Field(
        description="RFC 3339 with an offset: when the fact became true at the source (never the sync time); "
        "at most 5 minutes in the future."
    )
    store_id: Id | None = Field(None, description="Set once per order; it never changes afterwards.")
    ship_by: datetime | None = Field(None, description="The platform's shipping deadline (RFC 3339).")
    tracking_number: str | None = Field(None, min_length=1, pattern=Text, max_length=128)
    carrier: str | None = Field(None, min_length=1, pattern=Text, max_length=128)
    reason: str | None = Field(
        None, min_length=1, pattern=Text, max_length=1000, description="Free text, kept with the fact."
    )


def _fact_event(fact_type: str, statuses: tuple[str, ...], *, tracked: bool = False) -> type[_EventBase]:
    fields: dict[str, Any] = {
        "type": (Literal[fact_type], ...),
        "status": (Literal[statuses], ...),
    }
    if tracked:
        fields["tracking_number"] = (
            str,
            Field(
                min_length=1,
                max_length=128,
                pattern=Text,
                description="Required for a tracking_assigned or recorded notice.",
            ),
        )
    name = "".join(part.title() for part in fact_type.split("_")) + ("TrackedEvent" if tracked else "Event")
    return create_model(name, __base__=_EventBase, **fields)


_NOTICE_TRACKED = ("tracking_assigned", "recorded")
_FACT_EVENTS = [
    _fact_event(fact_type, tuple(s for s in statuses if not (fact_type == "shipping_notice" and s in _NOTICE_TRACKED)))
    for fact_type, statuses in FACT_STATUSES.items()
] + [_fact_event("shipping_notice", _NOTICE_TRACKED, tracked=True)]


class PlatformStatusEvent(_EventBase):
    """An AliExpress status word, mapped to the facts above (docs/integration.md)."""

    type: Literal["platform_status"]
    platform: Literal[PLATFORMS]  # type: ignore[valid-type]
    status: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[^=,\s]([^=,\x00-\x1f\x7f]*[^=,\s])?$",
        examples=sorted(MAIN_STATUS),
        description="The main order status. An unknown word is kept and holds the order (RULE_ERROR naming it).",
    )
    logistics_status: str | None = Field(
        None, pattern=WORD_REGEX, description="`init` sets the notice to awaiting_tracking."
    )
    end_reason: str | None = Field(None, min_length=1, max_length=64, examples=sorted(END_REASON))
    fund_status: str | None = Field(None, min_length=1, max_length=64, examples=sorted(FUND_STATUS))
    frozen_status: str | None = Field(None, min_length=1, max_length=64, examples=sorted(FROZEN_STATUS))
    issue_status: str | None = Field(None, min_length=1, max_length=64, examples=sorted(ISSUE_STATUS))


if TYPE_CHECKING:  # a union built at run time; to a type checker, each member is an _EventBase
    Event = _EventBase
else:
    Event = Union[tuple(_FACT_EVENTS + [PlatformStatusEvent])]  # noqa: UP007 - built at run time


class EventBatch(_Open):
    events: list[Event] = Field(
        min_length=1,
        max_length=MAX_EVENTS,
        description="Applied in input order, all or nothing.",
    )


class CheckRequest(_Open):
    station_id: Id | None = None
    operator: str | None = Field(None, min_length=1, pattern=Text, max_length=128)
    parcel_id: Id | None = Field(None, description='For orders shipped in several parcels; default "1".')


class BatchCheckRequest(_Open):
    order_ids: list[Id] = Field(
        min_length=1,
        max_length=MAX_BATCH_IDS,
        description="Answered in input order; a repeated id is answered each time.",
    )


class CarrierLabelUpload(_Open):
    format: Literal["pdf", "zpl"]
    content_base64: str = Field(
        min_length=4,
        pattern=BASE64_REGEX,
        description="The carrier's document, base64; at most 2 MiB decoded (else 413).",
    )
    tracking_number: str = Field(min_length=1, pattern=Text, max_length=128)
    parcel_id: Id = "1"
    shipment_id: Id | None = Field(None, description="One box, one number, several orders (合并发货).")


class LabelRequest(_Open):
    clearance: str = Field(min_length=1, max_length=64, description="The token from a clear check.")
    station_id: Id | None = None


class ReprintRequest(_Open):
    reason: str = Field(min_length=1, pattern=Text, max_length=1000, description="Written reason (audited).")


class HandoverRequest(_Open):
    code: str = Field(
        min_length=1, pattern=Text, max_length=128, description="An order id or a label's tracking number."
    )
    station_id: Id | None = None


class VoidRequest(_Open):
    reason: str = Field(min_length=1, pattern=Text, max_length=1000, description="Written reason (audited).")


class PullAck(_Open):
    station_id: Id | None = None
    outcome: Literal["pulled", "not_found"]


class ResolveRequest(_Open):
    order_id: Id = Field(description="The order whose parcel keeps the number.")
    parcel_id: Id = "1"
    reason: str = Field(min_length=1, pattern=Text, max_length=1000, description="Written reason (audited).")


class ReleaseRequest(_Open):
    reason: str = Field(
        min_length=1, pattern=Text, max_length=1000, description="Written reason (required, non-empty)."
    )


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


class Health(_Open):
    status: Literal["ok"]


class Ready(_Open):
    database: Literal["up"]
    redis: str | None = Field(description='"up", "down" or "not configured".')
    outbox_backlog: int | None = Field(description="Notifications still to deliver.")


class ErrorBody(_Open):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", examples=["VALIDATION_ERROR"])
    message: str
    details: list[dict[str, Any]] = Field(
        default_factory=list,
        description='Optional. For VALIDATION_ERROR one {"index": int | null, "field": str, "message": str} per '
        "problem; for ORDER_NOT_CLEAR the current reasons; for NOT_WAIVABLE the codes.",
    )


class ErrorEnvelope(_Open):
    """Every 4xx/5xx body."""

    error: ErrorBody


# --- per-route documentation --------------------------------------------------------

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


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A request model's JSON Schema with its `$defs` resolved in place.

    `openapi_extra` is merged into the operation as it is, and `#/$defs/...`
    would point into the OpenAPI document's root, where nothing lives.
    """
    schema = model.model_json_schema(mode="validation")
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {key: resolve(value) for key, value in node.items() if key != "$ref"}
                return {**resolve(defs[ref.removeprefix("#/$defs/")]), **rest}
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


def documented(
    *,
    ok: type[BaseModel] | None = None,
    status: int = 200,
    ok_description: str | None = None,
    ok_media: dict[str, dict[str, Any]] | None = None,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    keyed: bool = True,
    database: bool = True,
    invalid: bool = True,
    errors: dict[int, str] | None = None,
) -> dict[str, Any]:
    """Decorator arguments that document one route: `@router.post(..., **documented(...))`.

    - `ok`: the success model (JSON); or `ok_media` for another media type; neither for an empty 204.
    - `body`: the request body model (`body_required` as the contract says).
    - `keyed`: a /v1 route (401, 403, 429); `database`: it may answer 503; `invalid`: it takes input (422).
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
    if keyed:
        codes.update({401: None, 403: None, 429: None})
    if invalid or body is not None:
        codes[422] = None
    if body is not None:
        codes[413] = None
    if database:
        codes[503] = None
    codes.update(errors or {})
    for code in sorted(codes):
        responses[code] = _error(code, codes[code])
    arguments: dict[str, Any] = {"responses": responses, "response_model": None}
    if body is not None:
        arguments["openapi_extra"] = {
            "requestBody": {
                "required": body_required,
                "content": {"application/json": {"schema": inline_schema(body)}},
            }
        }
    return arguments
