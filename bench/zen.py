"""Our rule engine against GoRules' zen-engine: the same rules, the same 100,000 orders, one core.

`python -m bench rules` (needs `pip install -r bench/requirements.txt`). The
contract's rules ("The rules and the verdict", docs/rules.md) are written out a
second time, by hand, as a GoRules decision table: one input column per fact
type the engine reads (its status, null where the guard has no such fact): the
order facts of v1 and v1.1 (`settlement`, `dispute`), and what the guard works
out per parcel and per platform word (`tracking_claim`, `carrier_label`,
`platform_word`); outputs `code` and
`verdict`, hit policy "collect" (every matching row, as the guard returns every
reason). Both engines judge the same orders; each answer is rendered as a
station sees it (verdict, and per reason its code, verdict and packer messages
from `guard.rules.messages`). The two must agree on the verdict and the set of
reason codes of every order.

Only the judging is timed: orders are built beforehand in each engine's own
input form (the guard's `Fact` mappings; zen's context dicts). Store settings
and waivers are left out: the table knows neither.
"""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import metadata
from typing import Any

from bench import BenchError
from bench.report import Row, judged
from bench.workload import PROFILES
from guard.facts import KNOWN_STATUSES, PLATFORM_WORD, UNKNOWN_WORD, Fact, Facts
from guard.rules import evaluate
from guard.rules.messages import MESSAGES
from guard.rules.reasons import SEVERITY

ORDERS = 100_000
TARGET = 200_000  # orders/s for our engine on one core
DEFAULT_RUNS = 5

# The mix: the server bench's day (bench/workload.py: 70 % clear, 28 % held,
# 2 % blocked), plus the cases a busy day also brings, so that every row of the
# table is exercised: ids the guard never heard of, orders with one fact in any
# other state of its vocabulary or missing, and (rarely) a status it cannot read.
UNKNOWN_SHARE = 0.05
ODD_SHARE = 0.02
UNREADABLE_SHARE = 0.001
UNREADABLE = "???"
# v1.1 on a busy day: a number another live parcel of the store also claims, a carrier label
# whose number is not the recorded one, an unknown platform word, funds in settlement, a
# dispute — each order in this share carries one of them, in any status of its vocabulary.
V11_SHARE = 0.05

# The table's columns: every fact the engine reads a status of.
COLUMNS = tuple(KNOWN_STATUSES)
V11_FACTS = ("settlement", "dispute", "tracking_claim", "carrier_label", PLATFORM_WORD)
# The statuses an order may get in a column: the vocabulary, and for platform words the
# status a word the guard does not know sets (outside the vocabulary on purpose: it holds).
STATUSES = {**KNOWN_STATUSES, PLATFORM_WORD: (*KNOWN_STATUSES[PLATFORM_WORD], UNKNOWN_WORD)}


# --- the contract as a decision table ------------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    """One row: zen unary tests on some columns (the others match anything) give one reason."""

    code: str
    verdict: str
    cells: dict[str, str] = field(default_factory=dict)


_KNOWN = f"some([{', '.join(COLUMNS)}], # != null)"  # the guard has at least one fact
_NO_FACT_BUT_OTHERS = f"$ == null and {_KNOWN}"


def _unreadable(fact_type: str) -> str:
    return f"$ != null and $ not in {json.dumps(list(KNOWN_STATUSES[fact_type]))}"


