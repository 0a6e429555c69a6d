"""Order facts: the vocabulary and the replacement rules (contract, "Order facts").

Pure: no I/O, no clock. The ingest service gathers stored facts, asks
`replacement_outcome` what an incoming event does to them, and writes the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

FACT_STATUSES: dict[str, tuple[str, ...]] = {
    "payment": ("unpaid", "awaiting_confirmation", "processing", "paid", "failed", "refunded"),
    "risk": ("none", "reviewing", "cleared", "closed"),
    "cancellation": ("none", "requested", "rejected", "accepted"),
    "order": ("open", "closed"),
    "shipping_notice": ("missing", "awaiting_tracking", "tracking_assigned", "recorded"),
    "freight": ("not_applicable", "pending", "paid", "failed"),
    # v1.1: AliExpress FUND_PROCESSING (an agreed refund or settlement) and disputes (IN_ISSUE).
    "settlement": ("none", "processing"),
    "dispute": ("none", "open", "ended"),
}
FACT_TYPES = tuple(FACT_STATUSES)

# What the guard works out about one parcel's tracking number (not sent as events):
# whether another live parcel of the store claims the same number, and whether the
# carrier label in escrow carries the number the notice recorded.
PARCEL_FACT_STATUSES: dict[str, tuple[str, ...]] = {
    "tracking_claim": ("sole", "conflict"),
    "carrier_label": ("matches", "mismatch"),
}
# What the guard notes about a platform's words (not sent as an event type of its own):
# a platform_status event with a word the guard does not know sets `platform_word` to a
# status outside this list, so the engine holds the order with RULE_ERROR naming the word
# (contract v1.1, "Unknown words hold"); a newer event with only known words sets `known`.
PLATFORM_WORD = "platform_word"
WORD_FACT_STATUSES: dict[str, tuple[str, ...]] = {PLATFORM_WORD: ("known",)}
UNKNOWN_WORD = "unknown"

KNOWN_STATUSES: dict[str, tuple[str, ...]] = {**FACT_STATUSES, **PARCEL_FACT_STATUSES, **WORD_FACT_STATUSES}

# Seed point 2/3: these mean the platform has already refunded or closed the
# order. They apply whatever their time (safety first) and never reopen.
FINAL_STATUSES: frozenset[tuple[str, str]] = frozenset(
    {("order", "closed"), ("risk", "closed"), ("cancellation", "accepted"), ("payment", "refunded")}
)

# Seed point 3: platform views lag, so the notice only moves forward.
NOTICE_PROGRESS = {status: rank for rank, status in enumerate(FACT_STATUSES["shipping_notice"])}
NOTICE_NEEDS_TRACKING = frozenset({"tracking_assigned", "recorded"})

# How far each status holds a parcel back, per fact type: a higher rank is more severe,
# equal ranks are equally severe. It decides which value wins when one event says two
# things about one fact (AliExpress's main status and fund_status, say), and whether a
# fact without a time of its own may replace a stored one. The shipping notice has no
# such order: it only moves forward, which is towards clear, never more severe.
SEVERITY: dict[str, dict[str, int]] = {
    "payment": {"paid": 0, "awaiting_confirmation": 1, "processing": 2, "unpaid": 3, "failed": 4, "refunded": 5},
    "risk": {"none": 0, "cleared": 0, "reviewing": 1, "closed": 2},
    "cancellation": {"none": 0, "rejected": 0, "requested": 1, "accepted": 2},
    "order": {"open": 0, "closed": 1},
    "freight": {"not_applicable": 0, "paid": 0, "pending": 1, "failed": 2},
    "settlement": {"none": 0, "processing": 1},
    "dispute": {"none": 0, "ended": 0, "open": 1},
    PLATFORM_WORD: {"known": 0, UNKNOWN_WORD: 1},
}

# `unassigned`: a notice whose parcel the guard cannot tell (kept on the order, changing nothing).
Outcome = Literal["applied", "stale", "final", "duplicate", "untimed", "unassigned"]
# Why an untimed fact was not applied (contract v1.1, "Facts without a time of their own").
UntimedWhy = Literal["same", "lower", "equal", "notice", "tracking_number", "order_unknown"]


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact about an order, as true at the source at `occurred_at`."""

    status: str
    occurred_at: datetime
    event_id: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    # No modification time of its own (an export row read at --as-of): it may only make
    # things stricter, and a timed fact replaces it whatever its time.
    untimed: bool = False
    # The platform word that set it ("status=PLACE_ORDER_SUCCESS"); None for a plain
    # fact event. PAYMENT_UNPAID from the platform is not waivable; an unknown word is named.
    source: str | None = None


