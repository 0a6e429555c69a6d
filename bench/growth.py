"""`python -m bench growth`: what a single check and a wave check cost as the store grows.

The same measurements at two sizes of one database — first 10,000 orders, then
topped up to 1,000,000 — against the same production-shaped server:

- single check p99 at a paced rate (bench/pacer.py), random orders among all stored;
- wave checks of 5,000, 10,000 and 20,000 ids (median of a few calls each), to
  see the time grow with the ids asked for, not with the orders stored.

The orders are written straight into the tables with SQL (generate_series):
through the API a million orders (five million events) would take the best part
of ten minutes and measure ingest, not growth. Each order gets the five facts of
a cleared order, with every twentieth still waiting for its payment, as the
workload (bench/workload.py) has them; the events table gets one row per fact.
"""

from __future__ import annotations

import random
import statistics
import time

import sqlalchemy as sa

from bench import BenchError, harness
from bench.figures import batch_check, client
from bench.load import CHECK_BODY, CpuMeter
from bench.pacer import post_at_rate
from bench.report import Row, judged, millis

SMALL, LARGE = 10_000, 1_000_000
WAVES = (5_000, 10_000, 20_000)
GROWTH_TARGET = 1.20  # p99 at LARGE within 20 % of SMALL's
LINEAR_SLACK = 1.5  # time per id of the largest wave at most this × the smallest's
STORES = 12
WARM_UP_S = 3.0
DEFAULT_RUNS = 5  # p99 of a 10 s run moves with the machine's hiccups: the median of five

# One statement per table, over a range of order numbers; %(a)s..%(b)s inclusive.
_LOAD = (
    """INSERT INTO orders (order_id, store_id, created_at, updated_at)
       SELECT 'G' || lpad(i::text, 8, '0'), 'store-' || lpad((mod(i, {stores}) + 1)::text, 2, '0'), now(), now()
       FROM generate_series(%(a)s::int, %(b)s::int) AS i""",
    """INSERT INTO facts (order_id, fact_type, status, occurred_at, event_id, updated_at)
       SELECT 'G' || lpad(i::text, 8, '0'), f.fact_type,
              CASE WHEN f.fact_type = 'payment' AND mod(i, 20) = 0 THEN 'processing' ELSE f.status END,
              now() - interval '1 hour', 'ge-' || i || '-' || f.fact_type, now()
       FROM generate_series(%(a)s::int, %(b)s::int) AS i,
            (VALUES ('payment', 'paid'), ('risk', 'none'),
                    ('freight', 'not_applicable'), ('cancellation', 'rejected')) AS f(fact_type, status)""",
    # Each order's parcel "1", its notice recorded with a number of its own, claimed live.
    """INSERT INTO parcels (order_id, parcel_id, notice_status, notice_occurred_at, notice_event_id, notice_untimed,
                            tracking_number, carrier, created_at, updated_at)
       SELECT 'G' || lpad(i::text, 8, '0'), '1', 'recorded', now() - interval '1 hour', 'gn-' || i, false,
              'LP' || i, 'Cainiao', now(), now()
       FROM generate_series(%(a)s::int, %(b)s::int) AS i""",
    """INSERT INTO tracking_claims (tracking_number, order_id, parcel_id, store_id, state, conflict, updated_at)
       SELECT 'LP' || i, 'G' || lpad(i::text, 8, '0'), '1',
              'store-' || lpad((mod(i, {stores}) + 1)::text, 2, '0'), 'live', false, now()
       FROM generate_series(%(a)s::int, %(b)s::int) AS i""",
    """INSERT INTO events (event_id, order_id, fact_type, status, occurred_at, received_at, outcome, payload)
       SELECT event_id, order_id, fact_type, status, occurred_at, now(), 'applied', '{{}}'::json
       FROM facts WHERE order_id BETWEEN 'G' || lpad(%(a)s::int::text, 8, '0') AND 'G' || lpad(%(b)s::int::text, 8, '0')""",
)


def order_id(number: int) -> str:
    return f"G{number:08d}"


def load_orders(database_url: str, first: int, last: int) -> float:
    """Write orders `first`..`last` (and their facts and events); returns the seconds it took."""
    engine = sa.create_engine(database_url)
    started = time.perf_counter()
    try:
        step = 100_000
        with engine.begin() as conn:
            for a in range(first, last + 1, step):
                for statement in _LOAD:
                    conn.exec_driver_sql(statement.format(stores=STORES), {"a": a, "b": min(a + step - 1, last)})
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("VACUUM ANALYZE")
            # Flush the load's gigabyte of dirty pages now: a checkpoint that falls inside a
            # timed run stalls every commit behind its writes, and that measures the disk, not growth.
            conn.exec_driver_sql("CHECKPOINT")
    finally:
        engine.dispose()
    return time.perf_counter() - started


