"""Freight (seed point 7): the logistics charge must be deducted before hand-over."""

from guard.facts import Facts


def freight(facts: Facts) -> list[str]:
    fact = facts.get("freight")
    return ["FREIGHT_UNPAID"] if fact is not None and fact.status in ("pending", "failed") else []
