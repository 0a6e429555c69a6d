"""When a hold becomes overdue: a supervisor must look at it now.

Seed point 1: payment processing usually clears within 1-6 hours; past that,
escalate. Seed point 7: freight still unpaid after repeated re-checks means the
deduction must be run again or the logistics provider called. And any hold
close to the platform's shipping deadline (`ship_by`) is overdue whatever its
reason: missing the deadline costs the seller too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from guard.facts import Facts
from guard.rules.settings import StoreRules

SHIP_BY_MARGIN = timedelta(hours=12)
NEAR_SHIP_BY = "SHIP_BY_NEAR"


def overdue_because(
    codes: Iterable[str],
    facts: Facts,
    *,
    since: datetime,
    rechecks: int,
    ship_by: datetime | None,
    now: datetime,
    store: StoreRules,
) -> list[str]:
    """The reasons (and `SHIP_BY_NEAR`) that make a hold overdue now; empty if none."""
    why: list[str] = []
    for code in codes:
        if code not in store.specs:
            continue
        spec = store.spec(code, facts)
        if spec.escalate_after is not None:
            # The age counts from whichever is earlier: the hold, or the fact at the
            # source (a payment may have been processing long before it was scanned).
            fact = facts.get(spec.fact_type) if spec.fact_type else None
            started = min(since, fact.occurred_at) if fact is not None else since
            if now - started >= spec.escalate_after:
                why.append(code)
                continue
        if spec.escalate_after_rechecks is not None and rechecks >= spec.escalate_after_rechecks:
            why.append(code)
    if ship_by is not None and ship_by - now <= SHIP_BY_MARGIN:
        why.append(NEAR_SHIP_BY)
    return why
