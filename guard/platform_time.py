"""Times from the AliExpress open platform: US Pacific wall-clock time, written without an offset.

The field docs of the seller order APIs say so for each time ("it's US pacific time":
`gmt_create`, `gmt_modified`, `gmt_pay_time`, and the `create_date_*`/`modified_date_*`
query parameters). "US Pacific time" is the civil time of the US West Coast, which keeps
daylight saving: PST (UTC−8) in winter, PDT (UTC−7) from the second Sunday of March to the
first Sunday of November — the IANA zone America/Los_Angeles. A reader must convert;
neither UTC nor China time is right, and a fixed −8 is wrong for eight months a year.

Twice a year the wall clock is ambiguous: at the autumn change 01:00-01:59 happens twice,
and at the spring change 02:00-02:59 never happens. Such a time is read as its earlier
instant (Python's fold=0), and the sync overlaps its windows by more than the hour that
may be misread (guard/services/aliexpress_sync.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")

# "2026-11-11 09:30:00", "2026-11-11 09:30", "2026/11/11 09:30:00", "2026.11.11 09:30",
# "2026-11-11T09:30:00", or a date alone: how the platform and its exports write times.
_WALL_CLOCK = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?",
    re.ASCII,
)
PLATFORM_FORMAT = "%Y-%m-%d %H:%M:%S"  # how the APIs want a time in a request


def from_wall_clock(text: str, zone: ZoneInfo = PACIFIC) -> datetime:
    """A wall-clock time in `zone` (no offset), as an aware UTC datetime. Raises ValueError.

    A date alone is the start of that day: a deadline read early only escalates early.
    """
    match = _WALL_CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a date and time: {text!r} (expected e.g. 2026-11-11 09:30:00)")
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=zone)  # fold=0: the earlier instant
    except ValueError as exc:
        raise ValueError(f"not a real date and time: {text!r} ({exc})") from None
    # A time in the spring gap does not exist; fold=0 reads it with the offset before the change.
    return local.astimezone(UTC)


def to_wall_clock(moment: datetime, zone: ZoneInfo = PACIFIC) -> str:
    """An aware datetime as the platform writes it (Pacific, no offset), for a request."""
    return moment.astimezone(zone).strftime(PLATFORM_FORMAT)
