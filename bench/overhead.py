"""What metrics and request logs cost: CPU per single check through the whole app, with and without them.

    python -m bench.overhead [--checks N] [--rounds N]

Each round runs in its own process (the middleware is installed at app creation),
alternating on/off, against a scratch PostgreSQL database; CPU time of the process
(client and server in one, so the difference is the middleware's share).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from bench import harness

ROUND = """
import sys, time
from fastapi.testclient import TestClient
import guard.api.observe as observe
from guard.api.app import create_app
from guard.config import Settings
from guard.db import make_engine
from guard.services.apikeys import create_key
url, mode, checks = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "off":
    observe.install = lambda app: None
settings = Settings(database_url=url, embedded_jobs=False, rate_limit_per_s=0)
key = create_key(make_engine(settings), f"overhead-{mode}-{time.time_ns()}", ["check"], None)
with TestClient(create_app(settings)) as client:
    headers = {"Authorization": f"Bearer {key}"}
    for n in range(100):
        client.post(f"/v1/orders/ovh-{n}/check", json={"station_id": "bench"}, headers=headers)
    started = time.process_time()
    for n in range(checks):
        client.post(f"/v1/orders/ovh-{n % 1000}/check", json={"station_id": "bench"}, headers=headers)
    print((time.process_time() - started) / checks * 1000)
"""


def _load_orders(database_url: str) -> None:
    from guard.config import Settings
    from guard.events import parse_batch
    from guard.runtime import build_runtime
    from guard.services.apikeys import Principal
    from guard.services.ingest import ingest

    runtime = build_runtime(Settings(database_url=database_url, embedded_jobs=False), role="tool")
    now = datetime.now(UTC)
    at = (now - timedelta(hours=1)).isoformat()
    events = [
        {
            "event_id": f"ovh-{n}-{kind}",
            "order_id": f"ovh-{n}",
            "type": kind,
            "status": status,
            "occurred_at": at,
            **({"tracking_number": f"LP-{n}"} if status == "recorded" else {}),
        }
        for n in range(1000)
        for kind, status in (("payment", "paid"), ("shipping_notice", "recorded"))
    ]
    for start in range(0, len(events), 1000):
        ingest(
            runtime,
            Principal(0, "bench", frozenset({"events"}), None),
            parse_batch({"events": events[start : start + 1000]}, now),
            now,
        )
    runtime.close()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead")
    parser.add_argument("--checks", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"on": [], "off": []}
    with harness.scratch_database(harness.admin_url()) as url:
        _load_orders(url)
        for _ in range(args.rounds):
            for mode in ("on", "off"):
                out = subprocess.run(
                    [sys.executable, "-c", ROUND, url, mode, str(args.checks)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results[mode].append(float(out.stdout.strip().splitlines()[-1]))
    for mode, values in results.items():
        print(
            f"metrics and logs {mode:>3}: CPU per check mean {statistics.mean(values):.2f} ms, "
            f"median {statistics.median(values):.2f} ms, min {min(values):.2f} ms  ({', '.join(f'{v:.2f}' for v in values)})"
        )
    cost = statistics.mean(results["on"]) / statistics.mean(results["off"]) - 1
    print(f"cost of metrics and logs: {cost:+.1%} CPU per check (target: within 10 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
