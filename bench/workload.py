"""A realistic day of order facts, generated from a seed (the same seed gives the same events).

Each order gets about five events, in source-time order, as an ERP sync pushes
them: payment (sometimes `processing` before `paid`), risk, shipping notice
(sometimes `awaiting_tracking` before `recorded`), freight, and for some orders
a cancellation. The mix of outcomes is what a busy marketplace day looks like:
about 70 % clear, 28 % on hold for one reason, 2 % blocked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import orjson

EVENTS_PER_BATCH = 1000  # the contract's maximum for POST /v1/events
BEIJING = timezone(timedelta(hours=8))
STORES = tuple(f"store-{n:02d}" for n in range(1, 13))


@dataclass(frozen=True)
class Profile:
    """One kind of order: its final facts and the verdict they should get."""

    name: str
    share: float
    verdict: str
    facts: dict[str, str]


_CLEAR = {"payment": "paid", "risk": "none", "shipping_notice": "recorded", "freight": "not_applicable"}

PROFILES: tuple[Profile, ...] = (
    Profile("clear", 0.55, "clear", _CLEAR),
    Profile("clear after risk review", 0.10, "clear", {**_CLEAR, "risk": "cleared", "freight": "paid"}),
    Profile("clear, cancellation rejected", 0.05, "clear", {**_CLEAR, "cancellation": "rejected"}),
    Profile("payment processing", 0.08, "hold", {**_CLEAR, "payment": "processing"}),
    Profile("payment awaiting confirmation", 0.02, "hold", {**_CLEAR, "payment": "awaiting_confirmation"}),
    Profile("unpaid", 0.01, "hold", {**_CLEAR, "payment": "unpaid"}),
    Profile("tracking number pending", 0.06, "hold", {**_CLEAR, "shipping_notice": "awaiting_tracking"}),
    Profile("notice not recorded", 0.03, "hold", {**_CLEAR, "shipping_notice": "tracking_assigned"}),
    Profile("freight pending", 0.05, "hold", {**_CLEAR, "freight": "pending"}),
    Profile("risk review", 0.02, "hold", {**_CLEAR, "risk": "reviewing"}),
    Profile("cancellation requested", 0.01, "hold", {**_CLEAR, "cancellation": "requested"}),
    Profile("risk closed", 0.008, "block", {**_CLEAR, "risk": "closed"}),
    Profile("cancelled", 0.008, "block", {**_CLEAR, "cancellation": "accepted"}),
    Profile("refunded", 0.004, "block", {**_CLEAR, "payment": "refunded"}),
)

# Earlier states an ERP often reports before the final one (exercises the replacement rules).
_EARLIER = {("payment", "paid"): ("processing", 0.5), ("shipping_notice", "recorded"): ("awaiting_tracking", 0.4)}
_FACT_ORDER = ("payment", "risk", "cancellation", "shipping_notice", "freight")


@dataclass(frozen=True)
class Orders:
    """One set of orders and their events, ready to send."""

    order_ids: list[str]
    events: list[dict]
    expected: dict[str, int]  # verdict -> orders

    def batches(self, size: int = EVENTS_PER_BATCH) -> list[bytes]:
        """The events as request bodies, encoded up front so the client's JSON work is not timed."""
        return [orjson.dumps({"events": self.events[i : i + size]}) for i in range(0, len(self.events), size)]


def make_orders(count: int, prefix: str, seed: int, now: datetime) -> Orders:
    rng = random.Random(f"{seed}:{prefix}")
    weights = [profile.share for profile in PROFILES]
    order_ids: list[str] = []
    events: list[dict] = []
    expected = {"clear": 0, "hold": 0, "block": 0}
    for number in range(1, count + 1):
        order_id = f"{prefix}-{number:06d}"
        profile = rng.choices(PROFILES, weights)[0]
        order_ids.append(order_id)
        events.extend(_order_events(order_id, profile, rng, now))
        expected[profile.verdict] += 1
    return Orders(order_ids, events, expected)


def _order_events(order_id: str, profile: Profile, rng: random.Random, now: datetime) -> list[dict]:
    placed = now - timedelta(hours=rng.uniform(2, 20))
    store_id = rng.choice(STORES)
    tracking_number = f"LP{rng.randrange(10**11):011d}CN"
    steps: list[tuple[str, str]] = []
    for fact_type in _FACT_ORDER:
        status = profile.facts.get(fact_type)
        if status is None:
            continue
        earlier = _EARLIER.get((fact_type, status))
        if earlier and rng.random() < earlier[1]:
            steps.append((fact_type, earlier[0]))
        steps.append((fact_type, status))

    events = []
    moment = placed
    for number, (fact_type, status) in enumerate(steps, start=1):
        moment += timedelta(minutes=rng.uniform(1, 20))
        event = {
            "event_id": f"{order_id}.{number}",
            "order_id": order_id,
            "type": fact_type,
            "status": status,
            "occurred_at": moment.astimezone(BEIJING).isoformat(timespec="seconds"),
            "store_id": store_id,
        }
        if number == 1:
            event["ship_by"] = (placed + timedelta(days=3)).astimezone(BEIJING).isoformat(timespec="seconds")
        if fact_type == "shipping_notice" and status in ("tracking_assigned", "recorded"):
            event["tracking_number"] = tracking_number
            event["carrier"] = "Cainiao"
        events.append(event)
    return events


def wave(known: list[str], size: int, unknown_share: float, seed: int) -> list[str]:
    """A wave of order ids to pre-check: mostly known orders, some the guard never heard of."""
    rng = random.Random(f"{seed}:wave")
    unknown = round(size * unknown_share)
    wanted = size - unknown
    ids = rng.sample(known, wanted) if wanted <= len(known) else rng.choices(known, k=wanted)
    ids += [f"UNKNOWN-{number:06d}" for number in range(unknown)]
    rng.shuffle(ids)
    return ids
