"""`python -m bench {ingest,batch,check,release,load,default,growth,rules,all} [--orders N] [--workers N] [--runs N]` — see docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy

from bench import BenchError, default, figures, growth, harness, load, release, report, zen
from bench.report import Row, judged
from bench.workload import Orders, make_orders, wave

# The performance-at-peak issue's targets (the first issue asked for 5,000 events/s and 1 s).
INGEST_TARGET = 10_000  # events/s, batches of 1,000
BATCH_TARGET_S = 0.5  # one POST /v1/checks of 20,000 ids
WAVE_SIZE = 20_000  # the contract's maximum for POST /v1/checks
UNKNOWN_SHARE = 0.05  # of a wave: ids the guard has never heard of
DEFAULT_INGEST_RUNS = 3
DEFAULT_BATCH_RUNS = 7
RESULTS = Path(__file__).with_name("results")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the guard against a scratch PostgreSQL database and the real server.",
    )
    parser.add_argument(
        "figure",
        choices=("ingest", "batch", "check", "release", "load", "default", "growth", "rules", "all"),
        help="`all` is every figure (rules needs `pip install -r bench/requirements.txt`)",
    )
    option = parser.add_argument
    option("--orders", metavar="N", type=int, default=20_000, help="orders per ingest run (default 20,000)")
    option("--workers", metavar="N", type=int, default=1, help="guard serve --workers (default 1)")
    option(
        "--load-workers",
        metavar="N",
        type=int,
        default=2,
        help="guard serve --workers for the load figures (default 2)",
    )
    option(
        "--prod-workers",
        metavar="N",
        type=int,
        default=1,
        help="guard serve --workers for the production shape in `default` (default 1, as many as make run's)",
    )
    option(
        "--runs",
        metavar="N",
        type=int,
        default=None,
        help=f"timed repetitions: ingest runs (default {DEFAULT_INGEST_RUNS}), batch calls "
        f"(default {DEFAULT_BATCH_RUNS}), runs of each load figure (default {load.DEFAULT_RUNS}) "
        f"and of each rules engine (default {zen.DEFAULT_RUNS})",
    )
    option("--connections", metavar="N", type=int, default=2, help="client connections for ingest (default 2)")
    option("--stations", metavar="N", type=int, default=8, help="concurrent clients for single checks (default 8)")
    option(
        "--duration",
        metavar="S",
        type=float,
        default=10.0,
        help="seconds of single checks, and of each load run (default 10)",
    )
    option(
        "--check-rate",
        metavar="R",
        type=float,
        default=load.CHECK_RATE,
        help=f"paced checks per second in the load figures (default {load.CHECK_RATE})",
    )
    option(
        "--label-rate",
        metavar="R",
        type=float,
        default=load.LABEL_RATE,
        help=f"paced labels per second in the load figures (default {load.LABEL_RATE})",
    )
    option(
        "--growth-orders",
        metavar="N",
        type=int,
        default=growth.LARGE,
        help=f"orders stored for the second half of the growth figure (default {growth.LARGE:,})",
    )
    option("--seed", metavar="S", type=int, default=1, help="workload seed (default 1)")
    option("--releases", metavar="N", type=int, default=200, help="held orders released one by one (default 200)")
    option(
        "--redis",
        metavar="URL",
        default="redis://127.0.0.1:6379/12",
        help="Redis for the release and load figures; the bench flushes that database (default db 12)",
    )
    args = parser.parse_args(argv)
    if (
        args.orders < 1
        or min(args.workers, args.load_workers, args.prod_workers) < 1
        or (args.runs is not None and args.runs < 1)
    ):
        parser.error("--orders, --workers, --load-workers, --prod-workers and --runs must be at least 1")
    if args.check_rate <= 0 or args.label_rate <= 0 or args.duration < 1:
        parser.error("--check-rate and --label-rate must be positive, --duration at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl-C and a plain kill both unwind through the clean-up (stop the server, drop the database).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    command = f"{sys.executable} -m bench {shlex.join(sys.argv[1:] if argv is None else argv)}"
    admin = harness.admin_url()
    try:
        postgres = "not used" if args.figure == "rules" else harness.postgres_version(admin)
    except sqlalchemy.exc.OperationalError as exc:
        print(f"cannot reach PostgreSQL (GUARD_BENCH_ADMIN_URL): {exc.orig}", file=sys.stderr)
        return 2
    machine = report.machine(postgres)
    print(f"command: {command}")
    for name, value in machine.items():
        print(f"{name}: {value}")
    try:
        rows, raw = run(args, admin)
    except KeyboardInterrupt:
        print("\ninterrupted; the server is stopped and the scratch database dropped", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"\nbench failed: {exc}", file=sys.stderr)
        return 1
    print()
    print(report.table(rows))
    saved = _save(command, machine, rows, raw)
    print(f"\nsaved {saved}")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace, admin: str) -> tuple[list[Row], dict]:
    wanted = (
        {"ingest", "batch", "check", "release", "load", "default", "growth", "rules"}
        if args.figure == "all"
        else {args.figure}
    )
    rows: list[Row] = []
    raw: dict = {}
    now = datetime.now(UTC)
    if "rules" in wanted:
        rows += zen.compare(args.runs or zen.DEFAULT_RUNS, args.seed, now, raw)
    if "release" in wanted:
        rows += _release(args, admin, raw)
    if wanted & {"ingest", "batch", "check"}:
        rows += _api(args, admin, wanted, now, raw)
    if "load" in wanted:
        rows += _peak(args, admin, now, raw)
    if "default" in wanted:
        rows += _default(args, now, admin, raw)
    if "growth" in wanted:
        _flush_redis(args.redis)
        rows += growth.figures(
            admin,
            args.load_workers,
            _production(args),
            rate=args.check_rate,
            seconds=args.duration,
            runs=args.runs or growth.DEFAULT_RUNS,
            seed=args.seed,
            large=args.growth_orders,
            raw=raw,
        )
    return rows, raw


def _production(args: argparse.Namespace) -> dict[str, str]:
    """The server's environment for the load and growth figures: as production runs it (docs/operations.md)."""
    return {"GUARD_ENV": "production", "GUARD_REDIS_URL": args.redis}


