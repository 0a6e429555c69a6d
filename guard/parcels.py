"""Parcels and tracking numbers: what leaves the dock (contract v1.1, "Parcels", "Tracking numbers").

Pure: no I/O, no clock. An order's facts (payment, risk, …) are the order's; the
shipping notice, the tracking number and the labels are each parcel's own. A
parcel is judged on its order's facts plus its own notice and what the guard
worked out about its number (`tracking_claim`, `carrier_label`): the rules see
one mapping of facts, as before.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from guard.facts import Fact, Facts

DEFAULT_PARCEL = "1"  # every order has it; other parcels exist once something names them


def parcel_order(parcel_id: str) -> tuple[int, int, str]:
    """How parcels are listed: by number where the id is one ("2" before "10"), then by name."""
    return (0, int(parcel_id), "") if parcel_id.isascii() and parcel_id.isdigit() else (1, 0, parcel_id)


# Tracking claims: a number is live from its assignment until its parcel is handed over
# or its label voided (released); a claim that lost a resolution is void for good.
LIVE, RELEASED, VOID = "live", "released", "void"

# Parcel facts carry no source time of their own: the rules read statuses only.
DERIVED_AT = datetime.min.replace(tzinfo=UTC)


def normal_tracking(number: str) -> str:
    """The form numbers are stored and compared in: NFKC, no whitespace at all, upper case.

    A scanner reads "lp 0012 3456 cn" off a label the ERP declared as "LP00123456CN";
    full-width digits from a Chinese keyboard are the same number too.
    """
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


@dataclass(slots=True)
class ParcelState:
    """One parcel as the guard knows it; `notice` None means no notice event named it yet."""

    parcel_id: str
    notice: Fact | None = None
    shipment_id: str | None = None
    handed_over_at: datetime | None = None
    escrow_number: str | None = None  # the carrier label in escrow, if any
    label: dict | None = None  # the live (not voided) label: label_id, issued_at, station_id, tracking_number
    # What the claims on its numbers say (worked out under the numbers' locks).
    conflict: bool = False
    exists: bool = True

    @classmethod
    def judged_only(cls, parcel_id: str, status: str | None, conflict: bool, mismatch: bool) -> ParcelState:
        """A parcel known only by what the rules read of it (the wave check's shapes): its
        notice's status, a conflict on its number, whether its escrowed label's number differs."""
        notice = Fact(status, DERIVED_AT, tracking_number="notice" if mismatch else None) if status else None
        return cls(parcel_id, notice, escrow_number="escrow" if mismatch else None, conflict=conflict)

    @property
    def tracking_number(self) -> str | None:
        return self.notice.tracking_number if self.notice is not None else None

    @property
    def numbers(self) -> set[str]:
        """Every number this parcel carries: its notice's, its escrowed label's, its label's."""
        found = {self.tracking_number, self.escrow_number, (self.label or {}).get("tracking_number")}
        found.discard(None)
        return found  # type: ignore[return-value]

    @property
    def has_number_or_label(self) -> bool:
        return bool(self.numbers) or self.label is not None


def parcel_facts(order_facts: Facts, parcel: ParcelState | None, *, known: bool = True) -> dict[str, Fact]:
    """What the rules judge for one parcel: the order's facts, the parcel's notice, its number's standing.

    `known`: the guard has some fact of the order (any parcel's notice counts); if
    not, nothing is judged but that (ORDER_UNKNOWN alone). A parcel that does not
    exist has no notice: SHIPPING_NOTICE_MISSING, whatever another parcel of the
    order has (contract v1.1).
    """
    facts = {kind: fact for kind, fact in order_facts.items() if kind != "shipping_notice"}
    if not known:
        return facts
    # Explicit, so a known order whose only news is another parcel's notice is not "unknown".
    notice = parcel.notice if parcel is not None else None
    facts["shipping_notice"] = notice if notice is not None else Fact("missing", DERIVED_AT)
    if parcel is None:
        return facts
    if parcel.conflict:
        facts["tracking_claim"] = Fact("conflict", DERIVED_AT)
    number = parcel.tracking_number
    if parcel.escrow_number is not None and number is not None and parcel.escrow_number != number:
        facts["carrier_label"] = Fact("mismatch", DERIVED_AT)
    return facts


def assign_notice(parcels: Mapping[str, ParcelState], parcel_id: str | None, number: str | None) -> str | None:
    """Which parcel a notice event speaks of; None: kept on the order, unassigned.

    With `parcel_id`, that parcel. Without it, a number goes to the parcel whose
    notice or escrowed carrier label already carries it; else to the order's
    only parcel if its notice has no number yet; it never replaces a number a
    parcel's notice already has. A notice with no number speaks of parcel "1".
    """
    if parcel_id is not None:
        return parcel_id
    if number is None:
        return DEFAULT_PARCEL
    for candidate in sorted(parcels):
        parcel = parcels[candidate]
        if number in (parcel.tracking_number, parcel.escrow_number):
            return candidate
    existing = [parcel for parcel in parcels.values() if parcel.exists] or [ParcelState(DEFAULT_PARCEL)]
    if len(existing) == 1 and existing[0].tracking_number is None:
        return existing[0].parcel_id
    return None


@dataclass(frozen=True, slots=True)
class Claim:
    """One parcel's hold on one tracking number."""

    tracking_number: str
    order_id: str
    parcel_id: str
    store_id: str | None
    shipment_id: str | None
    state: str = LIVE
    conflict: bool = False  # as last worked out (stored with the claim)

    @property
    def parcel(self) -> tuple[str, str]:
        return (self.order_id, self.parcel_id)


def conflicting(claim: Claim, others: Iterable[Claim]) -> bool:
    """Whether another live parcel of the same store holds this claim's number, not as one shipment.

    A claim that lost a resolution is in conflict for good (its parcel wears a number
    that is another's) until its parcel gets another number.
    """
    if claim.state == VOID:
        return True
    for other in others:
        if other.parcel == claim.parcel or other.state != LIVE or other.tracking_number != claim.tracking_number:
            continue
        if other.store_id != claim.store_id:
            continue  # across stores a shared number holds no one: it is ambiguous at the dock only
        if claim.shipment_id is not None and claim.shipment_id == other.shipment_id:
            continue  # one box for several orders (合并发货), declared as such
        return True
    return False


@dataclass(slots=True)
class DockMatch:
    """What a hand-over scan resolved to: one parcel, one shipment, or ambiguity (or nothing)."""

    parcels: list[tuple[str, str]] = field(default_factory=list)  # (order_id, parcel_id)
    shipment_id: str | None = None
    ambiguous: bool = False
