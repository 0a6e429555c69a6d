"""The simulated day's draws: every order's fixed chances, drawn once from the seed.

Pure: no I/O, no clock. Times are minutes after 00:00 of the simulated day, Beijing time.

An order's draws say what *could* happen to it — when its card payment clears, when
risk control would find it risky, when its buyer would ask to cancel, how late each of
its status changes reaches the seller, what its goods cost — not what does happen.
What does happen depends on the warehouse: risk control closes an order only if its
notice is not recorded by then, and each warehouse records the notice at its own moment
(`platform.Platform` plays the day for one warehouse). Every warehouse in the comparison
reads the same draws, so they meet the same day.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from statistics import NormalDist

from guard.simulate.params import Parameters

STORE_ID = "sim-store"
CARRIER = "Cainiao"
SECOND = 1 / 60
_STANDARD_NORMAL = NormalDist()

# The platform's status changes that reach the seller, each with its own fixed lag draws.
(
    K_PLACED,
    K_PAID,
    K_REVIEW_END,
    K_CANCEL_REQUESTED,
    K_CANCEL_REJECTED,
    K_NOTICE,
    K_SETTLEMENT,
    K_CLOSED,
) = range(8)
KINDS = 8

# Each order's fixed draws, by slot: adding a draw never reshuffles the others.
(
    U_PAYMENT_DELAY,
    U_CARD,
    U_PROCESSING,
    U_PROC_HOURS,
    U_OVERRUN,
    U_FAIL,
    U_REVIEW,
    U_REVIEW_HOURS,
    U_RISK_CLOSE,
    U_LATE_RISK,
    U_LATE_RISK_HOURS,
    U_CANCEL,
    U_CANCEL_HOURS,
    U_CANCEL_DECISION,
    U_CANCEL_ACCEPT,
    U_SETTLE,
    U_SETTLE_HOURS,
    U_SETTLE_REFUND,
    U_LOGISTICS,
    U_LATE_TRACKING,
    U_TRACKING,
    U_NOTICE,
    U_DECLARATION_FAIL,
    U_DECLARATION_RETRY,
    U_FALSE_RECORDED,
    U_FREIGHT,
    U_FREIGHT_FAIL,
    U_FREIGHT_RETRIES,
    U_FAST_SHIP,
    U_GOODS,
    U_FREIGHT_COST,
    U_PACK,
    U_BY_TRACKING,
    U_SCANNED,
    U_OUTSIDE_ESCROW,
    U_SUPERVISOR,
    U_SUPERVISOR_DELAY,
    U_ERP_LAG,
) = range(38)
U_LAGS = 38  # then, per kind: lag, late?, duplicate?, duplicate offset, stale?, stale offset
LAG_SLOTS = 6
SLOTS = U_LAGS + KINDS * LAG_SLOTS


@dataclass(slots=True)
class Order:
    """One order's fixed draws: what could happen to it, and when."""

    index: int
    order_id: str
    tracking_number: str
    placed: float
    paid: float  # the buyer paid
    ship_by: float  # the platform's deadline for the notice
    cleared: float  # the payment is confirmed (= paid unless a card payment is being confirmed)
    payment_fails: bool  # a card payment that ends failed at `cleared`: the platform closes the order
    review_end: float | None  # risk review from `cleared` to here
    review_closes: bool
    late_risk_at: float | None  # risk control finds the order risky: closes it if no notice by then
    cancel_request_at: float | None  # the buyer would ask to cancel (only before the notice)
    cancel_decision_minutes: float
    cancel_accepted: bool
    settlement_after_hours: float | None  # a refund agreed this long after the notice
    settlement_refund_hours: float
    logistics_at: float  # the ERP creates the logistics order
    tracking_at: float  # its tracking number comes back
    notice_delay: float  # on_tracking: minutes from the tracking number to the declaration
    declaration_fails: bool  # the first declaration the platform would accept fails
    declaration_retry: float  # minutes before the ERP tries again
    false_recorded: bool  # a failed declaration reported as recorded (and never retried)
    freight: tuple[tuple[float, str], ...]  # the ERP's freight writes: (minute, status)
    goods_value: float
    freight_value: float
    pack_minutes: float  # one packer's time for this parcel
    by_tracking: bool  # the hand-over scan reads the tracking number
    scanned_at_handover: bool
    outside_escrow: bool  # the packer prints the carrier label from the ERP, not through the guard
    supervisor_delay: float | None  # minutes a supervisor takes to release an overdue freight hold
    erp_lag: float  # minutes for the ERP's own writes to be ready
    lags: tuple[float, ...]  # per kind: minutes for the status change to reach the seller
    duplicates: tuple[float | None, ...]  # per kind: a second delivery this long after the first
    stale: tuple[float | None, ...]  # per kind: a re-sync of the old view this long after

    @property
    def shippable_from(self) -> float:
        return self.review_end if self.review_end is not None else self.cleared