TABLE: tuple[TableRow, ...] = (
    TableRow("ORDER_UNKNOWN", "hold", dict.fromkeys(COLUMNS, "null")),
    TableRow("ORDER_CLOSED", "block", {"order": '"closed"'}),
    TableRow("RISK_CLOSED", "block", {"risk": '"closed"'}),
    TableRow("RISK_REVIEW", "hold", {"risk": '"reviewing"'}),
    TableRow("ORDER_CANCELLED", "block", {"cancellation": '"accepted"'}),
    TableRow("CANCEL_REQUESTED", "hold", {"cancellation": '"requested"'}),
    TableRow("FUNDS_IN_SETTLEMENT", "hold", {"settlement": '"processing"'}),
    TableRow("DISPUTE_OPEN", "hold", {"dispute": '"open"'}),
    TableRow("PAYMENT_UNKNOWN", "hold", {"payment": _NO_FACT_BUT_OTHERS}),
    TableRow("PAYMENT_UNPAID", "hold", {"payment": '"unpaid"'}),
    TableRow("PAYMENT_AWAITING_CONFIRMATION", "hold", {"payment": '"awaiting_confirmation"'}),
    TableRow("PAYMENT_PROCESSING", "hold", {"payment": '"processing"'}),
    TableRow("PAYMENT_FAILED", "hold", {"payment": '"failed"'}),
    TableRow("PAYMENT_REFUNDED", "block", {"payment": '"refunded"'}),
    TableRow("TRACKING_NUMBER_PENDING", "hold", {"shipping_notice": '"awaiting_tracking"'}),
    TableRow("SHIPPING_NOTICE_MISSING", "hold", {"shipping_notice": _NO_FACT_BUT_OTHERS}),
    TableRow("SHIPPING_NOTICE_MISSING", "hold", {"shipping_notice": '"missing", "tracking_assigned"'}),
    TableRow("TRACKING_CONFLICT", "hold", {"tracking_claim": '"conflict"'}),
    TableRow("TRACKING_MISMATCH", "hold", {"carrier_label": '"mismatch"'}),
    TableRow("FREIGHT_UNPAID", "hold", {"freight": '"pending", "failed"'}),
    # An unknown platform word is a status outside `platform_word`'s vocabulary: this row too.
    *(TableRow("RULE_ERROR", "hold", {fact_type: _unreadable(fact_type)}) for fact_type in COLUMNS),
)


DECISION_KEY = "dispatch-guard-rules"


def zen_engine(zen: Any) -> Any:
    """An engine holding the decision model under DECISION_KEY.

    `ZenEngine.evaluate(key, context)` is zen's fast synchronous path: in zen-engine
    2.1.3 it takes ~10 µs here, while `ZenDecision.evaluate(context)` (from
    `create_decision` or `get_decision`) takes ~200 µs of CPU per call, most of it
    in the kernel.
    """
    return zen.ZenEngine({"loader": {"type": "static", "content": {DECISION_KEY: decision_model()}}})


