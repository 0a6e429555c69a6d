"""One simulation, start to finish: draw the day, play it through the baseline warehouses and
through a guard, write the report (and, with a sweep, do it once per value)."""

from __future__ import annotations

import multiprocessing
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guard.simulate.clock import Timeline
from guard.simulate.floor import ErpPolicy, Floor, Policy
from guard.simulate.params import NOTICE_TIMINGS, Parameters, show
from guard.simulate.replay import GuardClient, GuardPolicy
from guard.simulate.world import Day, draw_day

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Target:
    """Where to replay: a running guard (`url`, `key`), or a throwaway embedded one (`url` None)."""

    url: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Sweep:
    """`--sweep NAME=v1,v2,...`: the day once per value."""

    name: str
    values: tuple[str, ...]


@dataclass
class DayRun:
    """One day played through every warehouse: the summary, and the guarded warehouse's floor."""

    summary: dict[str, Any]
    guard: Floor


@dataclass(frozen=True)
class Result:
    summary: dict[str, Any]
    report: Path
    summary_path: Path


def play_baselines(day: Day) -> tuple[Floor, dict[str, Floor]]:
    """The day through the naive warehouse and the ERP with each notice timing (no guard, no I/O)."""
    naive = Floor(day, Policy()).run()
    return naive, {timing: Floor(day, ErpPolicy(timing)).run() for timing in NOTICE_TIMINGS}


def compare(params: Parameters, prefix: str, tag: str) -> tuple[dict[str, Any], float]:
    """The baselines' figures for the day of `params` (and the seconds it took); run in a process
    of its own, beside the guard's replay, so it adds nothing to a run's wall time."""
    from guard.simulate.summary import baselines

    started = time.monotonic()
    naive, erp = play_baselines(draw_day(params, prefix=prefix, tracking_tag=tag))
    return baselines(naive, erp, params.erp_notice_timing), round(time.monotonic() - started, 1)


def play_day(
    params: Parameters,
    target: Target = Target(),
    *,
    threads: int = 4,
    progress: Callable[[str], None] | None = None,
) -> DayRun:
    from guard.simulate.summary import summarize

    say = progress or (lambda line: None)
    started, started_at = time.monotonic(), datetime.now(UTC)
    embedded = target.url is None
    # Against a running guard, ids carry a run tag: a second run must not meet the first one's events.
    tag = "" if embedded else secrets.token_hex(3)
    prefix = f"D11-{tag + '-' if tag else ''}"
    with ExitStack() as stack:
        # The baselines are pure and the replay mostly waits on the guard: the second core plays them.
        pool = stack.enter_context(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
        baselines = pool.submit(compare, params, prefix, tag.upper())
        day = draw_day(params, prefix=prefix, tracking_tag=tag.upper())
        drawn = time.monotonic()
        say(f"drew the day: {len(day.orders):,} orders, {params.packer_count} packers ({drawn - started:.1f} s)")
        if embedded:
            from guard.simulate.embedded import embedded_guard

            timeline = Timeline.on_day(params.day)
            guard = stack.enter_context(embedded_guard(timeline.at(0)))
            client = GuardClient(guard.base_url, guard.key)
            policy = GuardPolicy(client, timeline, clock=guard.clock, sweep=guard.sweep, threads=threads)
            where, clock = "an embedded guard (temporary SQLite, simulated clock)", "simulated"
            say(f"embedded guard up at {guard.base_url}")
        else:
            timeline = Timeline.ending_before(started_at, params.horizon_minutes)
            client = GuardClient(target.url or DEFAULT_URL, target.key or "")
            policy = GuardPolicy(client, timeline, threads=threads)
            where, clock = target.url or DEFAULT_URL, "wall"
        stack.callback(client.close)
        stack.callback(policy.close)
        floor = Floor(day, policy, progress=say).run()
        replayed = time.monotonic()
        compared, baseline_seconds = baselines.result()
    summary = summarize(floor, compared)
    summary["run"] = {
        "mode": "embedded" if embedded else "url",
        "guard": where,
        "clock": clock,
        "started_at": started_at.isoformat(timespec="seconds"),
        "simulated_from": timeline.at(0).isoformat(timespec="seconds"),
        "simulated_to": timeline.at(params.horizon_minutes).isoformat(timespec="seconds"),
        "requests": client.requests,
        "threads": threads,
        "wall_seconds": round(time.monotonic() - started, 1),
        "seconds": {
            "draw": round(drawn - started, 1),
            "guard_replay": round(replayed - drawn, 1),
            "baselines_beside_it": baseline_seconds,
        },
    }
    return DayRun(summary, floor)


def simulate(
    params: Parameters,
    out: Path,
    target: Target = Target(),
    *,
    threads: int = 4,
    sweep: Sweep | None = None,
    progress: Callable[[str], None] | None = None,
) -> Result:
    from guard.simulate.report import write_report
    from guard.simulate.summary import sweep_entry

    say = progress or (lambda line: None)
    started = time.monotonic()
    run = play_day(params, target, threads=threads, progress=say)
    summary = run.summary
    if sweep is not None:
        entries = []
        base = show(getattr(params, sweep.name))
        for text in sweep.values:
            varied = params.with_overrides({sweep.name: text})
            value = getattr(varied, sweep.name)
            if show(value) == base:
                entries.append(sweep_entry(sweep.name, value, summary))
                continue
            say(f"sweep: {sweep.name} = {show(value)}")
            entries.append(sweep_entry(sweep.name, value, play_day(varied, target, threads=threads).summary))
        summary["sweep"] = entries
    summary["run"]["total_seconds"] = round(time.monotonic() - started, 1)
    report, summary_path = write_report(run, summary, out)
    return Result(summary, report, summary_path)
