"""The one place the service layer reads the clock (rules never do)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
