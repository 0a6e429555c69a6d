"""Checks: the single check a station or ERP asks before a label, and the wave pre-check."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from guard import metrics
from guard.config import Settings
from guard.models import Clearance
from guard.parcels import DEFAULT_PARCEL
from guard.rules import Evaluation, Finding, evaluate
from guard.rules.messages import MESSAGES
from guard.rules.reasons import SEVERITY
from guard.services import holds, parcels
from guard.services.apikeys import Principal
from guard.services.audit import record_decision
from guard.storage.state import (
    OrderState,
    ParcelView,
    facts_snapshot,
    load_for_check,
    load_shapes,
    load_states,
)
from guard.storage.writes import Insert, Staged, VoidClearances, send, write

if TYPE_CHECKING:
    from guard.services.context import Context

MAX_BATCH = 20_000

clearances_t = Clearance.__table__


def render_reason(finding: Finding) -> dict:
    text = MESSAGES[finding.code]
    reason = {
        "code": finding.code,
        "verdict": finding.verdict,
        "rule": finding.rule,
        "message": text.message,
        "message_zh": text.message_zh,
        "supervisor_message": text.supervisor_message,
        "supervisor_message_zh": text.supervisor_message_zh,
        "buyer_messages": dict(text.buyer_messages),
        "recheck_at": finding.recheck_at,
        **({"detail": finding.detail} if finding.detail else {}),
    }
    if finding.member is not None:
        # Another parcel of the same shipment (one box): it holds this one too.
        reason["order_id"], reason["parcel_id"] = finding.member
    return reason


def judge(
    state: OrderState | None,
    parcel_id: str,
    principal: Principal,
    settings: Settings,
    now: datetime,
    partners: dict[str, OrderState] | None = None,
) -> Evaluation:
    """Evaluate a parcel as this key may see it: another store's order is an unknown one."""
    if state is None or not principal.sees(state.store_id):
        return evaluate({}, now, settings.rules.defaults)
    return parcels.judge(state, parcel_id, settings, now, partners)


def waived(notes: dict[str, dict], evaluation: Evaluation) -> list[dict]:
    """The waivers that changed this verdict, with who granted them and why."""
    return [notes[finding.code] for finding in evaluation.waived if finding.code in notes]


@dataclass(frozen=True, slots=True)
class CheckRequest:
    order_id: str
    parcel_id: str = DEFAULT_PARCEL
    station_id: str | None = None
    operator: str | None = None


async def check_parcel(ctx: Context, principal: Principal, request: CheckRequest, now: datetime) -> dict | None:
    """The single check on the event loop (PostgreSQL behind the API): lock, then read in one round
    trip, judge, write in one. None: judge it with `check_order` instead — a parcel of a shipment,
    whose members are read through the engine (nothing was written)."""

    def judge_view(view: ParcelView) -> tuple[dict, Staged] | None:
        if view.shipment_id is not None:
            return None
        return decide(view, principal, ctx.settings, request, now)

    judged = await ctx.storage.check_async(request.order_id, request.parcel_id, judge_view)
    return counted(judged[0]) if judged is not None else None


def check_order(ctx: Context, principal: Principal, request: CheckRequest, now: datetime) -> dict:
    """The single check through the engine (any database, in a worker thread)."""
    with ctx.storage.transaction() as conn:
        view = load_for_check(conn, request.order_id, request.parcel_id)
        partners = None
        if view.shipment_id is not None and view.state is not None:
            partners = parcels.load_partners(conn, {view.state.order_id: view.state})
        response, writes = decide(view, principal, ctx.settings, request, now, partners)
        send(conn, writes)
    return counted(response)


def counted(response: dict) -> dict:
    metrics.count_check(response)  # after the commit: only what was decided is counted
    return response


