"""The warehouse floor, the same for every warehouse in the comparison; what differs is the
`Policy` that decides at each step (the ERP's own rules, or the guard's answers).

Minute by simulated minute, in this order: the platform plays the day up to the minute and
what reached the seller updates the ERP's view (`view`: the newest status by the platform's
modification time); the policy hears it (a guarded warehouse pushes it to the guard); on its
round, the shelf clerk looks at the parcels on the hold shelf and takes back those the policy
lets go; on the wave cycle, the ERP cuts a wave of the orders its view shows ready and the
policy picks from it; packers pack the wave in turn, each at their own pace; each packed
parcel (and each one taken back from the shelf) is scanned at its station — labelled and
bagged, put on the shelf, or returned to stock; before each carrier pick-up, the dock scans
the labelled parcels into bags (the policy may pull some); at the pick-up the sealed bags leave.

The ERP records each order's shipping notice at the moment its timing says: on the tracking
number, at the print, at the pick-up, or in a daily batch of what left.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from guard.simulate.platform import (
    FINISH,
    FUND_PROCESSING,
    IN_CANCEL,
    PLACE_ORDER_SUCCESS,
    RISK_CONTROL,
    WAIT_BUYER_ACCEPT_GOODS,
    WAIT_SELLER_SEND_GOODS,
    Delivery,
    Platform,
)
from guard.simulate.world import Day, Order

# What an ERP's view shows for an order it can ship (a recorded notice moves the view on).
AWAITING_SHIPMENT = frozenset({WAIT_SELLER_SEND_GOODS, WAIT_BUYER_ACCEPT_GOODS})
# What shows that the buyer paid (a naive warehouse picks all of these).
SEEN_PAID = AWAITING_SHIPMENT | {RISK_CONTROL, IN_CANCEL, FUND_PROCESSING}

# Where a parcel is.
LINE, SHELF, BAG, SEALED, LEFT, STOCK = "line", "shelf", "bag", "sealed", "left", "stock"


@dataclass(slots=True)
class Parcel:
    """An order's parcel on the floor: what the packers, the shelf and the dock did with it."""

    order: Order
    waved_at: float
    station: str = ""
    state: str = LINE
    packed_at: float | None = None
    labelled_at: float | None = None  # first label printed
    guard_label: bool = False  # printed through the guard (a clearance redeemed)
    first_verdict: str | None = None
    first_reasons: tuple[str, ...] = ()
    scans: int = 0  # at a station
    shelved_at: float | None = None  # first time on the hold shelf
    shelf_since: float | None = None
    shelf_minutes: float = 0.0
    shelvings: int = 0
    taken_back: int = 0
    pulls: int = 0
    released_by_hand: bool = False
    bagged_at: float | None = None  # passed into a sealed bag
    scanned_at_handover: bool = False
    left_at: float | None = None  # handed over to the carrier
    returned_at: float | None = None  # back to stock


class Policy:
    """A warehouse's decisions. The base class is the naive warehouse: it ships what it packs."""

    name = "ship_when_packed"
    notice_timing = "on_pickup"
    feeds_guard = False  # whether the ERP forwards every fact to a guard

    def bind(self, floor: Floor) -> None:
        self.floor = floor

    def waveable(self, word: str) -> bool:
        return word in SEEN_PAID

    def wave(self, candidates: list[int], minute: int) -> tuple[list[int], list[int]]:
        """(picked, dropped for good) out of the wave's candidates; the rest wait for the next wave."""
        return candidates, []

    def station(self, parcels: list[Parcel], minute: int) -> list[str]:
        """BAG (labelled), SHELF or STOCK for each parcel scanned at a station."""
        known = self.floor.platform.truth
        return [BAG if known[p.order.index].tracking_known else SHELF for p in parcels]

    def shelf_round(self, parcels: list[Parcel], minute: int) -> list[Parcel]:
        """The shelved parcels to take back to a station now."""
        known = self.floor.platform.truth
        return [p for p in parcels if known[p.order.index].tracking_known]

    def handover(self, parcels: list[Parcel], minute: int) -> list[bool]:
        """Whether each labelled parcel goes into the carrier's bag (False: pulled to the shelf)."""
        return [True] * len(parcels)

    def heard(self, minute: int, deliveries: list[Delivery]) -> None:
        """What reached the seller this minute (a guarded warehouse forwards it)."""

    def end_of_minute(self, minute: int) -> None:
        pass

    def note(self) -> str:
        """A word for the progress line."""
        return ""


