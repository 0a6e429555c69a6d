"""The simulated day, drawn up front from the seed: each order's truth at the platform, the
feed of facts the guard receives (in the order it receives them), and the packing line.

Pure: no I/O, no clock. Times are minutes after 00:00 of the simulated day, Beijing time.

The platform follows the seed notice. Risk control closes and refunds only orders that
are still unshipped, and "unshipped" means no shipping notice recorded; the ERP can
record the notice (AliExpress `fulfill`) only while the order is awaiting shipment —
not while the payment is processing, the order is in risk review or a cancellation is
pending. So an order either gets its notice or is closed, never both, and whether it is
closed does not depend on when the warehouse ships it. That lets one drawn day be
replayed twice: once by a naive warehouse that ships what it packs, once through the guard.
"""

from __future__ import annotations

import itertools
import math
import random
from bisect import insort
from dataclasses import dataclass, field
from typing import Any

from guard.simulate.params import Parameters

STORE_ID = "sim-store"
CARRIER = "Cainiao"
SECOND = 1 / 60

# Why the platform closed an order (and refunded the buyer, or never took the money).
PAYMENT_FAILED, RISK_CLOSED, CANCELLED = "payment_failed", "risk_closed", "cancelled"

# Each order's fixed draws, by slot: adding a draw never reshuffles the others.
(
    U_PROCESSING,
    U_CARD,
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
    U_LOGISTICS,
    U_LATE_TRACKING,
    U_TRACKING,
    U_NOTICE,
    U_FREIGHT,
    U_FREIGHT_FAIL,
    U_FREIGHT_RETRIES,
    U_FAST_SHIP,
    U_WAVE,
    U_BY_TRACKING,
    U_SUPERVISOR,
    U_SUPERVISOR_DELAY,
    U_PAYMENT_DELAY,
) = range(27)
SLOTS = 27


