"""The replay: the drawn day, minute by simulated minute, against a guard over HTTP.

Each minute, in this order: on the ERP's push cycle, the facts that reached it
are pushed (`POST /v1/events`, in delivery order, up to 1,000 a call); every
`shelf_round_minutes` the shelf clerk reads the hold queue (`GET /v1/holds`) —
that is also the sample for the report — and takes back the parcels whose hold
was released or turned into a block; the packers scan what came off the line and
what came back from the shelf (check, then label if clear), several stations at
once; at each carrier pick-up every labelled parcel is scanned at hand-over
(`POST /v1/handovers`) and leaves; a supervisor releases overdue freight holds
after calling the logistics provider; and an embedded guard runs its re-check sweep.

Everything the replay decides depends only on the drawn day and the guard's
answers, and the answers only on the facts pushed so far (and, embedded, on the
simulated clock), so one seed replays the same day decision for decision.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from guard.simulate.clock import FileClock, Timeline
from guard.simulate.world import Day, Delivery, Order

MAX_EVENTS = 1000
HOLDS_PAGE = 1000
RETRIES = 6
RELEASE_NOTE = "logistics provider confirmed the freight deduction by phone (seed point 7)"


class ReplayError(RuntimeError):
    """The guard answered something a correct integration cannot carry on from."""


class GuardClient:
    """The HTTP side: one connection pool per thread, retries on 429/503 and dropped connections."""

    def __init__(self, base_url: str, key: str, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self._timeout = timeout
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()
        self.requests = 0

    def _client(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.base_url, headers=self._headers, timeout=self._timeout)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def call(
        self, method: str, path: str, body: Any = None, params: dict | None = None, ok: tuple[int, ...] = (200,)
    ) -> tuple[int, Any]:
        content = orjson.dumps(body) if body is not None else None
        for attempt in range(RETRIES):
            try:
                response = self._client().request(method, path, content=content, params=params)
            except httpx.TransportError as exc:
                if attempt == RETRIES - 1:
                    raise ReplayError(f"{method} {path}: cannot reach the guard at {self.base_url} ({exc})") from None
                time.sleep(0.2 * 2**attempt)
                continue
            with self._lock:
                self.requests += 1
            if response.status_code in (429, 503) and attempt < RETRIES - 1:
                time.sleep(_retry_after(response.headers.get("Retry-After"), 0.2 * 2**attempt))
                continue
            data = orjson.loads(response.content) if response.content else None
            if response.status_code in ok:
                return response.status_code, data
            raise ReplayError(_explain(method, path, response.status_code, data))
        raise AssertionError("unreachable")

    def close(self) -> None:
        for client in self._clients:
            client.close()


def _retry_after(header: str | None, fallback: float) -> float:
    try:
        return min(max(float(header), 0.0), 30.0) if header else fallback
    except ValueError:
        return fallback


def _explain(method: str, path: str, status: int, data: Any) -> str:
    error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
    hint = {
        401: " (is the key right? --key or GUARD_SIM_KEY)",
        403: " (the key needs the scopes events, check, labels, holds and supervise)",
    }.get(status, "")
    details = error.get("details")
    return f"{method} {path} answered {status} {error.get('code', '')}: {error.get('message', data)}{hint}" + (
        f"\n  details: {details[:5]}" if details else ""
    )


@dataclass(slots=True)
class Parcel:
    """An order's parcel on the floor: what the packers, the shelf and the dock did with it."""

    order: Order
    first_verdict: str | None = None
    first_reasons: tuple[str, ...] = ()
    scans: int = 0
    on_shelf: bool = False
    shelved_at: float | None = None  # first time on the hold shelf
    off_shelf_at: float | None = None
    released_by_hand: bool = False
    labelled_at: float | None = None
    docked: bool = False
    left_at: float | None = None  # handed over to the carrier
    returned_at: float | None = None  # blocked: back to stock
    pulled: int = 0


