"""Disputes (AliExpress IN_ISSUE): the buyer opened an issue; the platform decides the money.

A dispute is not a risk review: it has its own texts, because a buyer in a
dispute must not be told about a "standard security check".
"""

from guard.facts import Facts


def dispute(facts: Facts) -> list[str]:
    fact = facts.get("dispute")
    if fact is not None and fact.status == "open":
        return ["DISPUTE_OPEN"]
    return []
