"""Parcels in a transaction: their notices, the claims on their numbers, and their verdicts.

Called by the use cases (ingest, checks, labels, releases, the sweep, follow-ups)
inside their transaction, after they took the locks (guard/services/store.py:
orders, then numbers). Nothing here commits.

A change to one order can concern another: a number it now shares, a shipment
partner. That other order is never written from here — its lock comes earlier
in the lock order than the numbers this transaction already holds — but queued
as a follow-up, judged soon by a job under its own lock (`run_followups`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guard.config import Settings
from guard.facts import Fact, Replacement, replacement
from guard.models import FollowUp, LooseNotice, Notification, Order, Parcel, TrackingClaim
from guard.parcels import LIVE, RELEASED, VOID, Claim, ParcelState, assign_notice, conflicting
from guard.rules import Evaluation, evaluate
from guard.rules.reasons import SEVERITY, VerdictName
from guard.services import holds
from guard.services.audit import new_id
from guard.services.outbox import GIVE_UP_AFTER, take_written, written
from guard.storage import Retry
from guard.storage.state import OrderState, among, chunks, load_states, lock_and_load
from guard.storage.writes import FOLLOWUPS_KEY, Insert, upsert_rows, write

parcels_t = Parcel.__table__
orders_t = Order.__table__
claims_t = TrackingClaim.__table__
loose_t = LooseNotice.__table__
followups_t = FollowUp.__table__
outbox_t = Notification.__table__

TRACKING_TROUBLE = frozenset({"TRACKING_CONFLICT", "TRACKING_MISMATCH"})


def judge(
    state: OrderState,
    parcel_id: str,
    settings: Settings,
    now: datetime,
    partners: dict[str, OrderState] | None = None,
) -> Evaluation:
    """One parcel's verdict from its order's facts and its own — and, for a parcel of a shipment
    (one box for several orders), every member's: a shipment is clear only when each member is.
    A member's reasons carry the member (`Finding.member`)."""
    own = evaluate(state.parcel_facts(parcel_id), now, settings.rules.for_store(state.store_id), state.waivers)
    parcel = state.parcels.get(parcel_id)
    if not partners or parcel is None or parcel.shipment_id is None:
        return own
    findings = list(own.reasons)
    for member_state, member_id in shipment_members(state, parcel_id, partners):
        member = evaluate(
            member_state.parcel_facts(member_id),
            now,
            settings.rules.for_store(member_state.store_id),
            member_state.waivers,
        )
        findings += [replace(f, member=(member_state.order_id, member_id)) for f in member.reasons]
    verdict: VerdictName = max((f.verdict for f in findings), key=SEVERITY.__getitem__, default="clear")
    return Evaluation(verdict, tuple(findings), own.waived)


def shipment_members(
    state: OrderState, parcel_id: str, partners: dict[str, OrderState]
) -> list[tuple[OrderState, str]]:
    """The other parcels of this parcel's shipment: same store, same `shipment_id`."""
    parcel = state.parcels.get(parcel_id)
    if parcel is None or parcel.shipment_id is None:
        return []
    members = []
    for other in sorted({**partners, state.order_id: state}.values(), key=lambda o: o.order_id):
        if other.store_id != state.store_id:
            continue
        for other_id, other_parcel in sorted(other.parcels.items()):
            if (other.order_id, other_id) != (
                state.order_id,
                parcel_id,
            ) and other_parcel.shipment_id == parcel.shipment_id:
                members.append((other, other_id))
    return members


def partner_ids(conn: Connection, order_ids: Iterable[str]) -> set[str]:
    """Orders other than these with a parcel in a shipment of one of theirs (same store).

    In two steps, so that the common case — no shipment — costs one primary-key lookup whatever
    the planner's statistics say: these orders' shipments first, then the members of those.
    """
    ids = sorted(set(order_ids))
    shipments: set[tuple[str, str | None]] = set()  # (shipment, store): a shipment is one store's
    for part in chunks(ids):
        shipments.update(
            (shipment, store) for shipment, store in conn.execute(_shipments_of(conn, parcels_t.c.order_id, part))
        )
    if not shipments:
        return set()
    found: set[str] = set()
    for part in chunks(sorted({shipment for shipment, _ in shipments})):
        for shipment, store, order_id in conn.execute(
            _shipments_of(conn, parcels_t.c.shipment_id, part).add_columns(parcels_t.c.order_id)
        ):
            if (shipment, store) in shipments:
                found.add(order_id)
    return found - set(ids)