class Floor:
    def __init__(self, day: Day, policy: Policy, *, progress: Callable[[str], None] | None = None):
        p = day.params
        self.day, self.p, self.policy, self.progress = day, p, policy, progress
        self.platform = Platform(
            day, notice_on_tracking=policy.notice_timing == "on_tracking", feeds_guard=policy.feeds_guard
        )
        self.platform.seller_labelled = self._labelled
        self.view: list[str] = [""] * len(day.orders)
        self._view_time = [float("-inf")] * len(day.orders)
        self.candidates: dict[int, None] = {}  # seen paid, not waved yet (insertion-ordered)
        self.parcels: dict[int, Parcel] = {}
        self.dropped_at_wave: set[int] = set()
        self.shelf: dict[int, Parcel] = {}
        self.bag: list[Parcel] = []
        self.sealed: list[Parcel] = []
        self._left_undeclared: list[Parcel] = []
        self._queue: deque[Parcel] = deque()
        self._packers = [(0.0, n) for n in range(p.packer_count)]
        self._packing: list[tuple[float, int, Parcel]] = []
        self._seq = itertools.count()
        horizon = p.horizon_minutes
        days = range(horizon // 1440 + 1)
        self.pickups = sorted(
            {round(d * 1440 + h * 60) for d in days for h in p.pickup_hours} & set(range(1, horizon + 1))
        )
        self.baggings = {max(1, minute - p.bagging_lead_minutes): minute for minute in self.pickups}
        self.batches = {round(d * 1440 + p.daily_batch_hour * 60) for d in days}
        policy.bind(self)

    def run(self) -> Floor:
        p, policy, platform = self.p, self.policy, self.platform
        horizon = p.horizon_minutes
        pickups = set(self.pickups)
        on_print = policy.notice_timing == "on_print"
        for minute in range(1, horizon + 1):
            deliveries = platform.advance(minute)
            self._see(deliveries)
            policy.heard(minute, deliveries)
            rescans = []
            if self.shelf and (minute % p.shelf_round_minutes == 0 or minute == horizon):
                rescans = policy.shelf_round(list(self.shelf.values()), minute)
                for parcel in rescans:
                    self._off_shelf(parcel, minute)
                    parcel.taken_back += 1
            if minute % p.wave_every_minutes == 0:
                self._wave(minute)
            scanned = self._pack(minute) + rescans
            if scanned:
                for parcel, outcome in zip(scanned, policy.station(scanned, minute)):
                    parcel.scans += 1
                    self._place(parcel, outcome, minute, on_print)
            if minute in self.baggings and self.bag:
                bag, self.bag = self.bag, []
                for parcel, passes in zip(bag, policy.handover(bag, minute)):
                    if passes:
                        parcel.state, parcel.bagged_at = SEALED, minute
                        self.sealed.append(parcel)
                    else:
                        parcel.pulls += 1
                        self._place(parcel, SHELF, minute, False)
            if minute in pickups:
                self._pickup(minute)
            if minute in self.batches and self._left_undeclared:
                for parcel in self._left_undeclared:
                    platform.request_notice(parcel.order.index, minute + parcel.order.erp_lag)
                self._left_undeclared = []
            policy.end_of_minute(minute)
            if self.progress is not None and minute % 60 == 0:
                self.progress(self._progress_line(minute))
        for parcel in self.shelf.values():  # still on the shelf at the end: count its time so far
            parcel.shelf_minutes += horizon - (parcel.shelf_since or horizon)
        return self

    # --- the ERP's view ---------------------------------------------------------------------

    def _see(self, deliveries: list[Delivery]) -> None:
        view, times, candidates = self.view, self._view_time, self.candidates
        for delivery in deliveries:
            word = delivery.word
            if word is None or delivery.occurred <= times[delivery.index]:
                continue  # the ERP's own write, or an older view than the one it shows
            i = delivery.index
            view[i], times[i] = word, delivery.occurred
            if word == FINISH:
                candidates.pop(i, None)
            elif word != PLACE_ORDER_SUCCESS and i not in self.parcels and i not in self.dropped_at_wave:
                candidates[i] = None

    # --- waves and the packing line ---------------------------------------------------------------

    def _wave(self, minute: int) -> None:
        # An ERP picks only what it can print: the view shows it ready and the tracking number is back.
        view, waveable, truth = self.view, self.policy.waveable, self.platform.truth
        ready = [i for i in self.candidates if truth[i].tracking_known and waveable(view[i])]
        if not ready:
            return
        picked, dropped = self.policy.wave(ready, minute)
        for i in dropped:
            self.candidates.pop(i, None)
            self.dropped_at_wave.add(i)
        for i in picked:
            self.candidates.pop(i, None)
            parcel = Parcel(self.day.orders[i], waved_at=minute)
            self.parcels[i] = parcel
            self._queue.append(parcel)

    def _pack(self, minute: int) -> list[Parcel]:
        queue, packers, packing = self._queue, self._packers, self._packing
        while queue and packers[0][0] <= minute:
            free, who = packers[0]
            parcel = queue.popleft()
            done = max(free, parcel.waved_at) + parcel.order.pack_minutes
            heapq.heapreplace(packers, (done, who))
            parcel.station = f"pack-{who + 1:02d}"
            heapq.heappush(packing, (done, next(self._seq), parcel))
        packed = []
        while packing and packing[0][0] <= minute:
            parcel = heapq.heappop(packing)[2]
            parcel.packed_at = minute
            packed.append(parcel)
        return packed

    # --- shelf, bag, dock ------------------------------------------------------------------------

    def _place(self, parcel: Parcel, outcome: str, minute: int, on_print: bool) -> None:
        if outcome == BAG:
            if parcel.labelled_at is None:
                parcel.labelled_at = minute
                if on_print:
                    self.platform.request_notice(parcel.order.index, minute + parcel.order.erp_lag)
            parcel.state = BAG
            self.bag.append(parcel)
        elif outcome == SHELF:
            parcel.state = SHELF
            parcel.shelvings += 1
            parcel.shelf_since = minute
            if parcel.shelved_at is None:
                parcel.shelved_at = minute
            self.shelf[parcel.order.index] = parcel
        else:
            parcel.state, parcel.returned_at = STOCK, minute

    def _off_shelf(self, parcel: Parcel, minute: int) -> None:
        self.shelf.pop(parcel.order.index, None)
        parcel.shelf_minutes += minute - (parcel.shelf_since or minute)
        parcel.shelf_since = None
        parcel.state = LINE

    def take_off_shelf(self, parcel: Parcel, minute: int, outcome: str) -> None:
        """A policy's decision outside a scan (a parcel on the shelf returned to stock)."""
        self._off_shelf(parcel, minute)
        parcel.taken_back += 1
        self._place(parcel, outcome, minute, False)

    def _pickup(self, minute: int) -> None:
        timing = self.policy.notice_timing
        for parcel in self.sealed:
            parcel.state, parcel.left_at = LEFT, minute
            if timing == "on_pickup":
                self.platform.request_notice(parcel.order.index, minute + parcel.order.erp_lag)
            elif timing == "daily_batch":
                self._left_undeclared.append(parcel)
        self.sealed = []

    def _labelled(self, index: int) -> bool:
        parcel = self.parcels.get(index)
        return parcel is not None and parcel.labelled_at is not None

    def _progress_line(self, minute: int) -> str:
        from guard.simulate.clock import Timeline

        left = sum(1 for parcel in self.parcels.values() if parcel.left_at is not None)
        clock = Timeline.on_day(self.p.day).at(minute)
        return (
            f"{clock:%d %b %H:%M}  picked {len(self.parcels):>7,}  on the hold shelf {len(self.shelf):>6,}  "
            f"bagged {len(self.bag) + len(self.sealed):>6,}  left {left:>7,}  {self.policy.note()}"
        ).rstrip()


class ErpPolicy(Policy):
    """A typical ERP: waves and prints orders whose (lagging) view shows them awaiting shipment;
    no check after the print; records the notice at its timing."""

    name = "erp_awaiting_shipment"

    def __init__(self, notice_timing: str):
        self.notice_timing = notice_timing

    def waveable(self, word: str) -> bool:
        return word in AWAITING_SHIPMENT

    def station(self, parcels: list[Parcel], minute: int) -> list[str]:
        return [erp_station(self.floor, parcel) for parcel in parcels]

    def shelf_round(self, parcels: list[Parcel], minute: int) -> list[Parcel]:
        return erp_shelf_round(self.floor, parcels, minute)


def erp_station(floor: Floor, parcel: Parcel) -> str:
    """An ERP's own print: its view shows the order awaiting shipment and the tracking number is
    back (also what a guarded warehouse does with a label printed outside escrow)."""
    i = parcel.order.index
    if floor.view[i] == FINISH:
        return STOCK
    return BAG if floor.view[i] in AWAITING_SHIPMENT and floor.platform.truth[i].tracking_known else SHELF


def erp_shelf_round(floor: Floor, parcels: list[Parcel], minute: int) -> list[Parcel]:
    """An ERP's exception shelf: closed orders back to stock, printable ones back to a station."""
    back = []
    for parcel in parcels:
        outcome = erp_station(floor, parcel)
        if outcome == STOCK:
            floor.take_off_shelf(parcel, minute, STOCK)
        elif outcome == BAG:
            back.append(parcel)
    return back
