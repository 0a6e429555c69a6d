"""The guard as a state machine: whatever the order of events, checks, labels, releases and re-checks,
no parcel is cleared or labelled while a block or hold condition holds.

Hypothesis drives the real app (HTTP, SQLite, a fresh database per run) with
random steps on a small pool of orders, while a MODEL written here from the
contract — not from guard.facts or guard.rules — keeps each order's facts and
waivers and says what the verdict must be. After every step:

- GET /v1/orders/{id} agrees with the model (verdict, reasons, waivers, hold);
- a hold in state `held` has reasons (the model's), a `blocked` one a block reason;
and within the steps: a check says `clear` (and gives a clearance) only when the
model says clear; a label is issued only when the model says clear at that
moment; each clearance token gets at most one 201.

Runs (machines) and steps per run: GUARD_STATEFUL_EXAMPLES (25) and
GUARD_STATEFUL_STEPS (30), small for CI. A long run by hand:

    GUARD_STATEFUL_EXAMPLES=300 GUARD_STATEFUL_STEPS=60 \\
        .venv/bin/python -m pytest tests/integration/test_stateful.py -q -s
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from guard.api.app import create_app
from guard.config import Settings
from guard.db import make_engine, upgrade
from guard.services.apikeys import create_key
from guard.services.recheck import recheck_due

EXAMPLES = int(os.environ.get("GUARD_STATEFUL_EXAMPLES", "25"))
STEPS = int(os.environ.get("GUARD_STATEFUL_STEPS", "30"))
# A passing CI run takes well under a minute; shrinking a failure re-runs the app many times.
pytestmark = pytest.mark.timeout(max(900, EXAMPLES * STEPS))

ORDERS = ("s-1", "s-2", "s-3")
STATIONS = ("pack-01", "pack-02", None)
PARCELS = ("1", "2")
BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)  # source times: all in the past

# --- the model: the contract's tables, written out again ------------------------------

STATUSES = {
    "payment": ("unpaid", "awaiting_confirmation", "processing", "paid", "failed", "refunded"),
    "risk": ("none", "reviewing", "cleared", "closed"),
    "cancellation": ("none", "requested", "rejected", "accepted"),
    "order": ("open", "closed"),
    "shipping_notice": ("missing", "awaiting_tracking", "tracking_assigned", "recorded"),
    "freight": ("not_applicable", "pending", "paid", "failed"),
}
FINAL = {("order", "closed"), ("risk", "closed"), ("cancellation", "accepted"), ("payment", "refunded")}
NOTICE_ORDER = STATUSES["shipping_notice"]
BLOCKS = {"ORDER_CLOSED", "RISK_CLOSED", "ORDER_CANCELLED", "PAYMENT_REFUNDED"}
# Waivable codes and the fact each rests on (a waiver holds while that same fact stands).
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

# AliExpress words (docs/integration.md), the few this machine sends. Every main status
# but FUND_PROCESSING also ends a settlement.
PLATFORM = {
    "PLACE_ORDER_SUCCESS": [("payment", "unpaid")],
    "RISK_CONTROL": [("payment", "paid"), ("risk", "reviewing")],
    "FUND_PROCESSING": [("settlement", "processing")],
    "WAIT_SELLER_SEND_GOODS": [("payment", "paid"), ("risk", "cleared"), ("cancellation", "none")],
    "IN_CANCEL": [("payment", "paid"), ("cancellation", "requested")],
    "WAIT_BUYER_ACCEPT_GOODS": [("payment", "paid"), ("risk", "cleared")],
    "FINISH": [("order", "closed")],
}
END_REASONS = {
    "risk_reject_closed": [("risk", "closed"), ("order", "closed")],
    "cancel_order_close_trade": [("cancellation", "accepted"), ("order", "closed")],
}


def platform_facts(event: dict) -> list[tuple[str, str]]:
    facts = list(PLATFORM[event["status"]])
    if event["status"] == "FINISH" and event.get("end_reason") in END_REASONS:
        facts = list(END_REASONS[event["end_reason"]])
    if event["status"] != "FUND_PROCESSING":
        facts.append(("settlement", "none"))
    tracking = event.get("tracking_number")
    if event["status"] == "WAIT_BUYER_ACCEPT_GOODS" and tracking:
        facts.append(("shipping_notice", "recorded"))
    elif event.get("logistics_status") == "init":
        facts.append(("shipping_notice", "awaiting_tracking"))
    elif tracking:
        facts.append(("shipping_notice", "tracking_assigned"))
    return facts


@dataclass(frozen=True)
class ModelFact:
    status: str
    occurred_at: datetime
    event_id: str
    tracking_number: str | None
    platform: bool = False  # set by a platform word: PAYMENT_UNPAID from it is not waivable


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
class ModelOrder:
    facts: dict[str, ModelFact] = field(default_factory=dict)
    waivers: dict[str, str | None] = field(default_factory=dict)  # code -> event id of the fact it saw
    hold: str | None = None  # held | blocked | released

    def all_reasons(self) -> list[str]:
        facts = {kind: fact.status for kind, fact in self.facts.items()}
        if not facts:
            return ["ORDER_UNKNOWN"]
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
        notice = facts.get("shipping_notice", "missing")
        if notice in ("missing", "tracking_assigned"):
            codes.append("SHIPPING_NOTICE_MISSING")
        elif notice == "awaiting_tracking":
            codes.append("TRACKING_NUMBER_PENDING")
        if facts.get("freight") in ("pending", "failed"):
            codes.append("FREIGHT_UNPAID")
        if facts.get("settlement") == "processing":
            codes.append("FUNDS_IN_SETTLEMENT")
        return codes

    def waivable(self, code: str) -> bool:
        if code == "PAYMENT_UNPAID" and self.facts["payment"].platform:
            return False
        return code in WAIVABLE

    def stamp(self, code: str) -> str | None:
        fact = self.facts.get(WAIVABLE[code])
        return fact.event_id if fact is not None else None

    def is_waived(self, code: str) -> bool:
        return self.waivable(code) and code in self.waivers and self.waivers[code] == self.stamp(code)

    def reasons(self) -> list[str]:
        return sorted(code for code in self.all_reasons() if not self.is_waived(code))

    def waived(self) -> list[str]:
        return sorted(code for code in self.all_reasons() if self.is_waived(code))

    def verdict(self) -> str:
        reasons = self.reasons()
        if BLOCKS & set(reasons):
            return "block"
        return "hold" if reasons else "clear"

    def settle(self) -> None:
        """What a check, a label attempt or a hand-over does to the hold (contract, Holds)."""
        verdict = self.verdict()
        if verdict == "clear":
            if self.hold == "held":
                self.hold = "released"
        else:
            self.hold = "blocked" if verdict == "block" else "held"


@dataclass
class Clearance:
    order_id: str
    parcel_id: str
    state: str = "live"  # live | used | voided


# --- strategies --------------------------------------------------------------------

minutes = st.integers(min_value=0, max_value=12)  # few distinct times: equal ones must be stale
# What a shippable order says. Drawn often, so that orders do reach `clear`; final
# statuses (which never go away) only now and then, or every order would soon be blocked.
GOOD = {
    "payment": "paid",
    "risk": "cleared",
    "cancellation": "rejected",
    "order": "open",
    "shipping_notice": "recorded",
    "freight": "paid",
}


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
    status = draw(statuses(fact_type))
    event = {
        "order_id": draw(st.sampled_from(ORDERS)),
        "type": fact_type,
        "status": status,
        "occurred_at": (BASE + timedelta(minutes=draw(minutes))).isoformat(),
    }
    if fact_type == "shipping_notice" and status in ("tracking_assigned", "recorded"):
        event["tracking_number"] = "LP-" + draw(st.sampled_from("ABC"))
    return event


@st.composite
def platform_events(draw) -> dict:
    status = draw(st.one_of(st.just("WAIT_BUYER_ACCEPT_GOODS"), st.sampled_from(sorted(PLATFORM))))
    event = {
        "order_id": draw(st.sampled_from(ORDERS)),
        "type": "platform_status",
        "platform": "aliexpress",
        "status": status,
        "occurred_at": (BASE + timedelta(minutes=draw(minutes))).isoformat(),
    }
    if status == "FINISH":
        end_reason = draw(st.sampled_from([None, *sorted(END_REASONS)]))
        if end_reason:
            event["end_reason"] = end_reason
    extra = draw(st.sampled_from(["none", "tracking", "tracking", "init"]))
    if extra == "tracking":
        event["tracking_number"] = "LP-" + draw(st.sampled_from("ABC"))
    elif extra == "init":
        event["logistics_status"] = "init"
    return event


events = st.one_of(fact_events(), fact_events(), platform_events())

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
        self.auth = {
            "Authorization": f"Bearer {create_key(engine, 'machine', ['events', 'check', 'labels', 'holds', 'supervise'], None)}"
        }
        engine.dispose()
        self.client = TestClient(create_app(self.settings), raise_server_exceptions=False)
        self.client.__enter__()
        self.model = {order_id: ModelOrder() for order_id in ORDERS}
        self.seen_ids: list[str] = []
        self.ids = itertools.count()
        self.clearances: dict[str, Clearance] = {}  # by token, in issue order
        self.issued: Counter[str] = Counter()  # token -> 201s
        self.labelled: dict[tuple[str, str], str] = {}  # (order, parcel) -> label id
        self.label_tracking: dict[str, str] = {}  # tracking number on a label -> order
        self.sweep_now = datetime.now(UTC)

    def teardown(self) -> None:
        try:
            # Every held order ends released, blocked, or still held with a reason.
            for item in self.holds():
                assert item["state"] in ("held", "blocked", "released"), item
                if item["state"] == "held":
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
        return sorted(reason["code"] if isinstance(reason, dict) else reason for reason in reasons)

    # rules

    @rule(
        batch=st.lists(st.tuples(events, st.sampled_from(["new", "new", "new", "again"])), min_size=1, max_size=6),
        broken=st.integers(min_value=0, max_value=9),
    )
    def push_events(self, batch, broken):
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
        if broken == 0:
            body.append(
                {
                    "event_id": f"e-{next(self.ids)}",
                    "order_id": ORDERS[0],
                    "type": "payment",
                    "status": "settled",
                    "occurred_at": BASE.isoformat(),
                }
            )
        response = self.post("/v1/events", {"events": body})
        if broken == 0:
            # All or nothing: one bad event refuses the batch, and nothing of it is stored.
            assert response.status_code == 422, response.text
            assert [d["index"] for d in response.json()["error"]["details"]] == [len(body) - 1]
            STEP_COUNTS["events refused"] += 1
            return
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["event_id"] for r in results] == [e["event_id"] for e in body]
        changed: set[str] = set()
        seen = set(self.seen_ids)
        for event, result in zip(body, results):
            kinds = platform_facts(event) if event["type"] == "platform_status" else [(event["type"], event["status"])]
            if event["event_id"] in seen:
                assert result["outcome"] == "duplicate", (event, result)
                continue
            seen.add(event["event_id"])
            self.seen_ids.append(event["event_id"])
            order = self.model[event["order_id"]]
            expected = {}
            for kind, status in kinds:
                incoming = ModelFact(
                    status,
                    datetime.fromisoformat(event["occurred_at"]),
                    event["event_id"],
                    event.get("tracking_number") if kind == "shipping_notice" else None,
                    platform=event["type"] == "platform_status",
                )
                expected[kind] = outcome(kind, order.facts.get(kind), incoming)
                if expected[kind] == "applied":
                    order.facts[kind] = incoming
                    changed.add(event["order_id"])
            overall = next((o for o in ("applied", "final") if o in expected.values()), "stale")
            assert (result["outcome"], result["facts"]) == (overall, expected), (event, result)
            STEP_COUNTS[f"event {overall}"] += 1
        for order_id in changed:  # applying events re-evaluates held orders at once
            if self.model[order_id].hold == "held":
                self.model[order_id].settle()

    @rule(
        order_id=st.sampled_from(ORDERS),
        minute=st.integers(min_value=0, max_value=20),
        payment=st.sampled_from(["paid", "paid", "processing", "unpaid"]),
        freight=st.sampled_from(["paid", "pending"]),
    )
    def ship_ready(self, order_id, minute, payment, freight):
        """The ERP syncs a cleared order with its notice recorded: clear, or held only for what a
        supervisor may waive (stale parts stay stale)."""
        when = (BASE + timedelta(minutes=minute)).isoformat()
        status = {**GOOD, "payment": payment, "freight": freight}
        batch = [
            {"order_id": order_id, "type": kind, "status": status[kind], "occurred_at": when}
            for kind in ("payment", "risk", "shipping_notice", "freight")
        ]
        batch[2]["tracking_number"] = f"LP-{order_id}"
        self.push_events([(event, "new") for event in batch], broken=1)

    @rule(order_id=st.sampled_from(ORDERS), station=st.sampled_from(STATIONS), parcel=st.sampled_from(PARCELS))
    def check(self, order_id, station, parcel):
        STEP_COUNTS["checks"] += 1
        body = {"parcel_id": parcel, **({"station_id": station} if station else {})}
        response = self.post(f"/v1/orders/{order_id}/check", body)
        assert response.status_code == 200, response.text
        answer = response.json()
        order = self.model[order_id]
        assert answer["verdict"] == order.verdict(), (answer, order)
        assert self.codes(answer["reasons"]) == order.reasons()
        assert self.codes(answer["waived"]) == order.waived()
        order.settle()
        assert (answer["hold"] or {}).get("state") == order.hold
        STEP_COUNTS[f"check {answer['verdict']}"] += 1
        label_id = self.labelled.get((order_id, parcel))
        if answer["verdict"] != "clear":
            assert answer["clearance"] is None
        elif label_id is not None:
            assert answer["clearance"] is None and answer["label"]["label_id"] == label_id
        else:
            token = answer["clearance"]["token"]
            for clearance in self.clearances.values():  # the new one voids any earlier unredeemed one
                if (clearance.order_id, clearance.parcel_id, clearance.state) == (order_id, parcel, "live"):
                    clearance.state = "voided"
            self.clearances[token] = Clearance(order_id, parcel)

    @rule(data=st.data(), station=st.sampled_from(STATIONS))
    def issue_label(self, data, station):
        STEP_COUNTS["label attempts"] += 1
        tokens = list(self.clearances)  # in issue order: the tokens themselves are random
        token = data.draw(st.sampled_from(tokens + ["clr_unknown"]) if tokens else st.just("clr_unknown"))
        response = self.post("/v1/labels", {"clearance": token, **({"station_id": station} if station else {})})
        clearance = self.clearances.get(token)
        if clearance is None:
            assert (response.status_code, response.json()["error"]["code"]) == (404, "CLEARANCE_NOT_FOUND")
            return
        if clearance.state != "live":
            assert (response.status_code, response.json()["error"]["code"]) == (409, "CLEARANCE_USED"), response.text
            return
        clearance.state = "used"  # spent, whatever follows
        order = self.model[clearance.order_id]
        verdict = order.verdict()
        order.settle()
        if verdict != "clear":
            # No label unless the order is clear at that very moment.
            assert (response.status_code, response.json()["error"]["code"]) == (409, "ORDER_NOT_CLEAR"), response.text
            assert self.codes(response.json()["error"]["details"]) == order.reasons()
            STEP_COUNTS["labels refused"] += 1
            return
        assert response.status_code == 201, response.text
        self.issued[token] += 1
        assert self.issued[token] == 1, "a clearance was redeemed twice"
        label = response.json()
        self.labelled[(clearance.order_id, clearance.parcel_id)] = label["label_id"]
        self.label_tracking[label["tracking_number"]] = clearance.order_id
        assert label["tracking_number"] == order.facts["shipping_notice"].tracking_number
        STEP_COUNTS["labels issued"] += 1

    @precondition(lambda self: self.labelled)
    @rule(data=st.data())
    def reprint(self, data):
        STEP_COUNTS["reprints"] += 1
        (order_id, _), label_id = data.draw(st.sampled_from(sorted(self.labelled.items())))
        response = self.post(f"/v1/labels/{label_id}/reprint", {"reason": "printer jammed"})
        if self.model[order_id].verdict() == "clear":
            assert response.status_code == 201, response.text
            assert response.json()["label_id"] == label_id
        else:
            assert (response.status_code, response.json()["error"]["code"]) == (409, "ORDER_NOT_CLEAR"), response.text

    @rule(order_id=st.sampled_from(ORDERS))
    def release(self, order_id):
        STEP_COUNTS["releases"] += 1
        response = self.post(f"/v1/holds/{order_id}/release", {"reason": "confirmed by phone"})
        order = self.model[order_id]
        error = response.json().get("error", {}).get("code")
        if order.hold in (None, "released"):
            assert (response.status_code, error) == (404, "HOLD_NOT_FOUND"), response.text
            return
        if order.hold == "blocked" or order.verdict() == "block":
            assert (response.status_code, error) == (409, "ORDER_BLOCKED"), response.text
            return
        reasons = order.reasons()
        if not all(order.waivable(code) for code in reasons):
            assert (response.status_code, error) == (409, "NOT_WAIVABLE"), response.text
            refused = {c for c in reasons if not order.waivable(c)}
            assert {d["code"] for d in response.json()["error"]["details"]} == refused
            return
        assert response.status_code == 200, response.text
        assert self.codes(response.json()["waived"]) == reasons
        for code in reasons:
            order.waivers[code] = order.stamp(code)
        assert order.verdict() == "clear"
        order.hold = "released"
        assert response.json()["hold"]["state"] == "released"
        STEP_COUNTS["releases granted"] += 1

    @rule(hours=st.integers(min_value=0, max_value=8))
    def recheck_sweep(self, hours):
        STEP_COUNTS["sweeps"] += 1
        # A held hold already agrees with its facts (events re-evaluate it at once), so
        # the sweep only asks for a re-sync: no model change.
        self.sweep_now += timedelta(hours=hours, minutes=1)
        engine = self.client.app.state.runtime.engine
        while recheck_due(engine, self.settings, self.sweep_now, limit=2).checked == 2:
            pass

    @rule(data=st.data())
    def handover(self, data):
        STEP_COUNTS["handovers"] += 1
        code = data.draw(st.sampled_from([*ORDERS, *sorted(self.label_tracking), "LP-NOBODY"]))
        response = self.post("/v1/handovers", {"code": code, "station_id": "dock-1"})
        order_id = code if code in self.model and self.model[code].facts else self.label_tracking.get(code)
        error = response.json().get("error", {}).get("code")
        if order_id is None:
            assert (response.status_code, error) == (404, "CODE_NOT_FOUND"), response.text
            return
        order = self.model[order_id]
        verdict = order.verdict()
        order.settle()
        labelled = any(owner == order_id for owner, _ in self.labelled)
        if verdict != "clear":
            assert (response.status_code, error) == (409, "ORDER_NOT_CLEAR"), response.text
        elif not labelled:
            assert (response.status_code, error) == (409, "NOT_LABELLED"), response.text
        else:
            assert response.status_code == 200 and response.json() == {"order_id": order_id, "verdict": "clear"}

    # invariants, after every step

    @invariant()
    def orders_read_back_as_the_model_says(self):
        for order_id, order in self.model.items():
            response = self.client.get(f"/v1/orders/{order_id}", headers=self.auth)
            if not order.facts:
                assert response.status_code == 404, response.text
                continue
            assert response.status_code == 200, response.text
            answer = response.json()
            assert answer["verdict"] == order.verdict(), (answer["verdict"], order)
            assert self.codes(answer["reasons"]) == order.reasons()
            assert self.codes(answer["waived"]) == order.waived()
            assert (answer["hold"] or {}).get("state") == order.hold

    @invariant()
    def a_held_order_is_held_for_its_reasons(self):
        for item in self.holds():
            order = self.model[item["order_id"]]
            assert item["state"] == order.hold, (item, order)
            if item["state"] == "held":
                assert item["reasons"] and sorted(item["reasons"]) == order.reasons(), (item, order)
            elif item["state"] == "blocked":
                assert BLOCKS & set(item["reasons"]) and order.verdict() == "block", (item, order)


GuardMachine.TestCase.settings = hypothesis_settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestGuardMachine = GuardMachine.TestCase


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print(
        f"\nstateful: {EXAMPLES} runs x up to {STEPS} steps; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(STEP_COUNTS.items()))
    )
    if "path" in _TEMPLATE:
        shutil.rmtree(_TEMPLATE.pop("path").parent, ignore_errors=True)
