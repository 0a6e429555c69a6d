"""The guard as a state machine: whatever the order of events, checks, labels, voids, releases and
hand-overs — for orders that share tracking numbers, have several parcels and ship as one box — no
parcel is labelled or handed over while its order (or a member of its shipment) is not clear, and no
label carries a number that is not its own parcel's recorded one.

Hypothesis drives the real app (HTTP, SQLite, a fresh database per run) with random steps on a small
pool of orders and numbers, while a MODEL written here from the contract (v1 and v1.1) — not from
guard.facts, guard.parcels or guard.rules — keeps each order's facts, each parcel's notice, label and
hand-over, the claims on numbers and the waivers, and says what every verdict must be. Checked:

- every check's verdict and reasons, for any parcel, equal the model's (shipment members included);
- a label is issued only when the model says the parcel is clear at that moment, and carries the
  parcel's own recorded number; each clearance token gets at most one 201;
- a hand-over answers 200 only when the model says every parcel it judged is clear, labelled with its
  own current number and not handed over before; a code the model finds ambiguous is refused;
- after every step, GET /v1/orders/{id} agrees with the model, parcel by parcel.

Runs and steps per run: GUARD_STATEFUL_EXAMPLES (25) and GUARD_STATEFUL_STEPS (30), small for CI.
A long run by hand:

    GUARD_STATEFUL_EXAMPLES=300 GUARD_STATEFUL_STEPS=60 \\
        .venv/bin/python -m pytest tests/integration/test_stateful.py -q -s
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from guard.api.app import create_app
from guard.config import Settings
from guard.db import make_engine, upgrade
from guard.services.parcels import run_followups
from guard.services.recheck import recheck_due

EXAMPLES = int(os.environ.get("GUARD_STATEFUL_EXAMPLES", "25"))
STEPS = int(os.environ.get("GUARD_STATEFUL_STEPS", "30"))
# A passing CI run takes well under a minute; shrinking a failure re-runs the app many times.
pytestmark = pytest.mark.timeout(max(900, EXAMPLES * STEPS))

ORDERS = ("s-1", "s-2", "s-3")
STATIONS = ("pack-01", "pack-02", None)
PARCELS = ("1", "2")
NUMBERS = ("T-A", "T-B", "T-C", "T-D")  # few, so that orders share them
SHIPMENTS = ("box-1",)
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)  # source times: all in the past

# --- the model: the contract's tables, written out again ------------------------------

STATUSES = {
    "payment": ("unpaid", "awaiting_confirmation", "processing", "paid", "failed", "refunded"),
    "risk": ("none", "reviewing", "cleared", "closed"),
    "cancellation": ("none", "requested", "rejected", "accepted"),
    "order": ("open", "closed"),
    "freight": ("not_applicable", "pending", "paid", "failed"),
}
NOTICE_ORDER = ("missing", "awaiting_tracking", "tracking_assigned", "recorded")
FINAL = {("order", "closed"), ("risk", "closed"), ("cancellation", "accepted"), ("payment", "refunded")}
BLOCKS = {"ORDER_CLOSED", "RISK_CLOSED", "ORDER_CANCELLED", "PAYMENT_REFUNDED"}
WAIVABLE = {
    "PAYMENT_UNKNOWN": "payment",
    "PAYMENT_UNPAID": "payment",
    "PAYMENT_AWAITING_CONFIRMATION": "payment",
    "PAYMENT_FAILED": "payment",
    "PAYMENT_PROCESSING": "payment",
    "CANCEL_REQUESTED": "cancellation",
    "FREIGHT_UNPAID": "freight",
}
PAYMENT_HOLDS = {
    "unpaid": "PAYMENT_UNPAID",
    "awaiting_confirmation": "PAYMENT_AWAITING_CONFIRMATION",
    "processing": "PAYMENT_PROCESSING",
    "failed": "PAYMENT_FAILED",
}


def normal(number: str) -> str:
    """The contract's normal form: NFKC, no whitespace at all, upper case."""
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


@dataclass(frozen=True)
class ModelFact:
    status: str
    occurred_at: datetime
    event_id: str
    tracking_number: str | None = None