@dataclass(slots=True)
class Order:
    """One order's truth, as the platform and the ERP lived it."""

    index: int
    order_id: str
    tracking_number: str
    station: str
    placed: float
    paid: float
    ship_by: float
    processing: bool = False
    cleared: float | None = None  # payment cleared (None: it failed)
    review: tuple[float, float] | None = None
    cancel_requested: float | None = None
    cancel_decided: float | None = None
    logistics_at: float | None = None  # the ERP created the logistics order
    tracking_at: float | None = None  # its tracking number came back
    notice_at: float | None = None  # shipping notice recorded at the platform
    closed_at: float | None = None  # closed by the platform (and refunded)
    close_cause: str | None = None
    erp_sees_paid: float | None = None  # the ERP's first sight of the payment
    erp_sees_closed: float | None = None
    enters_line: float | None = None
    packed_at: float | None = None  # comes off the packing line (None: not packed in the replay)
    handover_by_tracking: bool = False
    supervisor_delay: float | None = None  # minutes a supervisor takes to release an overdue freight hold

    @property
    def ends_closed(self) -> bool:
        """Closed by the platform while unshipped: a parcel sent for it is goods and money lost."""
        return self.closed_at is not None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event reaching the guard at `at`. `fields` lacks occurred_at and ship_by: the
    replay renders simulated times as RFC 3339 for the guard it talks to."""

    at: float
    seq: int
    occurred: float
    fields: dict[str, Any]
    ship_by: float | None = None


@dataclass
class Day:
    params: Parameters
    orders: list[Order]
    deliveries: list[Delivery]
    line_per_hour: float
    pack_order: list[int] = field(default_factory=list)  # order indices, by packing time


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
    """The whole day, from `params.seed`. `prefix` namespaces order and event ids."""
    rng = random.Random(params.seed)
    times = arrivals(params, rng)
    orders: list[Order] = []
    deliveries: list[Delivery] = []
    for index, placed in enumerate(times):
        # One generator per order: a change to one order's draws never moves another's.
        order_rng = random.Random(params.seed * 1_000_003 + index)
        u = [order_rng.random() for _ in range(SLOTS)]
        order = _live(params, index, placed, u, prefix, tracking_tag)
        deliveries.extend(_feed(params, order, u, order_rng))
        orders.append(order)
    deliveries.sort(key=lambda d: (d.at, d.seq))
    line_per_hour = params.line_capacity_factor * params.orders / 24
    pack_order = _pack(params, orders, line_per_hour)
    return Day(params, orders, deliveries, line_per_hour, pack_order)


def _between(span: tuple[float, float], u: float) -> float:
    return span[0] + (span[1] - span[0]) * u


def _live(params: Parameters, index: int, placed: float, u: list[float], prefix: str, tag: str) -> Order:
    """The order's truth: payment, review, cancellation, notice, close."""
    p = params
    # At least a few seconds after placing it: the two statuses must not share a modification time.
    paid = placed + min(max(-p.payment_delay_minutes * _log1m(u[U_PAYMENT_DELAY]), 10 * SECOND), 120.0)
    fast = u[U_FAST_SHIP] < p.fast_ship_share
    order = Order(
        index=index,
        order_id=f"{prefix}{index + 1:06d}",
        tracking_number=f"LP{tag}{index + 1:09d}CN",
        station=f"pack-{index % p.stations + 1:02d}",
        placed=placed,
        paid=paid,
        ship_by=placed + 60 * (p.fast_ship_hours if fast else p.handling_hours),
        handover_by_tracking=u[U_BY_TRACKING] < p.handover_by_tracking_share,
        supervisor_delay=(
            _between(p.supervisor_delay_minutes, u[U_SUPERVISOR_DELAY])
            if u[U_SUPERVISOR] < p.supervisor_release_share
            else None
        ),
    )
    closes: list[tuple[float, str]] = []
    blocked: list[tuple[float, float]] = []  # the notice cannot be recorded in these spans
    order.processing = u[U_CARD] < p.card_share and u[U_PROCESSING] < p.processing_share
    cleared = paid
    if order.processing:
        overrun = u[U_OVERRUN] < p.processing_overrun_share
        cleared = paid + 60 * _between(p.processing_overrun_hours if overrun else p.processing_hours, u[U_PROC_HOURS])
        blocked.append((paid, cleared))
        if u[U_FAIL] < p.payment_failure_share:
            order.closed_at, order.close_cause = cleared, PAYMENT_FAILED
            return order
    order.cleared = cleared
    shippable_from = cleared
    if u[U_REVIEW] < p.risk_review_share:
        end = cleared + 60 * _between(p.risk_review_hours, u[U_REVIEW_HOURS])
        order.review = (cleared, end)
        blocked.append(order.review)
        shippable_from = end
        if u[U_RISK_CLOSE] < p.risk_close_share:
            closes.append((end, RISK_CLOSED))

    order.logistics_at = logistics = cleared + _between(p.logistics_order_minutes, u[U_LOGISTICS])
    order.tracking_at = tracking = logistics + (
        60 * _between(p.late_tracking_hours, u[U_TRACKING])
        if u[U_LATE_TRACKING] < p.late_tracking_share
        else _between(p.tracking_minutes, u[U_TRACKING])
    )
    retry = _between(p.notice_minutes, u[U_NOTICE])
    notice = _first_shippable(tracking + retry, blocked, retry)
    close = min(closes)[0] if closes else float("inf")

    # A buyer can ask to cancel only an order awaiting shipment: after any review, before the notice.
    if u[U_CANCEL] < p.cancel_request_share:
        requested = shippable_from + 60 * _between(p.cancel_request_hours, u[U_CANCEL_HOURS])
        if requested < min(notice, close):
            decided = requested + 60 * _between(p.cancel_decision_hours, u[U_CANCEL_DECISION])
            order.cancel_requested, order.cancel_decided = requested, decided
            blocked.append((requested, decided))
            notice = _first_shippable(tracking + retry, blocked, retry)
            if u[U_CANCEL_ACCEPT] < p.cancel_accept_share:
                closes.append((decided, CANCELLED))
    if u[U_LATE_RISK] < p.late_risk_close_share:
        found = cleared + 60 * _between(p.late_risk_close_hours, u[U_LATE_RISK_HOURS])
        closes.append((found, RISK_CLOSED))
    if closes and min(closes)[0] < notice:
        order.closed_at, order.close_cause = min(closes)
    else:
        order.notice_at = notice
    return order


def _log1m(u: float) -> float:
    return math.log1p(-u) if u < 1 else -50.0


def _first_shippable(start: float, blocked: list[tuple[float, float]], retry: float) -> float:
    """The first try at or after `start` outside every blocked span (the ERP retries `retry` after)."""
    moment = start
    moved = True
    while moved:
        moved = False
        for begin, end in blocked:
            if begin <= moment < end:
                moment, moved = end + retry, True
    return moment


class _Feed:
    """Builds one order's events: the platform's (late, out of order, twice) and the ERP's own."""

    def __init__(self, params: Parameters, order: Order, rng: random.Random):
        self.p, self.order, self.rng = params, order, rng
        self.out: list[Delivery] = []
        self.count = 0

    def _id(self) -> str:
        self.count += 1
        return f"{self.order.order_id}.{self.count}"

    def _seq(self) -> int:
        return self.order.index * 1000 + len(self.out)

    def _open_at(self, occurred: float) -> bool:
        closed = self.order.closed_at
        return closed is None or occurred <= closed

    def platform(self, occurred: float, status: str, **extra: Any) -> float | None:
        """A platform status change; returns when it first reaches the guard (None: it never happens)."""
        if not self._open_at(occurred):
            return None
        p, rng = self.p, self.rng
        fields = {
            "event_id": self._id(),
            "order_id": self.order.order_id,
            "type": "platform_status",
            "platform": "aliexpress",
            "status": status,
            "store_id": STORE_ID,
            **extra,
        }
        late = rng.random() < p.late_sync_share
        at = occurred + _between(p.late_sync_minutes if late else p.sync_lag_minutes, rng.random())
        self.out.append(Delivery(at, self._seq(), occurred, fields, self.order.ship_by))
        if rng.random() < p.duplicate_share:
            self.out.append(Delivery(at + 1 + 59 * rng.random(), self._seq(), occurred, fields, self.order.ship_by))
        if rng.random() < p.stale_view_share:
            stale = {**fields, "event_id": self._id()}
            self.out.append(Delivery(at + 30 + 210 * rng.random(), self._seq(), occurred, stale, self.order.ship_by))
        return at

    def erp(self, occurred: float, kind: str, status: str, **extra: Any) -> None:
        """The ERP's own acknowledged write (its own, newer time): it reaches the guard fast."""
        if not self._open_at(occurred):
            return
        fields = {
            "event_id": self._id(),
            "order_id": self.order.order_id,
            "type": kind,
            "status": status,
            "store_id": STORE_ID,
            **extra,
        }
        at = occurred + _between(self.p.erp_lag_seconds, self.rng.random()) / 60
        self.out.append(Delivery(at, self._seq(), occurred, fields))


