"""The hold queue a supervisor works: listing it, and releasing a hold by hand.

A manual release is narrow (design, "Fail closed"): it waives only the waivable
reasons holding the order at that moment, each tied to the fact it saw, so a
newer fact of that type — or any new reason — holds the order again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard.errors import Conflict, NotFound, ValidationFailed, problem
from guard.ids import ID_PATTERN
from guard.models import Hold, Order, Parcel, Waiver
from guard.rules import REASONS, Evaluation, fact_stamp
from guard.services import holds
from guard.services.apikeys import Principal
from guard.services.audit import cursor_moment, decode_cursor, encode_cursor, record_decision
from guard.services.parcels import judge, load_partners
from guard.storage.dialects import dialect_of
from guard.storage.state import OrderState, count_by_reason, facts_snapshot, lock_and_load
from guard.storage.writes import upsert_rows

if TYPE_CHECKING:
    from guard.services.context import Context

holds_t = Hold.__table__
orders_t = Order.__table__
waivers_t = Waiver.__table__
parcels_t = Parcel.__table__

STATES = ("held", "blocked", "released")
MAX_PAGE = 1000
DEFAULT_PAGE = 100


@dataclass(frozen=True, slots=True)
class HoldFilter:
    state: str | None = None
    reason: str | None = None
    station_id: str | None = None
    overdue: bool | None = None
    limit: int = DEFAULT_PAGE
    cursor: str | None = None


def _has_reason(conn: Connection, code: str) -> sa.ColumnElement[bool]:
    return dialect_of(conn).has_reason(holds_t.c.reasons, code)  # `reasons` is a JSON list


# How many parcels the hold's order has: the board names the parcel only where there are several.
_PARCEL_COUNT = (
    sa.select(sa.func.count())
    .where(parcels_t.c.order_id == holds_t.c.order_id)
    .correlate(holds_t)
    .scalar_subquery()
    .label("order_parcels")
)


def _filtered(conn: Connection, principal: Principal, flt: HoldFilter) -> sa.Select:
    query = sa.select(holds_t, orders_t.c.ship_by, orders_t.c.buyer_country, _PARCEL_COUNT).select_from(
        holds_t.outerjoin(orders_t, orders_t.c.order_id == holds_t.c.order_id)
    )
    if flt.state:
        query = query.where(holds_t.c.state == flt.state)
    if flt.reason:
        query = query.where(_has_reason(conn, flt.reason))
    if flt.station_id:
        query = query.where(holds_t.c.station_id == flt.station_id)
    if flt.overdue is not None:
        query = query.where(holds_t.c.overdue.is_(flt.overdue))
    if principal.stores is not None:
        query = query.where(holds_t.c.store_id.in_(sorted(principal.stores)))
    return query.order_by(holds_t.c.since, holds_t.c.order_id, holds_t.c.parcel_id)


def _item(row) -> dict:
    return {
        "order_id": row.order_id,
        "parcel_id": row.parcel_id,
        "order_parcels": max(row.order_parcels or 0, 1),
        "state": row.state,
        "reasons": row.reasons,
        "since": row.since,
        "station_id": row.station_id,
        "recheck_at": row.recheck_at,
        "ship_by": row.ship_by,
        "overdue": row.overdue,
        "store_id": row.store_id,
        "buyer_country": row.buyer_country,
    }


def list_holds(ctx: Context, principal: Principal, flt: HoldFilter) -> dict:
    """Oldest first, cursor-paged; a store-limited key sees only its stores."""
    with ctx.storage.reading() as conn:
        query = _filtered(conn, principal, flt)
        if flt.cursor:
            since_text, order_id, parcel_id = decode_cursor(flt.cursor, 3)
            since = cursor_moment(since_text)
            if not (ID_PATTERN.fullmatch(order_id) and ID_PATTERN.fullmatch(parcel_id)):
                raise ValidationFailed([problem("cursor", "not a cursor this guard issued")])
            after = sa.tuple_(holds_t.c.order_id, holds_t.c.parcel_id) > sa.tuple_(order_id, parcel_id)
            query = query.where(sa.or_(holds_t.c.since > since, sa.and_(holds_t.c.since == since, after)))
        rows = conn.execute(query.limit(flt.limit + 1)).all()
    more = len(rows) > flt.limit
    rows = rows[: flt.limit]
    items = [_item(row) for row in rows]
    next_cursor = encode_cursor(rows[-1].since.isoformat(), rows[-1].order_id, rows[-1].parcel_id) if more else None
    return {"items": items, "next_cursor": next_cursor}


CSV_COLUMNS = (
    "order_id",
    "parcel_id",
    "state",
    "reasons",
    "since",
    "station_id",
    "recheck_at",
    "ship_by",
    "overdue",
    "store_id",
    "buyer_country",
)


def export_csv(ctx: Context, principal: Principal, flt: HoldFilter) -> Iterator[str]:
    """Every matching hold as CSV, streamed in chunks: no row cap (seed point 4); formula-leading
    cells neutralised (`spreadsheet_safe`)."""
    yield ",".join(CSV_COLUMNS) + "\r\n"
    with ctx.storage.reading() as conn:
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(_filtered(conn, principal, flt))
        for rows in result.partitions():
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            for row in rows:
                item = _item(row)
                cells = [
                    item["order_id"],
                    item["parcel_id"],
                    item["state"],
                    " ".join(item["reasons"]),
                    _iso(item["since"]),
                    item["station_id"] or "",
                    _iso(item["recheck_at"]),
                    _iso(item["ship_by"]),
                    "true" if item["overdue"] else "false",
                    item["store_id"] or "",
                    item["buyer_country"] or "",
                ]
                writer.writerow([spreadsheet_safe(cell) for cell in cells])
            yield buffer.getvalue()


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a leading `'`
    (OWASP, "CSV injection"). Ids may start with `-`, and `-A1` is a formula."""
    return "'" + cell if cell.startswith(FORMULA_LEADS) else cell


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def summary(ctx: Context, principal: Principal, now: datetime) -> dict:
    """What the hold board shows on top: counts by state and reason, overdue, oldest."""
    stores = sorted(principal.stores) if principal.stores is not None else None
    scope = holds_t.c.store_id.in_(stores) if stores is not None else sa.true()
    with ctx.storage.reading() as conn:
        by_state: dict[str, int] = dict(
            conn.execute(sa.select(holds_t.c.state, sa.func.count()).where(scope).group_by(holds_t.c.state)).all()
        )
        held = sa.and_(scope, holds_t.c.state == "held")
        overdue = conn.execute(sa.select(sa.func.count()).where(held, holds_t.c.overdue.is_(True))).scalar_one()
        oldest = conn.execute(sa.select(sa.func.min(holds_t.c.since)).where(held)).scalar_one()
        by_reason = count_by_reason(conn, held)
    if isinstance(oldest, datetime) and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return {
        "held": by_state.get("held", 0),
        "blocked": by_state.get("blocked", 0),
        "released": by_state.get("released", 0),
        "overdue": overdue,
        "by_reason": dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
        "oldest_since": oldest,
        "as_of": now,
    }