def decide(
    view: ParcelView,
    principal: Principal,
    settings: Settings,
    request: CheckRequest,
    now: datetime,
    partners: dict[str, OrderState] | None = None,
) -> tuple[dict, Staged]:
    """Judge one parcel from what was read of it: the answer, and the writes that make it so —
    the decision, the hold brought in line, and a single-use clearance if it is clear.

    No I/O: the caller reads the view under the order's lock and sends the writes in the
    same transaction (checks.check_parcel on the event loop, checks.check_order in a thread).
    A check never creates a parcel: one that does not exist is answered (no notice) and the
    decision stored, but no hold is written for it.
    """
    writes = Staged()
    state = view.state
    visible = state is not None and principal.sees(state.store_id)
    evaluation = judge(state, request.parcel_id, principal, settings, now, partners)
    response: dict[str, Any] = {
        "order_id": request.order_id,
        "parcel_id": request.parcel_id,
        "verdict": evaluation.verdict,
        "reasons": [render_reason(finding) for finding in evaluation.reasons],
        "waived": [],
        "decision_id": None,
        "decided_at": now,
        "clearance": None,
        "hold": None,
        "label": None,
    }
    if not visible and principal.stores is not None:
        return response, writes  # a store-limited key learns nothing and writes nothing
    state = state or OrderState(request.order_id)
    parcel = state.parcels.get(request.parcel_id)
    response["waived"] = waived_codes = waived(view.waivers, evaluation)
    response["label"] = view.label
    response["decision_id"] = record_decision(
        writes,
        order_id=request.order_id,
        parcel_id=request.parcel_id,
        kind="check",
        verdict=evaluation.verdict,
        reasons=evaluation.codes,
        waived=waived_codes,
        facts=facts_snapshot(state.parcel_facts(request.parcel_id)),
        now=now,
        station_id=request.station_id,
        operator=request.operator,
        key_name=principal.name,
    )
    if parcel is not None and parcel.handed_over_at is not None:
        response["handed_over_at"] = parcel.handed_over_at
        return response, writes  # it left: nothing to hold, nothing to print
    if parcel is not None or request.parcel_id == DEFAULT_PARCEL:
        rules = settings.rules.for_store(state.store_id)
        hold = holds.settle(
            writes, state, request.parcel_id, view.hold, evaluation, now, rules=rules, station_id=request.station_id
        )
        response["hold"] = holds.hold_view(hold)
    if evaluation.verdict == "clear" and view.label is None:
        response["clearance"] = _issue_clearance(writes, request, response["decision_id"], settings, now)
    return response, writes


def _issue_clearance(
    writes: Staged, request: CheckRequest, decision_id: str, settings: Settings, now: datetime
) -> dict:
    # One live clearance per parcel: a new one voids any earlier unredeemed one.
    write(writes, VoidClearances(request.order_id, request.parcel_id, now))
    token = "clr_" + secrets.token_urlsafe(24)
    expires_at = now + timedelta(seconds=settings.clearance_ttl_s)
    write(
        writes,
        Insert(
            clearances_t,
            {
                "token": token,
                "order_id": request.order_id,
                "parcel_id": request.parcel_id,
                "decision_id": decision_id,
                "issued_at": now,
                "expires_at": expires_at,
            },
        ),
    )
    return {"token": token, "expires_at": expires_at}


def judge_order(
    state: OrderState | None, principal: Principal, settings: Settings, now: datetime
) -> tuple[str, list[str]]:
    """A whole order's verdict: its worst parcel's, with the union of their reasons (contract v1.1)."""
    if state is None:
        evaluation = judge(None, DEFAULT_PARCEL, principal, settings, now)
        return evaluation.verdict, evaluation.codes
    verdict, codes = "clear", {}
    for parcel_id in state.judged_parcels():
        evaluation = judge(state, parcel_id, principal, settings, now)
        if SEVERITY[evaluation.verdict] > SEVERITY[verdict]:
            verdict = evaluation.verdict
        codes.update(dict.fromkeys(evaluation.codes))
    return verdict, list(codes)


def check_batch(ctx: Context, principal: Principal, order_ids: list[str], now: datetime) -> dict:
    """Read-only pre-check of a wave: verdicts and codes, no clearance, no hold change.

    Each order answers with its worst parcel. Shipment partners are not read here: the label
    and the hand-over judge every member of a shipment.
    """
    settings = ctx.settings
    with ctx.storage.reading() as conn:
        shapes, waived_ids = load_shapes(conn, order_ids)
        waived = load_states(conn, waived_ids) if waived_ids else {}
    verdicts: dict[str, tuple[str, list[str]]] = {}
    # Rules read statuses only (tests/unit/rules/test_engine.py holds them to it), so orders
    # with the same store, statuses and parcels and no waivers share one verdict: a wave has few shapes.
    for shape in shapes:
        parcels_of = {parcel.parcel_id: parcel for parcel in shape.parcels}
        state = OrderState("", shape.store_id, facts=shape.facts, exists=True, parcels=parcels_of)
        verdict = judge_order(state, principal, settings, now)
        for order_id in shape.order_ids:
            verdicts[order_id] = verdict
    for order_id, state in waived.items():
        verdicts[order_id] = judge_order(state, principal, settings, now)
    counts = {"clear": 0, "hold": 0, "block": 0}
    results = []
    unknown = None
    for order_id in order_ids:
        known = verdicts.get(order_id)
        if known is None:  # never heard of: judged as no facts at all
            if unknown is None:
                unknown = judge_order(None, principal, settings, now)
            known = unknown
        verdict = known
        counts[verdict[0]] += 1
        results.append({"order_id": order_id, "verdict": verdict[0], "reasons": verdict[1]})
    return {"results": results, "counts": counts}