def _shipments_of(conn: Connection, column: sa.ColumnElement, values: Sequence[str]) -> sa.Select:
    return (
        sa.select(parcels_t.c.shipment_id, orders_t.c.store_id)
        .join(orders_t, orders_t.c.order_id == parcels_t.c.order_id)
        .where(among(conn, column, values), parcels_t.c.shipment_id.is_not(None))
    )


def load_partners(conn: Connection, states: dict[str, OrderState]) -> dict[str, OrderState]:
    """These orders and their shipment partners, the partners read (not locked: judged, not written)."""
    if not any(p.shipment_id for state in states.values() for p in state.parcels.values()):
        return dict(states)
    others = partner_ids(conn, states)
    return {**states, **load_states(conn, others)} if others else dict(states)


class PartnersMoved(Retry):
    """A shipment gained a member between the first look and the locks: start the transaction again."""


def lock_with_partners(
    conn: Connection, order_ids: Iterable[str], numbers: Iterable[str] = ()
) -> dict[str, OrderState]:
    """Lock, then read, these orders and every shipment partner of theirs (a shipment's label and
    hand-over judge every member): the partners are found first without locks, then locked with
    the rest in ascending order, then found again; more than before raises `PartnersMoved`."""
    ids = set(order_ids)
    guess = ids | partner_ids(conn, ids)
    states = lock_and_load(conn, guess, numbers)
    # Read after the locks: with no parcel in a shipment there is no partner to have moved.
    in_shipment = any(parcel.shipment_id for state in states.values() for parcel in state.parcels.values())
    if in_shipment and partner_ids(conn, states) - set(states):
        raise PartnersMoved
    return states


def ensure_orders(conn: Connection, order_ids: Iterable[str], now: datetime) -> None:
    """Every order has a row and parcel "1" (contract v1.1): so it can be locked, and has a parcel."""
    for part in chunks(sorted(set(order_ids))):
        upsert_rows(
            conn, orders_t, [{"order_id": o, "created_at": now, "updated_at": now} for o in part], only_new=True
        )
        rows = [
            {"order_id": o, "parcel_id": "1", "notice_untimed": False, "created_at": now, "updated_at": now}
            for o in part
        ]
        upsert_rows(conn, parcels_t, rows, only_new=True)


# --- notices --------------------------------------------------------------------------------------------------


@dataclass
class ParcelChanges:
    """What a batch changed in parcels: rows to write, and the parcels whose claims may differ."""

    rows: dict[tuple[str, str], dict] = field(default_factory=dict)
    loose: dict[tuple[str, str], dict] = field(default_factory=dict)
    assigned_loose: set[tuple[str, str]] = field(default_factory=set)  # (order_id, number) now a parcel's

    def touch(self, state: OrderState, parcel: ParcelState, now: datetime) -> None:
        notice = parcel.notice
        self.rows[(state.order_id, parcel.parcel_id)] = {
            "order_id": state.order_id,
            "parcel_id": parcel.parcel_id,
            "notice_status": notice.status if notice else None,
            "notice_occurred_at": notice.occurred_at if notice else None,
            "notice_event_id": notice.event_id if notice else None,
            "notice_untimed": notice.untimed if notice else False,
            "notice_source": notice.source if notice else None,
            "tracking_number": notice.tracking_number if notice else None,
            "carrier": notice.carrier if notice else None,
            "shipment_id": parcel.shipment_id,
            "handed_over_at": parcel.handed_over_at,
            "updated_at": now,
        }


