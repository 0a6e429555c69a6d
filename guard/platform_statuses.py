"""AliExpress status words → the guard's facts (docs/integration.md, "Platform statuses").

One table, in one place, so an ERP syncing from AliExpress (or the guard's own sync, or
an export) can forward what it sees without writing a mapping. Words come from the open
platform's field docs for the seller order APIs (`aliexpress.solution.order.get` and
`.info.get`): the main `order_status`, `fund_status`, `frozen_status`, `issue_status`,
`end_reason` (the detail's `order_end_reason`) and `logistics_status`.

Within one event, values for one fact merge to the most severe (a WAIT_SELLER_SEND_GOODS
order with frozen_status IN_FROZEN is under review). A word the guard does not know is
accepted, never ignored: it sets `platform_word` to `unknown`, naming the field and the
word, and the order holds with RULE_ERROR until a newer event says only known words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guard.facts import PLATFORM_WORD, UNKNOWN_WORD, more_severe

PLATFORMS = ("aliexpress",)
Pairs = tuple[tuple[str, str], ...]

# Main order status → facts it sets (all at the event's occurred_at).
MAIN_STATUS: dict[str, Pairs] = {
    "PLACE_ORDER_SUCCESS": (("payment", "unpaid"),),
    "RISK_CONTROL": (("payment", "paid"), ("risk", "reviewing")),
    "WAIT_SELLER_EXAMINE_MONEY": (("payment", "awaiting_confirmation"),),
    # "买卖家达成一致，资金处理中": an agreed refund or settlement — not the buyer's card payment.
    "FUND_PROCESSING": (("settlement", "processing"),),
    "WAIT_SELLER_SEND_GOODS": (("payment", "paid"), ("risk", "cleared"), ("cancellation", "none")),
    "SELLER_PART_SEND_GOODS": (("payment", "paid"), ("risk", "cleared")),
    # Only a paid order can be cancelled by request or disputed: no PAYMENT_UNKNOWN beside them.
    "IN_CANCEL": (("payment", "paid"), ("cancellation", "requested")),
    "IN_FROZEN": (("risk", "reviewing"),),
    "IN_ISSUE": (("payment", "paid"), ("dispute", "open")),
    "WAIT_BUYER_ACCEPT_GOODS": (("payment", "paid"), ("risk", "cleared")),
    "FINISH": (("order", "closed"),),
}
SETTLEMENT_STATUS = "FUND_PROCESSING"  # any other main status ends a settlement

# The order detail's separate fields. The "all clear" words set nothing on their own:
# PAY_SUCCESS or NO_FROZEN beside RISK_CONTROL must not clear its review.
FUND_STATUS: dict[str, Pairs] = {
    "NOT_PAY": (("payment", "unpaid"),),
    "PAY_SUCCESS": (),
    "WAIT_SELLER_CHECK": (("payment", "awaiting_confirmation"),),
}
FROZEN_STATUS: dict[str, Pairs] = {"NO_FROZEN": (), "IN_FROZEN": (("risk", "reviewing"),)}
ISSUE_STATUS: dict[str, Pairs] = {
    "NO_ISSUE": (("dispute", "none"),),
    "IN_ISSUE": (("dispute", "open"),),
    "END_ISSUE": (("dispute", "ended"),),
}

# FINISH with an end_reason. The words public integrations of the seller order APIs see;
# every one closes the order, three say more.
END_REASON: dict[str, Pairs] = {
    "risk_reject_closed": (("risk", "closed"), ("order", "closed")),
    "buyer_cancel_order_in_risk": (("risk", "closed"), ("order", "closed")),
    "cancel_order_close_trade": (("cancellation", "accepted"), ("order", "closed")),
    "buyer_pay_timeout": (("order", "closed"),),
    "buyer_cancel_notpay_order": (("order", "closed"),),
    "seller_send_goods_timeout": (("order", "closed"),),
    "buyer_accept_goods": (("order", "closed"),),
    "buyer_accept_goods_timeout": (("order", "closed"),),
    "seller_accept_issue_no_goods_return": (("order", "closed"),),
    "seller_response_issue_timeout": (("order", "closed"),),
}

# The fields whose words the guard must know (contract v1.1, "Unknown words hold").
WORD_FIELDS: dict[str, dict[str, Pairs]] = {
    "status": MAIN_STATUS,
    "fund_status": FUND_STATUS,
    "frozen_status": FROZEN_STATUS,
    "issue_status": ISSUE_STATUS,
    "end_reason": END_REASON,
}

SHIPPED_WITH_NUMBER = ("WAIT_BUYER_ACCEPT_GOODS", "SELLER_PART_SEND_GOODS")
LOGISTICS_INIT = "init"  # logistics order created, tracking number not assigned yet
LOGISTICS_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")  # states grow over time; only `init` matters
WORD_LIMIT = 64  # events.status


def is_word(value: object) -> bool:
    """Whether a value can be a platform word: known or not, it is kept and named (an ERP or an
    export may forward a display text such as 等待您发货 the guard has no mapping for)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= WORD_LIMIT
        and value == value.strip()
        and value.isprintable()
        and not any(mark in value for mark in "=,")  # they separate words in a fact's source
    )