@dataclass
class Day:
    params: Parameters
    orders: list[Order]


def arrivals(params: Parameters, rng: random.Random) -> list[float]:
    """Order times over the day: a midnight rush, an evening peak, a diurnal baseline."""
    hours = list(range(24))
    cumulative = list(itertools.accumulate(params.baseline_hourly))
    times = []
    for _ in range(params.orders):
        pick = rng.random()
        if pick < params.midnight_share:
            minute = rng.expovariate(1 / params.midnight_decay_minutes) if params.midnight_decay_minutes else 0.0
        elif pick < params.midnight_share + params.evening_share:
            minute = rng.gauss(params.evening_peak_hour * 60, params.evening_spread_hours * 60)
        else:
            minute = rng.choices(hours, cum_weights=cumulative)[0] * 60 + rng.random() * 60
        times.append(min(max(minute, 0.0), 1440 - SECOND))
    return sorted(times)


def draw_day(params: Parameters, prefix: str = "D11-", tracking_tag: str = "") -> Day:
    """The whole day's draws, from `params.seed`. `prefix` namespaces order ids."""
    rng = random.Random(params.seed)
    times = arrivals(params, rng)
    orders = []
    for index, placed in enumerate(times):
        # One generator per order: a change to one order's draws never moves another's.
        order_rng = random.Random(params.seed * 1_000_003 + index)
        u = [order_rng.random() for _ in range(SLOTS)]
        orders.append(_order(params, index, placed, u, prefix, tracking_tag))
    return Day(params, orders)


def between(span: tuple[float, float], u: float) -> float:
    return span[0] + (span[1] - span[0]) * u