def apply_notice(
    state: OrderState,
    incoming: Fact,
    parcel_id: str | None,
    shipment_id: str | None,
    changes: ParcelChanges,
    now: datetime,
) -> tuple[Replacement, Fact | None]:
    """Apply one notice event to the parcel it speaks of (contract v1.1); returns what it did —
    applied, stale, final, untimed (and why) — or `unassigned` when the guard cannot tell the
    parcel (kept on the order, changing no verdict until an event names its parcel) — and the
    parcel's notice it was judged against."""
    number = incoming.tracking_number
    target = assign_notice(state.parcels, parcel_id, number)
    if target is None:
        assert number is not None  # only a number can be left unassigned (parcels.assign_notice)
        changes.loose[(state.order_id, number)] = {
            "order_id": state.order_id,
            "tracking_number": number,
            "status": incoming.status,
            "carrier": incoming.carrier,
            "shipment_id": shipment_id,
            "event_id": incoming.event_id,
            "occurred_at": incoming.occurred_at,
        }
        return Replacement("unassigned"), None
    parcel = state.parcels.get(target)
    if parcel is None:
        parcel = state.parcels[target] = ParcelState(target)  # a notice event names a new parcel
    stored = parcel.notice
    judged = replacement("shipping_notice", stored, incoming)
    if number is not None:
        changes.assigned_loose.add((state.order_id, number))
        changes.loose.pop((state.order_id, number), None)
    if judged.outcome == "applied":
        parcel.notice = incoming
        if shipment_id is not None:
            parcel.shipment_id = shipment_id
        changes.touch(state, parcel, now)
    elif shipment_id is not None and shipment_id != parcel.shipment_id and number == parcel.tracking_number:
        parcel.shipment_id = shipment_id  # a shipment declared on a repeated notice still counts
        changes.touch(state, parcel, now)
    return judged, stored


def write_parcels(conn: Connection, changes: ParcelChanges, now: datetime) -> None:
    """Upsert the changed parcels; keep loose notices; drop those a parcel took."""
    if changes.rows:
        rows = [{**row, "created_at": now} for row in changes.rows.values()]
        upsert_rows(conn, parcels_t, rows, keep=("created_at",))
    for order_id, number in sorted(changes.assigned_loose):
        conn.execute(loose_t.delete().where(loose_t.c.order_id == order_id, loose_t.c.tracking_number == number))
    if changes.loose:
        upsert_rows(conn, loose_t, list(changes.loose.values()))


# --- claims on numbers ---------------------------------------------------------------------------------------


@dataclass
class ClaimOutcome:
    """Orders outside this transaction's locks whose standing changed, and cross-store sharing."""

    followups: set[str] = field(default_factory=set)
    shared_across_stores: set[str] = field(default_factory=set)


def _claim_rows(conn: Connection, where: sa.ColumnElement[bool]) -> list[Claim]:
    return [
        Claim(row.tracking_number, row.order_id, row.parcel_id, row.store_id, row.shipment_id, row.state, row.conflict)
        for row in conn.execute(sa.select(claims_t).where(where))
    ]


def sync_claims(
    conn: Connection,
    states: dict[str, OrderState],
    parcels: Iterable[tuple[str, str]],
    now: datetime,
    *,
    revive: Iterable[tuple[str, str]] = (),
    release: Iterable[tuple[str, str]] = (),
) -> ClaimOutcome:
    """Bring the claims of these parcels in line with the numbers they carry, then re-work
    the conflicts of every number that changed. The numbers must be locked already.

    A number the parcel no longer carries loses its claim; a new one is claimed live.
    `release`: parcels handed over or whose label was voided (their numbers stop being
    live); `revive`: parcels just labelled (their numbers are live again, unless void).
    """
    revive, release = set(revive), set(release)
    keys = sorted(set(parcels) | revive | release)
    if not keys:
        return ClaimOutcome()
    existing: dict[tuple[str, str], dict[str, Claim]] = {}
    for part in chunks(sorted({order_id for order_id, _ in keys})):
        for claim in _claim_rows(conn, among(conn, claims_t.c.order_id, part)):
            existing.setdefault(claim.parcel, {})[claim.tracking_number] = claim
    touched: set[str] = set()
    went_live: set[str] = set()  # numbers a parcel of these orders now holds live (newly)
    for order_id, parcel_id in keys:
        state = states[order_id]
        parcel = state.parcels.get(parcel_id)
        wanted = parcel.numbers if parcel is not None else set()
        have = existing.get((order_id, parcel_id), {})
        for number in sorted(set(have) - wanted):
            conn.execute(claims_t.delete().where(*_claim_key(number, order_id, parcel_id)))
            touched.add(number)
        for number in sorted(wanted):
            old = have.get(number)
            claim_state = _claim_state(
                old, parcel, released=(order_id, parcel_id) in release, revived=(order_id, parcel_id) in revive
            )
            shipment_id = parcel.shipment_id if parcel is not None else None
            values = {"store_id": state.store_id, "shipment_id": shipment_id, "state": claim_state}
            if old is None:
                conn.execute(
                    claims_t.insert().values(
                        tracking_number=number,
                        order_id=order_id,
                        parcel_id=parcel_id,
                        conflict=False,
                        updated_at=now,
                        **values,
                    )
                )
            elif (old.store_id, old.shipment_id, old.state) != (state.store_id, shipment_id, claim_state):
                conn.execute(
                    claims_t.update().where(*_claim_key(number, order_id, parcel_id)).values(updated_at=now, **values)
                )
            else:
                continue
            touched.add(number)
            if claim_state == LIVE and (old is None or old.state != LIVE or old.store_id != state.store_id):
                went_live.add(number)
    return refresh_conflicts(conn, states, touched, now, went_live=went_live)


