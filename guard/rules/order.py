"""Order state: a closed order never ships."""

from guard.facts import Facts


def order(facts: Facts) -> list[str]:
    fact = facts.get("order")
    return ["ORDER_CLOSED"] if fact is not None and fact.status == "closed" else []
