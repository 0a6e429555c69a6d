"""`python -m bench default`: the shape `make run` starts, against the production shape, in one run.

`make run` starts `guard serve` with its defaults: one process, text logs, and
without Redis the jobs (outbox delivery, re-checks) embedded in that process. The
production shape hands notifications to Celery through Redis (a `guard worker`
delivers them) and logs JSON lines. Both servers run side by side, each on a
scratch database of its own loaded with the same orders, so the figures come
from the same machine in the same minutes:

Each round, within a minute or so (the machine has 2 cores, shared with whatever
else runs, and its spare capacity moves from one minute to the next):

1. wrk at saturation: `/healthz` on the default server (the framework's
   ceiling), checks on the default server, checks on the production server
   (which also gives its orders the same first visits);
2. the pace: half the default server's saturation in this round;
3. paced checks at that pace (bench/pacer.py, open loop) on each server, which
   goes first alternating from round to round: the p99 of each, and their ratio.

The figure is the median of the rounds' ratios.

The production server has `--prod-workers` processes (default 1, as many as
the default shape may have: the ratio then measures the jobs and the logs, not a
second core's worth of processes).
"""

from __future__ import annotations

import random
import statistics
import tempfile
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench import harness
from bench.load import CHECK_BODY, CpuMeter, CpuSplit, WrkRun, wrk
from bench.pacer import PacedRun, post_at_rate
from bench.report import Row, judged, millis

RATIO_TARGET = 2.0  # default shape's p99 ÷ production shape's p99, at the same pace
WARM_UP_S = 2


@dataclass
class Shape:
    name: str
    server: harness.Server
    key: str


@dataclass
class Paced:
    run: PacedRun
    cpu: CpuSplit


@dataclass
class Round:
    health: WrkRun
    saturation: dict[str, WrkRun]  # shape → its check run
    pace: int
    paced: dict[str, Paced]  # shape → its paced run

    def p99(self, shape: str) -> float:
        return self.paced[shape].run.percentile(99)

    def cpu_per_check(self, shape: str) -> float:
        paced = self.paced[shape]
        return paced.cpu.server / max(len(paced.run.latencies), 1)

    @property
    def ratio(self) -> float:
        return self.p99("default") / self.p99("production")


def default_env() -> dict[str, str]:
    """`make run`'s defaults, whatever the caller's environment says: development, text logs, no Redis."""
    return {
        "GUARD_ENV": "development",
        "GUARD_LOG_FORMAT": "auto",
        "GUARD_REDIS_URL": "",
        "GUARD_EMBEDDED_JOBS": "true",
    }


def figures(
    admin: str,
    production_env: dict[str, str],
    load_orders: Callable[[harness.Server, str], list[str]],
    *,
    prod_workers: int,
    runs: int,
    seconds: float,
    seed: int,
    raw: dict,
) -> list[Row]:
    """`load_orders(server, key)` loads the workload's orders through a server (untimed)."""
    with ExitStack() as stack:
        default_db = stack.enter_context(harness.scratch_database(admin))
        production_db = stack.enter_context(harness.scratch_database(admin))
        default = Shape(
            "default",
            stack.enter_context(harness.guard_server(default_db, 1, default_env())),
            harness.bench_key(default_db),
        )
        production = Shape(
            "production",
            stack.enter_context(harness.guard_server(production_db, prod_workers, production_env)),
            harness.bench_key(production_db),
        )
        stack.enter_context(harness.guard_worker(production_db, production_env))
        print(
            f"default: guard serve --workers 1 (make run's defaults: text logs, embedded jobs, no Redis), "
            f"pid {default.server.pid}\nproduction: GUARD_ENV=production guard serve --workers {prod_workers} "
            f"with Redis and a guard worker, pid {production.server.pid}\n"
        )
        order_ids: list[str] = []
        for shape in (default, production):
            order_ids = load_orders(shape.server, shape.key)
        return _measure(default, production, order_ids, runs, seconds, seed, raw)