def _order(p: Parameters, index: int, placed: float, u: list[float], prefix: str, tag: str) -> Order:
    # At least a few seconds after placing it: the two statuses must not share a modification time.
    paid = placed + min(max(-p.payment_delay_minutes * _log1m(u[U_PAYMENT_DELAY]), 10 * SECOND), 120.0)
    processing = u[U_CARD] < p.card_share and u[U_PROCESSING] < p.processing_share
    cleared = paid
    if processing:
        overrun = u[U_OVERRUN] < p.processing_overrun_share
        cleared = paid + 60 * between(p.processing_overrun_hours if overrun else p.processing_hours, u[U_PROC_HOURS])
    review_end = (
        cleared + 60 * between(p.risk_review_hours, u[U_REVIEW_HOURS]) if u[U_REVIEW] < p.risk_review_share else None
    )
    shippable = review_end if review_end is not None else cleared
    logistics = cleared + between(p.logistics_order_minutes, u[U_LOGISTICS])
    tracking = logistics + (
        60 * between(p.late_tracking_hours, u[U_TRACKING])
        if u[U_LATE_TRACKING] < p.late_tracking_share
        else between(p.tracking_minutes, u[U_TRACKING])
    )
    fast = u[U_FAST_SHIP] < p.fast_ship_share
    declaration_fails = u[U_DECLARATION_FAIL] < p.declaration_failure_share
    lags, duplicates, stale = [], [], []
    for kind in range(KINDS):
        base = U_LAGS + kind * LAG_SLOTS
        late = u[base + 1] < p.late_sync_share
        lags.append(between(p.late_sync_minutes if late else p.sync_lag_minutes, u[base]))
        duplicates.append(1 + 59 * u[base + 3] if u[base + 2] < p.duplicate_share else None)
        stale.append(30 + 210 * u[base + 5] if u[base + 4] < p.stale_view_share else None)
    return Order(
        index=index,
        order_id=f"{prefix}{index + 1:06d}",
        tracking_number=f"LP{tag}{index + 1:09d}CN",
        placed=placed,
        paid=paid,
        ship_by=placed + 60 * (p.fast_ship_hours if fast else p.handling_hours),
        cleared=cleared,
        payment_fails=processing and u[U_FAIL] < p.payment_failure_share,
        review_end=review_end,
        review_closes=review_end is not None and u[U_RISK_CLOSE] < p.risk_close_share,
        late_risk_at=(
            cleared + 60 * between(p.late_risk_close_hours, u[U_LATE_RISK_HOURS])
            if u[U_LATE_RISK] < p.late_risk_close_share
            else None
        ),
        cancel_request_at=(
            shippable + 60 * between(p.cancel_request_hours, u[U_CANCEL_HOURS])
            if u[U_CANCEL] < p.cancel_request_share
            else None
        ),
        cancel_decision_minutes=60 * between(p.cancel_decision_hours, u[U_CANCEL_DECISION]),
        cancel_accepted=u[U_CANCEL_ACCEPT] < p.cancel_accept_share,
        settlement_after_hours=(
            between(p.settlement_after_notice_hours, u[U_SETTLE_HOURS])
            if u[U_SETTLE] < p.settlement_after_notice_share
            else None
        ),
        settlement_refund_hours=between(p.settlement_refund_hours, u[U_SETTLE_REFUND]),
        logistics_at=logistics,
        tracking_at=tracking,
        notice_delay=between(p.notice_minutes, u[U_NOTICE]),
        declaration_fails=declaration_fails,
        declaration_retry=between(p.declaration_retry_minutes, u[U_DECLARATION_RETRY]),
        false_recorded=declaration_fails and u[U_FALSE_RECORDED] < p.erp_false_recorded_share,
        freight=_freight(p, logistics, u),
        goods_value=round(p.goods_cost_median * math.exp(p.goods_cost_sigma * _normal(u[U_GOODS])), 2),
        freight_value=round(between(p.freight_cost, u[U_FREIGHT_COST]), 2),
        pack_minutes=60 / between(p.pack_rate_per_hour, u[U_PACK]),
        by_tracking=u[U_BY_TRACKING] < p.handover_by_tracking_share,
        scanned_at_handover=u[U_SCANNED] < p.handover_scan_share,
        outside_escrow=u[U_OUTSIDE_ESCROW] < p.label_outside_escrow_share,
        supervisor_delay=(
            between(p.supervisor_delay_minutes, u[U_SUPERVISOR_DELAY])
            if u[U_SUPERVISOR] < p.supervisor_release_share
            else None
        ),
        erp_lag=between(p.erp_lag_seconds, u[U_ERP_LAG]) / 60,
        lags=tuple(lags),
        duplicates=tuple(duplicates),
        stale=tuple(stale),
    )


def _freight(p: Parameters, created: float, u: list[float]) -> tuple[tuple[float, str], ...]:
    """Seed point 7: the deduction, failing a few times before it succeeds."""
    moment = created + between(p.freight_deduction_minutes, u[U_FREIGHT])
    writes = [(created, "pending")]
    if u[U_FREIGHT_FAIL] < p.freight_failure_share:
        low, high = p.freight_retries
        retries = low + int((high - low + 1) * u[U_FREIGHT_RETRIES]) if high > low else low
        gaps = random.Random(u[U_FREIGHT_RETRIES])  # fixed per order: no slot for each retry
        for _ in range(retries):
            writes.append((moment, "failed"))
            moment += between(p.freight_retry_minutes, gaps.random())
    writes.append((moment, "paid"))
    return tuple(writes)


def _log1m(u: float) -> float:
    return math.log1p(-u) if u < 1 else -50.0


def _normal(u: float) -> float:
    return _STANDARD_NORMAL.inv_cdf(min(max(u, 1e-9), 1 - 1e-9))