def outcome(fact_type: str, stored: ModelFact | None, incoming: ModelFact) -> str:
    """The contract's rules 2-4 (rule 1, duplicates, is the caller's)."""
    if stored is None:
        return "applied"
    if (fact_type, stored.status) in FINAL:
        return "final"
    if (fact_type, incoming.status) in FINAL:
        return "applied"
    if fact_type == "shipping_notice" and stored.status != incoming.status:
        return "applied" if NOTICE_ORDER.index(incoming.status) > NOTICE_ORDER.index(stored.status) else "stale"
    return "applied" if incoming.occurred_at > stored.occurred_at else "stale"


@dataclass
class ModelParcel:
    notice: ModelFact | None = None
    shipment: str | None = None
    label: tuple[str, str] | None = None  # (label id, its number): the live label
    handed_over: bool = False


@dataclass
class ModelOrder:
    facts: dict[str, ModelFact] = field(default_factory=dict)
    parcels: dict[str, ModelParcel] = field(default_factory=lambda: {"1": ModelParcel()})
    waivers: dict[str, str | None] = field(default_factory=dict)  # code -> event id of the fact it saw

    @property
    def known(self) -> bool:
        return bool(self.facts) or any(p.notice is not None for p in self.parcels.values())

    def stamp(self, code: str) -> str | None:
        fact = self.facts.get(WAIVABLE[code])
        return fact.event_id if fact is not None else None

    def is_waived(self, code: str) -> bool:
        return code in WAIVABLE and code in self.waivers and self.waivers[code] == self.stamp(code)

    def own_reasons(self, parcel_id: str, conflict: bool) -> list[str]:
        """The codes that apply to one parcel from its order's facts and its own (waived ones too)."""
        if not self.known:
            return ["ORDER_UNKNOWN"]
        facts = {kind: fact.status for kind, fact in self.facts.items()}
        codes = []
        if facts.get("order") == "closed":
            codes.append("ORDER_CLOSED")
        if facts.get("risk") == "closed":
            codes.append("RISK_CLOSED")
        if facts.get("risk") == "reviewing":
            codes.append("RISK_REVIEW")
        if facts.get("cancellation") == "accepted":
            codes.append("ORDER_CANCELLED")
        if facts.get("cancellation") == "requested":
            codes.append("CANCEL_REQUESTED")
        payment = facts.get("payment")
        if payment is None:
            codes.append("PAYMENT_UNKNOWN")
        elif payment == "refunded":
            codes.append("PAYMENT_REFUNDED")
        elif payment in PAYMENT_HOLDS:
            codes.append(PAYMENT_HOLDS[payment])
        parcel = self.parcels.get(parcel_id)
        notice = parcel.notice.status if parcel is not None and parcel.notice is not None else "missing"
        if notice in ("missing", "tracking_assigned"):
            codes.append("SHIPPING_NOTICE_MISSING")
        elif notice == "awaiting_tracking":
            codes.append("TRACKING_NUMBER_PENDING")
        if conflict:
            codes.append("TRACKING_CONFLICT")
        if facts.get("freight") in ("pending", "failed"):
            codes.append("FREIGHT_UNPAID")
        return codes


@dataclass
class Clearance:
    order_id: str
    parcel_id: str
    state: str = "live"  # live | used | voided