def _claim_key(number: str, order_id: str, parcel_id: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        claims_t.c.tracking_number == number,
        claims_t.c.order_id == order_id,
        claims_t.c.parcel_id == parcel_id,
    )


def _claim_state(old: Claim | None, parcel: ParcelState | None, *, released: bool, revived: bool) -> str:
    """A claim is live until its parcel is handed over or its label voided (released, void);
    a new label makes a released number live again, never a void one."""
    claim_state = LIVE if old is None else old.state
    if released:
        claim_state = RELEASED if claim_state != VOID else VOID
    elif revived and claim_state == RELEASED:
        claim_state = LIVE
    if parcel is not None and parcel.handed_over_at is not None and claim_state == LIVE:
        claim_state = RELEASED
    return claim_state


def refresh_conflicts(
    conn: Connection,
    states: dict[str, OrderState],
    numbers: set[str],
    now: datetime,
    *,
    went_live: Iterable[str] = (),
) -> ClaimOutcome:
    """Work out again, for every claim on these (locked) numbers, whether another live parcel of
    its store holds the same number; update the flags that changed. Orders of this transaction
    (`states`) get their parcels' flags in memory; any other whose flag changed is followed up."""
    outcome = ClaimOutcome()
    if not numbers:
        return outcome
    claims: list[Claim] = []
    for part in chunks(sorted(numbers)):
        claims += _claim_rows(conn, among(conn, claims_t.c.tracking_number, part))
    by_number: dict[str, list[Claim]] = {}
    for claim in claims:
        by_number.setdefault(claim.tracking_number, []).append(claim)
    for number, group in by_number.items():
        live_stores = {claim.store_id for claim in group if claim.state == LIVE}
        if number in went_live and len(live_stores) > 1:
            outcome.shared_across_stores.add(number)  # told once, when it becomes shared
        for claim in group:
            conflict = conflicting(claim, group)
            if claim.conflict != conflict:
                conn.execute(
                    claims_t.update()
                    .where(
                        claims_t.c.tracking_number == number,
                        claims_t.c.order_id == claim.order_id,
                        claims_t.c.parcel_id == claim.parcel_id,
                    )
                    .values(conflict=conflict, updated_at=now)
                )
                if claim.order_id not in states:
                    outcome.followups.add(claim.order_id)
    # This transaction's own parcels: their standing, from every claim they hold.
    for part in chunks(sorted(states)):
        standing: dict[tuple[str, str], bool] = {}
        for row in conn.execute(
            sa.select(claims_t.c.order_id, claims_t.c.parcel_id, claims_t.c.conflict).where(
                among(conn, claims_t.c.order_id, part)
            )
        ):
            standing[(row.order_id, row.parcel_id)] = standing.get((row.order_id, row.parcel_id), False) or row.conflict
        for order_id in part:
            for parcel_id, parcel in states[order_id].parcels.items():
                parcel.conflict = standing.get((order_id, parcel_id), False)
    if outcome.followups:
        follow_up(conn, outcome.followups, now)
    return outcome


def announce_shared(conn: Connection, numbers: Iterable[str], now: datetime) -> None:
    """`tracking.conflict` to the operator for numbers live in several stores: it holds no one
    (one store must not block another's orders), but the dock cannot tell the parcels apart.
    One notification per store, naming only that store's parcels."""
    for number in sorted(numbers):
        claims = [c for c in _claim_rows(conn, claims_t.c.tracking_number == number) if c.state == LIVE]
        for store_id in sorted({c.store_id for c in claims}, key=lambda s: s or ""):
            own = [c for c in claims if c.store_id == store_id]
            notification_id = new_id("ntf")
            body = {
                "id": notification_id,
                "type": "tracking.conflict",
                "created_at": now.isoformat(),
                "data": {
                    "order_id": own[0].order_id,
                    "parcel_id": own[0].parcel_id,
                    "store_id": store_id,
                    "station_id": None,
                    "reasons": [],
                    "tracking_number": number,
                    "parcels": [{"order_id": c.order_id, "parcel_id": c.parcel_id} for c in own],
                    "other_stores": True,
                },
            }
            write(
                conn,
                Insert(
                    outbox_t,
                    {
                        "notification_id": notification_id,
                        "type": "tracking.conflict",
                        "order_id": own[0].order_id,
                        "parcel_id": own[0].parcel_id,
                        "store_id": store_id,
                        "station_id": None,
                        "body": body,
                        "created_at": now,
                        "next_attempt_at": now,
                        "give_up_at": now + GIVE_UP_AFTER,
                    },
                ),
            )
            written(conn, notification_id)


