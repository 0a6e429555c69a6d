"""An open-loop load generator: POSTs at a fixed rate, whatever the answers do.

Debian's `hey` paces too (`-c` workers, `-q` requests/s each), but it sends one
fixed URL and body (no random order per check, no new clearance per label), and
each of its workers waits for an answer before its next tick: when the server
falls behind, hey slows down with it and the queue never shows in its
percentiles (coordinated omission). `wrk2` does it right but is not in Debian.
So this does what wrk2 does: request *i* is due at start + i / rate and goes out
then, on the next free connection, and its latency counts from when it was due.
A server that keeps up shows its service time; one that falls behind shows the
growing queue.

It speaks just enough HTTP/1.1 for the guard's JSON routes (keep-alive, bodies
with a Content-Length) over asyncio streams on uvloop: httpx costs ~0.6–1.2 ms of
CPU per request here, which on 2 cores would take much of a core from the
server it measures. Its own CPU time is reported.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvloop

from bench import BenchError

TIMEOUT_S = 30

Request = Callable[[int], tuple[str, bytes]]  # request number → (path, JSON body) to POST


@dataclass
class PacedRun:
    rate: float
    sent: int
    seconds: float  # from the first request's due time to the last answer
    latencies: list[float]  # per answer, from its due time
    statuses: Counter  # HTTP status, or the transport error's name, → count
    client_cpu_s: float

    @property
    def answered_per_s(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if not (isinstance(status, int) and status < 300))

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


def post_at_rate(
    base_url: str, key: str, request: Request, rate: float, seconds: float, connections: int = 32
) -> PacedRun:
    """POST `request(i)` for i in 0 … rate × seconds − 1, request i due at i / rate seconds after the start.

    `connections` senders each keep one connection and take the next due
    request from a shared queue, as wrk2's connections do; a request waits in
    the queue while all of them are busy, and that wait counts in its latency.
    """
    cpu = time.process_time()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        run = runner.run(_post_at_rate(base_url, key, request, rate, seconds, connections))
    run.client_cpu_s = time.process_time() - cpu
    return run


async def _post_at_rate(
    base_url: str, key: str, request: Request, rate: float, seconds: float, connections: int
) -> PacedRun:
    total = round(rate * seconds)
    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: Counter = Counter()
    clock = time.perf_counter  # the loop's own clock (uvloop) counts whole milliseconds

    async def sender(connection: Connection) -> None:
        while (item := await due.get()) is not None:
            number, at = item
            try:
                status, _ = await asyncio.wait_for(connection.post(*request(number)), TIMEOUT_S)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                statuses[type(exc).__name__] += 1
                await connection.reopen()
                continue
            latencies.append(clock() - at)
            statuses[status] += 1

    opened = [await Connection.open(base_url, key) for _ in range(connections)]
    senders = [asyncio.create_task(sender(connection)) for connection in opened]
    start = clock() + 0.05
    for number in range(total):
        at = start + number / rate
        if (wait := at - clock()) > 0:
            await asyncio.sleep(wait)
        due.put_nowait((number, at))
    for _ in senders:
        due.put_nowait(None)  # each sender stops once the queue is drained
    await asyncio.gather(*senders)
    elapsed = clock() - start
    for connection in opened:
        connection.close()
    return PacedRun(rate, total, elapsed, latencies, statuses, client_cpu_s=0.0)


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads answers with a Content-Length."""

    def __init__(self, host: str, port: int, headers: bytes) -> None:
        self._address = (host, port)
        self._headers = headers
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @classmethod
    async def open(cls, base_url: str, key: str) -> Connection:
        url = urlsplit(base_url)
        if url.scheme != "http" or url.hostname is None or url.port is None:
            raise BenchError(f"the pacer speaks plain http://host:port only, not {base_url}")
        headers = (
            f"Host: {url.hostname}:{url.port}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        ).encode()
        connection = cls(url.hostname, url.port, headers)
        await connection.reopen()
        return connection

    async def reopen(self) -> None:
        self.close()
        self._reader, self._writer = await asyncio.open_connection(*self._address)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """Send one POST and read its whole answer: its status code and body."""
        assert self._reader is not None and self._writer is not None
        self._writer.write(
            b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (path.encode(), self._headers, len(body), body)
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                return status, await self._reader.readexactly(int(value))
        raise BenchError(f"an answer without Content-Length (status {status}); the pacer cannot read it")