def _api(args: argparse.Namespace, admin: str, wanted: set[str], now: datetime, raw: dict) -> list[Row]:
    """Ingest, batch check and single checks, on one database and one server."""
    rows: list[Row] = []
    with harness.scratch_database(admin) as database_url:
        key = harness.bench_key(database_url)
        with harness.guard_server(database_url, args.workers) as server:
            print(f"server: guard serve --workers {args.workers}, pid {server.pid}, {server.base_url}\n")
            first = make_orders(args.orders, "B1", args.seed, now)
            if "ingest" in wanted:
                rows += _ingest(server, key, args, first, now, raw)
            else:
                _load(server, key, args, first)
            if "batch" in wanted:
                rows += _batch(server, key, args, first.order_ids, raw)
            if "check" in wanted:
                rows += _check(server, key, args, first.order_ids, raw)
    return rows


def _peak(args: argparse.Namespace, admin: str, now: datetime, raw: dict) -> list[Row]:
    """The load figures (bench/load.py), on a database and a server of their own.

    Shaped as production runs (docs/operations.md): GUARD_ENV=production, Redis, and
    a `guard worker` delivering what the checks put in the outbox.
    """
    _flush_redis(args.redis)
    env = _production(args)
    with harness.scratch_database(admin) as database_url:
        key = harness.bench_key(database_url)
        with (
            harness.guard_server(database_url, args.load_workers, env) as server,
            harness.guard_worker(database_url, env),
        ):
            print(
                f"load: GUARD_ENV=production guard serve --workers {args.load_workers}, pid {server.pid}, "
                f"{server.base_url}; guard worker on {args.redis}\n"
            )
            orders = make_orders(args.orders, "L1", args.seed, now)
            _load(server, key, args, orders)
            return load.figures(
                server,
                key,
                orders.order_ids,
                runs=args.runs or load.DEFAULT_RUNS,
                seconds=args.duration,
                check_rate=args.check_rate,
                label_rate=args.label_rate,
                seed=args.seed,
                raw=raw.setdefault("load", {}),
            )


