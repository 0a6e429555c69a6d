"""Simulated time, as the replay and the guard it talks to see it.

`Timeline` turns the replay's minutes into the RFC 3339 times events carry. An
embedded guard lives on the simulated day itself; a running guard refuses facts
from the future, so against one the day is laid into the past, ending when the
replay starts.

`FileClock` is the embedded guard's clock: eight bytes in a shared file, the
simulated moment in microseconds since the epoch. The replay moves it forward a
step at a time, between requests; the guard process reads it wherever the
service layer asks `guard.clock.utcnow()`. So every hold's age, re-check and
escalation runs on simulated time, and a replay is the same on a slow machine.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FORMAT = "<q"


@dataclass(frozen=True)
class Timeline:
    """Minute 0 is `start` (00:00 of the simulated day, Beijing time, unless moved into the past)."""

    start: datetime

    @classmethod
    def on_day(cls, day: str) -> Timeline:
        return cls(datetime.combine(date.fromisoformat(day), datetime.min.time(), BEIJING))

    @classmethod
    def ending_before(cls, moment: datetime, horizon_minutes: int) -> Timeline:
        """The whole replay in the past of `moment` (whole minutes, Beijing time)."""
        start = (moment - timedelta(minutes=horizon_minutes + 1)).astimezone(BEIJING).replace(second=0, microsecond=0)
        return cls(start)

    def at(self, minute: float) -> datetime:
        return self.start + timedelta(minutes=minute)

    def iso(self, minute: float) -> str:
        return self.at(minute).isoformat(timespec="milliseconds")


class FileClock:
    SIZE = struct.calcsize(_FORMAT)

    def __init__(self, path: str | os.PathLike[str]):
        self._file = open(path, "r+b")
        self._map = mmap.mmap(self._file.fileno(), self.SIZE)

    @classmethod
    def create(cls, path: str | os.PathLike[str], moment: datetime) -> FileClock:
        with open(path, "wb") as handle:
            handle.write(struct.pack(_FORMAT, _micros(moment)))
        return cls(path)

    def now(self) -> datetime:
        (micros,) = struct.unpack_from(_FORMAT, self._map, 0)
        return EPOCH + timedelta(microseconds=micros)

    def set(self, moment: datetime) -> None:
        struct.pack_into(_FORMAT, self._map, 0, _micros(moment))

    def close(self) -> None:
        self._map.close()
        self._file.close()


def _micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
