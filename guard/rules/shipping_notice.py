"""Shipping notice (seed points 2 and 8): record the notice before the goods leave.

"Unshipped" on the platform means "no shipping notice recorded", and only an
unshipped order can be closed by risk control after the fact.
"""

from guard.facts import Facts


def shipping_notice(facts: Facts) -> list[str]:
    fact = facts.get("shipping_notice")
    status = fact.status if fact is not None else "missing"
    if status == "awaiting_tracking":
        return ["TRACKING_NUMBER_PENDING"]
    if status in ("missing", "tracking_assigned"):
        return ["SHIPPING_NOTICE_MISSING"]
    return []