def _default(args: argparse.Namespace, now: datetime, admin: str, raw: dict) -> list[Row]:
    """`make run`'s shape against the production shape, side by side (bench/default.py)."""
    _flush_redis(args.redis)
    orders = make_orders(args.orders, "D1", args.seed, now)

    def load_orders(server: harness.Server, key: str) -> list[str]:
        _load(server, key, args, orders)
        return orders.order_ids

    return default.figures(
        admin,
        _production(args),
        load_orders,
        prod_workers=args.prod_workers,
        runs=args.runs or load.DEFAULT_RUNS,
        seconds=args.duration,
        seed=args.seed,
        raw=raw,
    )


def _clients(server: harness.Server, key: str, count: int) -> list[httpx.Client]:
    return [figures.client(server.base_url, key) for _ in range(count)]


def _ingest(
    server: harness.Server, key: str, args: argparse.Namespace, first: Orders, now: datetime, raw: dict
) -> list[Row]:
    runs = args.runs or DEFAULT_INGEST_RUNS
    print(
        f"ingest: {runs} runs of {args.orders:,} new orders each, "
        f"batches of 1,000 events over {args.connections} connections"
    )
    results = []
    clients = _clients(server, key, args.connections)
    try:
        for number in range(1, runs + 1):
            orders = first if number == 1 else make_orders(args.orders, f"B{number}", args.seed, now)
            result = figures.ingest(clients, orders.batches(), server.cpu_seconds)
            results.append(result)
            print(
                f"  run {number}: {result.events:,} events in {report.seconds(result.seconds)}: "
                f"{result.events_per_s:,.0f} events/s, server CPU {report.seconds(result.server_cpu_s)} "
                f"({_outcomes(result.outcomes)})"
            )
    finally:
        for http in clients:
            http.close()
    rates = [result.events_per_s for result in results]
    median = statistics.median(rates)
    cpu_per_1000 = statistics.median(1000 * result.server_cpu_s / result.events for result in results)
    raw["ingest"] = [
        {"events": r.events, "seconds": r.seconds, "server_cpu_s": r.server_cpu_s, "outcomes": dict(r.outcomes)}
        for r in results
    ]
    return [
        judged(
            f"ingest, events/s (median of {runs} runs)",
            f"{median:,.0f}",
            f"≥ {INGEST_TARGET:,}",
            median >= INGEST_TARGET,
        ),
        Row("ingest, events/s (best run)", f"{max(rates):,.0f}"),
        Row("ingest, server CPU per 1,000 events", report.millis(cpu_per_1000)),
    ]


def _load(server: harness.Server, key: str, args: argparse.Namespace, first: Orders) -> None:
    """Load the orders the checks ask about (timed for information only)."""
    clients = _clients(server, key, args.connections)
    try:
        result = figures.ingest(clients, first.batches(), server.cpu_seconds)
    finally:
        for http in clients:
            http.close()
    print(f"loaded {args.orders:,} orders ({result.events:,} events) in {report.seconds(result.seconds)}\n")
    harness.analyze(server.database)  # untimed: what autovacuum does after a bulk load


def _batch(server: harness.Server, key: str, args: argparse.Namespace, known: list[str], raw: dict) -> list[Row]:
    runs = args.runs or DEFAULT_BATCH_RUNS
    order_ids = wave(known, WAVE_SIZE, UNKNOWN_SHARE, args.seed)
    print(
        f"batch: POST /v1/checks with {len(order_ids):,} ids ({UNKNOWN_SHARE:.0%} unknown), "
        f"1 warm-up call + {runs} timed"
    )
    with figures.client(server.base_url, key) as http:
        result = figures.batch_check(http, order_ids, runs, server.cpu_seconds)
    print(f"  times: {', '.join(report.seconds(value) for value in result.seconds)}")
    print(f"  server CPU: {', '.join(report.seconds(value) for value in result.server_cpu_s)}")
    print(f"  verdicts: {', '.join(f'{name} {count:,}' for name, count in result.counts.items())}")
    raw["batch"] = {
        "ids": result.ids,
        "seconds": result.seconds,
        "server_cpu_s": result.server_cpu_s,
        "counts": result.counts,
    }
    return [
        judged(
            f"batch check of {result.ids:,} ids, median of {runs}",
            report.seconds(result.median_s),
            f"≤ {BATCH_TARGET_S:g} s",
            result.median_s <= BATCH_TARGET_S,
        ),
        Row(f"batch check of {result.ids:,} ids, fastest", report.seconds(result.min_s)),
        Row("batch check, server CPU per call (median)", report.seconds(statistics.median(result.server_cpu_s))),
    ]