def release_hold(ctx: Context, principal: Principal, order_id: str, note: str, now: datetime) -> dict:
    """A supervisor's release of an order: for each held parcel, waive what may be waived — or refuse
    the whole release and say why (a blocked parcel, a reason that can never be waived)."""

    def work(conn: Connection) -> dict:
        states = lock_and_load(conn, [order_id])
        open_holds = {
            parcel_id: hold
            for (_, parcel_id), hold in holds.current_holds(conn, [order_id], states=("held", "blocked")).items()
        }
        if not open_holds or not principal.sees(next(iter(open_holds.values()))["store_id"]):
            raise NotFound(f"no open hold for order {order_id!r}", code="HOLD_NOT_FOUND")
        state = states.get(order_id) or OrderState(order_id, store_id=next(iter(open_holds.values()))["store_id"])
        partners = load_partners(conn, {order_id: state})
        if any(hold["state"] == "blocked" for hold in open_holds.values()):
            raise Conflict("this order is blocked: pull the parcel and return it to stock", code="ORDER_BLOCKED")
        evaluations = {pid: judge(state, pid, ctx.settings, now, partners) for pid in sorted(open_holds)}
        _refuse_unless_waivable(evaluations.values())
        # Waivable reasons are the order's own facts' (payment, cancellation, freight): one waiver each.
        # A shipment member's reasons are that member's to release.
        waived_codes = list(dict.fromkeys(f.code for e in evaluations.values() for f in e.reasons if f.member is None))
        decision_id = record_decision(
            conn,
            order_id=order_id,
            parcel_id=None if len(open_holds) > 1 else next(iter(open_holds)),
            kind="release",
            verdict="clear",
            reasons=[],
            now=now,
            waived=[
                {"code": code, "note": note, "key_name": principal.name, "at": now.isoformat()} for code in waived_codes
            ],
            facts=facts_snapshot(state.facts),
            key_name=principal.name,
            note=note,
        )
        _grant_waivers(conn, state, waived_codes, note, principal.name, decision_id, now)
        rules = ctx.settings.rules.for_store(state.store_id)
        released = {
            pid: holds.settle(conn, state, pid, hold, judge(state, pid, ctx.settings, now, partners), now, rules=rules)
            for pid, hold in sorted(open_holds.items())
        }
        only = next(iter(released.values())) if len(released) == 1 else None
        return {
            "order_id": order_id,
            "decision_id": decision_id,
            "hold": holds.hold_view(only) if only is not None else holds.hold_view(released.get("1")),
            "parcels": [{"parcel_id": pid, "hold": holds.hold_view(hold)} for pid, hold in released.items()],
            "waived": [{"code": code, "note": note, "key_name": principal.name, "at": now} for code in waived_codes],
        }

    return ctx.storage.run(work)


def _refuse_unless_waivable(evaluations: Iterable[Evaluation]) -> None:
    """A release is all or nothing: refused if any parcel is blocked, or rests on a reason that can
    never be waived (PAYMENT_UNPAID from the platform, or any reason resting on a fact without a
    time of its own: Finding.waivable)."""
    findings = [finding for evaluation in evaluations for finding in evaluation.reasons]
    blocking = [finding for finding in findings if finding.verdict == "block"]
    if blocking:
        raise Conflict(
            "this order is blocked: pull the parcel and return it to stock",
            code="ORDER_BLOCKED",
            details=[{"code": finding.code} for finding in blocking],
        )
    refused = list(dict.fromkeys(finding.code for finding in findings if not finding.waivable))
    if refused:
        raise Conflict(
            "these reasons can never be waived; the hold stays until they clear",
            code="NOT_WAIVABLE",
            details=[{"code": code, "waivable": False} for code in refused],
        )


def _grant_waivers(
    conn: Connection,
    state: OrderState,
    codes: list[str],
    note: str,
    key_name: str | None,
    decision_id: str,
    now: datetime,
) -> None:
    """One waiver per code, bound to the fact it waives as it stands now (a newer fact ends it)."""
    for code in codes:
        stamp = fact_stamp(state.facts, REASONS[code].fact_type)
        row = {
            "order_id": state.order_id,
            "code": code,
            "fact_stamp": stamp,
            "note": note,
            "key_name": key_name,
            "granted_at": now,
            "decision_id": decision_id,
        }
        upsert_rows(conn, waivers_t, [row])
        state.waivers[code] = stamp
