"""Risk control (seed point 2): the platform closes and refunds risky unshipped orders."""

from guard.facts import Facts


def risk(facts: Facts) -> list[str]:
    fact = facts.get("risk")
    if fact is None:
        return []
    if fact.status == "closed":
        return ["RISK_CLOSED"]
    if fact.status == "reviewing":
        return ["RISK_REVIEW"]
    return []