def _at_size(server: harness.Server, key: str, stored: int, rate: float, seconds: float, runs: int, seed: int) -> dict:
    rng = random.Random(f"{seed}:growth:{stored}")
    # Untimed: the server's first requests (connections, prepared statements) are not growth either.
    post_at_rate(
        server.base_url,
        key,
        lambda i: (f"/v1/orders/{order_id(rng.randint(1, stored))}/check", CHECK_BODY),
        rate,
        WARM_UP_S,
    )
    p99s = []
    errors = 0
    for number in range(1, runs + 1):
        ids = [order_id(rng.randint(1, stored)) for _ in range(round(rate * seconds))]
        meter = CpuMeter(server)
        run = post_at_rate(server.base_url, key, lambda i: (f"/v1/orders/{ids[i]}/check", CHECK_BODY), rate, seconds)
        meter.stop()
        p99s.append(run.percentile(99))
        errors += run.errors
        print(
            f"  {stored:>9,} orders, run {number}: {len(run.latencies):,} checks at {rate:g}/s, "
            f"p50 {millis(run.percentile(50))}, p99 {millis(run.percentile(99))}, errors {run.errors}"
        )
    waves = {}
    with client(server.base_url, key) as http:
        for size in WAVES:
            wave = [order_id(rng.randint(1, stored)) for _ in range(size)]
            result = batch_check(http, wave, runs, server.cpu_seconds)
            waves[size] = statistics.median(result.seconds)
            print(
                f"  {stored:>9,} orders, wave of {size:,}: median {waves[size]:.3f} s "
                f"({1e6 * waves[size] / size:.1f} µs per id)"
            )
    return {"p99_s": statistics.median(p99s), "p99_runs_s": p99s, "errors": errors, "waves_s": waves}


def figures(
    admin: str,
    workers: int,
    env: dict[str, str],
    *,
    rate: float,
    seconds: float,
    runs: int,
    seed: int,
    large: int,
    raw: dict,
) -> list[Row]:
    if large <= SMALL:
        raise BenchError(f"--growth-orders must be more than {SMALL:,}")
    print(
        f"growth: single checks at {rate:g}/s and waves of {', '.join(f'{n:,}' for n in WAVES)} ids, "
        f"with {SMALL:,} and then {large:,} orders stored"
    )
    sizes = {}
    with harness.scratch_database(admin) as database_url:
        key = harness.bench_key(database_url)
        print(f"  loaded {SMALL:,} orders in {load_orders(database_url, 1, SMALL):.1f} s")
        with harness.guard_server(database_url, workers, env) as server:
            sizes[SMALL] = _at_size(server, key, SMALL, rate, seconds, runs, seed)
        print(f"  loaded {large - SMALL:,} more orders in {load_orders(database_url, SMALL + 1, large):.1f} s")
        with harness.guard_server(database_url, workers, env) as server:
            sizes[large] = _at_size(server, key, large, rate, seconds, runs, seed)
    raw["growth"] = {str(size): figures for size, figures in sizes.items()}
    small, big = sizes[SMALL], sizes[large]
    ratio = big["p99_s"] / small["p99_s"]
    per_id = {size: big["waves_s"][size] / size for size in WAVES}
    spread = per_id[WAVES[-1]] / per_id[WAVES[0]]
    errors = small["errors"] + big["errors"]
    return [
        Row(f"growth: check p99 at {rate:g}/s, {SMALL:,} orders stored", millis(small["p99_s"])),
        Row(f"growth: check p99 at {rate:g}/s, {large:,} orders stored", millis(big["p99_s"])),
        judged(
            f"growth: p99 with {large:,} ÷ with {SMALL:,}",
            f"{ratio:.2f}",
            f"≤ {GROWTH_TARGET:.2f}",
            ratio <= GROWTH_TARGET and errors == 0,
        ),
        Row(
            f"growth: waves with {large:,} stored, " + " / ".join(f"{n // 1000}k" for n in WAVES),
            " / ".join(f"{big['waves_s'][n]:.3f} s" for n in WAVES),
        ),
        judged(
            f"growth: wave time per id, {WAVES[-1] // 1000}k ÷ {WAVES[0] // 1000}k ids (linear: ≈ 1)",
            f"{spread:.2f}",
            f"≤ {LINEAR_SLACK:.1f}",
            spread <= LINEAR_SLACK,
        ),
    ]
