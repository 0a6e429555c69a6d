"""One simulation, start to finish: draw the day, replay it against a guard, write the report."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guard.simulate.clock import Timeline
from guard.simulate.params import Parameters
from guard.simulate.replay import GuardClient, Replay
from guard.simulate.world import draw_day

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Target:
    """Where to replay: a running guard (`url`, `key`), or a throwaway embedded one (`url` None)."""

    url: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Result:
    summary: dict[str, Any]
    report: Path
    summary_path: Path


def simulate(
    params: Parameters,
    out: Path,
    target: Target = Target(),
    *,
    threads: int = 4,
    progress: Callable[[str], None] | None = None,
) -> Result:
    from guard.simulate.report import write_report
    from guard.simulate.summary import summarize

    say = progress or (lambda line: None)
    started = time.monotonic()
    started_at = datetime.now(UTC)
    embedded = target.url is None
    # Against a running guard, ids carry a run tag: a second run must not meet the first one's events.
    tag = "" if embedded else secrets.token_hex(3)
    day = draw_day(params, prefix=f"D11-{tag + '-' if tag else ''}", tracking_tag=tag.upper())
    say(
        f"drew the day: {len(day.orders):,} orders, {len(day.deliveries):,} events, "
        f"line packs {day.line_per_hour:,.0f}/h ({time.monotonic() - started:.1f} s)"
    )
    with ExitStack() as stack:
        if embedded:
            from guard.simulate.embedded import embedded_guard

            timeline = Timeline.on_day(params.day)
            guard = stack.enter_context(embedded_guard(timeline.at(0)))
            client = GuardClient(guard.base_url, guard.key)
            replay = Replay(day, client, timeline, clock=guard.clock, sweep=guard.sweep, threads=threads, progress=say)
            where, clock = "an embedded guard (temporary SQLite, simulated clock)", "simulated"
            say(f"embedded guard up at {guard.base_url}")
        else:
            timeline = Timeline.ending_before(started_at, params.horizon_minutes)
            client = GuardClient(target.url or DEFAULT_URL, target.key or "")
            replay = Replay(day, client, timeline, threads=threads, progress=say)
            where, clock = target.url or DEFAULT_URL, "wall"
        stack.callback(client.close)
        outcome = replay.run()
    summary = summarize(outcome)
    summary["run"] = {
        "mode": "embedded" if embedded else "url",
        "guard": where,
        "clock": clock,
        "started_at": started_at.isoformat(timespec="seconds"),
        "simulated_from": timeline.at(0).isoformat(timespec="seconds"),
        "simulated_to": timeline.at(params.horizon_minutes).isoformat(timespec="seconds"),
        "requests": outcome.requests,
        "threads": threads,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    report, summary_path = write_report(outcome, summary, out)
    return Result(summary, report, summary_path)