def decision_model() -> dict:
    """The table as a GoRules JSON decision model: request → decision table → response."""
    inputs = [{"id": column, "name": column, "type": "expression", "field": column} for column in COLUMNS]
    outputs = [{"id": name, "name": name, "type": "expression", "field": name} for name in ("code", "verdict")]
    rules = [
        {
            "_id": f"row-{number}",
            **{column: row.cells.get(column, "") for column in COLUMNS},
            "code": json.dumps(row.code),
            "verdict": json.dumps(row.verdict),
        }
        for number, row in enumerate(TABLE, start=1)
    ]
    nodes = [
        {"id": "request", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
        {
            "id": "rules",
            "type": "decisionTableNode",
            "name": "Dispatch Guard rules",
            "position": {"x": 250, "y": 0},
            "content": {"hitPolicy": "collect", "inputs": inputs, "outputs": outputs, "rules": rules},
        },
        {"id": "response", "type": "outputNode", "name": "Response", "position": {"x": 500, "y": 0}},
    ]
    edges = [
        {"id": "request-rules", "type": "edge", "sourceId": "request", "targetId": "rules"},
        {"id": "rules-response", "type": "edge", "sourceId": "rules", "targetId": "response"},
    ]
    return {"contentType": "application/vnd.gorules.decision", "nodes": nodes, "edges": edges}


# --- the orders ------------------------------------------------------------------------------------------


def make_orders(count: int, seed: int, now: datetime) -> list[Facts]:
    """Each order's facts as the guard stores them (type → Fact), seeded."""
    rng = random.Random(f"{seed}:rules")
    weights = [profile.share for profile in PROFILES]
    orders: list[Facts] = []
    for number in range(count):
        draw = rng.random()
        if draw < UNKNOWN_SHARE:
            orders.append({})
            continue
        statuses: dict[str, str] = dict(rng.choices(PROFILES, weights)[0].facts)
        if draw < UNKNOWN_SHARE + UNREADABLE_SHARE:
            statuses[rng.choice(COLUMNS)] = UNREADABLE
        elif draw < UNKNOWN_SHARE + UNREADABLE_SHARE + ODD_SHARE + V11_SHARE:
            odd = draw < UNKNOWN_SHARE + UNREADABLE_SHARE + ODD_SHARE
            fact_type = rng.choice(COLUMNS if odd else V11_FACTS)
            status = rng.choice((None, *STATUSES[fact_type]) if odd else STATUSES[fact_type])
            if status is None:
                statuses.pop(fact_type, None)
            else:
                statuses[fact_type] = status
        at = now - timedelta(minutes=rng.uniform(5, 600))
        orders.append(
            {fact_type: Fact(status, at, f"E-{number}.{fact_type}") for fact_type, status in statuses.items()}
        )
    return orders


def zen_context(facts: Facts) -> dict[str, str | None]:
    return {fact_type: fact.status if (fact := facts.get(fact_type)) is not None else None for fact_type in COLUMNS}


# --- judging and rendering ---------------------------------------------------------------------------------

Answer = dict[str, Any]  # {"verdict": ..., "reasons": [{"code", "verdict", "message", "message_zh"}, ...]}


def _reason(code: str, verdict: str) -> dict[str, str]:
    text = MESSAGES[code]
    return {"code": code, "verdict": verdict, "message": text.message, "message_zh": text.message_zh}


def judge_ours(orders: list[Facts], now: datetime) -> list[Answer]:
    answers = []
    for facts in orders:
        evaluation = evaluate(facts, now)
        answers.append(
            {
                "verdict": evaluation.verdict,
                "reasons": [_reason(finding.code, finding.verdict) for finding in evaluation.reasons],
            }
        )
    return answers


def judge_zen(engine: Any, contexts: list[dict]) -> list[Answer]:
    answers = []
    for context in contexts:
        rows = engine.evaluate(DECISION_KEY, context)["result"]
        verdict = "clear"
        for row in rows:
            if SEVERITY[row["verdict"]] > SEVERITY[verdict]:
                verdict = row["verdict"]
        answers.append({"verdict": verdict, "reasons": [_reason(row["code"], row["verdict"]) for row in rows]})
    return answers


@dataclass
class Timing:
    orders: int
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)

    @property
    def orders_per_s(self) -> float:
        return self.orders / statistics.median(self.seconds)

    @property
    def orders_per_cpu_s(self) -> float:
        """What a core of its own would give: steadier than wall time on a shared machine."""
        return self.orders / statistics.median(self.cpu_seconds)

    @property
    def cores_used(self) -> float:
        return sum(self.cpu_seconds) / sum(self.seconds)


def _timed(timing: Timing, judge: Callable[[], list[Answer]]) -> list[Answer]:
    cpu, started = time.process_time(), time.perf_counter()
    answers = judge()
    timing.seconds.append(time.perf_counter() - started)
    timing.cpu_seconds.append(time.process_time() - cpu)
    return answers


@contextmanager
def one_core() -> Iterator[int]:
    """Pin this process (and any thread it starts meanwhile) to one core; restore the affinity after."""
    allowed = os.sched_getaffinity(0)
    core = max(allowed)
    os.sched_setaffinity(0, {core})
    try:
        yield core
    finally:
        os.sched_setaffinity(0, allowed)


