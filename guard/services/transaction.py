"""One use case, one transaction: commit, then tell the floor.

A use case's work runs in one transaction; what it wrote to the outbox is handed
to delivery only after the commit (never a notification for a change that rolled
back), and queued follow-ups wake the job that judges other orders. A refusal
that must still commit what it did (a spent clearance, an audited refusal) is
returned by the work as a `GuardError` and raised after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.engine import Connection

from guard.errors import GuardError, Unavailable
from guard.services.outbox import take_written
from guard.services.parcels import PartnersMoved, followups_written

if TYPE_CHECKING:
    from guard.runtime import Runtime

T = TypeVar("T")
ATTEMPTS = 3


def run(rt: Runtime, work: Callable[[Connection], T | GuardError]) -> T:
    """Run `work` in a transaction (again, from the start, if a shipment changed under it)."""
    for _ in range(ATTEMPTS):
        try:
            with rt.engine.begin() as conn:
                result = work(conn)
                notifications = take_written(conn)
                followups = followups_written(conn)
        except PartnersMoved:
            continue
        rt.dispatch(notifications)
        if followups:
            rt.follow_up()
        if isinstance(result, GuardError):
            raise result
        return result
    raise Unavailable("the shipment kept changing while it was judged; scan again")
