"""Parsing and validating an event batch (contract, `POST /v1/events`).

Hand-written rather than a pydantic model so that every problem in a batch is
named with its index and field, in the contract's words, in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from guard.errors import ValidationFailed, problem
from guard.facts import FACT_STATUSES, NOTICE_NEEDS_TRACKING, Fact
from guard.ids import ID_PATTERN, ID_RULE
from guard.parcels import normal_tracking
from guard.platform_statuses import LOGISTICS_WORD, PLATFORMS, WORD_LIMIT, aliexpress_facts, is_word

PLATFORM_STATUS = "platform_status"
# The order detail's own fields an ERP (or the guard's sync) may forward beside `status`.
PLATFORM_WORD_FIELDS = ("fund_status", "frozen_status", "issue_status")
EVENT_TYPES = (*FACT_STATUSES, PLATFORM_STATUS)

MAX_EVENTS = 1000
FUTURE_TOLERANCE = timedelta(minutes=5)  # a skewed client cannot pin a fact far ahead
TEXT_LIMITS = {"tracking_number": 128, "carrier": 128, "reason": 1000}
COUNTRY = re.compile(r"[A-Za-z]{2}")  # ISO 3166-1 alpha-2; stored upper-cased
# An event is stored as sent (its payload), so an ERP's own fields survive for the audit;
# what is kept of fields the guard does not know is bounded per event (as JSON, with names).
UNKNOWN_FIELDS_BYTES = 16 * 1024
# The contract's fields (v1 and v1.1): each is checked, or bounded, where it is read.
KNOWN_FIELDS = frozenset(
    "event_id order_id type status occurred_at store_id ship_by tracking_number carrier reason platform "
    "end_reason logistics_status fund_status frozen_status issue_status parcel_id shipment_id buyer_country".split()
)

# re.ASCII: `\d` must not accept other scripts' digits ("２０２６" is not RFC 3339).
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


def parse_timestamp(value: Any) -> datetime:
    """RFC 3339 with a mandatory offset, returned in UTC. Raises ValueError."""
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 string with an offset, e.g. 2026-11-11T00:05:00+08:00")
    match = _RFC3339.fullmatch(value.strip())
    if match is None:
        raise ValueError("must be RFC 3339 with an offset (Z or ±hh:mm), e.g. 2026-11-11T00:05:00+08:00")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    if offset in ("Z", "z"):
        tz = UTC
    else:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError("offset out of range")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tzinfo=tz)
        # 0001-01-01T00:00:00+05:00 is a real time with no UTC counterpart datetime can hold.
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a real date and time: {exc}") from None


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    event_id: str
    order_id: str
    type: str
    status: str
    occurred_at: datetime
    store_id: str | None
    ship_by: datetime | None
    tracking_number: str | None
    carrier: str | None
    reason: str | None
    raw: dict[str, Any]
    # v1.1: which parcel a notice speaks of (None: the guard works it out) and the shipment
    # (one box, one number, several orders) it belongs to.
    parcel_id: str | None = None
    shipment_id: str | None = None
    # What the event says, fact by fact: one for a plain fact event, several
    # for a platform status (e.g. RISK_CONTROL sets payment and risk).
    facts: tuple[tuple[str, Fact], ...] = ()
    buyer_country: str | None = None  # contract v1.1: customer service sees the buyer's language first


def _identifier(raw: dict, field: str, index: int, problems: list, required: bool = True) -> str | None:
    value = raw.get(field)
    if value is None:
        if required:
            problems.append(problem(field, "is required", index))
        return None
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        problems.append(problem(field, ID_RULE, index))
        return None
    return value


def _text(raw: dict, field: str, index: int, problems: list) -> str | None:
    value = raw.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > TEXT_LIMITS[field]:
        problems.append(problem(field, f"must be a non-empty string of at most {TEXT_LIMITS[field]} characters", index))
        return None
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL: refused here as bad input, not later as a 503.
        problems.append(problem(field, "must not contain NUL characters", index))
        return None
    return value


def _tracking_number(raw: dict, index: int, problems: list) -> str | None:
    """The number in normal form (contract v1.1): what a dock scan of it will be compared with."""
    value = _text(raw, "tracking_number", index, problems)
    if value is None:
        return None
    normal = normal_tracking(value)
    if not normal or len(normal) > TEXT_LIMITS["tracking_number"]:
        problems.append(problem("tracking_number", "must hold 1 to 128 characters besides spaces", index))
        return None
    return normal


def parse_event(raw: Any, index: int, now: datetime, problems: list) -> IncomingEvent | None:
    if not isinstance(raw, dict):
        problems.append(problem("", "each event must be a JSON object", index))
        return None
    before = len(problems)
    event_id = _identifier(raw, "event_id", index, problems)
    order_id = _identifier(raw, "order_id", index, problems)
    store_id = _identifier(raw, "store_id", index, problems, required=False)
    parcel_id = _identifier(raw, "parcel_id", index, problems, required=False)
    shipment_id = _identifier(raw, "shipment_id", index, problems, required=False)
    fact_type, status = raw.get("type"), raw.get("status")
    if fact_type is None:
        problems.append(problem("type", "is required", index))
    elif not isinstance(fact_type, str) or fact_type not in EVENT_TYPES:
        problems.append(problem("type", f"unknown event type; one of {', '.join(EVENT_TYPES)}", index))
        fact_type = None
    if status is None:
        problems.append(problem("status", "is required", index))
    elif not isinstance(status, str):
        problems.append(problem("status", "must be a string", index))
        status = None
    elif fact_type == PLATFORM_STATUS:
        _check_platform_fields(raw, index, problems)
    elif fact_type is not None and status not in FACT_STATUSES[fact_type]:
        problems.append(
            problem("status", f"unknown {fact_type} status; one of {', '.join(FACT_STATUSES[fact_type])}", index)
        )
    occurred_at = None
    if raw.get("occurred_at") is None:
        problems.append(problem("occurred_at", "is required", index))
    else:
        try:
            occurred_at = parse_timestamp(raw["occurred_at"])
        except ValueError as exc:
            problems.append(problem("occurred_at", str(exc), index))
        else:
            if occurred_at > now + FUTURE_TOLERANCE:
                problems.append(problem("occurred_at", "is more than 5 minutes in the future", index))
    ship_by = None
    if raw.get("ship_by") is not None:
        try:
            ship_by = parse_timestamp(raw["ship_by"])
        except ValueError as exc:
            problems.append(problem("ship_by", str(exc), index))
    buyer_country = raw.get("buyer_country")
    if buyer_country is not None:
        if isinstance(buyer_country, str) and COUNTRY.fullmatch(buyer_country):
            buyer_country = buyer_country.upper()
        else:
            problems.append(problem("buyer_country", "two letters: an ISO 3166-1 alpha-2 country code, e.g. BR", index))
    tracking_number = _tracking_number(raw, index, problems)
    carrier = _text(raw, "carrier", index, problems)
    reason = _text(raw, "reason", index, problems)
    if fact_type == "shipping_notice" and status in NOTICE_NEEDS_TRACKING and tracking_number is None:
        if "tracking_number" not in raw or raw["tracking_number"] is None:
            problems.append(problem("tracking_number", f"is required when the notice is {status}", index))
    bound_unknown_fields(raw, index, problems)
    if len(problems) > before:
        return None
    # No problem recorded, so every required field was parsed (for the type checker).
    assert event_id is not None and order_id is not None and occurred_at is not None
    assert fact_type is not None and status is not None
    triples: list[tuple[str, str, str | None]]
    if fact_type == PLATFORM_STATUS:
        triples = [
            (fact.fact_type, fact.status, fact.source)
            for fact in aliexpress_facts(
                status,
                end_reason=raw.get("end_reason"),
                logistics_status=raw.get("logistics_status"),
                tracking_number=tracking_number,
                **{field: raw.get(field) for field in PLATFORM_WORD_FIELDS},
            )
        ]
    else:
        triples = [(fact_type, status, None)]
    facts = tuple(
        (
            kind,
            Fact(
                value,
                occurred_at,
                event_id,
                tracking_number if kind == "shipping_notice" else None,
                carrier if kind == "shipping_notice" else None,
                source=source,
            ),
        )
        for kind, value, source in triples
    )
    return IncomingEvent(
        event_id=event_id,
        order_id=order_id,
        type=fact_type,
        status=status,
        occurred_at=occurred_at,
        store_id=store_id,
        ship_by=ship_by,
        tracking_number=tracking_number,
        carrier=carrier,
        reason=reason,
        raw=raw,
        facts=facts,
        parcel_id=parcel_id,
        shipment_id=shipment_id,
        buyer_country=buyer_country,
    )


def bound_unknown_fields(raw: dict, index: int, problems: list) -> None:
    sizes = {key: len(key) + len(orjson.dumps(value)) for key, value in raw.items() if key not in KNOWN_FIELDS}
    total = sum(sizes.values())
    for key in sorted(sizes, key=sizes.__getitem__, reverse=True):  # name the largest until the rest fits
        if total <= UNKNOWN_FIELDS_BYTES:
            break
        problems.append(
            problem(
                key,
                f"unknown fields are kept up to {UNKNOWN_FIELDS_BYTES // 1024} KiB per event (as JSON); "
                f"this one holds {sizes[key]:,} bytes",
                index,
            )
        )
        total -= sizes[key]


def _check_platform_fields(raw: dict, index: int, problems: list) -> None:
    platform, status = raw.get("platform"), raw.get("status")
    if platform is None:
        problems.append(problem("platform", "is required for a platform_status event", index))
    elif platform not in PLATFORMS:
        problems.append(problem("platform", f"unknown platform; one of {', '.join(PLATFORMS)}", index))
    # An unknown word is accepted and holds the order (RULE_ERROR naming it): refusing it
    # would lose the rest of the batch, a closure among it. Only what is no word at all is bad input.
    rule = f"a platform word: 1 to {WORD_LIMIT} printable characters, no = or ,"
    if not is_word(status):
        problems.append(problem("status", rule, index))
    for field in ("end_reason", *PLATFORM_WORD_FIELDS):
        value = raw.get(field)
        if value is not None and not is_word(value):
            problems.append(problem(field, rule, index))
    logistics = raw.get("logistics_status")
    if logistics is not None and (not isinstance(logistics, str) or not LOGISTICS_WORD.fullmatch(logistics)):
        problems.append(problem("logistics_status", "a word of letters, digits and _", index))


def parse_batch(body: Any, now: datetime) -> list[IncomingEvent]:
    """The whole batch, or ValidationFailed naming every problem (nothing is applied)."""
    if not isinstance(body, dict):
        raise ValidationFailed([problem("", 'the body must be a JSON object: {"events": [...]}')])
    events = body.get("events")
    if not isinstance(events, list):
        raise ValidationFailed([problem("events", "is required: a list of 1 to 1,000 events")])
    if not 1 <= len(events) <= MAX_EVENTS:
        raise ValidationFailed([problem("events", f"must hold 1 to {MAX_EVENTS:,} events, got {len(events):,}")])
    problems: list[dict] = []
    parsed = [parse_event(raw, index, now, problems) for index, raw in enumerate(events)]
    if problems:
        raise ValidationFailed(problems)
    return parsed  # type: ignore[return-value]