def _mismatches(orders: list[Facts], ours: list[Answer], theirs: list[Answer]) -> list[str]:
    found = []
    for facts, mine, zens in zip(orders, ours, theirs):
        my_codes = {reason["code"] for reason in mine["reasons"]}
        zen_codes = {reason["code"] for reason in zens["reasons"]}
        if mine["verdict"] != zens["verdict"] or my_codes != zen_codes:
            found.append(
                f"{zen_context(facts)}: ours {mine['verdict']} {sorted(my_codes)}, "
                f"zen {zens['verdict']} {sorted(zen_codes)}"
            )
    return found


def compare(runs: int, seed: int, now: datetime, raw: dict) -> list[Row]:
    try:
        import zen
    except ImportError:
        raise BenchError("zen-engine is not installed: pip install -r bench/requirements.txt") from None
    orders = make_orders(ORDERS, seed, now)
    contexts = [zen_context(facts) for facts in orders]
    mix = dict.fromkeys(SEVERITY, 0)
    version = metadata.version("zen-engine")
    ours, theirs = Timing(len(orders)), Timing(len(orders))
    with one_core() as core:
        engine = zen_engine(zen)
        print(
            f"rules: {len(orders):,} orders, our evaluate vs zen-engine {version} "
            f"({len(TABLE)}-row decision table, hit policy collect), {runs} runs each, pinned to core {core}"
        )
        judge_zen(engine, contexts[:1000])  # warm-up: the table is loaded and compiled on first use
        gc.collect()
        gc.freeze()  # the inputs are long-lived: keep the collector from re-walking them in the timed loops
        try:
            for number in range(1, runs + 1):
                our_answers = _timed(ours, lambda: judge_ours(orders, now))
                zen_answers = _timed(theirs, lambda: judge_zen(engine, contexts))
                print(
                    f"  run {number}: ours {len(orders) / ours.seconds[-1]:,.0f} orders/s, "
                    f"zen {len(orders) / theirs.seconds[-1]:,.0f} orders/s"
                )
        finally:
            gc.unfreeze()
    for answer in our_answers:
        mix[answer["verdict"]] += 1
    mismatches = _mismatches(orders, our_answers, zen_answers)
    print(
        f"  mix: {', '.join(f'{verdict} {count:,}' for verdict, count in mix.items())}; "
        f"CPU/wall: ours {ours.cores_used:.2f}, zen {theirs.cores_used:.2f}"
    )
    print(
        f"  agreement: {len(orders) - len(mismatches):,} of {len(orders):,} orders"
        + "".join(f"\n    mismatch {line}" for line in mismatches[:10])
    )
    raw["rules"] = {
        "orders": len(orders),
        "zen_engine": version,
        "core": core,
        "mix": mix,
        "ours_s": ours.seconds,
        "zen_s": theirs.seconds,
        "ours_cpu_s": ours.cpu_seconds,
        "zen_cpu_s": theirs.cpu_seconds,
        "mismatches": len(mismatches),
        "mismatch_examples": mismatches[:10],
    }
    return [
        judged(
            f"rules: our evaluate, orders/s on 1 core (median of {runs})",
            f"{ours.orders_per_s:,.0f}",
            f"≥ {TARGET:,}",
            ours.orders_per_s >= TARGET,
        ),
        Row(f"rules: zen-engine {version}, orders/s on 1 core (median of {runs})", f"{theirs.orders_per_s:,.0f}"),
        Row("rules: ours ÷ zen-engine", f"{ours.orders_per_s / theirs.orders_per_s:.1f}×"),
        Row("rules: our evaluate, orders per CPU second", f"{ours.orders_per_cpu_s:,.0f}"),
        Row("rules: zen-engine, orders per CPU second", f"{theirs.orders_per_cpu_s:,.0f}"),
        judged(
            "rules: same verdict and reason codes",
            f"{len(orders) - len(mismatches):,} of {len(orders):,}",
            "all",
            not mismatches,
        ),
    ]