# --- verdicts of whole orders --------------------------------------------------------------------------------


def settle_order(
    conn: Connection,
    settings: Settings,
    state: OrderState,
    current: dict[tuple[str, str], dict],
    now: datetime,
    *,
    partners: dict[str, OrderState] | None = None,
    recheck: bool = False,
    only: Iterable[str] | None = None,
) -> set[str]:
    """Re-judge an order's parcels that the floor must hear about, and bring their holds in line:
    a parcel on hold, one that wears a label and has not left (pulled at once if it stops being
    clear), and one whose number is in trouble (a conflict or mismatch goes on the board at once).

    Returns the orders to follow up: shipment partners of a parcel whose hold changed (their
    verdict includes this one's).
    """
    rules = settings.rules.for_store(state.store_id)
    followups: set[str] = set()
    for parcel_id in only if only is not None else state.judged_parcels():
        parcel = state.parcels.get(parcel_id)
        if parcel is not None and parcel.handed_over_at is not None:
            continue  # it left; nothing on the floor to change
        hold = current.get((state.order_id, parcel_id))
        evaluation = judge(state, parcel_id, settings, now, partners)
        held = hold is not None and hold["state"] == "held"
        labelled = parcel is not None and parcel.label is not None
        trouble = bool(TRACKING_TROUBLE.intersection(evaluation.codes))
        if not (held or labelled or trouble):
            continue
        after = holds.settle(
            conn, state, parcel_id, hold, evaluation, now, rules=rules, automatic=True, recheck=recheck
        )
        if after is not None:
            current[(state.order_id, parcel_id)] = after
        moved = (hold or {}).get("state") != (after or {}).get("state")
        if moved and partners and parcel is not None and parcel.shipment_id is not None:
            followups.update(member.order_id for member, _ in shipment_members(state, parcel_id, partners))
    followups.discard(state.order_id)
    return followups


def settle_orders(
    conn: Connection, settings: Settings, states: dict[str, OrderState], order_ids: Iterable[str], now: datetime,
    *, recheck: bool = False,
) -> None:  # fmt: skip
    """`settle_order` for several locked orders; partners outside them are followed up."""
    ids = sorted(set(order_ids))
    if not ids:
        return
    partners = load_partners(conn, {order_id: states[order_id] for order_id in ids})
    followups: set[str] = set()
    for part in chunks(ids):
        current = holds.current_holds(conn, list(part))
        for order_id in part:
            followups |= settle_order(
                conn, settings, states[order_id], current, now, partners=partners, recheck=recheck
            )
    follow_up(conn, followups - set(ids), now)


# --- follow-ups ----------------------------------------------------------------------------------------------


def follow_up(conn: Connection, order_ids: Iterable[str], now: datetime) -> None:
    """Queue other orders to be judged again under their own locks (inserts only: no lock taken)."""
    rows = [{"order_id": order_id, "created_at": now} for order_id in sorted(set(order_ids))]
    if rows:
        conn.execute(followups_t.insert(), rows)
        conn.info[FOLLOWUPS_KEY] = True


def run_followups(
    engine: Engine, settings: Settings, clock: Callable[[], datetime], limit: int = 200
) -> tuple[int, list[str]]:
    """Judge queued orders again, each under its own lock; returns (orders judged, notifications)."""
    with engine.begin() as conn:
        due = conn.execute(
            sa.select(followups_t.c.id, followups_t.c.order_id)
            .order_by(followups_t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not due:
            return 0, []
        conn.execute(followups_t.delete().where(followups_t.c.id.in_([row.id for row in due])))
        order_ids = sorted({row.order_id for row in due})
        states = lock_and_load(conn, order_ids)
        settle_orders(conn, settings, states, [o for o in order_ids if o in states], clock())
        notifications = take_written(conn)
    return len(order_ids), notifications
