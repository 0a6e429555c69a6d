"""The three measurements, each over HTTP against the running server, timed by the client.

Client-observed times include the client's own work and the loopback hop, so
they bound the server's time from above; on a small machine the client also
takes CPU from the server it measures.
"""

from __future__ import annotations

import queue
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import httpx
import orjson

from bench import BenchError

JSON = {"Content-Type": "application/json"}
TIMEOUT_S = 300

T = TypeVar("T")
CpuClock = Callable[[], float]  # the server's CPU seconds so far (harness.Server.cpu_seconds)


def client(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=TIMEOUT_S)


def _ok(response: httpx.Response) -> dict:
    if response.status_code != 200:
        raise BenchError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return orjson.loads(response.content)


def _in_parallel(jobs: Sequence[Callable[[threading.Event], T]]) -> list[T]:
    """Run each job in its own thread; the first failure (or Ctrl-C) sets `stop` for the others."""
    stop = threading.Event()
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(job, stop) for job in jobs]
        try:
            return [future.result() for future in futures]
        finally:
            stop.set()


# --- ingest -----------------------------------------------------------------------------------


@dataclass
class IngestRun:
    events: int
    seconds: float
    server_cpu_s: float
    outcomes: Counter

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds


def ingest(clients: Sequence[httpx.Client], batches: list[bytes], cpu: CpuClock) -> IngestRun:
    """POST every batch to /v1/events, the clients sharing the queue; wall time from first send to last answer."""
    pending: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    for body in batches:
        pending.put(body)

    def send(http: httpx.Client, stop: threading.Event) -> Counter:
        outcomes: Counter = Counter()
        while not stop.is_set():
            try:
                body = pending.get_nowait()
            except queue.Empty:
                break
            results = _ok(http.post("/v1/events", content=body, headers=JSON))["results"]
            outcomes.update(result["outcome"] for result in results)
        return outcomes

    cpu_before, started = cpu(), time.perf_counter()
    tallies = _in_parallel([partial(send, http) for http in clients])
    seconds, server_cpu_s = time.perf_counter() - started, cpu() - cpu_before
    outcomes = sum(tallies, Counter())
    return IngestRun(sum(outcomes.values()), seconds, server_cpu_s, outcomes)


# --- batch check --------------------------------------------------------------------------------


@dataclass
class BatchRuns:
    ids: int
    seconds: list[float]
    server_cpu_s: list[float]
    counts: dict[str, int]

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def min_s(self) -> float:
        return min(self.seconds)


def batch_check(http: httpx.Client, order_ids: list[str], runs: int, cpu: CpuClock) -> BatchRuns:
    """POST the same wave to /v1/checks `runs` times, after one untimed warm-up call."""
    body = orjson.dumps({"order_ids": order_ids})
    _ok(http.post("/v1/checks", content=body, headers=JSON))
    result = BatchRuns(len(order_ids), [], [], {})
    for _ in range(runs):
        cpu_before, started = cpu(), time.perf_counter()
        response = http.post("/v1/checks", content=body, headers=JSON)
        result.seconds.append(time.perf_counter() - started)
        result.server_cpu_s.append(cpu() - cpu_before)
        answer = _ok(response)
        if len(answer["results"]) != len(order_ids):
            raise BenchError(f"/v1/checks answered {len(answer['results'])} results for {len(order_ids)} ids")
        result.counts = answer["counts"]
    return result


# --- single checks ------------------------------------------------------------------------------


@dataclass
class CheckLoad:
    stations: int
    seconds: float
    server_cpu_s: float
    latencies: list[float]
    errors: Counter

    @property
    def checks(self) -> int:
        return len(self.latencies)

    @property
    def checks_per_s(self) -> float:
        return self.checks / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


def check_load(
    clients: Sequence[httpx.Client],
    order_ids: list[str],
    seconds: float,
    seed: int,
    cpu: CpuClock,
    warmup_s: float = 1.0,
) -> CheckLoad:
    """One packing station per client, checking random known orders back to back for `seconds`."""
    rngs = [random.Random(f"{seed}:{number}") for number in range(len(clients))]
    _stations(clients, rngs, order_ids, warmup_s)  # connections, caches, the key ring
    cpu_before, started = cpu(), time.perf_counter()
    answers = _stations(clients, rngs, order_ids, seconds)
    # Requests sent before the deadline may answer after it: the elapsed time counts them.
    elapsed, server_cpu_s = time.perf_counter() - started, cpu() - cpu_before
    latencies = [latency for station in answers for latency, _ in station]
    errors = Counter(status for station in answers for _, status in station if status != 200)
    return CheckLoad(len(clients), elapsed, server_cpu_s, latencies, errors)


def _stations(
    clients: Sequence[httpx.Client], rngs: list[random.Random], order_ids: list[str], seconds: float
) -> list[list[tuple[float, int]]]:
    """Every client checks back to back until `seconds` have passed; (latency, status) per check."""
    body = orjson.dumps({"station_id": "bench"})
    deadline = time.perf_counter() + seconds

    def station(http: httpx.Client, rng: random.Random, stop: threading.Event) -> list[tuple[float, int]]:
        answers = []
        while not stop.is_set() and (sent := time.perf_counter()) < deadline:
            response = http.post(f"/v1/orders/{rng.choice(order_ids)}/check", content=body, headers=JSON)
            answers.append((time.perf_counter() - sent, response.status_code))
        return answers

    return _in_parallel([partial(station, http, rng) for http, rng in zip(clients, rngs)])
