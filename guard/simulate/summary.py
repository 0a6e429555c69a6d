"""What a day comes to, for each warehouse: parcels and money lost, deadlines missed, and what
the guard's way of working costs (summary.json).

A warehouse loses a parcel when it handed the parcel to the carrier and the platform closed
its order — before it left (the warehouse had not heard) or after (risk control closing an
order whose notice was not recorded yet, or a refund agreed after the notice). The loss is
the goods' cost and the outbound freight. Judged against each warehouse's own day: the same
draws, but the closures its own notices let happen.
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from guard.simulate.floor import Floor, Parcel
from guard.simulate.params import NOTICE_TIMINGS
from guard.simulate.platform import CAUSES, REFUNDED
from guard.simulate.replay import GuardPolicy

# Why a parcel shipped through the guard was lost anyway (what the guard could not see).
NOTICE_NOT_RECORDED = "notice reported recorded, never recorded"
NOT_SCANNED = "not scanned at hand-over"
AFTER_SCAN = "closed or refunded after the hand-over scan"
NOT_YET_HEARD = "closure not yet heard at the hand-over scan"
GUARD_LOSS_REASONS = (AFTER_SCAN, NOT_YET_HEARD, NOT_SCANNED, NOTICE_NOT_RECORDED)
# What no check in the warehouse can prevent (the others are ways of not following the guard).
UNPREVENTABLE = frozenset({AFTER_SCAN, NOT_YET_HEARD})


def money(value: float) -> float:
    return round(value, 2)


def lost(floor: Floor) -> list[Parcel]:
    truth = floor.platform.truth
    return [
        parcel
        for parcel in floor.parcels.values()
        if parcel.left_at is not None and truth[parcel.order.index].closed_at is not None
    ]


def figures(floor: Floor) -> dict[str, Any]:
    """One warehouse's day in numbers (every warehouse is measured the same way)."""
    p, truth = floor.p, floor.platform.truth
    horizon = p.horizon_minutes
    gone = lost(floor)
    missed = 0
    declared_idle = 0
    idle_limit = p.declared_idle_hours * 60
    for order in floor.day.orders:
        t = truth[order.index]
        if order.ship_by <= horizon and (t.closed_at is None or t.closed_at > order.ship_by):
            if t.notice_at is None or t.notice_at > order.ship_by:
                missed += 1
        if t.notice_at is not None:
            parcel = floor.parcels.get(order.index)
            out = parcel.left_at if parcel is not None and parcel.left_at is not None else horizon
            closed_in_time = t.closed_at is not None and t.closed_at <= t.notice_at + idle_limit
            if out - t.notice_at > idle_limit and not closed_in_time:
                declared_idle += 1
    parcels = floor.parcels.values()
    shelf_hours = sum(parcel.shelf_minutes for parcel in parcels) / 60
    handling = sum(
        parcel.shelvings * p.shelf_in_minutes
        + parcel.taken_back * p.shelf_out_minutes
        + max(0, parcel.scans - 1) * p.rescan_minutes
        + parcel.pulls * p.pull_minutes
        for parcel in parcels
    )
    costs = {
        "shelf_value": money(shelf_hours * p.shelf_cost_per_parcel_hour),
        "handling_value": money(handling / 60 * p.labour_cost_per_hour),
        "declared_not_collected_value": money(declared_idle * p.declared_idle_cost),
    }
    causes = Counter(truth[parcel.order.index].cause for parcel in gone)
    return {
        "lost_parcels": len(gone),
        "lost_value": money(sum(parcel.order.goods_value + parcel.order.freight_value for parcel in gone)),
        "ship_by_missed": missed,
        "shelf_parcel_hours": round(shelf_hours, 1),
        "extra_handling_minutes": round(handling, 1),
        "declared_not_collected": declared_idle,
        "cost_value": money(sum(costs.values())),
        "cost_by_item": costs,
        "shipped": sum(1 for parcel in parcels if parcel.left_at is not None),
        "lost_by_cause": {cause: causes.get(cause, 0) for cause in CAUSES},
        "closed_by_platform": sum(1 for t in truth if t.closed_at is not None),
    }


def baselines(naive: Floor, erp: dict[str, Floor], timing: str) -> dict[str, Any]:
    chosen = figures(erp[timing])
    return {
        "ship_when_packed": {**figures(naive), "notice_timing": naive.policy.notice_timing},
        "erp_awaiting_shipment": {
            **chosen,
            "notice_timing": timing,
            "by_notice_timing": {name: _short(figures(erp[name])) for name in NOTICE_TIMINGS if name in erp},
        },
    }


def _short(full: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "lost_parcels",
        "lost_value",
        "ship_by_missed",
        "declared_not_collected",
        "cost_value",
        "closed_by_platform",
    )
    return {key: full[key] for key in keep}


def why_lost(floor: Floor, parcel: Parcel) -> str:
    """Why a parcel that went through the guard's warehouse was lost."""
    t = floor.platform.truth[parcel.order.index]
    bagged = parcel.bagged_at if parcel.bagged_at is not None else parcel.left_at
    assert t.closed_at is not None and bagged is not None
    if t.reported_recorded_at is not None and (t.notice_at is None or t.notice_at > bagged):
        return NOTICE_NOT_RECORDED
    if not parcel.scanned_at_handover:
        return NOT_SCANNED
    turned = t.settlement_at if t.cause == REFUNDED and t.settlement_at is not None else t.closed_at
    return AFTER_SCAN if turned >= bagged else NOT_YET_HEARD


