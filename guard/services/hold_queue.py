"""The hold queue a supervisor works: listing it, and releasing a hold by hand.

A manual release is narrow (design, "Fail closed"): it waives only the waivable
reasons holding the order at that moment, each tied to the fact it saw, so a
newer fact of that type — or any new reason — holds the order again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from guard.errors import Conflict, NotFound, ValidationFailed, problem
from guard.ids import ID_PATTERN, ID_RULE
from guard.models import Hold, Order, Waiver
from guard.rules import REASONS, evaluate, fact_stamp
from guard.services import holds
from guard.services.apikeys import Principal
from guard.services.audit import decode_cursor, encode_cursor, record_decision
from guard.services.outbox import take_written
from guard.services.store import OrderState, facts_snapshot, load_states, lock_order

if TYPE_CHECKING:
    from guard.runtime import Runtime

holds_t = Hold.__table__
orders_t = Order.__table__
waivers_t = Waiver.__table__

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


def parse_filter(params: dict[str, str | None]) -> HoldFilter:
    problems = []
    state, reason, station_id = params.get("state"), params.get("reason"), params.get("station_id")
    if state is not None and state not in STATES:
        problems.append(problem("state", f"one of {', '.join(STATES)}"))
    if reason is not None and reason not in REASONS:
        problems.append(problem("reason", "not a reason code"))
    if station_id is not None and not ID_PATTERN.fullmatch(station_id):
        problems.append(problem("station_id", ID_RULE))
    overdue = None
    if (flag := params.get("overdue")) is not None:
        overdue = {"true": True, "false": False}.get(flag.lower())
        if overdue is None:
            problems.append(problem("overdue", "true or false"))
    limit = DEFAULT_PAGE
    if (text := params.get("limit")) is not None:
        # ASCII only: str.isdigit() also accepts "²" (int() then raises: a 500) and "١".
        limit = int(text) if text.isascii() and text.isdigit() else 0
        if not 1 <= limit <= MAX_PAGE:
            problems.append(problem("limit", f"a whole number from 1 to {MAX_PAGE}"))
    if problems:
        raise ValidationFailed(problems)
    return HoldFilter(state, reason, station_id, overdue, limit, params.get("cursor"))


def _has_reason(conn: Connection, code: str) -> sa.ColumnElement[bool]:
    # `reasons` is a JSON list; each backend has its own way to look inside.
    if conn.dialect.name == "postgresql":
        return sa.cast(holds_t.c.reasons, postgresql.JSONB).contains([code])
    return sa.exists(
        sa.select(sa.literal(1))
        .select_from(sa.func.json_each(holds_t.c.reasons).table_valued("value"))
        .where(sa.column("value") == code)
    )


def _filtered(conn: Connection, principal: Principal, flt: HoldFilter) -> sa.Select:
    query = sa.select(holds_t, orders_t.c.ship_by).select_from(
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
    return query.order_by(holds_t.c.since, holds_t.c.order_id)


def _item(row) -> dict:
    return {
        "order_id": row.order_id,
        "state": row.state,
        "reasons": row.reasons,
        "since": row.since,
        "station_id": row.station_id,
        "recheck_at": row.recheck_at,
        "ship_by": row.ship_by,
        "overdue": row.overdue,
        "store_id": row.store_id,
    }


def list_holds(rt: Runtime, principal: Principal, flt: HoldFilter) -> dict:
    """Oldest first, cursor-paged; a store-limited key sees only its stores."""
    with rt.engine.connect() as conn:
        query = _filtered(conn, principal, flt)
        if flt.cursor:
            since_text, order_id = decode_cursor(flt.cursor, 2)
            try:
                since = datetime.fromisoformat(since_text).astimezone(UTC)
            except (ValueError, OverflowError):
                raise ValidationFailed([problem("cursor", "not a cursor this guard issued")]) from None
            query = query.where(
                sa.or_(holds_t.c.since > since, sa.and_(holds_t.c.since == since, holds_t.c.order_id > order_id))
            )
        rows = conn.execute(query.limit(flt.limit + 1)).all()
    more = len(rows) > flt.limit
    rows = rows[: flt.limit]
    items = [_item(row) for row in rows]
    next_cursor = encode_cursor(rows[-1].since.isoformat(), rows[-1].order_id) if more else None
    return {"items": items, "next_cursor": next_cursor}


CSV_COLUMNS = ("order_id", "state", "reasons", "since", "station_id", "recheck_at", "ship_by", "overdue", "store_id")


def export_csv(rt: Runtime, principal: Principal, flt: HoldFilter) -> Iterator[str]:
    """Every matching hold as CSV, streamed in chunks: no row cap (seed point 4)."""
    yield ",".join(CSV_COLUMNS) + "\r\n"
    with rt.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(_filtered(conn, principal, flt))
        for rows in result.partitions():
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            for row in rows:
                item = _item(row)
                writer.writerow(
                    [
                        item["order_id"],
                        item["state"],
                        " ".join(item["reasons"]),
                        _iso(item["since"]),
                        item["station_id"] or "",
                        _iso(item["recheck_at"]),
                        _iso(item["ship_by"]),
                        "true" if item["overdue"] else "false",
                        item["store_id"] or "",
                    ]
                )
            yield buffer.getvalue()


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def summary(rt: Runtime, principal: Principal, now: datetime) -> dict:
    """What the hold board shows on top: counts by state and reason, overdue, oldest."""
    stores = sorted(principal.stores) if principal.stores is not None else None
    scope = holds_t.c.store_id.in_(stores) if stores is not None else sa.true()
    with rt.engine.connect() as conn:
        by_state: dict[str, int] = dict(
            conn.execute(sa.select(holds_t.c.state, sa.func.count()).where(scope).group_by(holds_t.c.state)).all()
        )
        held = sa.and_(scope, holds_t.c.state == "held")
        overdue = conn.execute(sa.select(sa.func.count()).where(held, holds_t.c.overdue.is_(True))).scalar_one()
        oldest = conn.execute(sa.select(sa.func.min(holds_t.c.since)).where(held)).scalar_one()
        if conn.dialect.name == "postgresql":
            code = sa.func.jsonb_array_elements_text(sa.cast(holds_t.c.reasons, postgresql.JSONB)).table_valued("value")
        else:
            code = sa.func.json_each(holds_t.c.reasons).table_valued("value")
        by_reason: dict[str, int] = dict(
            conn.execute(
                sa.select(code.c.value, sa.func.count())
                .select_from(holds_t)
                .join(code, sa.true())
                .where(held)
                .group_by(code.c.value)
            ).all()
        )
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


def parse_release(body: object) -> str:
    if not isinstance(body, dict):
        raise ValidationFailed([problem("", 'the body must be a JSON object: {"reason": "..."}')])
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
        raise ValidationFailed([problem("reason", "a written reason is required (1 to 1,000 characters)")])
    return reason.strip()


def _upsert_waiver(conn: Connection, values: dict) -> None:
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(waivers_t).values(**values)
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=["order_id", "code"],
            set_={key: insert.excluded[key] for key in values if key not in ("order_id", "code")},
        )
    )


def release_hold(rt: Runtime, principal: Principal, order_id: str, note: str, now: datetime) -> dict:
    """A supervisor's release: waive what may be waived, or refuse and say why."""
    with rt.engine.begin() as conn:
        lock_order(conn, order_id)
        current = holds.current_holds(conn, [order_id], lock=True).get(order_id)
        if current is None or current["state"] == "released" or not principal.sees(current["store_id"]):
            raise NotFound(f"no open hold for order {order_id!r}", code="HOLD_NOT_FOUND")
        if current["state"] == "blocked":
            raise Conflict("this order is blocked: pull the parcel and return it to stock", code="ORDER_BLOCKED")
        state = load_states(conn, [order_id]).get(order_id) or OrderState(order_id, store_id=current["store_id"])
        rules = rt.settings.rules.for_store(state.store_id)
        evaluation = evaluate(state.facts, now, rules, state.waivers)
        if evaluation.verdict == "block":
            raise Conflict(
                "this order is blocked: pull the parcel and return it to stock",
                code="ORDER_BLOCKED",
                details=[{"code": f.code} for f in evaluation.reasons if f.verdict == "block"],
            )
        refused = [f.code for f in evaluation.reasons if not REASONS[f.code].waivable]
        if refused:
            raise Conflict(
                "these reasons can never be waived; the hold stays until they clear",
                code="NOT_WAIVABLE",
                details=[{"code": code, "waivable": False} for code in refused],
            )
        decision_id = record_decision(
            conn,
            order_id=order_id,
            kind="release",
            verdict="clear",
            reasons=[],
            now=now,
            waived=[
                {"code": f.code, "note": note, "key_name": principal.name, "at": now.isoformat()}
                for f in evaluation.reasons
            ],
            facts=facts_snapshot(state.facts),
            key_name=principal.name,
            note=note,
        )
        for finding in evaluation.reasons:
            stamp = fact_stamp(state.facts, REASONS[finding.code].fact_type)
            _upsert_waiver(
                conn,
                {
                    "order_id": order_id,
                    "code": finding.code,
                    "fact_stamp": stamp,
                    "note": note,
                    "key_name": principal.name,
                    "granted_at": now,
                    "decision_id": decision_id,
                },
            )
            state.waivers[finding.code] = stamp
        released = holds.settle(
            conn, state, current, evaluate(state.facts, now, rules, state.waivers), now, rules=rules
        )
        notifications = take_written(conn)
    rt.dispatch(notifications)
    return {
        "order_id": order_id,
        "decision_id": decision_id,
        "hold": holds.hold_view(released),
        "waived": [{"code": f.code, "note": note, "key_name": principal.name, "at": now} for f in evaluation.reasons],
    }