def _check(server: harness.Server, key: str, args: argparse.Namespace, known: list[str], raw: dict) -> list[Row]:
    print(
        f"check: POST /v1/orders/{{id}}/check from {args.stations} stations for {args.duration:g} s (after 1 s warm-up)"
    )
    clients = _clients(server, key, args.stations)
    try:
        load = figures.check_load(clients, known, args.duration, args.seed, server.cpu_seconds)
    finally:
        for http in clients:
            http.close()
    p50, p99 = load.percentile(50), load.percentile(99)
    errors = sum(load.errors.values())
    print(
        f"  {load.checks:,} checks in {report.seconds(load.seconds)}: {load.checks_per_s:,.0f} checks/s, "
        f"p50 {report.millis(p50)}, p99 {report.millis(p99)}, server CPU {report.seconds(load.server_cpu_s)}, "
        f"errors {errors}" + (f" {dict(load.errors)}" if errors else "")
    )
    raw["check"] = {
        "checks": load.checks,
        "seconds": load.seconds,
        "server_cpu_s": load.server_cpu_s,
        "stations": load.stations,
        "p50_s": p50,
        "p99_s": p99,
        "errors": dict(load.errors),
    }
    rows = [
        Row(f"single checks/s ({load.stations} stations)", f"{load.checks_per_s:,.0f}"),
        Row("single check latency p50", report.millis(p50)),
        Row("single check latency p99", report.millis(p99)),
        Row("single check, server CPU per check", report.millis(load.server_cpu_s / max(load.checks, 1))),
    ]
    if errors:
        rows.append(Row("single check errors (non-200)", f"{errors:,}", "0", "short"))
    return rows


def _release(args: argparse.Namespace, admin: str, raw: dict) -> list[Row]:
    """Event that clears a held order → signed webhook received, with Redis and one worker."""
    _flush_redis(args.redis)
    receiver = release.Receiver()
    env = {"GUARD_REDIS_URL": args.redis, "GUARD_WEBHOOK_URL": receiver.url, "GUARD_WEBHOOK_SECRET": "bench"}
    try:
        with harness.scratch_database(admin) as database_url:
            key = harness.bench_key(database_url)
            with (
                harness.guard_server(database_url, args.workers, env) as server,
                harness.guard_worker(database_url, env),
            ):
                print(
                    f"release: {args.releases} held orders released one by one, every 50 ms "
                    f"(PostgreSQL + Redis + guard serve + 1 worker)"
                )
                time.sleep(3)  # let the worker connect to the broker
                result = release.release_latency(server.base_url, key, receiver, args.releases, pace_s=0.05)
    finally:
        receiver.close()
    median, p99 = statistics.median(result.latencies_ms), result.percentile(99)
    print(f"  median {median:.0f} ms, p99 {p99:.0f} ms, missing {result.missing}")
    raw["release"] = {"latencies_ms": result.latencies_ms, "missing": result.missing}
    return [
        judged(
            "release: event → webhook received, median",
            f"{median:.0f} ms",
            f"≤ {release.TARGET_MEDIAN_MS} ms",
            median <= release.TARGET_MEDIAN_MS and not result.missing,
        ),
        judged(
            "release: event → webhook received, p99",
            f"{p99:.0f} ms",
            f"≤ {release.TARGET_P99_MS} ms",
            p99 <= release.TARGET_P99_MS and not result.missing,
        ),
    ]


def _flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        raise BenchError(f"the bench needs Redis at {url}: {exc}") from None
    finally:
        client.close()


def _outcomes(outcomes: Counter) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(outcomes.items()))


def _save(command: str, machine: dict, rows: list[Row], raw: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}.json"
    document = {"command": command, "machine": machine, "table": [row.__dict__ for row in rows], "raw": raw}
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


if __name__ == "__main__":
    sys.exit(main())