SOURCE_LIMIT = 128  # facts.source


@dataclass(frozen=True, slots=True)
class PlatformFact:
    """One fact an AliExpress event sets, and the word that set it (`field=WORD`)."""

    fact_type: str
    status: str
    source: str


def aliexpress_facts(
    status: str,
    *,
    end_reason: str | None = None,
    logistics_status: str | None = None,
    tracking_number: str | None = None,
    fund_status: str | None = None,
    frozen_status: str | None = None,
    issue_status: str | None = None,
) -> list[PlatformFact]:
    """Every fact one AliExpress event sets, each fact once, merged to the most severe."""
    words = {
        "status": status,
        "fund_status": fund_status,
        "frozen_status": frozen_status,
        "issue_status": issue_status,
        # end_reason means something only beside FINISH.
        "end_reason": end_reason if status == "FINISH" else None,
    }
    unknown = [
        f"{field}={word}" for field, word in words.items() if word is not None and word not in WORD_FIELDS[field]
    ]
    merged: dict[str, PlatformFact] = {}

    def offer(fact_type: str, value: str, field: str) -> None:
        current = merged.get(fact_type)
        if current is None or more_severe(fact_type, value, current.status):
            merged[fact_type] = PlatformFact(fact_type, value, f"{field}={words[field]}")

    if status in MAIN_STATUS:
        main = MAIN_STATUS[status]
        if words["end_reason"] in END_REASON:
            main = END_REASON[words["end_reason"]]
            for fact_type, value in main:
                offer(fact_type, value, "end_reason")
        else:
            for fact_type, value in main:
                offer(fact_type, value, "status")
        if status != SETTLEMENT_STATUS:
            offer("settlement", "none", "status")
    for field in ("fund_status", "frozen_status", "issue_status"):
        for fact_type, value in WORD_FIELDS[field].get(words[field] or "", ()):
            offer(fact_type, value, field)

    facts = list(merged.values())
    notice = _notice(status, logistics_status, tracking_number)
    if notice is not None:
        facts.append(notice)
    if unknown:
        facts.append(PlatformFact(PLATFORM_WORD, UNKNOWN_WORD, ", ".join(unknown)[:SOURCE_LIMIT]))
    else:
        # Only known words: an earlier unknown word no longer describes the order.
        facts.append(PlatformFact(PLATFORM_WORD, "known", "status=" + status))
    return facts


def _notice(status: str, logistics_status: str | None, tracking_number: str | None) -> PlatformFact | None:
    if status in SHIPPED_WITH_NUMBER and tracking_number:
        # Shipped (wholly, or partly: that number's parcel) with a tracking number: the notice is
        # recorded, whatever the logistics view says.
        return PlatformFact("shipping_notice", "recorded", f"status={status}")
    if logistics_status == LOGISTICS_INIT:
        return PlatformFact("shipping_notice", "awaiting_tracking", f"logistics_status={logistics_status}")
    if tracking_number:
        return PlatformFact("shipping_notice", "tracking_assigned", "tracking_number")
    return None