@dataclass
class Sample:
    minute: int
    held_by_reason: dict[str, int]
    overdue_by_cause: dict[str, int]


# Why a hold is overdue (contract, "Holds"); the hold list says only that it is.
SHIP_BY_NEAR, PROCESSING_TOO_LONG, FREIGHT_RECHECKED, OTHER = (
    "ship-by within 12 h",
    "payment processing 6 h",
    "freight unpaid after re-checks",
    "other",
)


def overdue_cause(reasons: list[str], ship_by_minute: float | None, minute: int) -> str:
    """The escalation the guard documents that fits what the hold list shows."""
    if ship_by_minute is not None and ship_by_minute - minute <= 12 * 60:
        return SHIP_BY_NEAR
    if "PAYMENT_PROCESSING" in reasons:
        return PROCESSING_TOO_LONG
    if "FREIGHT_UNPAID" in reasons:
        return FREIGHT_RECHECKED
    return OTHER


@dataclass
class Tally:
    events: dict[str, int] = field(
        default_factory=lambda: {"sent": 0, "applied": 0, "stale": 0, "final": 0, "duplicate": 0}
    )
    checks: int = 0
    verdicts: dict[str, int] = field(default_factory=lambda: {"clear": 0, "hold": 0, "block": 0})
    labels: int = 0
    label_refusals: int = 0
    handovers: int = 0
    handovers_refused: int = 0
    manual_releases: int = 0
    manual_release_refusals: int = 0
    sweeps_rechecked: int = 0


@dataclass
class Outcome:
    day: Day
    timeline: Timeline
    parcels: dict[int, Parcel]
    samples: list[Sample]
    escalations: list[tuple[int, str]]  # (minute, cause) of each hold first seen overdue
    tally: Tally
    requests: int


