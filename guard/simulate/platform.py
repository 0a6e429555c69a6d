"""The platform's side of the day, for one warehouse: what happens to each order, and
what of it reaches the seller (the ERP's view, and the facts the ERP forwards to a guard).

Pure: no I/O, no clock. One `Platform` plays the drawn day for one warehouse, event by
event in simulated time; the warehouse asks it to record notices (`request_notice`).

The platform follows the seed notice and AliExpress's rules:
- a card payment being confirmed shows as not paid (`PLACE_ORDER_SUCCESS`) until the bank
  confirms; a failed one closes the order;
- risk control may close any order whose notice is not recorded: at the end of a review,
  or later (a stolen card reported) — whatever the seller's view shows;
- a buyer can ask to cancel only while no notice is recorded;
- the notice can be recorded only while the order awaits shipment
  (`WAIT_SELLER_SEND_GOODS`) and has its tracking number; a declaration may fail;
- after the notice, buyer and seller may still agree a refund (`FUND_PROCESSING`: the
  guard's `settlement` fact), which ends with the order closed.
Every change reaches the seller after the order's drawn lag for that kind of change,
sometimes twice, sometimes followed by a re-sync of the old view.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guard.simulate.world import (
    CARRIER,
    K_CANCEL_REJECTED,
    K_CANCEL_REQUESTED,
    K_CLOSED,
    K_NOTICE,
    K_PAID,
    K_PLACED,
    K_REVIEW_END,
    K_SETTLEMENT,
    SECOND,
    STORE_ID,
    Day,
)

# AliExpress main statuses (docs/simulation.md lists what each means to the guard).
PLACE_ORDER_SUCCESS = "PLACE_ORDER_SUCCESS"
RISK_CONTROL = "RISK_CONTROL"
WAIT_SELLER_SEND_GOODS = "WAIT_SELLER_SEND_GOODS"
IN_CANCEL = "IN_CANCEL"
WAIT_BUYER_ACCEPT_GOODS = "WAIT_BUYER_ACCEPT_GOODS"
FUND_PROCESSING = "FUND_PROCESSING"
FINISH = "FINISH"

# Why the platform closed an order (and refunded the buyer, or never took the money).
PAYMENT_FAILED, RISK_CLOSED, CANCELLED, REFUNDED = "payment_failed", "risk_closed", "cancelled", "refunded"
CAUSES = (RISK_CLOSED, PAYMENT_FAILED, CANCELLED, REFUNDED)
END_REASONS = {
    PAYMENT_FAILED: "buyer_pay_timeout",
    RISK_CLOSED: "risk_reject_closed",
    CANCELLED: "cancel_order_close_trade",
}

# What happens next to an order (the platform's and the ERP's own moves).
(
    PLACED,
    CLEARED,
    REVIEW_END,
    CANCEL_REQUEST,
    CANCEL_DECISION,
    LATE_RISK,
    LOGISTICS,
    TRACKING,
    FREIGHT,
    NOTICE_TRY,
    SETTLEMENT,
    SETTLEMENT_END,
) = range(12)


@dataclass(slots=True)
class Truth:
    """An order as it stands at the platform (and in the ERP's own books) in one warehouse's day."""

    status: str = ""
    notice_at: float | None = None  # recorded at the platform
    closed_at: float | None = None
    cause: str | None = None
    tracking_known: bool = False  # the ERP has the tracking number (it can print a label)
    reported_recorded_at: float | None = None  # the ERP told the guard "recorded" (truly or not)
    try_pending: bool = False  # a declaration is scheduled, or waits for the tracking number
    waits_for_tracking: bool = False
    failed_once: bool = False
    settlement_at: float | None = None
    closed_from: str | None = None  # the status the order showed when the platform closed it
    events: int = 0


@dataclass(slots=True)
class Delivery:
    """A change reaching the seller at `at`: a platform status (`word`) or the ERP's own write."""

    at: float
    occurred: float
    index: int
    event_id: str
    word: str | None = None  # the platform's status (the ERP's view shows it)
    fact: str | None = None  # or the ERP's own write: fact type and status
    status: str | None = None
    extra: dict[str, Any] | None = None


class Platform:
    def __init__(self, day: Day, *, notice_on_tracking: bool, feeds_guard: bool = True):
        self.day, self.orders = day, day.orders
        self.notice_on_tracking = notice_on_tracking
        # Without a guard to feed, only the platform's statuses matter (the ERP's view): no
        # event ids, no ERP writes, no second copies (an ERP's view ignores an older or equal time).
        self.feeds_guard = feeds_guard
        self.seller_labelled: Callable[[int], bool] = lambda index: False
        self.closure_extra = day.params.closure_sync_extra_minutes
        self.truth = [Truth() for _ in day.orders]
        self._seq = itertools.count()
        self._todo: list[tuple[float, int, int, int, int]] = []
        for order in day.orders:
            self._todo.append((order.placed, next(self._seq), PLACED, order.index, 0))
            self._todo.append((order.cleared, next(self._seq), CLEARED, order.index, 0))
        heapq.heapify(self._todo)
        self._feed: list[tuple[float, int, Delivery]] = []

    # --- the warehouse's side ------------------------------------------------------------------

    def request_notice(self, index: int, at: float) -> None:
        """The ERP declares the shipment (AliExpress fulfill) at `at`; it retries until it sticks."""
        truth = self.truth[index]
        if truth.notice_at is None and truth.closed_at is None and not truth.try_pending:
            if truth.reported_recorded_at is None:
                truth.try_pending = True
                self._at(at, NOTICE_TRY, index)

    def advance(self, minute: float) -> list[Delivery]:
        """Play the day up to `minute`; what reached the seller since the last call, in order."""
        todo, handlers = self._todo, self._handlers
        while todo and todo[0][0] <= minute:
            t, _, action, index, arg = heapq.heappop(todo)
            handlers[action](self, t, index, arg)
        feed = self._feed
        out = []
        while feed and feed[0][0] <= minute:
            out.append(heapq.heappop(feed)[2])
        return out

    # --- the day's moves --------------------------------------------------------------------

    def _at(self, t: float, action: int, index: int, arg: int = 0) -> None:
        heapq.heappush(self._todo, (t, next(self._seq), action, index, arg))

    def _placed(self, t: float, i: int, _: int) -> None:
        self.truth[i].status = PLACE_ORDER_SUCCESS
        self._platform(i, K_PLACED, t, PLACE_ORDER_SUCCESS)

    def _cleared(self, t: float, i: int, _: int) -> None:
        order, truth = self.orders[i], self.truth[i]
        if order.payment_fails:
            self._close(t, i, PAYMENT_FAILED)
            return
        truth.status = RISK_CONTROL if order.review_end is not None else WAIT_SELLER_SEND_GOODS
        self._platform(i, K_PAID, t, truth.status)
        if order.review_end is not None:
            self._at(order.review_end, REVIEW_END, i)
        if order.cancel_request_at is not None:
            self._at(order.cancel_request_at, CANCEL_REQUEST, i)
        if order.late_risk_at is not None:
            self._at(order.late_risk_at, LATE_RISK, i)
        self._at(order.logistics_at, LOGISTICS, i)

    def _review_end(self, t: float, i: int, _: int) -> None:
        truth = self.truth[i]
        if truth.closed_at is not None:
            return
        if self.orders[i].review_closes:
            self._close(t, i, RISK_CLOSED)
            return
        truth.status = WAIT_SELLER_SEND_GOODS
        self._platform(i, K_REVIEW_END, t, WAIT_SELLER_SEND_GOODS)

    def _cancel_request(self, t: float, i: int, _: int) -> None:
        truth = self.truth[i]
        # Only an order awaiting shipment, with no notice, can be cancelled by its buyer.
        if truth.closed_at is not None or truth.notice_at is not None or truth.status != WAIT_SELLER_SEND_GOODS:
            return
        truth.status = IN_CANCEL
        self._platform(i, K_CANCEL_REQUESTED, t, IN_CANCEL)
        self._at(t + self.orders[i].cancel_decision_minutes, CANCEL_DECISION, i)

    def _cancel_decision(self, t: float, i: int, _: int) -> None:
        truth = self.truth[i]
        if truth.closed_at is not None:
            return
        # The seller refuses to cancel an order whose parcel is already labelled ("already packed").
        if self.orders[i].cancel_accepted and not self.seller_labelled(i):
            self._close(t, i, CANCELLED)
            return
        truth.status = WAIT_SELLER_SEND_GOODS
        self._erp(i, t, "cancellation", "rejected", reason="seller rejected: already packed")
        self._platform(i, K_CANCEL_REJECTED, t + SECOND, WAIT_SELLER_SEND_GOODS)

    def _late_risk(self, t: float, i: int, _: int) -> None:
        truth = self.truth[i]
        # Seed point 2: judged by the notice alone, not by what the seller's view shows.
        if truth.closed_at is None and truth.notice_at is None:
            self._close(t, i, RISK_CLOSED)

    def _logistics(self, t: float, i: int, _: int) -> None:
        order = self.orders[i]
        if self.truth[i].closed_at is not None:
            return
        self._erp(i, t, "shipping_notice", "awaiting_tracking")
        if self.feeds_guard:  # no one but a guard looks at the freight deduction
            for number, (moment, _status) in enumerate(order.freight):
                self._at(moment, FREIGHT, i, number)
        self._at(order.tracking_at, TRACKING, i)

    def _tracking(self, t: float, i: int, _: int) -> None:
        order, truth = self.orders[i], self.truth[i]
        if truth.closed_at is not None:
            return
        truth.tracking_known = True
        self._erp(i, t, "shipping_notice", "tracking_assigned", tracking_number=order.tracking_number, carrier=CARRIER)
        delay = order.notice_delay if self.notice_on_tracking else order.erp_lag
        if truth.waits_for_tracking:  # a declaration asked for before the number came back
            truth.waits_for_tracking = False
            self._at(t + delay, NOTICE_TRY, i)
        elif self.notice_on_tracking:
            self.request_notice(i, t + delay)

    def _freight(self, t: float, i: int, number: int) -> None:
        if self.truth[i].closed_at is None:
            self._erp(i, t, "freight", self.orders[i].freight[number][1])

    def _notice_try(self, t: float, i: int, _: int) -> None:
        order, truth = self.orders[i], self.truth[i]
        truth.try_pending = False
        if truth.closed_at is not None or truth.notice_at is not None:
            return
        if not truth.tracking_known:  # no number to declare yet: the ERP declares when it comes
            truth.try_pending = truth.waits_for_tracking = True
            return
        if truth.status != WAIT_SELLER_SEND_GOODS or (order.declaration_fails and not truth.failed_once):
            if truth.status == WAIT_SELLER_SEND_GOODS:
                truth.failed_once = True
                if order.false_recorded:  # the ERP reports success and never looks back
                    truth.reported_recorded_at = t
                    self._erp(i, t, "shipping_notice", "recorded", tracking_number=order.tracking_number)
                    return
            truth.try_pending = True
            self._at(t + order.declaration_retry, NOTICE_TRY, i)
            return
        truth.notice_at = t
        truth.status = WAIT_BUYER_ACCEPT_GOODS
        if truth.reported_recorded_at is None:
            truth.reported_recorded_at = t
        self._erp(i, t, "shipping_notice", "recorded", tracking_number=order.tracking_number, carrier=CARRIER)
        self._platform(i, K_NOTICE, t + SECOND, WAIT_BUYER_ACCEPT_GOODS, tracking_number=order.tracking_number)
        if order.settlement_after_hours is not None:
            self._at(t + 60 * order.settlement_after_hours, SETTLEMENT, i)

    def _settlement(self, t: float, i: int, _: int) -> None:
        truth = self.truth[i]
        if truth.closed_at is not None:
            return
        truth.status, truth.settlement_at = FUND_PROCESSING, t
        self._platform(i, K_SETTLEMENT, t, FUND_PROCESSING)
        self._at(t + 60 * self.orders[i].settlement_refund_hours, SETTLEMENT_END, i)

    def _settlement_end(self, t: float, i: int, _: int) -> None:
        if self.truth[i].closed_at is None:
            self._close(t, i, REFUNDED)

    _handlers = (
        _placed,
        _cleared,
        _review_end,
        _cancel_request,
        _cancel_decision,
        _late_risk,
        _logistics,
        _tracking,
        _freight,
        _notice_try,
        _settlement,
        _settlement_end,
    )

    def _close(self, t: float, i: int, cause: str) -> None:
        truth = self.truth[i]
        truth.closed_from = truth.status
        truth.closed_at, truth.cause, truth.status = t, cause, FINISH
        reason = END_REASONS.get(cause)
        self._platform(i, K_CLOSED, t, FINISH, **({"end_reason": reason} if reason else {}))

    # --- what reaches the seller -----------------------------------------------------------------

    def _event_id(self, i: int) -> str:
        truth = self.truth[i]
        truth.events += 1
        return f"{self.orders[i].order_id}.{truth.events}"

    def _platform(self, i: int, kind: int, occurred: float, word: str, **extra: Any) -> None:
        order = self.orders[i]
        at = occurred + order.lags[kind] + (self.closure_extra if kind == K_CLOSED else 0.0)
        if not self.feeds_guard:
            self._deliver(Delivery(at, occurred, i, "", word=word))
            return
        delivery = Delivery(at, occurred, i, self._event_id(i), word=word, extra=extra or None)
        self._deliver(delivery)
        again, lagging = order.duplicates[kind], order.stale[kind]
        if again is not None:  # the same event, twice
            self._deliver(Delivery(at + again, occurred, i, delivery.event_id, word, extra=extra or None))
        if lagging is not None:  # the lagging order list, re-synced with its old time
            self._deliver(Delivery(at + lagging, occurred, i, self._event_id(i), word, extra=extra or None))

    def _erp(self, i: int, occurred: float, fact: str, status: str, **extra: Any) -> None:
        if not self.feeds_guard:
            return
        at = occurred + self.orders[i].erp_lag
        self._deliver(Delivery(at, occurred, i, self._event_id(i), fact=fact, status=status, extra=extra or None))

    def _deliver(self, delivery: Delivery) -> None:
        heapq.heappush(self._feed, (delivery.at, next(self._seq), delivery))


def guard_event(delivery: Delivery, order_id: str, ship_by: str, iso) -> dict[str, Any]:
    """The event an ERP sends the guard for a delivery (`iso` renders a simulated minute)."""
    if delivery.word is None:
        event = {"type": delivery.fact, "status": delivery.status}
    elif delivery.word == FUND_PROCESSING:
        # The ERP forwards the agreed refund as the guard's own fact (contract v1.1: settlement).
        event = {"type": "settlement", "status": "processing", "ship_by": ship_by}
    else:
        event = {"type": "platform_status", "platform": "aliexpress", "status": delivery.word, "ship_by": ship_by}
    event.update(event_id=delivery.event_id, order_id=order_id, store_id=STORE_ID, occurred_at=iso(delivery.occurred))
    if delivery.extra:
        event.update(delivery.extra)
    return event
