"""The outbox relay: notifications committed with their cause, delivered after.

A row is claimed with a short lease (so a worker killed mid-delivery simply lets
the lease run out and the row is taken again), published to its station, and
POSTed to the webhook. It is done only after a 2xx; otherwise it is retried with
backoff for 24 hours, then marked failed — visible, and retryable by hand.
`next_attempt_at` is NULL exactly when a row needs nothing more.

A row's state, as listed: `pending` (due again), `delivered` (the webhook took
it), `failed` (gave up), or `skipped` (no webhook URL was configured when it was
relayed: nobody was told). `attempts` counts every try: each webhook POST, and
each station push when there was no POST to make.

Rows are claimed one at a time, each leased from the clock at its claim and signed
from the clock as it is sent: behind a slow receiver, a pass of many deliveries
neither sends signatures older than receivers accept nor lets a row's lease run out
before it is sent (another worker would take it).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guard import metrics
from guard.errors import NotFound
from guard.models import Notification
from guard.services.audit import cursor_row_id, decode_cursor, encode_cursor
from guard.stations import StationBus
from guard.storage.writes import PENDING_KEY, Staged
from guard.webhooks import Delivery

log = logging.getLogger("guard.outbox")

outbox_t = Notification.__table__
LEASE = timedelta(seconds=60)  # ≫ one delivery: the webhook's timeouts (connect 2 s, then 5 s)
GIVE_UP_AFTER = timedelta(hours=24)
NO_WEBHOOK = "not sent: no webhook URL was configured"
STATES = ("failed", "pending", "delivered", "skipped")

Clock = Callable[[], datetime]


class Sender(Protocol):
    def send(self, notification_id: str, body: bytes, timestamp: int) -> Delivery: ...


def written(conn: Connection | Staged, notification_id: str) -> None:
    """Remember, for after the commit, that this transaction wrote (or staged) a notification."""
    conn.info.setdefault(PENDING_KEY, []).append(notification_id)


def take_written(conn: Connection) -> list[str]:
    return conn.info.pop(PENDING_KEY, [])


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 30 min, with jitter so receivers are not stampeded."""
    base = min(5 * 2 ** max(attempts - 1, 0), 1800)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


@dataclass
class RelayReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def claimed(self) -> int:
        return self.delivered + self.retrying + self.failed + self.skipped


def _claim_statement(by_id: bool) -> sa.Update:
    """UPDATE … RETURNING the oldest due row (of the given ids), leased; `now`, `lease_until`,
    `limit` and `ids` are bound per call. Built once: the claim runs for every notification, and
    building and keying a new statement each time cost more of the process than the claim's
    own round trips (docs/benchmarks.md, "The default mode")."""
    due = sa.select(outbox_t.c.id).where(outbox_t.c.next_attempt_at <= sa.bindparam("now"))
    if by_id:
        due = due.where(outbox_t.c.notification_id.in_(sa.bindparam("ids", expanding=True)))
    due = due.order_by(outbox_t.c.id).limit(sa.bindparam("limit")).with_for_update(skip_locked=True)
    return (
        outbox_t.update()
        .where(outbox_t.c.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=sa.bindparam("lease_until"))
        .returning(outbox_t)
    )


_CLAIM_DUE = _claim_statement(by_id=False)
_CLAIM_IDS = _claim_statement(by_id=True)


def _claim(engine: Engine, now: datetime, notification_ids: list[str] | None, limit: int) -> list:
    params: dict = {"now": now, "lease_until": now + LEASE, "limit": limit}
    if notification_ids is not None:
        params["ids"] = notification_ids
    with engine.begin() as conn:
        claimed = conn.execute(_CLAIM_DUE if notification_ids is None else _CLAIM_IDS, params).all()
    return sorted(claimed, key=lambda row: row.id)


def relay(
    engine: Engine,
    bus: StationBus | None,
    sender: Sender | None,
    now: datetime | Clock,
    *,
    notification_ids: list[str] | None = None,
    limit: int = 200,
) -> RelayReport:
    """Deliver what is due (or just the given ids, if they are due), one leased row at a time.

    `now` is a clock (`utcnow` in the guard), read at each claim and each send; a fixed
    datetime runs the whole pass at that moment (tests that move time by hand).
    """
    clock: Clock = now if callable(now) else lambda: now
    report = RelayReport()
    if notification_ids is not None:
        # Each id is one row: once all are claimed there is nothing to ask for (a claim that
        # finds nothing is a transaction all the same).
        limit = min(limit, len(set(notification_ids)))
    while report.claimed < limit:
        claimed = _claim(engine, clock(), notification_ids, 1)
        if not claimed:
            break
        _deliver_one(engine, bus, sender, clock, claimed[0], report)
    return report


