"""`python -m bench.versions OTHER_TREE`: this tree's server against another tree's, side by side, in one run.

Both servers run at once (`guard serve --workers N`, JSON logs, no Redis and no
embedded jobs: the check's own path is what is compared), each on a scratch database of its own loaded
with the same orders; the other tree's server gets `PYTHONPATH=OTHER_TREE`, so its
`guard` package is imported from there. Then the bench's single-check load (8
stations back to back, random known orders, as `python -m bench check`) runs on
each in turn, alternating which goes first, `--runs` times. On a shared 2-core
machine only figures taken in the same minutes compare; the medians and the
per-round ratios are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from bench import figures, harness, report
from bench.workload import make_orders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.versions", description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="a tree whose `guard` package is the other version")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--stations", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not (args.other / "guard" / "__init__.py").exists():
        parser.error(f"{args.other} has no guard package")
    print(f"command: {sys.executable} -m bench.versions {' '.join(sys.argv[1:] if argv is None else argv)}")
    for name, value in report.machine(harness.postgres_version(harness.admin_url())).items():
        print(f"{name}: {value}")
    # No Redis and no jobs: the check's own path is compared, nothing else in the process.
    env = {
        "GUARD_ENV": "development",
        "GUARD_LOG_FORMAT": "json",
        "GUARD_REDIS_URL": "",
        "GUARD_EMBEDDED_JOBS": "false",
    }
    shapes = {"this": env, "other": {**env, "PYTHONPATH": str(args.other.resolve())}}
    orders = make_orders(args.orders, "V1", args.seed, datetime.now(UTC))
    results: dict[str, list[figures.CheckLoad]] = {name: [] for name in shapes}
    with ExitStack() as stack:
        servers = {}
        for name, shape_env in shapes.items():
            database = stack.enter_context(harness.scratch_database(harness.admin_url()))
            key = harness.bench_key(database)
            server = stack.enter_context(harness.guard_server(database, args.workers, shape_env))
            clients = [figures.client(server.base_url, key) for _ in range(2)]
            figures.ingest(clients, orders.batches(), server.cpu_seconds)
            harness.analyze(server.database)  # what autovacuum does after a bulk load
            servers[name] = (server, key)
        print(
            f"\nsingle checks from {args.stations} stations, {args.duration:g} s each, alternately, {args.runs} rounds"
        )
        for number in range(args.runs):
            for name in list(shapes) if number % 2 == 0 else list(shapes)[::-1]:
                server, key = servers[name]
                clients = [figures.client(server.base_url, key) for _ in range(args.stations)]
                try:
                    load = figures.check_load(
                        clients, orders.order_ids, args.duration, args.seed + number, server.cpu_seconds
                    )
                finally:
                    for http in clients:
                        http.close()
                results[name].append(load)
                print(
                    f"  round {number + 1} {name:>5}: {load.checks_per_s:,.0f} checks/s, p50 "
                    f"{report.millis(load.percentile(50))}, p99 {report.millis(load.percentile(99))}, "
                    f"server CPU per check {report.millis(load.server_cpu_s / max(load.checks, 1))}, "
                    f"errors {sum(load.errors.values())}"
                )
    print()
    for name, loads in results.items():
        print(
            f"{name:>5} (median of {len(loads)}): {statistics.median(x.checks_per_s for x in loads):,.0f} checks/s, "
            f"p50 {report.millis(statistics.median(x.percentile(50) for x in loads))}, "
            f"p99 {report.millis(statistics.median(x.percentile(99) for x in loads))}, server CPU per check "
            f"{report.millis(statistics.median(x.server_cpu_s / max(x.checks, 1) for x in loads))}"
        )
    ratios = [a.checks_per_s / b.checks_per_s for a, b in zip(results["this"], results["other"])]
    cpu = [
        (a.server_cpu_s / max(a.checks, 1)) / (b.server_cpu_s / max(b.checks, 1))
        for a, b in zip(results["this"], results["other"])
    ]
    print(
        f"this ÷ other, checks/s per round: {', '.join(f'{r:.2f}' for r in ratios)}; median {statistics.median(ratios):.2f}"
    )
    print(
        f"this ÷ other, server CPU per check per round: {', '.join(f'{r:.2f}' for r in cpu)}; median {statistics.median(cpu):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