def _feed(params: Parameters, order: Order, u: list[float], rng: random.Random) -> list[Delivery]:
    p, o = params, order
    feed = _Feed(params, order, rng)
    feed.platform(o.placed, "PLACE_ORDER_SUCCESS")
    paid_status = "RISK_CONTROL" if o.review and not o.processing else "WAIT_SELLER_SEND_GOODS"
    o.erp_sees_paid = feed.platform(o.paid, "FUND_PROCESSING" if o.processing else paid_status)
    if o.processing and o.cleared is not None:
        feed.platform(o.cleared, "RISK_CONTROL" if o.review else "WAIT_SELLER_SEND_GOODS")
    if o.review and (o.closed_at is None or o.closed_at > o.review[1]):
        feed.platform(o.review[1], "WAIT_SELLER_SEND_GOODS")
    if o.cancel_requested is not None and o.cancel_decided is not None:
        feed.platform(o.cancel_requested, "IN_CANCEL")
        decided = o.cancel_decided
        if o.close_cause != CANCELLED or o.closed_at != decided:
            feed.erp(decided, "cancellation", "rejected", reason="seller rejected: already packed")
            feed.platform(decided + SECOND, "WAIT_SELLER_SEND_GOODS")
    if o.logistics_at is not None:
        _logistics(p, o, u, feed, rng)
    if o.notice_at is not None:
        feed.erp(o.notice_at, "shipping_notice", "recorded", tracking_number=o.tracking_number, carrier=CARRIER)
        feed.platform(o.notice_at + SECOND, "WAIT_BUYER_ACCEPT_GOODS", tracking_number=o.tracking_number)
    if o.closed_at is not None:
        end_reason = {
            PAYMENT_FAILED: "buyer_pay_timeout",
            RISK_CLOSED: "risk_reject_closed",
            CANCELLED: "cancel_order_close_trade",
        }[o.close_cause or ""]
        o.erp_sees_closed = feed.platform(o.closed_at, "FINISH", end_reason=end_reason)
    return feed.out


def _logistics(p: Parameters, o: Order, u: list[float], feed: _Feed, rng: random.Random) -> None:
    """Seed points 7 and 8: the logistics order, a tracking number (maybe late), the freight deduction."""
    assert o.logistics_at is not None and o.tracking_at is not None
    created = o.logistics_at
    feed.erp(created, "shipping_notice", "awaiting_tracking")
    feed.erp(created, "freight", "pending")
    feed.erp(o.tracking_at, "shipping_notice", "tracking_assigned", tracking_number=o.tracking_number, carrier=CARRIER)
    moment = created + _between(p.freight_deduction_minutes, u[U_FREIGHT])
    if u[U_FREIGHT_FAIL] < p.freight_failure_share:
        low, high = p.freight_retries
        retries = low + int((high - low + 1) * u[U_FREIGHT_RETRIES]) if high > low else low
        for _ in range(retries):
            feed.erp(moment, "freight", "failed", reason="deduction failed; retrying")
            moment += _between(p.freight_retry_minutes, rng.random())
    feed.erp(moment, "freight", "paid")


def _pack(params: Parameters, orders: list[Order], per_hour: float) -> list[int]:
    """The packing line: orders join when the ERP sees them paid, and come off it in turn.

    An order the ERP already knows is closed when its wave is cut never joins.
    """
    queue: list[tuple[float, int]] = []
    for order in orders:
        if order.erp_sees_paid is None:
            continue
        rng = random.Random(params.seed * 7_919 + order.index)
        enters = order.erp_sees_paid + _between(params.wave_minutes, rng.random())
        if order.erp_sees_closed is not None and order.erp_sees_closed <= enters:
            continue
        order.enters_line = enters
        insort(queue, (enters, order.index))
    interval = 60 / per_hour if per_hour > 0 else float("inf")
    horizon = params.horizon_minutes
    last = float("-inf")
    packed = []
    for enters, index in queue:
        moment = max(enters, last + interval)
        if moment > horizon:
            break
        orders[index].packed_at = last = moment
        packed.append(index)
    return packed
