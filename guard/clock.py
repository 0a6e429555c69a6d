"""The one place the service layer reads the clock (rules never do)."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
