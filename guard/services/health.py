"""Readiness: the database decides; Redis and the outbox backlog are reported."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from guard.config import Settings
from guard.db import reading
from guard.models import Notification

outbox_t = Notification.__table__


def _redis_status(url: str | None) -> str:
    if not url:
        return "not configured"
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            client.ping()
        finally:
            client.close()
        return "up"
    except Exception:  # any failure means "down" here; readiness never depends on it
        return "down"


def readiness(engine: Engine, settings: Settings) -> dict:
    report: dict = {"database": "up", "redis": _redis_status(settings.redis_url), "outbox_backlog": None}
    try:
        with reading(engine) as conn:
            report["outbox_backlog"] = conn.execute(
                sa.select(sa.func.count()).select_from(outbox_t).where(outbox_t.c.next_attempt_at.is_not(None))
            ).scalar_one()
    except SQLAlchemyError:
        report["database"] = "down"
    return report