def summarize(guard: Floor, compared: dict[str, Any]) -> dict[str, Any]:
    """The whole summary: the guarded warehouse's day beside the baselines' figures (`baselines`)."""
    p, policy = guard.p, guard.policy
    assert isinstance(policy, GuardPolicy)
    tally = policy.tally
    realistic = compared["erp_awaiting_shipment"]
    mine = figures(guard)
    reasons = Counter(why_lost(guard, parcel) for parcel in lost(guard))
    mine["lost_by_reason"] = {reason: reasons.get(reason, 0) for reason in GUARD_LOSS_REASONS}

    parcels = list(guard.parcels.values())
    left = [parcel for parcel in parcels if parcel.left_at is not None]
    shelved = [parcel for parcel in parcels if parcel.shelved_at is not None]
    released = [parcel for parcel in shelved if parcel.returned_at is None and parcel.order.index not in guard.shelf]
    returned = [parcel for parcel in parcels if parcel.returned_at is not None]
    return {
        "orders": p.orders,
        "seed": p.seed,
        "currency": p.currency,
        "lost_without_guard": realistic["lost_parcels"],
        "lost_with_guard": mine["lost_parcels"],
        "headline": {
            "baseline": f"erp_awaiting_shipment ({p.erp_notice_timing})",
            "saved_value": money(realistic["lost_value"] - mine["lost_value"]),
            "guard_cost_value": mine["cost_value"],
            "baseline_cost_value": realistic["cost_value"],
            "net_value": money(
                realistic["lost_value"] + realistic["cost_value"] - mine["lost_value"] - mine["cost_value"]
            ),
        },
        "baselines": compared,
        "guard": mine,
        "shipped_without_guard": realistic["shipped"],
        "shipped_with_guard": len(left),
        "labels": tally.labels,
        "holds": len(shelved),
        "releases": len(released),
        "blocks": len(returned),
        "still_on_shelf": len(guard.shelf),
        "overdue_escalations": len(policy.escalations),
        "lost_without_guard_by_cause": realistic["lost_by_cause"],
        "lost_with_guard_by_cause": mine["lost_by_cause"],
        "closed_by_platform": mine["closed_by_platform"],
        "floor": _floor(guard, parcels, left, returned),
        "hold_shelf": _hold_shelf(policy, shelved),
        "events": dict(tally.events),
        "guard_rechecks": tally.sweeps_rechecked,
        "parameters": p.as_dict(),
    }


def _floor(guard: Floor, parcels: list, left: list, returned: list) -> dict[str, Any]:
    """What the packing floor did: checks, labels, hand-overs, releases."""
    policy = guard.policy
    assert isinstance(policy, GuardPolicy)
    tally, horizon, truth = policy.tally, guard.p.horizon_minutes, guard.platform.truth
    left_before_notice = [
        parcel
        for parcel in left
        if parcel.left_at is not None and (truth[parcel.order.index].notice_at or horizon + 1) > parcel.left_at
    ]
    return {
        "packers": guard.p.packer_count,
        "picked": len(parcels),
        "packed": sum(1 for parcel in parcels if parcel.packed_at is not None),
        "wave_checks": tally.wave_checks,
        "wave_ids_checked": tally.wave_ids,
        "wave_verdicts": dict(tally.wave_verdicts),
        "dropped_at_wave": len(guard.dropped_at_wave),
        "checks": tally.checks,
        "first_verdicts": dict(tally.verdicts),
        "labels": tally.labels,
        "labels_outside_escrow": tally.labels_outside_escrow,
        "label_refusals": tally.label_refusals,
        "handovers": tally.handovers,
        "handovers_refused": tally.handovers_refused,
        "handovers_not_labelled": tally.handovers_not_labelled,
        "not_scanned_at_handover": tally.not_scanned,
        "left": len(left),
        "left_before_notice": len(left_before_notice),
        "labelled_not_yet_left": sum(1 for parcel in parcels if parcel.state in ("bag", "sealed")),
        "manual_releases": tally.manual_releases,
        "manual_release_refusals": tally.manual_release_refusals,
        "blocked_at_first_scan": sum(1 for parcel in returned if parcel.shelved_at is None),
        "blocked_from_the_shelf": sum(1 for parcel in returned if parcel.shelved_at is not None),
    }


def _hold_shelf(policy: GuardPolicy, shelved: list) -> dict[str, Any]:
    """The hold shelf over the day: how full, for how long, and why."""
    hours = sorted(parcel.shelf_minutes / 60 for parcel in shelved)
    peak = max(policy.samples, key=lambda s: sum(s.held_by_reason.values()), default=None)
    first_reasons = Counter(parcel.first_reasons[0] for parcel in shelved if parcel.first_reasons)
    return {
        "parcels_held": len(shelved),
        "by_first_reason": dict(first_reasons.most_common()),
        "peak": sum(peak.held_by_reason.values()) if peak else 0,
        "peak_at_minute": peak.minute if peak else None,
        "hours_median": round(statistics.median(hours), 2) if hours else None,
        "hours_p90": round(hours[int(0.9 * (len(hours) - 1))], 2) if hours else None,
        "hours_max": round(hours[-1], 2) if hours else None,
        "escalations_by_cause": dict(Counter(cause for _, cause in policy.escalations).most_common()),
    }


def sweep_entry(name: str, value: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """One value of a sweep: the comparison's figures for the day run with it."""
    keep = ("lost_without_guard", "lost_with_guard", "headline", "baselines", "guard")
    return {"parameter": name, "value": value, **{key: summary[key] for key in keep}}