def _measure(
    default: Shape, production: Shape, order_ids: list[str], runs: int, seconds: float, seed: int, raw: dict
) -> list[Row]:
    print(
        f"{runs} rounds, each in the same minute: wrk ({round(seconds)} s, 32 connections) on /healthz and on "
        f"checks of the default server, then on checks of the production server; then paced checks at half the "
        f"round's default saturation ({seconds:g} s, open loop) on each, alternating which goes first"
    )
    rounds: list[Round] = []
    with tempfile.NamedTemporaryFile("w", prefix="guard-bench-ids-", suffix=".txt") as ids_file:
        ids_file.write("\n".join(order_ids) + "\n")
        ids_file.flush()
        ids = Path(ids_file.name)
        for shape in (default, production):
            wrk(shape.server, shape.server.base_url, WARM_UP_S, ids, shape.key)
        for number in range(1, runs + 1):
            health = wrk(default.server, f"{default.server.base_url}/healthz", seconds)
            _print_wrk(number, "healthz (default)", health)
            saturation = {}
            for shape in (default, production):
                saturation[shape.name] = wrk(shape.server, shape.server.base_url, seconds, ids, shape.key)
                _print_wrk(number, f"check ({shape.name})", saturation[shape.name])
            pace = round(saturation["default"].per_s / 2)
            rng = random.Random(f"{seed}:default:{number}")
            wanted = [rng.choice(order_ids) for _ in range(round(pace * seconds))]
            paced: dict[str, Paced] = {}
            for shape in (default, production) if number % 2 else (production, default):
                meter = CpuMeter(shape.server)
                run = post_at_rate(
                    shape.server.base_url,
                    shape.key,
                    lambda i, wanted=wanted: (f"/v1/orders/{wanted[i]}/check", CHECK_BODY),
                    pace,
                    seconds,
                )
                paced[shape.name] = Paced(run, meter.stop())
                print(
                    f"  round {number} {f'paced {pace}/s ({shape.name})':>24}: {run.answered_per_s:,.0f}/s, "
                    f"p50 {millis(run.percentile(50))}, p99 {millis(run.percentile(99))}, "
                    f"max {millis(max(run.latencies, default=float('nan')))}, errors {run.errors}; "
                    f"{paced[shape.name].cpu.line()}"
                )
            rounds.append(Round(health, saturation, pace, paced))
            print(f"  round {number}: default p99 ÷ production p99 = {rounds[-1].ratio:.2f}")

    def median(values: Iterable[float]) -> float:
        return statistics.median(values)

    ratio = median(r.ratio for r in rounds)
    errors = sum(p.run.errors for r in rounds for p in r.paced.values()) + sum(
        run.errors for r in rounds for run in r.saturation.values()
    )
    raw["default"] = [
        {
            "healthz_per_s": r.health.per_s,
            "saturation_per_s": {name: run.per_s for name, run in r.saturation.items()},
            "pace": r.pace,
            "paced": {
                name: {
                    "p50_s": p.run.percentile(50),
                    "p99_s": p.run.percentile(99),
                    "errors": p.run.errors,
                    **p.cpu.as_dict(),
                }
                for name, p in r.paced.items()
            },
        }
        for r in rounds
    ]
    return [
        Row(
            f"/healthz at saturation, default server, answers/s (median of {runs})",
            f"{median(r.health.per_s for r in rounds):,.0f}",
        ),
        Row(
            f"default shape: checks/s at saturation (median of {runs})",
            f"{median(r.saturation['default'].per_s for r in rounds):,.0f}",
        ),
        Row(
            "default shape: check ÷ /healthz (median of the rounds)",
            f"{median(r.saturation['default'].per_s / r.health.per_s for r in rounds):.1%}",
        ),
        Row(
            f"production shape: checks/s at saturation (median of {runs})",
            f"{median(r.saturation['production'].per_s for r in rounds):,.0f}",
        ),
        Row("pace: half the round's default saturation, checks/s (each round)", ", ".join(str(r.pace) for r in rounds)),
        Row(f"default shape: p99 at that pace (median of {runs})", millis(median(r.p99("default") for r in rounds))),
        Row(
            f"production shape: p99 at the same pace (median of {runs})",
            millis(median(r.p99("production") for r in rounds)),
        ),
        judged(
            f"default p99 ÷ production p99, same round (median of {runs})",
            f"{ratio:.2f}",
            f"≤ {RATIO_TARGET:g}",
            ratio <= RATIO_TARGET,
        ),
        Row("default p99 ÷ production p99, each round", ", ".join(f"{r.ratio:.2f}" for r in rounds)),
        Row(
            "server CPU per paced check: default / production (median)",
            f"{millis(median(r.cpu_per_check('default') for r in rounds))} / "
            f"{millis(median(r.cpu_per_check('production') for r in rounds))}",
        ),
        judged("errors (not 2xx, socket)", f"{errors:,}", "0", errors == 0),
    ]


def _print_wrk(number: int, name: str, run: WrkRun) -> None:
    print(
        f"  round {number} {name:>20}: {run.per_s:,.0f}/s, p50 {millis(run.p50_s)}, p99 {millis(run.p99_s)}, "
        f"errors {run.errors}; {run.cpu.line()}"
    )