def _deliver_one(
    engine: Engine, bus: StationBus | None, sender: Sender | None, clock: Clock, row, report: RelayReport
) -> None:
    body = orjson.dumps(row.body)
    now = clock()
    changes: dict = {}
    published = row.published_at is not None or row.station_id is None
    tried = not published and bus is not None
    if bus is not None and not published:
        try:
            bus.publish(row.station_id, body)
            changes["published_at"] = now
            published = True
        except Exception as exc:  # the bus is down: the row stays due
            log.warning("station publish failed for %s: %s", row.notification_id, exc)
    elif bus is None:
        published = True  # nothing to publish on
    skipped = sender is None and row.delivered_at is None  # shown as it is, never as delivered
    delivered = row.delivered_at is not None or skipped
    error = None
    if not delivered and sender is not None:
        now = clock()  # signed as it leaves, not when the pass began
        outcome = sender.send(row.notification_id, body, int(now.timestamp()))
        tried, delivered, error = True, outcome.ok, outcome.error
        if delivered:
            changes["delivered_at"] = now
    attempts = row.attempts + 1 if tried else row.attempts
    if delivered and published:
        changes.update(next_attempt_at=None, attempts=attempts)
        if skipped:
            changes["last_error"] = NO_WEBHOOK
            report.skipped += 1
        else:
            report.delivered += 1
    else:
        changes.update(attempts=attempts, last_error=error or "station bus unavailable")
        if now >= (row.give_up_at or row.created_at + GIVE_UP_AFTER):
            changes.update(failed_at=now, next_attempt_at=None)
            report.failed += 1
            log.error("notification %s failed for good after %d attempts: %s", row.notification_id, attempts, error)
        else:
            changes["next_attempt_at"] = now + backoff(attempts)
            report.retrying += 1
    with engine.begin() as conn:
        # Only while the lease is still ours: a worker frozen past it (SIGSTOP, a VM pause) must
        # not write over the outcome of the worker that took the row after it.
        kept = conn.execute(
            outbox_t.update()
            .where(outbox_t.c.id == row.id, outbox_t.c.next_attempt_at == row.next_attempt_at)
            .values(**changes)
        ).rowcount
    if not kept:
        log.warning("notification %s: lease lost while delivering; its new holder records it", row.notification_id)
        return
    metrics.relayed(row, changes, sent=sender is not None)  # deliveries ok/failed, latency, gave up


def _state(row) -> str:
    if row.failed_at is not None:
        return "failed"
    if row.next_attempt_at is not None:
        return "pending"
    return "delivered" if row.delivered_at is not None else "skipped"


def _view(row) -> dict:
    return {
        "id": row.notification_id,
        "type": row.type,
        "state": _state(row),
        "order_id": row.order_id,
        "station_id": row.station_id,
        "created_at": row.created_at,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at,
        "delivered_at": row.delivered_at,
        "failed_at": row.failed_at,
        "body": row.body,
    }


def _of_stores(query, stores: frozenset[str] | None):
    """A store-limited key sees its stores' notifications only; one with no store, none."""
    return query if stores is None else query.where(outbox_t.c.store_id.in_(sorted(stores)))


def list_notifications(
    engine: Engine, state: str, limit: int, cursor: str | None, stores: frozenset[str] | None = None
) -> dict:
    """Notifications by state: `failed` (gave up), `pending` (still due), `delivered`, or `skipped`.

    `stores`: the caller's stores (None: every store)."""
    query = _of_stores(sa.select(outbox_t), stores)
    if state == "failed":
        query = query.where(outbox_t.c.failed_at.is_not(None))
    elif state == "pending":
        query = query.where(outbox_t.c.next_attempt_at.is_not(None))
    else:
        done = sa.and_(outbox_t.c.next_attempt_at.is_(None), outbox_t.c.failed_at.is_(None))
        sent = outbox_t.c.delivered_at.is_not(None) if state == "delivered" else outbox_t.c.delivered_at.is_(None)
        query = query.where(done, sent)
    if cursor:
        (last_id,) = decode_cursor(cursor, 1)
        query = query.where(outbox_t.c.id > cursor_row_id(last_id))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(outbox_t.c.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_view(row) for row in rows], "next_cursor": encode_cursor(str(rows[-1].id)) if more else None}


def retry_failed(
    engine: Engine, now: datetime, notification_id: str | None = None, stores: frozenset[str] | None = None
) -> list[str]:
    """Put failed notifications back in line (one, or all of the caller's stores); returns their ids."""
    query = _of_stores(sa.select(outbox_t.c.id, outbox_t.c.notification_id), stores)
    query = query.where(outbox_t.c.failed_at.is_not(None))
    if notification_id is not None:
        query = query.where(outbox_t.c.notification_id == notification_id)
    with engine.begin() as conn:
        rows = conn.execute(query).all()
        if notification_id is not None and not rows:
            raise NotFound(f"no failed notification {notification_id!r}", code="NOTIFICATION_NOT_FOUND")
        if rows:
            conn.execute(
                outbox_t.update()
                .where(outbox_t.c.id.in_([row.id for row in rows]))
                .values(failed_at=None, next_attempt_at=now, attempts=0, give_up_at=now + GIVE_UP_AFTER)
            )
    return [row.notification_id for row in rows]
