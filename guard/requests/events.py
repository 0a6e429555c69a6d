"""The model that documents `POST /v1/events`; the hand parser (guard/events.py) validates it.

The parser names every problem of a 1,000-event batch, with its index, in one pass,
and is shared with the feeds (the CSV import, the AliExpress sync). This model says
the same in JSON Schema — one event shape per fact type, its statuses an enum — and
validates with the same rules, so that tests/unit/test_request_agreement.py can hold
the two to the same answers over a table of bodies.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema, create_model, model_validator

from guard.events import FUTURE_TOLERANCE, MAX_EVENTS, TEXT_LIMITS, bound_unknown_fields
from guard.facts import FACT_STATUSES, NOTICE_NEEDS_TRACKING
from guard.platform_statuses import (
    END_REASON,
    FROZEN_STATUS,
    FUND_STATUS,
    ISSUE_STATUS,
    MAIN_STATUS,
    PLATFORMS,
    is_word,
)
from guard.requests.fields import Id, RequestModel, Timestamp, TrackingNumber, text_rule, text_schema

COUNTRY_REGEX = r"^[A-Za-z]{2}$"
WORD_REGEX = r"^[^=,\s]([^=,\x00-\x1f\x7f]*[^=,\s])?$"
LOGISTICS_REGEX = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"


def _not_ahead(moment: datetime) -> datetime:
    if moment > datetime.now(UTC) + FUTURE_TOLERANCE:
        raise ValueError("is more than 5 minutes in the future")
    return moment


def _word(value: Any) -> str:
    if not is_word(value):
        raise ValueError("a platform word: 1 to 64 printable characters, no = or ,")
    return value


def _country(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError("two letters: an ISO 3166-1 alpha-2 country code, e.g. BR")
    return value.upper()


def _logistics(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(LOGISTICS_REGEX[1:-1], value):
        raise ValueError("a word of letters, digits and _")
    return value


def _word_field(examples: list[str], description: str) -> Any:
    schema = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": WORD_REGEX, "examples": examples}
    return Annotated[str, BeforeValidator(_word), WithJsonSchema({**schema, "description": description})]


Occurred = Annotated[Timestamp, AfterValidator(_not_ahead)]
_CARRIER, _NOTE = TEXT_LIMITS["carrier"], TEXT_LIMITS["reason"]
Carrier = Annotated[
    str,
    BeforeValidator(text_rule(_CARRIER, f"must be a non-empty string of at most {_CARRIER} characters")),
    WithJsonSchema(text_schema(_CARRIER, "The carrier's name.")),
]
Note = Annotated[
    str,
    BeforeValidator(text_rule(_NOTE, f"must be a non-empty string of at most {_NOTE} characters")),
    WithJsonSchema(text_schema(_NOTE, "Free text, kept with the fact.")),
]
Country = Annotated[
    str,
    BeforeValidator(_country),
    WithJsonSchema({"type": "string", "pattern": COUNTRY_REGEX, "examples": ["BR"]}),
]
Logistics = Annotated[str, BeforeValidator(_logistics), WithJsonSchema({"type": "string", "pattern": LOGISTICS_REGEX})]


class _Event(RequestModel):
    event_id: Id = Field(description="Unique across all orders; a repeat is a `duplicate`.")
    order_id: Id
    occurred_at: Occurred = Field(
        description="RFC 3339 with an offset: when the fact became true at the source (never the sync time); "
        "at most 5 minutes in the future."
    )
    store_id: Id | None = Field(None, description="Set once per order; it never changes afterwards.")
    ship_by: Timestamp | None = Field(None, description="The platform's shipping deadline (RFC 3339).")
    tracking_number: TrackingNumber | None = None
    carrier: Carrier | None = None
    reason: Note | None = None
    parcel_id: Id | None = Field(
        None, description="The parcel a notice speaks of (v1.1); none: the guard works it out."
    )
    shipment_id: Id | None = Field(None, description="One box, one number, several orders (合并发货).")
    buyer_country: Country | None = Field(None, description="ISO 3166-1 alpha-2; customer service's language.")

    @model_validator(mode="before")
    @classmethod
    def _bounded_unknown_fields(cls, raw: Any) -> Any:
        """Fields the guard does not know are kept with the event, up to 16 KiB of them."""
        if isinstance(raw, dict):
            problems: list[dict] = []
            bound_unknown_fields(raw, 0, problems)
            if problems:
                raise ValueError("; ".join(f"{p['field']}: {p['message']}" for p in problems))
        return raw


def _fact_event(fact_type: str, statuses: tuple[str, ...], *, tracked: bool = False) -> type[_Event]:
    fields: dict[str, Any] = {"type": (Literal[fact_type], ...), "status": (Literal[statuses], ...)}
    if tracked:
        fields["tracking_number"] = (
            TrackingNumber,
            Field(description="Required for a tracking_assigned or recorded notice."),
        )
    name = "".join(part.title() for part in fact_type.split("_")) + ("TrackedEvent" if tracked else "Event")
    return create_model(name, __base__=_Event, **fields)


class PlatformStatusEvent(_Event):
    """An AliExpress status word, mapped to facts (docs/integration.md). An unknown word is kept: it holds
    the order (RULE_ERROR naming it)."""

    type: Literal["platform_status"]
    platform: Literal[PLATFORMS]  # type: ignore[valid-type]
    status: _word_field(sorted(MAIN_STATUS), "The main order status.")  # type: ignore[valid-type]
    logistics_status: Logistics | None = Field(None, description="`init` sets the notice to awaiting_tracking.")
    end_reason: _word_field(sorted(END_REASON), "Why the order ended.") | None = None  # type: ignore[valid-type]
    fund_status: _word_field(sorted(FUND_STATUS), "The order's fund status.") | None = None  # type: ignore[valid-type]
    frozen_status: _word_field(sorted(FROZEN_STATUS), "Frozen by risk control?") | None = None  # type: ignore[valid-type]
    issue_status: _word_field(sorted(ISSUE_STATUS), "A dispute?") | None = None  # type: ignore[valid-type]


_FACT_EVENTS = [
    _fact_event(
        fact_type, tuple(s for s in statuses if not (fact_type == "shipping_notice" and s in NOTICE_NEEDS_TRACKING))
    )
    for fact_type, statuses in FACT_STATUSES.items()
] + [_fact_event("shipping_notice", tuple(sorted(NOTICE_NEEDS_TRACKING)), tracked=True)]

if TYPE_CHECKING:  # a union built at run time; to a type checker, each member is an _Event
    Event = _Event
else:
    Event = Union[tuple(_FACT_EVENTS + [PlatformStatusEvent])]  # noqa: UP007 - built at run time


class EventBatch(RequestModel):
    """Facts about orders, applied in input order, all or nothing."""

    events: list[Event] = Field(min_length=1, max_length=MAX_EVENTS, description="1 to 1,000 events.")
