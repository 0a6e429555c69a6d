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
KNOWN_STATUSES: dict[str, tuple[str, ...]] = {**FACT_STATUSES, **PARCEL_FACT_STATUSES}

# Seed point 2/3: these mean the platform has already refunded or closed the
# order. They apply whatever their time (safety first) and never reopen.
FINAL_STATUSES: frozenset[tuple[str, str]] = frozenset(
    {("order", "closed"), ("risk", "closed"), ("cancellation", "accepted"), ("payment", "refunded")}
)

# Seed point 3: platform views lag, so the notice only moves forward.
NOTICE_PROGRESS = {status: rank for rank, status in enumerate(FACT_STATUSES["shipping_notice"])}
NOTICE_NEEDS_TRACKING = frozenset({"tracking_assigned", "recorded"})

Outcome = Literal["applied", "stale", "final", "duplicate"]


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact about an order, as true at the source at `occurred_at`."""

    status: str
    occurred_at: datetime
    event_id: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None


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