class World:
    """Orders, and the claims on tracking numbers (contract v1.1, "Tracking numbers")."""

    def __init__(self) -> None:
        self.orders = {order_id: ModelOrder() for order_id in ORDERS}
        # (number, order, parcel) -> "live" | "released"
        self.claims: dict[tuple[str, str, str], str] = {}

    def numbers_of(self, order_id: str, parcel_id: str) -> set[str]:
        parcel = self.orders[order_id].parcels.get(parcel_id)
        if parcel is None:
            return set()
        found = set()
        if parcel.notice is not None and parcel.notice.tracking_number:
            found.add(parcel.notice.tracking_number)
        if parcel.label is not None:
            found.add(parcel.label[1])
        return found

    def sync(self, order_id: str, parcel_id: str, *, release: bool = False, revive: bool = False) -> None:
        """A parcel's claims follow the numbers it carries; new ones are live."""
        wanted = self.numbers_of(order_id, parcel_id)
        for key in [k for k in self.claims if k[1:] == (order_id, parcel_id) and k[0] not in wanted]:
            del self.claims[key]
        for number in wanted:
            key = (number, order_id, parcel_id)
            state = self.claims.get(key, "live")
            if release:
                state = "released"
            elif revive:
                state = "live"
            if self.orders[order_id].parcels[parcel_id].handed_over:
                state = "released"
            self.claims[key] = state

    def conflict(self, order_id: str, parcel_id: str) -> bool:
        shipment = self.orders[order_id].parcels.get(parcel_id, ModelParcel()).shipment
        for (number, other_order, other_parcel), state in self.claims.items():
            if (other_order, other_parcel) == (order_id, parcel_id) or state != "live":
                continue
            if (number, order_id, parcel_id) not in self.claims:
                continue
            other_shipment = self.orders[other_order].parcels[other_parcel].shipment
            if shipment is not None and shipment == other_shipment:
                continue
            return True
        return False

    def members(self, order_id: str, parcel_id: str) -> list[tuple[str, str]]:
        shipment = self.orders[order_id].parcels.get(parcel_id, ModelParcel()).shipment
        if shipment is None:
            return []
        return sorted(
            (o, p)
            for o, order in self.orders.items()
            for p, parcel in order.parcels.items()
            if parcel.shipment == shipment and (o, p) != (order_id, parcel_id)
        )

    def reasons(self, order_id: str, parcel_id: str) -> list[str]:
        """Every code holding this parcel (not waived), its shipment's members' included."""
        codes = set()
        for o, p in [(order_id, parcel_id), *self.members(order_id, parcel_id)]:
            order = self.orders[o]
            codes |= {c for c in order.own_reasons(p, self.conflict(o, p)) if not order.is_waived(c)}
        return sorted(codes)

    def waived(self, order_id: str, parcel_id: str) -> list[str]:
        order = self.orders[order_id]
        return sorted(c for c in order.own_reasons(parcel_id, self.conflict(order_id, parcel_id)) if order.is_waived(c))

    def verdict(self, order_id: str, parcel_id: str) -> str:
        reasons = self.reasons(order_id, parcel_id)
        return "block" if BLOCKS & set(reasons) else "hold" if reasons else "clear"

    def assign(self, order_id: str, parcel_id: str | None, number: str | None) -> str | None:
        """Which parcel a notice event speaks of (None: kept unassigned)."""
        if parcel_id is not None:
            return parcel_id
        if number is None:
            return "1"
        parcels = self.orders[order_id].parcels
        for pid in sorted(parcels):
            notice = parcels[pid].notice
            if notice is not None and notice.tracking_number == number:
                return pid
        if len(parcels) == 1:
            (only,) = parcels.values()
            if only.notice is None or only.notice.tracking_number is None:
                return next(iter(parcels))
        return None

    def dock(self, code: str) -> tuple[str, list[tuple[str, str]]]:
        """What a hand-over scan means: ("ambiguous" | "parcels" | "unknown", parcels)."""
        live = sorted({(o, p) for (n, o, p), s in self.claims.items() if n == code and s == "live"})
        by_order = []
        if code in self.orders and self.orders[code].known:
            order = self.orders[code]
            numbered = sorted(p for p, parcel in order.parcels.items() if self.numbers_of(code, p) or parcel.label)
            by_order = [(code, p) for p in numbered] or [(code, "1")]
        if by_order:
            candidates = sorted(set(by_order) | set(live))
            return ("ambiguous", candidates) if len(candidates) > 1 else ("parcels", candidates)
        rows = live or sorted({(o, p) for (n, o, p) in self.claims if n == code})
        if not rows:
            return "unknown", []
        shipments = {self.orders[o].parcels[p].shipment for o, p in rows}
        if len(rows) > 1 and (len(shipments) != 1 or None in shipments):
            return "ambiguous", rows
        return "parcels", rows


# --- strategies --------------------------------------------------------------------

minutes = st.integers(min_value=0, max_value=12)  # few distinct times: equal ones must be stale
GOOD = {"payment": "paid", "risk": "cleared", "cancellation": "rejected", "order": "open", "freight": "paid"}


def statuses(fact_type: str) -> st.SearchStrategy[str]:
    everyday = [status for status in STATUSES[fact_type] if (fact_type, status) not in FINAL]
    return st.one_of(
        st.just(GOOD[fact_type]),
        st.just(GOOD[fact_type]),
        st.sampled_from(everyday),
        st.sampled_from(STATUSES[fact_type]),
    )


