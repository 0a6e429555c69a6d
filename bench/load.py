"""`python -m bench load`: the single check and the label at peak, driven by real load generators.

- Saturation: wrk with 32 connections POSTs /v1/orders/{id}/check for random
  known orders as fast as the server answers (bench/load.lua), then GET /healthz
  the same way, alternately, `--runs` times. /healthz does no work, so it is
  the framework's ceiling on this machine; the ratio says how much of it a check keeps.
- Paced: checks at 500/s and labels at 200/s from an open-loop generator
  (bench/pacer.py), latency from each request's due time. A label spends a
  clearance, so each label run first collects fresh ones with checks of clear
  orders (for a parcel of its own, so the runs do not void each other's).
- Memory: the resident size of each server process once the load is over.

Each figure is split by CPU use as well (server, PostgreSQL, load generator,
everything else on the machine), since all of them share the 2 cores.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import uvloop

from bench import BenchError, harness
from bench.pacer import Connection, PacedRun, post_at_rate
from bench.report import Row, judged, millis

WRK_SCRIPT = Path(__file__).with_name("load.lua")
WRK_CONNECTIONS = 32
WRK_TIMEOUT = "10s"
DEFAULT_RUNS = 3
CHECK_RATE = 500  # checks/s
LABEL_RATE = 200  # labels/s

SATURATION_TARGET = 2000  # checks/s
RATIO_TARGET = 0.25  # checks/s ÷ /healthz answers/s
CHECK_P99_TARGET_S = 0.015
LABEL_P99_TARGET_S = 0.020
RSS_TARGET_BYTES = 250 * 1024**2

CHECK_BODY = orjson.dumps({"station_id": "bench"})
MiB = 1024**2


# --- CPU split ------------------------------------------------------------------------------------------


@dataclass
class CpuSplit:
    """Cores used during one measurement, by whom."""

    seconds: float
    server: float
    postgres: float  # the backends serving the server's database
    client: float  # this process and the children it waited for (wrk)
    machine: float
    connections_opened: int  # new PostgreSQL backends for the server's database

    def line(self) -> str:
        other = self.machine - self.server - self.postgres - self.client
        cores = {
            "server": self.server,
            "PostgreSQL": self.postgres,
            "load generator": self.client,
            "other": max(other, 0.0),
        }
        return (
            "cores busy: "
            + ", ".join(f"{name} {value / self.seconds:.2f}" for name, value in cores.items())
            + f" (of {os.cpu_count()}); {self.connections_opened} database connections opened"
        )

    def as_dict(self) -> dict:
        return {
            "seconds": self.seconds,
            "server_cpu_s": self.server,
            "postgres_cpu_s": self.postgres,
            "client_cpu_s": self.client,
            "machine_busy_s": self.machine,
            "connections_opened": self.connections_opened,
        }


class CpuMeter:
    """Measures a CpuSplit from its creation to `stop()`.

    PostgreSQL's backends come and go (the server's pool closes connections
    beyond its size when they are returned), so a thread samples them every
    SAMPLE_S and counts each backend's CPU up to its last sample.
    """

    SAMPLE_S = 0.2

    def __init__(self, server: harness.Server) -> None:
        self._server = server
        self._backends_before = server.postgres_backends()
        self._backends = dict(self._backends_before)
        self._stopping = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._start = self._totals()
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stopping.wait(self.SAMPLE_S):
            self._backends.update(self._server.postgres_backends())

    def _totals(self) -> tuple[float, float, float, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        client = time.process_time() + children.ru_utime + children.ru_stime
        return time.perf_counter(), self._server.cpu_seconds(), client, _machine_busy_seconds()

    def stop(self) -> CpuSplit:
        end = self._totals()
        self._stopping.set()
        self._sampler.join()
        self._backends.update(self._server.postgres_backends())
        seconds, server, client, machine = (after - before for after, before in zip(end, self._start))
        postgres = sum(cpu - self._backends_before.get(pid, 0.0) for pid, cpu in self._backends.items())
        opened = len(self._backends.keys() - self._backends_before.keys())
        return CpuSplit(seconds, server, postgres, client, machine, opened)


def _machine_busy_seconds() -> float:
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # user … steal


# --- wrk at saturation ------------------------------------------------------------------------------------


@dataclass
class WrkRun:
    requests: int
    seconds: float
    status_errors: int  # answers with a status ≥ 400
    socket_errors: int  # connect, read, write errors and timeouts
    p50_s: float
    p99_s: float
    cpu: CpuSplit

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors


def wrk(
    server: harness.Server, url: str, seconds: float, ids_file: Path | None = None, key: str | None = None
) -> WrkRun:
    """One wrk run; with `ids_file`, checks of random orders from it (see bench/load.lua)."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (apt-get install wrk)")
    command = [
        "wrk",
        "--threads",
        "2",
        "--connections",
        str(WRK_CONNECTIONS),
        "--duration",
        f"{round(seconds)}s",
        "--timeout",
        WRK_TIMEOUT,
        "--script",
        str(WRK_SCRIPT),
        url,
    ]
    if ids_file is not None:
        command += ["--", str(ids_file)]
    env = {**os.environ, "GUARD_BENCH_KEY": key or ""}
    meter = CpuMeter(server)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
    cpu = meter.stop()
    lines = [line for line in done.stdout.splitlines() if line.startswith("WRK ")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    result = orjson.loads(lines[-1].removeprefix("WRK "))
    return WrkRun(
        result["requests"],
        result["duration_us"] / 1e6,
        result["status_errors"],
        result["socket_errors"],
        result["p50_us"] / 1e6,
        result["p99_us"] / 1e6,
        cpu,
    )


def saturation(
    server: harness.Server, key: str, order_ids: list[str], runs: int, seconds: float, raw: dict
) -> list[Row]:
    print(
        f"saturation: wrk, {WRK_CONNECTIONS} connections, {round(seconds)} s each: "
        f"POST /v1/orders/{{id}}/check (random known orders) and GET /healthz, alternately, {runs} runs"
    )
    with tempfile.NamedTemporaryFile("w", prefix="guard-bench-ids-", suffix=".txt") as ids_file:
        ids_file.write("\n".join(order_ids) + "\n")
        ids_file.flush()
        ids = Path(ids_file.name)
        wrk(server, server.base_url, 2, ids, key)  # warm-up: connections, the key ring, caches
        checks, health = [], []
        for number in range(1, runs + 1):
            checks.append(wrk(server, server.base_url, seconds, ids, key))
            health.append(wrk(server, f"{server.base_url}/healthz", seconds))
            for name, run in (("check", checks[-1]), ("healthz", health[-1])):
                print(
                    f"  run {number} {name:>7}: {run.per_s:,.0f}/s, p50 {millis(run.p50_s)}, "
                    f"p99 {millis(run.p99_s)}, errors {run.status_errors} status + {run.socket_errors} socket; "
                    f"{run.cpu.line()}"
                )
    check_rate = statistics.median(run.per_s for run in checks)
    health_rate = statistics.median(run.per_s for run in health)
    ratio = check_rate / health_rate
    errors = sum(run.errors for run in checks)
    cpu_per_check = statistics.median(run.cpu.server / run.requests for run in checks)
    pg_per_check = statistics.median(run.cpu.postgres / run.requests for run in checks)
    raw["saturation"] = {
        "check": [_wrk_raw(run) for run in checks],
        "healthz": [_wrk_raw(run) for run in health],
    }
    return [
        judged(
            f"check at saturation, checks/s (wrk -c {WRK_CONNECTIONS}, median of {runs})",
            f"{check_rate:,.0f}",
            f"≥ {SATURATION_TARGET:,}",
            check_rate >= SATURATION_TARGET,
        ),
        judged("check at saturation, errors (status ≥ 400 or socket)", f"{errors:,}", "0", errors == 0),
        Row(f"/healthz at saturation, answers/s (median of {runs})", f"{health_rate:,.0f}"),
        judged("check ÷ /healthz", f"{ratio:.1%}", f"≥ {RATIO_TARGET:.0%}", ratio >= RATIO_TARGET),
        Row(
            "check at saturation, p50 / p99",
            f"{millis(_median_of(checks, 'p50_s'))} / {millis(_median_of(checks, 'p99_s'))}",
        ),
        Row(
            "check at saturation, CPU per check: server / PostgreSQL",
            f"{millis(cpu_per_check)} / {millis(pg_per_check)}",
        ),
    ]


def _median_of(runs: list[WrkRun], name: str) -> float:
    return statistics.median(getattr(run, name) for run in runs)


def _wrk_raw(run: WrkRun) -> dict:
    return {
        "requests": run.requests,
        "seconds": run.seconds,
        "status_errors": run.status_errors,
        "socket_errors": run.socket_errors,
        "p50_s": run.p50_s,
        "p99_s": run.p99_s,
        "cpu": run.cpu.as_dict(),
    }


# --- paced checks and labels ---------------------------------------------------------------------------------


def paced_checks(
    server: harness.Server, key: str, order_ids: list[str], rate: float, seconds: float, runs: int, seed: int, raw: dict
) -> list[Row]:
    print(
        f"paced checks: POST /v1/orders/{{id}}/check at {rate:g}/s for {seconds:g} s, random known orders, "
        f"{runs} runs (bench/pacer.py, open loop)"
    )
    results = []
    for number in range(1, runs + 1):
        rng = random.Random(f"{seed}:paced:{number}")
        ids = [rng.choice(order_ids) for _ in range(round(rate * seconds))]
        meter = CpuMeter(server)
        run = post_at_rate(server.base_url, key, lambda i: (f"/v1/orders/{ids[i]}/check", CHECK_BODY), rate, seconds)
        results.append((run, meter.stop()))
        _print_paced(number, run, results[-1][1])
    raw["paced_checks"] = [_paced_raw(run, cpu) for run, cpu in results]
    return _paced_rows("check", results, rate, CHECK_P99_TARGET_S)


def paced_labels(
    server: harness.Server, key: str, order_ids: list[str], rate: float, seconds: float, runs: int, seed: int, raw: dict
) -> list[Row]:
    needed = round(rate * seconds)
    print(
        f"paced labels: POST /v1/labels at {rate:g}/s for {seconds:g} s, {runs} runs, "
        f"each on {needed:,} fresh clearances from checks of clear orders"
    )
    results = []
    for number in range(1, runs + 1):
        candidates = random.Random(f"{seed}:labels:{number}").sample(order_ids, len(order_ids))[: needed * 3]
        started = time.perf_counter()
        # Each run labels a parcel of its own (parcel "bench-N", its notice recorded with its own number):
        # a check never creates a parcel, and a parcel labelled once gets no second clearance.
        declare_parcels(server.base_url, key, candidates, parcel_id=f"bench-{number}")
        tokens = clearances(server.base_url, key, candidates, needed, parcel_id=f"bench-{number}")
        print(f"  run {number}: {len(tokens):,} clearances collected in {time.perf_counter() - started:.1f} s")
        bodies = [orjson.dumps({"clearance": token, "station_id": "bench"}) for token in tokens]
        meter = CpuMeter(server)
        run = post_at_rate(server.base_url, key, lambda i: ("/v1/labels", bodies[i]), rate, seconds)
        results.append((run, meter.stop()))
        _print_paced(number, run, results[-1][1])
    raw["paced_labels"] = [_paced_raw(run, cpu) for run, cpu in results]
    return _paced_rows("label", results, rate, LABEL_P99_TARGET_S)


def declare_parcels(base_url: str, key: str, order_ids: list[str], parcel_id: str) -> None:
    """Record, for each order, the notice of a parcel `parcel_id` with a tracking number of its own."""
    import httpx

    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        for start in range(0, len(order_ids), 1000):
            events = [
                {
                    "event_id": f"{order_id}-{parcel_id}",
                    "order_id": order_id,
                    "type": "shipping_notice",
                    "status": "recorded",
                    "parcel_id": parcel_id,
                    "tracking_number": f"{parcel_id}-{order_id}",
                    "occurred_at": at,
                }
                for order_id in order_ids[start : start + 1000]
            ]
            http.post("/v1/events", json={"events": events}).raise_for_status()


def clearances(
    base_url: str, key: str, order_ids: list[str], count: int, parcel_id: str, connections: int = 8
) -> list[str]:
    """Check orders (for `parcel_id`) until `count` of them came back clear; their clearance tokens."""
    body = orjson.dumps({"station_id": "bench", "parcel_id": parcel_id})

    async def collect() -> list[str]:
        tokens: list[str] = []
        candidates = iter(order_ids)

        async def station(connection: Connection) -> None:
            for order_id in candidates:  # shared: each order is checked once
                if len(tokens) >= count:
                    break
                status, answer = await connection.post(f"/v1/orders/{order_id}/check", body)
                if status != 200:
                    raise BenchError(f"check answered {status}: {answer[:300]!r}")
                if (clearance := orjson.loads(answer)["clearance"]) is not None:
                    tokens.append(clearance["token"])
            connection.close()

        await asyncio.gather(*[station(await Connection.open(base_url, key)) for _ in range(connections)])
        return tokens[:count]

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        tokens = runner.run(collect())
    if len(tokens) < count:
        raise BenchError(f"only {len(tokens):,} of {len(order_ids):,} orders came back clear; {count:,} needed")
    return tokens


def _print_paced(number: int, run: PacedRun, cpu: CpuSplit) -> None:
    print(
        f"  run {number}: {len(run.latencies):,} answers in {run.seconds:.1f} s ({run.answered_per_s:,.0f}/s), "
        f"p50 {millis(run.percentile(50))}, p99 {millis(run.percentile(99))}, "
        f"max {millis(max(run.latencies, default=float('nan')))}, errors {run.errors}"
        + (f" {dict(run.statuses)}" if run.errors else "")
        + f"; {cpu.line()}"
    )


def _paced_raw(run: PacedRun, cpu: CpuSplit) -> dict:
    return {
        "rate": run.rate,
        "sent": run.sent,
        "seconds": run.seconds,
        "p50_s": run.percentile(50),
        "p99_s": run.percentile(99),
        "statuses": {str(k): v for k, v in run.statuses.items()},
        "client_cpu_s": run.client_cpu_s,
        "cpu": cpu.as_dict(),
    }


def _paced_rows(what: str, results: list[tuple[PacedRun, CpuSplit]], rate: float, target_s: float) -> list[Row]:
    runs = [run for run, _ in results]
    p50 = statistics.median(run.percentile(50) for run in runs)
    p99 = statistics.median(run.percentile(99) for run in runs)
    answered = statistics.median(run.answered_per_s for run in runs)
    errors = sum(run.errors for run in runs)
    server_cpu = statistics.median(cpu.server / len(run.latencies) for run, cpu in results)
    postgres_cpu = statistics.median(cpu.postgres / len(run.latencies) for run, cpu in results)
    client_cpu = statistics.median(run.client_cpu_s / len(run.latencies) for run, _ in results)
    return [
        judged(
            f"{what} at {rate:g}/s, p99 (median of {len(runs)})",
            millis(p99),
            f"≤ {millis(target_s)}",
            p99 <= target_s and errors == 0,
        ),
        Row(f"{what} at {rate:g}/s, p50 (median of {len(runs)})", millis(p50)),
        Row(f"{what} at {rate:g}/s, answered/s", f"{answered:,.0f}"),
        judged(f"{what} at {rate:g}/s, errors (not 2xx)", f"{errors:,}", "0", errors == 0),
        Row(
            f"{what} at {rate:g}/s, CPU per {what}: server / PostgreSQL / pacer",
            f"{millis(server_cpu)} / {millis(postgres_cpu)} / {millis(client_cpu)}",
        ),
    ]


# --- memory -------------------------------------------------------------------------------------------------


def memory(server: harness.Server, raw: dict) -> list[Row]:
    rss = server.rss_bytes()
    roles = {pid: _role(server, pid) for pid in rss}
    print(
        "memory at the end of the load: "
        + ", ".join(f"{roles[pid]} (pid {pid}) {size / MiB:.0f} MiB" for pid, size in rss.items())
    )
    raw["rss_bytes"] = {f"{roles[pid]} {pid}": size for pid, size in rss.items()}
    largest = max(rss.values())
    return [
        judged(
            f"RSS per API process, largest ({', '.join(sorted(set(roles.values())))})",
            f"{largest / MiB:.0f} MiB",
            f"< {RSS_TARGET_BYTES // MiB} MiB",
            largest < RSS_TARGET_BYTES,
        )
    ]


def _role(server: harness.Server, pid: int) -> str:
    if pid == server.pid:
        return "supervisor"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "gone"
    return "resource tracker" if b"resource_tracker" in command else "worker"


# --- the figure --------------------------------------------------------------------------------------------


def figures(
    server: harness.Server,
    key: str,
    order_ids: list[str],
    *,
    runs: int,
    seconds: float,
    check_rate: float,
    label_rate: float,
    seed: int,
    raw: dict,
) -> list[Row]:
    rows = saturation(server, key, order_ids, runs, seconds, raw)
    print()
    rows += paced_checks(server, key, order_ids, check_rate, seconds, runs, seed, raw)
    print()
    rows += paced_labels(server, key, order_ids, label_rate, seconds, runs, seed, raw)
    print()
    rows += memory(server, raw)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    raw["load_average_at_end"] = load
    rows.append(Row("load average at the end of the load figures", load))
    return rows
