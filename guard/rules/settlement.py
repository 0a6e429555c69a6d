"""Settlement (AliExpress FUND_PROCESSING): buyer and seller agreed, funds are being moved.

Not the buyer's "payment processing" (seed point 1): an agreed refund or dispute
settlement is under way, so a parcel sent now may be refunded after it left. It
holds until the platform moves the order on, and no supervisor may waive it.
"""

from guard.facts import Facts


def settlement(facts: Facts) -> list[str]:
    fact = facts.get("settlement")
    if fact is not None and fact.status == "processing":
        return ["FUNDS_IN_SETTLEMENT"]
    return []
