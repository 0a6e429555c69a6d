"""Decisions: every verdict that mattered, with what it saw, readable newest first."""

from __future__ import annotations

import base64
import binascii
import random
import re
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guard.errors import ValidationFailed, problem
from guard.models import Decision
from guard.storage.writes import Insert, Target, write

decisions_t = Decision.__table__
DECISION_ID = re.compile(r"dec_[0-9a-f]{1,40}", re.ASCII)


def new_id(prefix: str) -> str:
    """Time-ordered ids (like UUIDv7): sorting by id sorts by creation, ties included."""
    # 72 random bits after the microsecond: ids are not secrets (tokens use `secrets`), so
    # `random` serves, without a system call each (it reseeds itself in a forked worker).
    return f"{prefix}_{time.time_ns() // 1000:014x}{random.getrandbits(72):018x}"


def record_decision(
    conn: Target,
    *,
    order_id: str,
    kind: str,
    verdict: str,
    reasons: list[str],
    facts: dict,
    now: datetime,
    parcel_id: str | None = None,
    waived: list[dict] | None = None,
    station_id: str | None = None,
    operator: str | None = None,
    key_name: str | None = None,
    note: str | None = None,
) -> str:
    decision_id = new_id("dec")
    write(
        conn,
        Insert(
            decisions_t,
            {
                "decision_id": decision_id,
                "order_id": order_id,
                "parcel_id": parcel_id,
                "kind": kind,
                "verdict": verdict,
                "reasons": reasons,
                "waived": waived or [],
                "station_id": station_id,
                "operator": operator,
                "key_name": key_name,
                "facts": facts,
                "note": note,
                "decided_at": now,
            },
        ),
    )
    return decision_id


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("\x1f".join(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _not_ours() from None
    parts = raw.split("\x1f")
    if len(parts) != count:
        raise _not_ours()
    return parts


def _not_ours() -> ValidationFailed:
    return ValidationFailed([problem("cursor", "not a cursor this guard issued")])


def cursor_moment(text: str) -> datetime:
    """A time the guard wrote into a cursor (ISO 8601 with its offset), in UTC.

    Anything else is 422 here: a NUL or an out-of-range year would otherwise reach the
    database and come back as an error that reads like an outage (503)."""
    if not (text.isascii() and text.isprintable()):
        raise _not_ours()
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _not_ours() from None


def cursor_row_id(text: str) -> int:
    """A row id the guard wrote into a cursor: digits that fit a BIGINT (else 422)."""
    # ASCII only: str.isdigit() also accepts "²", which int() refuses.
    if not (text.isascii() and text.isdigit()) or int(text) >= 2**63:
        raise _not_ours()
    return int(text)


def decision_view(row: Any) -> dict:
    return {
        "decision_id": row.decision_id,
        "decided_at": row.decided_at,
        "kind": row.kind,
        "verdict": row.verdict,
        "parcel_id": row.parcel_id,
        "reasons": row.reasons,
        "waived": row.waived,
        "station_id": row.station_id,
        "operator": row.operator,
        "key_name": row.key_name,
        "facts": row.facts,
        "note": row.note,
    }


def page_of_decisions(conn: Connection, order_id: str, limit: int, cursor: str | None) -> dict:
    query = sa.select(decisions_t).where(decisions_t.c.order_id == order_id)
    if cursor:
        at_text, decision_id = decode_cursor(cursor, 2)
        if not DECISION_ID.fullmatch(decision_id) or "+" not in at_text[10:]:
            raise _not_ours()
        at = cursor_moment(at_text)
        query = query.where(
            sa.or_(
                decisions_t.c.decided_at < at,
                sa.and_(decisions_t.c.decided_at == at, decisions_t.c.decision_id < decision_id),
            )
        )
    rows = conn.execute(
        query.order_by(decisions_t.c.decided_at.desc(), decisions_t.c.decision_id.desc()).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].decided_at.isoformat(), rows[-1].decision_id) if more else None
    return {"items": [decision_view(row) for row in rows], "next_cursor": next_cursor}
