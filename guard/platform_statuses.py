"""AliExpress status words → the guard's facts (docs: platform-statuses.md).

One table, in one place, so an ERP syncing from AliExpress can forward what it
sees without writing a mapping. An unknown main status is refused, never
ignored: it could be a new risk state.
"""

from __future__ import annotations

import re

PLATFORMS = ("aliexpress",)

# Main order status → facts it sets (all at the event's occurred_at).
MAIN_STATUS: dict[str, tuple[tuple[str, str], ...]] = {
    "PLACE_ORDER_SUCCESS": (("payment", "unpaid"),),
    "RISK_CONTROL": (("payment", "paid"), ("risk", "reviewing")),
    "WAIT_SELLER_EXAMINE_MONEY": (("payment", "awaiting_confirmation"),),
    "FUND_PROCESSING": (("payment", "processing"),),
    "WAIT_SELLER_SEND_GOODS": (("payment", "paid"), ("risk", "cleared"), ("cancellation", "none")),
    "SELLER_PART_SEND_GOODS": (("payment", "paid"), ("risk", "cleared")),
    "IN_CANCEL": (("cancellation", "requested"),),
    "IN_FROZEN": (("risk", "reviewing"),),
    "IN_ISSUE": (("risk", "reviewing"),),
    "WAIT_BUYER_ACCEPT_GOODS": (("payment", "paid"), ("risk", "cleared")),
    "FINISH": (("order", "closed"),),
}

# FINISH with an end_reason: anything else (or none) closes the order only.
END_REASON: dict[str, tuple[tuple[str, str], ...]] = {
    "risk_reject_closed": (("risk", "closed"), ("order", "closed")),
    "buyer_cancel_order_in_risk": (("risk", "closed"), ("order", "closed")),
    "buyer_pay_timeout": (("order", "closed"),),
    "buyer_cancel_notpay_order": (("order", "closed"),),
    "cancel_order_close_trade": (("cancellation", "accepted"), ("order", "closed")),
}

SHIPPED_WITH_NUMBER = ("WAIT_BUYER_ACCEPT_GOODS", "SELLER_PART_SEND_GOODS")
LOGISTICS_INIT = "init"  # logistics order created, tracking number not assigned yet
LOGISTICS_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def aliexpress_facts(
    status: str, *, end_reason: str | None, logistics_status: str | None, tracking_number: str | None
) -> list[tuple[str, str]]:
    """The (fact type, status) pairs one AliExpress event sets. Raises KeyError for an unknown status."""
    facts = list(MAIN_STATUS[status])
    if status == "FINISH" and end_reason is not None:
        facts = list(END_REASON.get(end_reason, facts))
    if status in SHIPPED_WITH_NUMBER and tracking_number:
        # Shipped (wholly, or partly: that number's parcel) with a tracking number: the notice is
        # recorded, whatever the logistics view says.
        facts.append(("shipping_notice", "recorded"))
    elif logistics_status == LOGISTICS_INIT:
        facts.append(("shipping_notice", "awaiting_tracking"))
    elif tracking_number:
        facts.append(("shipping_notice", "tracking_assigned"))
    return facts