@st.composite
def fact_events(draw) -> dict:
    fact_type = draw(st.sampled_from(sorted(STATUSES)))
    return {
        "order_id": draw(st.sampled_from(ORDERS)),
        "type": fact_type,
        "status": draw(statuses(fact_type)),
        "occurred_at": (BASE + timedelta(minutes=draw(minutes))).isoformat(),
    }


@st.composite
def notice_events(draw) -> dict:
    status = draw(st.sampled_from(["recorded", "recorded", "tracking_assigned", "awaiting_tracking"]))
    event = {
        "order_id": draw(st.sampled_from(ORDERS)),
        "type": "shipping_notice",
        "status": status,
        "occurred_at": (BASE + timedelta(minutes=draw(minutes))).isoformat(),
    }
    if status != "awaiting_tracking":
        event["tracking_number"] = draw(st.sampled_from(NUMBERS))
    parcel = draw(st.sampled_from([None, None, "1", "2"]))
    if parcel is not None:
        event["parcel_id"] = parcel
    if draw(st.integers(min_value=0, max_value=5)) == 0:
        event["shipment_id"] = draw(st.sampled_from(SHIPMENTS))
    return event


events = st.one_of(fact_events(), fact_events(), notice_events())

# --- the machine -------------------------------------------------------------------

_TEMPLATE: dict[str, Path] = {}
STEP_COUNTS: Counter[str] = Counter()  # what the runs did, shown with -s


def migrated_template() -> Path:
    """One migrated database per session; each run starts from a copy of it."""
    if "path" not in _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="guard-stateful-")) / "template.db"
        upgrade(Settings(database_url=f"sqlite:///{path}"))
        _TEMPLATE["path"] = path
    return _TEMPLATE["path"]


class GuardMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="guard-run-"))
        shutil.copy(migrated_template(), self.dir / "guard.db")
        self.settings = Settings(
            database_url=f"sqlite:///{self.dir / 'guard.db'}",
            key_cache_s=0,
            redis_url=None,
            webhook_url=None,
            rules_file=None,
            rate_limit_per_s=0,
            request_timeout_s=30,
            embedded_jobs=False,
        )
        engine = make_engine(self.settings)
        from guard.services.apikeys import create_key

        secret = create_key(engine, "machine", ["events", "check", "labels", "holds", "supervise"], None)
        self.auth = {"Authorization": f"Bearer {secret}"}
        engine.dispose()
        self.client = TestClient(create_app(self.settings), raise_server_exceptions=False)
        self.client.__enter__()
        self.world = World()
        self.seen_ids: list[str] = []
        self.ids = itertools.count()
        self.clearances: dict[str, Clearance] = {}  # by token, in issue order
        self.issued: Counter[str] = Counter()  # token -> 201s
        self.sweep_now = datetime.now(UTC)

    def teardown(self) -> None:
        try:
            for item in self.holds():
                assert item["state"] in ("held", "blocked", "released"), item
                if item["state"] != "released":
                    assert item["reasons"], item
        finally:
            self.client.__exit__(None, None, None)
            shutil.rmtree(self.dir, ignore_errors=True)

    # helpers

    def post(self, path: str, body: object):
        return self.client.post(path, json=body, headers=self.auth)

    def holds(self) -> list[dict]:
        response = self.client.get("/v1/holds?limit=1000", headers=self.auth)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    def codes(self, reasons: list) -> list[str]:
        return sorted({reason["code"] if isinstance(reason, dict) else reason for reason in reasons})

    def order(self, order_id: str) -> ModelOrder:
        return self.world.orders[order_id]

    # rules

    @rule(batch=st.lists(st.tuples(events, st.sampled_from(["new", "new", "new", "again"])), min_size=1, max_size=6))
    def push_events(self, batch):
        STEP_COUNTS["events"] += 1
        body, in_batch = [], []
        for event, identity in batch:
            pool = self.seen_ids + in_batch
            if identity == "again" and pool:
                event_id = pool[next(self.ids) % len(pool)]  # a duplicate, of this batch or an earlier one
            else:
                event_id = f"e-{next(self.ids)}"
            in_batch.append(event_id)
            body.append({"event_id": event_id, **event})
        response = self.post("/v1/events", {"events": body})
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        seen = set(self.seen_ids)
        for event, result in zip(body, results):
            if event["event_id"] in seen:
                assert result["outcome"] == "duplicate", (event, result)
                continue
            seen.add(event["event_id"])
            self.seen_ids.append(event["event_id"])
            expected = self.apply(event)
            assert result["facts"] == {event["type"]: expected}, (event, result)
            STEP_COUNTS[f"event {expected}"] += 1

    def apply(self, event: dict) -> str:
        order = self.order(event["order_id"])
        when = datetime.fromisoformat(event["occurred_at"])
        if event["type"] != "shipping_notice":
            incoming = ModelFact(event["status"], when, event["event_id"])
            result = outcome(event["type"], order.facts.get(event["type"]), incoming)
            if result == "applied":
                order.facts[event["type"]] = incoming
            return result
        number = normal(event["tracking_number"]) if event.get("tracking_number") else None
        target = self.world.assign(event["order_id"], event.get("parcel_id"), number)
        if target is None:
            return "unassigned"
        parcel = order.parcels.setdefault(target, ModelParcel())
        incoming = ModelFact(event["status"], when, event["event_id"], number)
        result = outcome("shipping_notice", parcel.notice, incoming)
        if result == "applied":
            parcel.notice = incoming
            if event.get("shipment_id"):
                parcel.shipment = event["shipment_id"]
        elif (
            event.get("shipment_id")
            and parcel.notice is not None
            and parcel.notice.tracking_number == number
            and parcel.shipment != event["shipment_id"]
        ):
            parcel.shipment = event["shipment_id"]
        self.world.sync(event["order_id"], target)
        return result

    @initialize(shipment=st.sampled_from([None, *SHIPMENTS]))
    def a_day_that_starts_ready(self, shipment):
        """Start where a warehouse's day does: orders synced paid and declared, so that labels and
        hand-overs happen and random steps can then go wrong under them."""
        for order_id in ORDERS:
            self.ship_ready(order_id, "1", "own", shipment if order_id != ORDERS[0] else None, 1)

    @rule(
        order_id=st.sampled_from(ORDERS),
        parcel=st.sampled_from(PARCELS),
        number=st.sampled_from(["own", "own", *NUMBERS]),
        shipment=st.sampled_from([None, None, None, *SHIPMENTS]),
        minute=st.integers(min_value=0, max_value=20),
    )
    def ship_ready(self, order_id, parcel, number, shipment, minute):
        """The ERP syncs a paid, cleared order with a parcel's notice recorded — with a number of its
        own, or one another parcel may hold too (stale parts stay stale)."""
        when = (BASE + timedelta(minutes=minute)).isoformat()
        batch = [
            {"order_id": order_id, "type": kind, "status": status, "occurred_at": when}
            for kind, status in (("payment", "paid"), ("risk", "cleared"), ("freight", "paid"))
        ]
        notice = {
            "order_id": order_id,
            "type": "shipping_notice",
            "status": "recorded",
            "occurred_at": when,
            "parcel_id": parcel,
            "tracking_number": f"N-{order_id}-{parcel}" if number == "own" else number,
        }
        if shipment is not None:
            notice["shipment_id"] = shipment
        self.push_events([(event, "new") for event in [*batch, notice]])

    @rule(data=st.data(), station=st.sampled_from(STATIONS))
    def check_and_label(self, data, station):
        """What a packing station does: check, and print at once with the clearance if clear
        (mostly a parcel the model says is clear: that is what gets packed)."""
        ready = sorted(
            (o, p)
            for o, order in self.world.orders.items()
            for p, parcel in order.parcels.items()
            if self.world.verdict(o, p) == "clear" and parcel.label is None and not parcel.handed_over
        )
        anything = [(o, p) for o in ORDERS for p in PARCELS]
        order_id, parcel = data.draw(
            st.sampled_from(ready) if ready and data.draw(st.integers(0, 3)) else st.sampled_from(anything)
        )
        self.check(order_id, station, parcel)
        if self.clearances:
            token, clearance = list(self.clearances.items())[-1]
            if (clearance.order_id, clearance.parcel_id, clearance.state) == (order_id, parcel, "live"):
                self.redeem(token, station)

    @rule(order_id=st.sampled_from(ORDERS), station=st.sampled_from(STATIONS), parcel=st.sampled_from(PARCELS))
    def check(self, order_id, station, parcel):
        STEP_COUNTS["checks"] += 1
        body = {"parcel_id": parcel, **({"station_id": station} if station else {})}
        response = self.post(f"/v1/orders/{order_id}/check", body)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["verdict"] == self.world.verdict(order_id, parcel), (answer, self.world.orders[order_id])
        assert self.codes(answer["reasons"]) == self.world.reasons(order_id, parcel)
        assert self.codes(answer["waived"]) == self.world.waived(order_id, parcel)
        STEP_COUNTS[f"check {answer['verdict']}"] += 1
        model = self.order(order_id).parcels.get(parcel)
        if answer["verdict"] != "clear" or (model is not None and model.handed_over):
            assert answer["clearance"] is None
        elif model is not None and model.label is not None:
            assert answer["clearance"] is None and answer["label"]["label_id"] == model.label[0]
        else:
            token = answer["clearance"]["token"]
            for clearance in self.clearances.values():  # the new one voids any earlier unredeemed one
                if (clearance.order_id, clearance.parcel_id, clearance.state) == (order_id, parcel, "live"):
                    clearance.state = "voided"
            self.clearances[token] = Clearance(order_id, parcel)

    @rule(data=st.data(), station=st.sampled_from(STATIONS))
    def issue_label(self, data, station):
        tokens = list(self.clearances)  # in issue order: the tokens themselves are random
        token = data.draw(st.sampled_from(tokens + ["clr_unknown"]) if tokens else st.just("clr_unknown"))
        self.redeem(token, station)

    def redeem(self, token, station):
        STEP_COUNTS["label attempts"] += 1
        response = self.post("/v1/labels", {"clearance": token, **({"station_id": station} if station else {})})
        clearance = self.clearances.get(token)
        if clearance is None:
            assert (response.status_code, response.json()["error"]["code"]) == (404, "CLEARANCE_NOT_FOUND")
            return
        if clearance.state != "live":
            assert (response.status_code, response.json()["error"]["code"]) == (409, "CLEARANCE_USED"), response.text
            return
        clearance.state = "used"  # spent, whatever follows
        order_id, parcel_id = clearance.order_id, clearance.parcel_id
        if self.world.verdict(order_id, parcel_id) != "clear":
            # No label unless the parcel (and every member of its shipment) is clear at that very moment.
            assert (response.status_code, response.json()["error"]["code"]) == (409, "ORDER_NOT_CLEAR"), response.text
            assert self.codes(response.json()["error"]["details"]) == self.world.reasons(order_id, parcel_id)
            STEP_COUNTS["labels refused"] += 1
            return
        assert response.status_code == 201, response.text
        self.issued[token] += 1
        assert self.issued[token] == 1, "a clearance was redeemed twice"
        label = response.json()
        parcel = self.order(order_id).parcels[parcel_id]
        # The label carries the parcel's own recorded number, never another parcel's.
        assert label["tracking_number"] == parcel.notice.tracking_number
        parcel.label = (label["label_id"], label["tracking_number"])
        self.world.sync(order_id, parcel_id, revive=True)
        STEP_COUNTS["labels issued"] += 1

    def labels(self) -> list[tuple[str, str, str]]:
        return sorted(
            (o, p, parcel.label[0])
            for o, order in self.world.orders.items()
            for p, parcel in order.parcels.items()
            if parcel.label is not None
        )

    @precondition(lambda self: self.labels())
    @rule(data=st.data())
    def void(self, data):
        STEP_COUNTS["voids"] += 1
        order_id, parcel_id, label_id = data.draw(st.sampled_from(self.labels()))
        response = self.post(f"/v1/labels/{label_id}/void", {"reason": "back to stock"})
        parcel = self.order(order_id).parcels[parcel_id]
        if parcel.handed_over:
            assert (response.status_code, response.json()["error"]["code"]) == (409, "ALREADY_HANDED_OVER")
            return
        assert response.status_code == 200, response.text
        parcel.label = None
        self.world.sync(order_id, parcel_id, release=True)

    @rule(data=st.data(), station=st.sampled_from(STATIONS))
    def hand_over(self, data, station):
        # Mostly what a dock really scans: a labelled parcel's number or its order id.
        worn = [
            choice
            for o, order in self.world.orders.items()
            for parcel in order.parcels.values()
            if parcel.label is not None
            for choice in (parcel.label[1], o, parcel.label[1].lower())
        ]
        anything = [*ORDERS, *NUMBERS, *(f"N-{o}-{p}" for o in ORDERS for p in PARCELS)]
        code = data.draw(st.sampled_from(worn) if worn and data.draw(st.integers(0, 3)) else st.sampled_from(anything))
        STEP_COUNTS["hand-overs"] += 1
        response = self.post("/v1/handovers", {"code": code, **({"station_id": station} if station else {})})
        kind, parcels = self.world.dock(code if code in self.world.orders else normal(code))
        error = response.json().get("error", {}).get("code")
        STEP_COUNTS[f"dock {kind}"] += 1
        if kind == "unknown":
            assert (response.status_code, error) == (404, "CODE_NOT_FOUND"), response.text
            return
        if kind == "ambiguous":
            assert (response.status_code, error) == (409, "CODE_AMBIGUOUS"), response.text
            return
        passes = all(
            not self.order(o).parcels.get(p, ModelParcel()).handed_over and self.world.verdict(o, p) == "clear"
            for o, p in parcels
        )
        labelled = [(o, p) for o, p in parcels if self.order(o).parcels.get(p, ModelParcel()).label is not None]
        own_numbers = all(
            self.order(o).parcels[p].label[1] == self.order(o).parcels[p].notice.tracking_number for o, p in labelled
        )
        if response.status_code == 200:
            # The guarantee: nothing leaves that is not clear, labelled, wearing its own number, once.
            assert passes and labelled and own_numbers, (code, parcels, self.world.orders)
            for o, p in parcels:
                self.order(o).parcels[p].handed_over = True
                self.world.sync(o, p, release=True)
            STEP_COUNTS["handed over"] += 1
        else:
            assert response.status_code == 409, response.text
            assert not (passes and labelled and own_numbers), (code, response.text)
            STEP_COUNTS[f"dock {error}"] += 1

    @rule(order_id=st.sampled_from(ORDERS))
    def release(self, order_id):
        STEP_COUNTS["releases"] += 1
        response = self.post(f"/v1/holds/{order_id}/release", {"reason": "confirmed by phone"})
        if response.status_code != 200:
            assert response.status_code in (404, 409), response.text
            return
        order = self.order(order_id)
        waived = self.codes(response.json()["waived"])
        assert all(code in WAIVABLE for code in waived), waived  # nothing else may ever be waived
        for code in waived:
            order.waivers[code] = order.stamp(code)
        STEP_COUNTS["releases granted"] += 1

    @rule(hours=st.integers(min_value=0, max_value=8))
    def recheck_sweep(self, hours):
        STEP_COUNTS["sweeps"] += 1
        self.sweep_now += timedelta(hours=hours, minutes=1)
        engine = self.client.app.state.runtime.engine
        while recheck_due(engine, self.settings, self.sweep_now, limit=2).checked == 2:
            pass
        run_followups(engine, self.settings, lambda: self.sweep_now)

    @invariant()
    def every_parcel_reads_as_the_model_says(self):
        for order_id, order in self.world.orders.items():
            response = self.client.get(f"/v1/orders/{order_id}", headers=self.auth)
            if not order.known:
                assert response.status_code == 404, response.text
                continue
            body = response.json()
            parcels = {p["parcel_id"]: p for p in body["parcels"]}
            assert set(parcels) == set(order.parcels), (body["parcels"], order.parcels)
            for parcel_id, parcel in parcels.items():
                assert parcel["verdict"] == self.world.verdict(order_id, parcel_id), (order_id, parcel_id, body)
                assert sorted(parcel["reasons"]) == self.world.reasons(order_id, parcel_id)
                assert bool(parcel["handed_over_at"]) == order.parcels[parcel_id].handed_over


GuardMachine.TestCase.settings = hypothesis_settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestGuardMachine = GuardMachine.TestCase


def teardown_module() -> None:
    if STEP_COUNTS:
        print("\nstate machine steps:", dict(sorted(STEP_COUNTS.items())))