class Replay:
    def __init__(
        self,
        day: Day,
        client: GuardClient,
        timeline: Timeline,
        *,
        clock: FileClock | None = None,
        sweep: Callable[[], int] | None = None,
        threads: int = 4,
        progress: Callable[[str], None] | None = None,
    ):
        self.day, self.p, self.client, self.timeline = day, day.params, client, timeline
        self.clock, self.sweep, self.progress = clock, sweep, progress
        self.threads = max(1, threads)
        self.by_id = {order.order_id: order for order in day.orders}
        self.parcels: dict[int, Parcel] = {}
        self.samples: list[Sample] = []
        self.escalations: list[tuple[int, str]] = []
        self.escalated: set[str] = set()
        self.supervisor_queue: dict[int, list[Order]] = {}
        self.supervised: set[int] = set()
        self.dock: list[Parcel] = []
        self.tally = Tally()

    # --- the loop -------------------------------------------------------------------------

    def run(self) -> Outcome:
        p = self.p
        deliveries, next_delivery = self.day.deliveries, 0
        packs, next_pack = self.day.pack_order, 0
        horizon = p.horizon_minutes
        with ThreadPoolExecutor(self.threads, thread_name_prefix="station") as pool:
            self.pool = pool
            for minute in range(1, horizon + 1):
                if self.clock is not None:
                    self.clock.set(self.timeline.at(minute))
                if minute % p.push_every_minutes == 0 or minute == horizon:
                    due = next_delivery
                    while due < len(deliveries) and deliveries[due].at <= minute:
                        due += 1
                    self._push(deliveries[next_delivery:due])
                    next_delivery = due

                rescans: list[Parcel] = []
                if minute % p.shelf_round_minutes == 0 or minute == horizon:
                    rescans = self._shelf_round(minute)
                scans = []
                while next_pack < len(packs) and (self.day.orders[packs[next_pack]].packed_at or 0) <= minute:
                    order = self.day.orders[packs[next_pack]]
                    scans.append(self.parcels.setdefault(order.index, Parcel(order)))
                    next_pack += 1
                self._scan(scans + rescans, minute)
                if minute % p.pickup_every_minutes == 0 or minute == horizon:
                    self._pickup(minute)
                self._supervise(minute)
                if self.sweep is not None and minute % p.sweep_every_minutes == 0:
                    self.tally.sweeps_rechecked += self.sweep()
                if self.progress is not None and minute % 60 == 0:
                    self.progress(self._progress_line(minute))
        return Outcome(
            self.day, self.timeline, self.parcels, self.samples, self.escalations, self.tally, self.client.requests
        )

    def _map(self, function: Callable[[Any], Any], items: list) -> list:
        if len(items) < 2:
            return [function(item) for item in items]
        return list(self.pool.map(function, items))

    # --- facts in -------------------------------------------------------------------------

    def _render(self, delivery: Delivery) -> dict:
        event = dict(delivery.fields)
        event["occurred_at"] = self.timeline.iso(delivery.occurred)
        if delivery.ship_by is not None:
            event["ship_by"] = self.timeline.iso(delivery.ship_by)
        return event

    def _push(self, deliveries: list[Delivery]) -> None:
        # In delivery order, one call after another: the guard applies a batch in input order.
        for start in range(0, len(deliveries), MAX_EVENTS):
            batch = [self._render(d) for d in deliveries[start : start + MAX_EVENTS]]
            _, answer = self.client.call("POST", "/v1/events", {"events": batch})
            self.tally.events["sent"] += len(batch)
            for result in answer["results"]:
                self.tally.events[result["outcome"]] = self.tally.events.get(result["outcome"], 0) + 1

    # --- the packing stations ----------------------------------------------------------------

    def _check_and_label(self, parcel: Parcel) -> tuple[str, tuple[str, ...]]:
        order = parcel.order
        _, answer = self.client.call(
            "POST", f"/v1/orders/{order.order_id}/check", {"station_id": order.station, "operator": "packer"}
        )
        verdict, codes = answer["verdict"], tuple(reason["code"] for reason in answer["reasons"])
        if verdict != "clear":
            return verdict, codes
        if answer.get("clearance") is None:  # labelled before (a parcel pulled at the dock, now clear again)
            return ("docked" if answer.get("label") else "hold"), codes
        status, label = self.client.call(
            "POST",
            "/v1/labels",
            {"clearance": answer["clearance"]["token"], "station_id": order.station},
            ok=(201, 409),
        )
        if status == 201:
            return "labelled", codes
        # Risk control acted between the check and the print: the print re-checks.
        details = (label or {}).get("error", {}).get("details") or []
        return "refused", tuple(d.get("code", "") for d in details if isinstance(d, dict))

    def _scan(self, parcels: list[Parcel], minute: int) -> None:
        answers = self._map(self._check_and_label, parcels)
        for parcel, (outcome, codes) in zip(parcels, answers):
            self.tally.checks += 1
            parcel.scans += 1
            if parcel.first_verdict is None:
                first = {"labelled": "clear", "docked": "clear", "block": "block"}.get(outcome, "hold")
                parcel.first_verdict, parcel.first_reasons = first, codes
                self.tally.verdicts[first] += 1
            if outcome in ("labelled", "docked"):
                if outcome == "labelled":
                    self.tally.labels += 1
                parcel.labelled_at = parcel.labelled_at or minute
                self._off_shelf(parcel, minute)
                parcel.docked = True
                self.dock.append(parcel)
            elif outcome == "block":
                parcel.returned_at = minute
                self._off_shelf(parcel, minute)
            else:  # hold, or a refused print: on (or back to) the hold shelf
                if outcome == "refused":
                    self.tally.label_refusals += 1
                parcel.on_shelf = True
                if parcel.shelved_at is None:
                    parcel.shelved_at = minute

    def _off_shelf(self, parcel: Parcel, minute: int) -> None:
        if parcel.on_shelf:
            parcel.on_shelf = False
            parcel.off_shelf_at = minute

    # --- the hold shelf --------------------------------------------------------------------------

    def _held(self) -> dict[str, dict]:
        ours: dict[str, dict] = {}
        cursor = None
        while True:
            params = {"state": "held", "limit": str(HOLDS_PAGE)}
            if cursor:
                params["cursor"] = cursor
            _, page = self.client.call("GET", "/v1/holds", params=params)
            for item in page["items"]:
                if item["order_id"] in self.by_id:  # a running guard has other holds too
                    ours[item["order_id"]] = item
            cursor = page.get("next_cursor")
            if not cursor:
                return ours

    def _shelf_round(self, minute: int) -> list[Parcel]:
        held = self._held()
        by_reason: dict[str, int] = {}
        overdue: dict[str, int] = {}
        for order_id, item in held.items():
            first = item["reasons"][0] if item["reasons"] else "UNKNOWN"
            by_reason[first] = by_reason.get(first, 0) + 1
            if item.get("overdue"):
                order = self.by_id[order_id]
                cause = overdue_cause(item["reasons"], order.ship_by, minute)
                overdue[cause] = overdue.get(cause, 0) + 1
                if order_id not in self.escalated:
                    self.escalated.add(order_id)
                    self.escalations.append((minute, cause))
                if (
                    item["reasons"] == ["FREIGHT_UNPAID"]
                    and order.supervisor_delay is not None
                    and order.index not in self.supervised
                ):
                    self.supervised.add(order.index)
                    when = minute + max(1, round(order.supervisor_delay))
                    self.supervisor_queue.setdefault(when, []).append(order)
        self.samples.append(Sample(minute, by_reason, overdue))
        # Released, or turned into a block: the clerk takes the parcel back to a station.
        return [parcel for parcel in self.parcels.values() if parcel.on_shelf and parcel.order.order_id not in held]

    def _supervise(self, minute: int) -> None:
        orders = self.supervisor_queue.pop(minute, [])
        if not orders:
            return

        def release(order: Order) -> int:
            status, _ = self.client.call(
                "POST", f"/v1/holds/{order.order_id}/release", {"reason": RELEASE_NOTE}, ok=(200, 404, 409)
            )
            return status

        for order, status in zip(orders, self._map(release, orders)):
            if status == 200:
                self.tally.manual_releases += 1
                self.parcels[order.index].released_by_hand = True
            else:  # paid meanwhile (404: no hold), or another reason appeared (409)
                self.tally.manual_release_refusals += 1

    # --- the dock --------------------------------------------------------------------------------

    def _handover(self, parcel: Parcel) -> int:
        order = parcel.order
        code = order.tracking_number if order.handover_by_tracking else order.order_id
        status, _ = self.client.call("POST", "/v1/handovers", {"code": code, "station_id": "dock-01"}, ok=(200, 409))
        return status

    def _pickup(self, minute: int) -> None:
        docked, self.dock = self.dock, []
        for parcel, status in zip(docked, self._map(self._handover, docked)):
            parcel.docked = False
            self.tally.handovers += 1
            if status == 200:
                parcel.left_at = minute
            else:  # the order turned bad after its label: pulled, back to the shelf
                self.tally.handovers_refused += 1
                parcel.pulled += 1
                parcel.on_shelf = True

    def _progress_line(self, minute: int) -> str:
        placed = sum(1 for order in self.day.orders if order.placed <= minute)
        shelf = sum(1 for parcel in self.parcels.values() if parcel.on_shelf)
        left = sum(1 for parcel in self.parcels.values() if parcel.left_at is not None)
        clock = Timeline.on_day(self.p.day).at(minute)
        return (
            f"{clock:%d %b %H:%M}  orders {placed:>7,}  scanned {len(self.parcels):>7,}  "
            f"on the hold shelf {shelf:>6,}  left {left:>7,}  requests {self.client.requests:>8,}"
        )
