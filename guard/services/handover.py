"""The hand-over scan: the last check before a parcel leaves with the carrier (contract v1.1).

The scanned code resolves to exactly one parcel, or one shipment (one box for
several orders), or it is refused as ambiguous — nothing passes on a guess.
Then, under the locks of every order concerned and of the number: the parcel
(every member of a shipment) must be clear, labelled, not handed over yet, and
its label must carry its current recorded number. A parcel refused at the dock
is pulled (`order.pull`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard.errors import Conflict, GuardError, NotFound
from guard.ids import ID_PATTERN
from guard.models import Parcel, TrackingClaim
from guard.parcels import LIVE, normal_tracking, parcel_order
from guard.services import holds
from guard.services.apikeys import Principal
from guard.services.audit import record_decision
from guard.services.labels import mismatch, not_clear, pull_labelled
from guard.services.parcels import PartnersMoved, judge, lock_with_partners, sync_claims
from guard.storage.state import OrderState, facts_snapshot, load_states

if TYPE_CHECKING:
    from guard.services.context import Context

parcels_t = Parcel.__table__
claims_t = TrackingClaim.__table__


@dataclass
class Match:
    """What a code resolved to: parcels (one, or a shipment's members), or ambiguity."""

    parcels: list[tuple[str, str]] = field(default_factory=list)
    by_number: bool = False
    ambiguous: bool = False
    candidates: list[tuple[str, str]] = field(default_factory=list)  # every parcel it could mean

    @property
    def orders(self) -> set[str]:
        return {order_id for order_id, _ in self.parcels + self.candidates}


def resolve(conn: Connection, principal: Principal, code: str) -> Match:
    """The parcel(s) a scanned code means (contract v1.1, "The hand-over scan").

    Ambiguous: an order id that is also a live tracking number; a number of several live parcels
    that are not one shipment; the id of an order with more than one parcel that has a number or
    a label. Only live numbers count as numbers, unless nothing live matches (a second scan of a
    parcel handed over, a voided label: answered for that parcel).
    """
    number = normal_tracking(code)
    order_ids = {code, number} if ID_PATTERN.fullmatch(number) else {code}
    orders = {
        order_id: state
        for order_id, state in load_states(conn, [o for o in order_ids if ID_PATTERN.fullmatch(o)]).items()
        if state.known and principal.sees(state.store_id)
    }
    claims = conn.execute(sa.select(claims_t).where(claims_t.c.tracking_number == number)).all()
    live = sorted({(row.order_id, row.parcel_id) for row in claims if row.state == LIVE})
    by_order = []
    for order_id, state in sorted(orders.items()):
        by_order += [(order_id, parcel_id) for parcel_id in _numbered(state)] or [(order_id, "1")]
    match = Match()
    if by_order:
        # An order id that is also a live number means one parcel only if both name the same one.
        candidates = sorted(set(by_order) | set(live))
        if len(candidates) > 1:
            match.ambiguous, match.candidates = True, candidates
        else:
            match.parcels = candidates
        return match
    rows = [row for row in claims if row.state == LIVE] or claims
    if not rows:
        return match
    match.by_number = True
    parcels = sorted({(row.order_id, row.parcel_id) for row in rows})
    shipments = {(row.store_id, row.shipment_id) for row in rows}
    if len(parcels) > 1 and (len(shipments) != 1 or next(iter(shipments))[1] is None):
        match.ambiguous = True
        match.candidates = parcels
    else:
        match.parcels = parcels
    return match


def _numbered(state: OrderState) -> list[str]:
    return sorted((pid for pid, parcel in state.parcels.items() if parcel.has_number_or_label), key=parcel_order)


def handover(ctx: Context, principal: Principal, code: str, station_id: str | None, now: datetime) -> dict:
    """The last scan before the parcel leaves: only a clear, labelled parcel wearing its own number goes."""

    def work(conn: Connection) -> dict | GuardError:
        first = resolve(conn, principal, code)
        if not first.orders:
            raise NotFound("no order or label matches this code", code="CODE_NOT_FOUND")
        states = lock_with_partners(conn, first.orders, [normal_tracking(code)])
        match = resolve(conn, principal, code)  # again, under the locks: what is true now
        if not match.orders <= set(states):
            raise PartnersMoved  # the code means other orders now: lock those, from the start
        if match.ambiguous:
            return _ambiguous(conn, principal, states, match, code, station_id, now)
        if not match.parcels:
            raise NotFound("no order or label matches this code", code="CODE_NOT_FOUND")
        return _judge_at_dock(conn, ctx, principal, states, match, code, station_id, now)

    return ctx.storage.run(work)


def _ambiguous(
    conn: Connection,
    principal: Principal,
    states: dict[str, OrderState],
    match: Match,
    code: str,
    station_id: str | None,
    now: datetime,
) -> GuardError:
    """Nothing passes on a guess: every labelled candidate is pulled; only visible ones are named."""
    named = []
    for order_id, parcel_id in sorted(set(match.candidates)):
        state = states[order_id]
        parcel = state.parcels.get(parcel_id)
        if parcel is not None and parcel.label is not None and parcel.handed_over_at is None:
            pull_labelled(conn, state, parcel_id, ["CODE_AMBIGUOUS"], now, station_id)
        if principal.sees(state.store_id):
            named.append({"order_id": order_id, "parcel_id": parcel_id})
    return Conflict(
        "this code matches more than one parcel: do not ship; scan the parcel's own label or order barcode",
        code="CODE_AMBIGUOUS",
        details=named,
    )


def _judge_at_dock(
    conn: Connection,
    ctx: Context,
    principal: Principal,
    states: dict[str, OrderState],
    match: Match,
    code: str,
    station_id: str | None,
    now: datetime,
) -> dict | GuardError:
    judged: list[tuple[OrderState, str]] = [(states[o], p) for o, p in match.parcels]
    refusal: GuardError | None = None
    for state, parcel_id in judged:
        if refusal is None:
            refusal = _refusal(conn, ctx, principal, states, state, parcel_id, code, station_id, now)
    first_state, first_parcel = judged[0]
    if refusal is not None:
        return refusal
    labelled = [(s, p) for s, p in judged if s.parcels[p].label is not None]
    if not labelled:
        return Conflict(
            "this parcel was never labelled by the guard: scan it at a packing station first",
            code="NOT_LABELLED",
            order_id=first_state.order_id,
            parcel_id=first_parcel,
        )
    for state, parcel_id in judged:
        state.parcels[parcel_id].handed_over_at = now
        conn.execute(
            parcels_t.update()
            .where(parcels_t.c.order_id == state.order_id, parcels_t.c.parcel_id == parcel_id)
            .values(handed_over_at=now, updated_at=now)
        )
    sync_claims(conn, states, [], now, release=[(s.order_id, p) for s, p in judged])
    answer: dict[str, Any] = {"order_id": first_state.order_id, "parcel_id": first_parcel, "verdict": "clear"}
    shipment_id = first_state.parcels[first_parcel].shipment_id
    if len(judged) > 1 or shipment_id is not None:
        answer["shipment_id"] = shipment_id
        answer["parcels"] = [{"order_id": s.order_id, "parcel_id": p} for s, p in judged]
    answer["handed_over_at"] = now
    return answer


def _refusal(
    conn: Connection,
    ctx: Context,
    principal: Principal,
    states: dict[str, OrderState],
    state: OrderState,
    parcel_id: str,
    code: str,
    station_id: str | None,
    now: datetime,
) -> GuardError | None:
    """Judge one parcel at the dock (audited); the refusal, if it must not leave."""
    parcel = state.parcels.get(parcel_id)
    evaluation = judge(state, parcel_id, ctx.settings, now, states)
    record_decision(
        conn,
        order_id=state.order_id,
        parcel_id=parcel_id,
        kind="handover",
        verdict=evaluation.verdict,
        reasons=evaluation.codes,
        facts=facts_snapshot(state.parcel_facts(parcel_id)),
        now=now,
        station_id=station_id,
        key_name=principal.name,
        note=f"scanned {code}",
    )
    if parcel is not None and parcel.handed_over_at is not None:
        return Conflict(
            "this parcel was handed over already: a second copy of its label must not pass",
            code="ALREADY_HANDED_OVER",
            order_id=state.order_id,
            parcel_id=parcel_id,
            handed_over_at=parcel.handed_over_at.isoformat(),
        )
    rules = ctx.settings.rules.for_store(state.store_id)
    current = holds.current_holds(conn, [state.order_id]).get((state.order_id, parcel_id))
    holds.settle(conn, state, parcel_id, current, evaluation, now, rules=rules, station_id=station_id,
                 pull_if_labelled=False)  # fmt: skip
    if evaluation.verdict != "clear":
        # A parcel at the dock that must not leave: tell everyone to pull it.
        pull_labelled(conn, state, parcel_id, evaluation.codes, now, station_id)
        return not_clear(evaluation, state.order_id, parcel_id)
    label = parcel.label if parcel is not None else None
    if parcel is not None and label is not None and label["tracking_number"] != parcel.tracking_number:
        pull_labelled(conn, state, parcel_id, ["TRACKING_MISMATCH"], now, station_id)
        return mismatch(state.order_id, parcel_id, label["tracking_number"], parcel.tracking_number)
    return None