Facts = Mapping[str, Fact]  # by fact type


def is_final(fact_type: str, status: str) -> bool:
    return (fact_type, status) in FINAL_STATUSES


def replacement_outcome(fact_type: str, stored: Fact | None, incoming: Fact) -> Outcome:
    """What an incoming (non-duplicate) fact does to the stored one: rules 2 to 4."""
    if stored is None:
        return "applied"
    if is_final(fact_type, stored.status):
        return "final"
    if is_final(fact_type, incoming.status):
        return "applied"
    if fact_type == "shipping_notice" and stored.status != incoming.status:
        forward = NOTICE_PROGRESS[incoming.status] > NOTICE_PROGRESS[stored.status]
        return "applied" if forward else "stale"
    return "applied" if incoming.occurred_at > stored.occurred_at else "stale"


def severity(fact_type: str, status: str) -> int | None:
    """The status's rank in its fact type's severity order; None where there is no order."""
    return SEVERITY.get(fact_type, {}).get(status)


def more_severe(fact_type: str, a: str, b: str) -> bool:
    """Whether status `a` holds a parcel back strictly more than `b` (False where unordered)."""
    rank_a, rank_b = severity(fact_type, a), severity(fact_type, b)
    return rank_a is not None and rank_b is not None and rank_a > rank_b


@dataclass(frozen=True, slots=True)
class Replacement:
    """What an incoming fact does to the stored one, and for an untimed fact not applied, why."""

    outcome: Outcome
    why: UntimedWhy | None = None


_APPLIED = Replacement("applied")


def replacement(fact_type: str, stored: Fact | None, incoming: Fact, *, order_known: bool = True) -> Replacement:
    """`replacement_outcome` with facts that have no time of their own (contract v1.1).

    An untimed fact applies only where no fact of its type is stored, where it is final
    and the order is already known in the same store (`order_known`), or where it is
    strictly more severe than the stored fact. It never replaces a fact with the same
    status and never changes a tracking number. Any timed fact replaces an untimed one
    whatever its time — but nothing replaces a final fact.
    """
    if not incoming.untimed:
        if stored is not None and stored.untimed and not is_final(fact_type, stored.status):
            return _APPLIED
        return Replacement(replacement_outcome(fact_type, stored, incoming))
    if stored is None:
        return _APPLIED
    if is_final(fact_type, stored.status):
        return Replacement("final")
    if fact_type == "shipping_notice":
        # No severity order: an untimed notice applies only where none is stored, so it can
        # never change a number (nor move on a notice that a timed source set).
        if stored.tracking_number is not None and incoming.tracking_number != stored.tracking_number:
            return Replacement("untimed", "tracking_number")
        return Replacement("untimed", "same" if stored.status == incoming.status else "notice")
    if stored.status == incoming.status:
        return Replacement("untimed", "same")
    if is_final(fact_type, incoming.status):
        return _APPLIED if order_known else Replacement("untimed", "order_unknown")
    if more_severe(fact_type, incoming.status, stored.status):
        return _APPLIED
    return Replacement("untimed", "lower" if more_severe(fact_type, stored.status, incoming.status) else "equal")
