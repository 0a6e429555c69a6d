"""AliExpress times are US Pacific wall-clock time, daylight saving included (guard/platform_time.py)."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guard.platform_time import from_wall_clock, to_wall_clock


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-10 08:06:40", utc(2026, 11, 10, 16, 6, 40)),  # PST, UTC-8
        ("2026-07-01 10:00:00", utc(2026, 7, 1, 17, 0, 0)),  # PDT, UTC-7
        ("2026-03-08 01:59:59", utc(2026, 3, 8, 9, 59, 59)),  # the last second of PST
        ("2026-03-08 03:00:00", utc(2026, 3, 8, 10, 0, 0)),  # the first of PDT
        ("2026/11/10 08:06", utc(2026, 11, 10, 16, 6, 0)),
        ("2026.11.10 08:06", utc(2026, 11, 10, 16, 6, 0)),
        ("2026-11-14", utc(2026, 11, 14, 8, 0, 0)),  # a date alone: the start of that Pacific day
    ],
)
def test_pacific_wall_clock_to_utc(text, expected):
    assert from_wall_clock(text) == expected


def test_the_hour_that_happens_twice_reads_as_the_earlier():
    # 2026-11-01 01:30 happens at 08:30 UTC (PDT) and again at 09:30 UTC (PST).
    assert from_wall_clock("2026-11-01 01:30:00") == utc(2026, 11, 1, 8, 30)


def test_a_time_in_the_spring_gap_reads_with_the_offset_before_the_change():
    assert from_wall_clock("2026-03-08 02:30:00") == utc(2026, 3, 8, 10, 30)


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-13-01 00:00:00", "2026-02-30", "11/10/2026 08:00"])
def test_what_is_no_time_is_refused(text):
    with pytest.raises(ValueError):
        from_wall_clock(text)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)))
def test_writing_then_reading_gives_the_same_instant_except_in_the_repeated_hour(moment):
    moment = moment.replace(microsecond=0)
    back = from_wall_clock(to_wall_clock(moment))
    # Only the autumn hour that happens twice can come back an hour early, never later.
    assert (moment - back).total_seconds() in (0, 3600)
