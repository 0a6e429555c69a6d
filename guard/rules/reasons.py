"""The reason codes: what each one means for the floor (contract, "The rules and the verdict").

Each reason knows its verdict, whether a supervisor may waive it, which fact it
rests on (a waiver is tied to that fact), and its default timers. Messages live
in `messages.py`; they are rendered only when a reason is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

VerdictName = Literal["clear", "hold", "block"]
SEVERITY: dict[str, int] = {"clear": 0, "hold": 1, "block": 2}


@dataclass(frozen=True, slots=True)
class ReasonSpec:
    code: str
    verdict: Literal["hold", "block"]
    waivable: bool
    fact_type: str | None
    recheck_after: timedelta | None = None
    escalate_after: timedelta | None = None
    # Seed point 7: freight is escalated after repeated re-checks, not an age.
    escalate_after_rechecks: int | None = None


def _m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


_SPECS = (
    ReasonSpec("ORDER_UNKNOWN", "hold", False, None, _m(5)),
    ReasonSpec("ORDER_CLOSED", "block", False, "order"),
    ReasonSpec("RISK_CLOSED", "block", False, "risk"),
    ReasonSpec("ORDER_CANCELLED", "block", False, "cancellation"),
    ReasonSpec("PAYMENT_REFUNDED", "block", False, "payment"),
    ReasonSpec("PAYMENT_UNKNOWN", "hold", True, "payment", _m(10)),
    ReasonSpec("PAYMENT_UNPAID", "hold", True, "payment", _m(30)),
    ReasonSpec("PAYMENT_AWAITING_CONFIRMATION", "hold", True, "payment", _m(30)),
    ReasonSpec("PAYMENT_FAILED", "hold", True, "payment", _m(30)),
    # Seed point 1: card payments sit in "processing" for 1-6 hours at peak.
    ReasonSpec("PAYMENT_PROCESSING", "hold", True, "payment", _m(30), timedelta(hours=6)),
    ReasonSpec("RISK_REVIEW", "hold", False, "risk", _m(30)),
    ReasonSpec("CANCEL_REQUESTED", "hold", True, "cancellation", _m(15)),
    # Seed point 8: tracking numbers come back late on some routes.
    ReasonSpec("TRACKING_NUMBER_PENDING", "hold", False, "shipping_notice", _m(5)),
    ReasonSpec("SHIPPING_NOTICE_MISSING", "hold", False, "shipping_notice", _m(5)),
    # v1.1: the number on the parcel must be its own. Resolved, never waived.
    ReasonSpec("TRACKING_CONFLICT", "hold", False, "tracking_claim", _m(5)),
    ReasonSpec("TRACKING_MISMATCH", "hold", False, "carrier_label", _m(5)),
    # v1.1: an agreed refund or settlement (AliExpress FUND_PROCESSING), and disputes.
    ReasonSpec("FUNDS_IN_SETTLEMENT", "hold", False, "settlement", _m(30)),
    ReasonSpec("DISPUTE_OPEN", "hold", False, "dispute", _m(30)),
    # Seed point 7: wait 10 minutes, refresh; if it still fails, escalate.
    ReasonSpec("FREIGHT_UNPAID", "hold", True, "freight", _m(10), None, 3),
    ReasonSpec("RULE_ERROR", "hold", False, None, _m(5)),
)
REASONS: dict[str, ReasonSpec] = {spec.code: spec for spec in _SPECS}

# The same code, set by a platform's word rather than a plain fact event (the fact's
# `source`). AliExpress PLACE_ORDER_SUCCESS / NOT_PAY is the seed's "payment processing"
# (point 1: the buyer paid by card, the bank has not confirmed; 1-6 hours at peak):
# nobody may ship it on a supervisor's word, and past 6 hours someone must look.
PLATFORM_SPECS: dict[str, ReasonSpec] = {
    "PAYMENT_UNPAID": ReasonSpec("PAYMENT_UNPAID", "hold", False, "payment", _m(30), timedelta(hours=6)),
}
WAIVABLE: frozenset[str] = frozenset(code for code, spec in REASONS.items() if spec.waivable)
