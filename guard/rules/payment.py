"""Payment (seed point 1): ship only what the platform has actually collected."""

from guard.facts import Facts

_HOLDS = {
    "unpaid": "PAYMENT_UNPAID",
    "awaiting_confirmation": "PAYMENT_AWAITING_CONFIRMATION",
    "processing": "PAYMENT_PROCESSING",
    "failed": "PAYMENT_FAILED",
    "refunded": "PAYMENT_REFUNDED",
}


def payment(facts: Facts) -> list[str]:
    fact = facts.get("payment")
    if fact is None:
        return ["PAYMENT_UNKNOWN"]  # fail closed: not knowing is not "paid"
    code = _HOLDS.get(fact.status)
    return [code] if code else []
