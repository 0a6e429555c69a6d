"""Cancellation (seed point 3): a pending request may still be accepted."""

from guard.facts import Facts


def cancellation(facts: Facts) -> list[str]:
    fact = facts.get("cancellation")
    if fact is None:
        return []
    if fact.status == "accepted":
        return ["ORDER_CANCELLED"]
    if fact.status == "requested":
        return ["CANCEL_REQUESTED"]
    return []
