"""The guarded warehouse: the floor's decisions come from a real guard, over HTTP.

Its ERP forwards what it hears, on its push cycle (`POST /v1/events`, in delivery order, up
to 1,000 a call) and records each notice as soon as the tracking number is back (the guard
prints no label before it). Each wave is checked before picking (`POST /v1/checks`): only
clear orders are picked, closed ones are dropped, the rest wait for the next wave. Each packed
parcel is checked at its station (`POST /v1/orders/{id}/check`) and labelled if clear
(`POST /v1/labels`), else shelved or returned to stock; the shelf clerk reads the hold queue
(`GET /v1/holds`, the sample for the report too) and takes back what is no longer held; the
dock scans each parcel into the bag (`POST /v1/handovers`) and pulls what the guard refuses;
a supervisor releases overdue freight holds after calling the logistics provider; an embedded
guard runs its re-check sweep at set simulated moments.

A parcel whose label the packer printed outside escrow (`label_outside_escrow_share`) is
printed by the ERP's own rule; only the hand-over scan sees it. A parcel the dock does not
scan (`handover_scan_share`) goes into the bag unchecked.

Everything the replay decides depends only on the drawn day and the guard's answers, and the
answers only on the facts pushed so far (and, embedded, on the simulated clock), so one seed
replays the same day decision for decision.
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
from guard.simulate.floor import (
    AWAITING_SHIPMENT,
    BAG,
    SHELF,
    STOCK,
    Floor,
    Parcel,
    Policy,
    erp_shelf_round,
    erp_station,
)
from guard.simulate.platform import Delivery, guard_event
from guard.simulate.world import Order

MAX_EVENTS = 1000
MAX_WAVE = 20_000
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


@dataclass
class Sample:
    minute: int
    held_by_reason: dict[str, int]
    overdue_by_cause: dict[str, int]


# Why a hold is overdue (the guard's escalations); the hold list says only that it is.
SHIP_BY_NEAR, PROCESSING_TOO_LONG, FREIGHT_RECHECKED, OTHER = (
    "ship-by within 12 h",
    "payment unconfirmed 6 h",
    "freight unpaid after re-checks",
    "other",
)


def overdue_cause(reasons: list[str], ship_by_minute: float | None, minute: int) -> str:
    """The escalation the guard documents that fits what the hold list shows."""
    if ship_by_minute is not None and ship_by_minute - minute <= 12 * 60:
        return SHIP_BY_NEAR
    if "PAYMENT_PROCESSING" in reasons or "PAYMENT_UNPAID" in reasons:
        return PROCESSING_TOO_LONG
    if "FREIGHT_UNPAID" in reasons:
        return FREIGHT_RECHECKED
    return OTHER


@dataclass
class Tally:
    events: dict[str, int] = field(
        default_factory=lambda: {"sent": 0, "applied": 0, "stale": 0, "final": 0, "duplicate": 0}
    )
    wave_checks: int = 0
    wave_ids: int = 0
    wave_verdicts: dict[str, int] = field(default_factory=lambda: {"clear": 0, "hold": 0, "block": 0})
    checks: int = 0
    verdicts: dict[str, int] = field(default_factory=lambda: {"clear": 0, "hold": 0, "block": 0})
    labels: int = 0
    label_refusals: int = 0
    labels_outside_escrow: int = 0
    handovers: int = 0
    handovers_refused: int = 0
    handovers_not_labelled: int = 0
    not_scanned: int = 0
    manual_releases: int = 0
    manual_release_refusals: int = 0
    sweeps_rechecked: int = 0


class GuardPolicy(Policy):
    name = "guard"
    notice_timing = "on_tracking"
    feeds_guard = True

    def __init__(
        self,
        client: GuardClient,
        timeline: Timeline,
        *,
        clock: FileClock | None = None,
        sweep: Callable[[], int] | None = None,
        threads: int = 4,
    ):
        self.client, self.timeline, self.clock, self.sweep = client, timeline, clock, sweep
        self.pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="station")
        self.tally = Tally()
        self.samples: list[Sample] = []
        self.escalations: list[tuple[int, str]] = []  # (minute, cause) of each hold first seen overdue
        self._escalated: set[str] = set()
        self._supervisor_queue: dict[int, list[Order]] = {}
        self._supervised: set[int] = set()
        self._pending: list[Delivery] = []

    def bind(self, floor: Floor) -> None:
        super().bind(floor)
        self.p = floor.p
        self.by_id = {order.order_id: order for order in floor.day.orders}
        self._ship_by: dict[int, str] = {}

    def close(self) -> None:
        self.pool.shutdown()

    def _map(self, function: Callable[[Any], Any], items: list) -> list:
        if len(items) < 2:
            return [function(item) for item in items]
        return list(self.pool.map(function, items))

    # --- facts in -------------------------------------------------------------------------

    def heard(self, minute: int, deliveries: list[Delivery]) -> None:
        if self.clock is not None:
            self.clock.set(self.timeline.at(minute))
        self._pending.extend(deliveries)
        if minute % self.p.push_every_minutes == 0 or minute == self.p.horizon_minutes:
            pending, self._pending = self._pending, []
            self._push(pending)

    def _render(self, delivery: Delivery) -> dict:
        i = delivery.index
        ship_by = self._ship_by.get(i)
        if ship_by is None:
            ship_by = self._ship_by[i] = self.timeline.iso(self.floor.day.orders[i].ship_by)
        return guard_event(delivery, self.floor.day.orders[i].order_id, ship_by, self.timeline.iso)

    def _push(self, deliveries: list[Delivery]) -> None:
        # In delivery order, one call after another: the guard applies a batch in input order.
        for start in range(0, len(deliveries), MAX_EVENTS):
            batch = [self._render(d) for d in deliveries[start : start + MAX_EVENTS]]
            _, answer = self.client.call("POST", "/v1/events", {"events": batch})
            self.tally.events["sent"] += len(batch)
            for result in answer["results"]:
                self.tally.events[result["outcome"]] = self.tally.events.get(result["outcome"], 0) + 1

    # --- waves ------------------------------------------------------------------------------------

    def waveable(self, word: str) -> bool:
        return word in AWAITING_SHIPMENT

    def wave(self, candidates: list[int], minute: int) -> tuple[list[int], list[int]]:
        if not self.p.wave_precheck:
            return candidates, []
        orders = self.floor.day.orders
        picked, dropped = [], []
        for start in range(0, len(candidates), MAX_WAVE):
            chunk = candidates[start : start + MAX_WAVE]
            _, answer = self.client.call("POST", "/v1/checks", {"order_ids": [orders[i].order_id for i in chunk]})
            self.tally.wave_checks += 1
            self.tally.wave_ids += len(chunk)
            for i, result in zip(chunk, answer["results"]):
                verdict = result["verdict"]
                self.tally.wave_verdicts[verdict] = self.tally.wave_verdicts.get(verdict, 0) + 1
                if verdict == "clear":
                    picked.append(i)
                elif verdict == "block":
                    dropped.append(i)
        return picked, dropped

    # --- the packing stations ----------------------------------------------------------------

    def _check_and_label(self, parcel: Parcel) -> tuple[str, tuple[str, ...]]:
        order = parcel.order
        _, answer = self.client.call(
            "POST", f"/v1/orders/{order.order_id}/check", {"station_id": parcel.station, "operator": "packer"}
        )
        verdict, codes = answer["verdict"], tuple(reason["code"] for reason in answer["reasons"])
        if verdict != "clear":
            return verdict, codes
        if answer.get("clearance") is None:  # labelled before (a parcel pulled at the dock, now clear again)
            return ("docked" if answer.get("label") else "hold"), codes
        status, label = self.client.call(
            "POST",
            "/v1/labels",
            {"clearance": answer["clearance"]["token"], "station_id": parcel.station},
            ok=(201, 409),
        )
        if status == 201:
            return "labelled", codes
        # Risk control acted between the check and the print: the print re-checks.
        details = (label or {}).get("error", {}).get("details") or []
        return "refused", tuple(d.get("code", "") for d in details if isinstance(d, dict))

    def station(self, parcels: list[Parcel], minute: int) -> list[str]:
        outside = [p for p in parcels if p.order.outside_escrow]
        through = [p for p in parcels if not p.order.outside_escrow]
        decided: dict[int, str] = {}
        for parcel in outside:
            decided[parcel.order.index] = outcome = erp_station(self.floor, parcel)
            if outcome == BAG and parcel.labelled_at is None:
                self.tally.labels_outside_escrow += 1
        for parcel, (outcome, codes) in zip(through, self._map(self._check_and_label, through)):
            self.tally.checks += 1
            if parcel.first_verdict is None:
                first = {"labelled": "clear", "docked": "clear", "block": "block"}.get(outcome, "hold")
                parcel.first_verdict, parcel.first_reasons = first, codes
                self.tally.verdicts[first] += 1
            if outcome == "labelled":
                self.tally.labels += 1
                parcel.guard_label = True
            elif outcome == "refused":
                self.tally.label_refusals += 1
            decided[parcel.order.index] = (
                BAG if outcome in ("labelled", "docked") else STOCK if outcome == "block" else SHELF
            )
        return [decided[parcel.order.index] for parcel in parcels]

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

    def shelf_round(self, parcels: list[Parcel], minute: int) -> list[Parcel]:
        outside = [p for p in parcels if p.order.outside_escrow]
        back = erp_shelf_round(self.floor, outside, minute) if outside else []
        if len(outside) == len(parcels):
            self.samples.append(Sample(minute, {}, {}))
            return back
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
                if order_id not in self._escalated:
                    self._escalated.add(order_id)
                    self.escalations.append((minute, cause))
                if (
                    item["reasons"] == ["FREIGHT_UNPAID"]
                    and order.supervisor_delay is not None
                    and order.index not in self._supervised
                ):
                    self._supervised.add(order.index)
                    when = minute + max(1, round(order.supervisor_delay))
                    self._supervisor_queue.setdefault(when, []).append(order)
        self.samples.append(Sample(minute, by_reason, overdue))
        # Released, or turned into a block: the clerk takes the parcel back to a station.
        return back + [p for p in parcels if not p.order.outside_escrow and p.order.order_id not in held]

    def _supervise(self, minute: int) -> None:
        orders = self._supervisor_queue.pop(minute, [])
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
                self.floor.parcels[order.index].released_by_hand = True
            else:  # paid meanwhile (404: no hold), or another reason appeared (409)
                self.tally.manual_release_refusals += 1

    # --- the dock --------------------------------------------------------------------------------

    def _handover(self, parcel: Parcel) -> bool:
        order = parcel.order
        code = order.tracking_number if order.by_tracking and parcel.guard_label else order.order_id
        status, answer = self.client.call(
            "POST", "/v1/handovers", {"code": code, "station_id": "dock-01"}, ok=(200, 404, 409)
        )
        if status == 200:
            return True
        # Clear, but labelled outside the guard: the guard has nothing against it leaving.
        return (answer or {}).get("error", {}).get("code") == "NOT_LABELLED"

    def handover(self, parcels: list[Parcel], minute: int) -> list[bool]:
        scanned = [p for p in parcels if p.order.scanned_at_handover]
        answers = dict(zip((p.order.index for p in scanned), self._map(self._handover, scanned)))
        out = []
        for parcel in parcels:
            passes = answers.get(parcel.order.index)
            if passes is None:  # not scanned: into the bag unchecked
                self.tally.not_scanned += 1
                out.append(True)
                continue
            parcel.scanned_at_handover = True
            self.tally.handovers += 1
            if not passes:
                self.tally.handovers_refused += 1
            elif not parcel.guard_label:
                self.tally.handovers_not_labelled += 1
            out.append(passes)
        return out

    def note(self) -> str:
        return f"requests {self.client.requests:>8,}"

    def end_of_minute(self, minute: int) -> None:
        self._supervise(minute)
        if self.sweep is not None and minute % self.p.sweep_every_minutes == 0:
            self.tally.sweeps_rechecked += self.sweep()
