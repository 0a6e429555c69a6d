"""What a replay comes to: the losses with and without the guard, and the floor's counts.

Losses are judged against the drawn day's truth, not against what the guard said:
a parcel is lost when it left the warehouse for an order the platform then closed
(or had already closed) and refunded — which, by the seed's rule, happens only to
orders with no shipping notice recorded.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from guard.simulate.replay import Outcome, Parcel
from guard.simulate.world import CANCELLED, PAYMENT_FAILED, RISK_CLOSED

CAUSES = (RISK_CLOSED, PAYMENT_FAILED, CANCELLED)


def shelf_hours(parcel: Parcel, horizon: int) -> float | None:
    """First time on the hold shelf to last time off it (or the end of the replay)."""
    if parcel.shelved_at is None:
        return None
    end = parcel.off_shelf_at if not parcel.on_shelf and parcel.off_shelf_at is not None else horizon
    return (end - parcel.shelved_at) / 60


def summarize(outcome: Outcome) -> dict[str, Any]:
    day, p, tally = outcome.day, outcome.day.params, outcome.tally
    horizon = p.horizon_minutes
    packed = [order for order in day.orders if order.packed_at is not None]
    parcels = list(outcome.parcels.values())

    # Without the guard: every packed parcel leaves as soon as it is packed.
    lost_without = [order for order in packed if order.ends_closed]
    # With it: only what passed the hand-over scan left.
    left = [parcel for parcel in parcels if parcel.left_at is not None]
    lost_with = [parcel for parcel in left if parcel.order.ends_closed]
    left_before_notice = [
        parcel
        for parcel in left
        if parcel.left_at is not None and (parcel.order.notice_at is None or parcel.order.notice_at > parcel.left_at)
    ]

    shelved = [parcel for parcel in parcels if parcel.shelved_at is not None]
    released = [parcel for parcel in shelved if parcel.labelled_at is not None]
    returned = [parcel for parcel in parcels if parcel.returned_at is not None]
    on_shelf = [parcel for parcel in parcels if parcel.on_shelf]
    hours = sorted(h for h in (shelf_hours(parcel, horizon) for parcel in shelved) if h is not None)
    peak = max(outcome.samples, key=lambda s: sum(s.held_by_reason.values()), default=None)
    first_reasons = Counter(parcel.first_reasons[0] for parcel in shelved if parcel.first_reasons)

    return {
        "orders": p.orders,
        "lost_without_guard": len(lost_without),
        "lost_with_guard": len(lost_with),
        "seed": p.seed,
        "shipped_without_guard": len(packed),
        "shipped_with_guard": len(left),
        "labels": tally.labels,
        "holds": len(shelved),
        "releases": len(released),
        "blocks": len(returned),
        "still_on_shelf": len(on_shelf),
        "overdue_escalations": len(outcome.escalations),
        "lost_without_guard_by_cause": _by_cause(order.close_cause for order in lost_without),
        "lost_with_guard_by_cause": _by_cause(parcel.order.close_cause for parcel in lost_with),
        "closed_by_platform": sum(1 for order in day.orders if order.ends_closed),
        "floor": {
            "packed": len(packed),
            "checks": tally.checks,
            "first_verdicts": dict(tally.verdicts),
            "labels": tally.labels,
            "label_refusals": tally.label_refusals,
            "handovers": tally.handovers,
            "handovers_refused": tally.handovers_refused,
            "left": len(left),
            "left_before_notice": len(left_before_notice),
            "labelled_not_yet_left": sum(1 for parcel in parcels if parcel.docked),
            "manual_releases": tally.manual_releases,
            "manual_release_refusals": tally.manual_release_refusals,
            "blocked_at_first_scan": sum(1 for parcel in returned if parcel.shelved_at is None),
            "blocked_from_the_shelf": sum(1 for parcel in returned if parcel.shelved_at is not None),
        },
        "hold_shelf": {
            "parcels_held": len(shelved),
            "by_first_reason": dict(first_reasons.most_common()),
            "peak": sum(peak.held_by_reason.values()) if peak else 0,
            "peak_at_minute": peak.minute if peak else None,
            "hours_median": _round(statistics.median(hours)) if hours else None,
            "hours_p90": _round(hours[int(0.9 * (len(hours) - 1))]) if hours else None,
            "hours_max": _round(hours[-1]) if hours else None,
            "escalations_by_cause": dict(Counter(cause for _, cause in outcome.escalations).most_common()),
        },
        "events": dict(tally.events),
        "guard_rechecks": tally.sweeps_rechecked,
        "parameters": p.as_dict(),
    }


def _by_cause(causes) -> dict[str, int]:
    counts = Counter(causes)
    return {cause: counts.get(cause, 0) for cause in CAUSES}


def _round(value: float) -> float:
    return round(value, 2)
