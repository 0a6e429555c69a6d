"""Release latency: from the event that clears a held order to the webhook and the station push.

The production shape on this machine: PostgreSQL, Redis, `guard serve`, one
`guard worker --beat`, and a webhook receiver in this process. Each order is
held at a station first; then its clearing fact is pushed and the clock runs
until the signed `hold.released` for that order reaches the receiver (and,
separately, the station's stream).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from bench import BenchError

TARGET_MEDIAN_MS = 250
TARGET_P99_MS = 1000


class Receiver:
    """Records when each order's hold.released webhook arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                at = time.perf_counter()
                notification = json.loads(body)
                if notification.get("type") == "hold.released":
                    with receiver._lock:
                        receiver.arrived.setdefault(notification["data"]["order_id"], at)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/guard"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()


@dataclass
class ReleaseRun:
    latencies_ms: list[float] = field(default_factory=list)
    missing: int = 0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def release_latency(base_url: str, key: str, receiver: Receiver, orders: int, pace_s: float) -> ReleaseRun:
    auth = {"Authorization": f"Bearer {key}"}
    at = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    later = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    ids = [f"REL-{time.time_ns()}-{n}" for n in range(orders)]
    with httpx.Client(base_url=base_url, headers=auth, timeout=30) as http:
        # Held for payment processing, checked at a station: on the hold shelf.
        for start in range(0, orders, 200):
            events = []
            for order_id in ids[start : start + 200]:
                events += [
                    {
                        "event_id": f"{order_id}-p",
                        "order_id": order_id,
                        "type": "payment",
                        "status": "processing",
                        "occurred_at": at,
                    },
                    {
                        "event_id": f"{order_id}-n",
                        "order_id": order_id,
                        "type": "shipping_notice",
                        "status": "recorded",
                        "tracking_number": f"LP-{order_id}",
                        "occurred_at": at,
                    },
                ]
            http.post("/v1/events", json={"events": events}).raise_for_status()
        for order_id in ids:
            if http.post(f"/v1/orders/{order_id}/check", json={"station_id": "bench"}).json()["verdict"] != "hold":
                raise BenchError("the release bench expected a held order")
        sent: dict[str, float] = {}
        for order_id in ids:
            sent[order_id] = time.perf_counter()
            http.post(
                "/v1/events",
                json={
                    "events": [
                        {
                            "event_id": f"{order_id}-paid",
                            "order_id": order_id,
                            "type": "payment",
                            "status": "paid",
                            "occurred_at": later,
                        }
                    ]
                },
            ).raise_for_status()
            time.sleep(pace_s)
    deadline = time.monotonic() + 30
    while len(receiver.arrived) < orders and time.monotonic() < deadline:
        time.sleep(0.05)
    run = ReleaseRun()
    for order_id, t0 in sent.items():
        arrived = receiver.arrived.get(order_id)
        if arrived is None:
            run.missing += 1
        else:
            run.latencies_ms.append((arrived - t0) * 1000)
    return run
