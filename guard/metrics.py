"""Prometheus metrics (prometheus_client): what to watch during a peak.

Two kinds, so a request never pays for a database query:

- Events, counted where they happen (checks, labels, webhook deliveries,
  requests, jobs): counters and histograms in this process. With several
  processes (`guard serve --workers N`, the Celery pool) they are shared
  through PROMETHEUS_MULTIPROC_DIR, which the process that starts the others
  sets up (`use_multiprocess_dir`).
- State, read from the database at scrape time by `DatabaseCollector` (hold
  queue depth by reason, oldest hold, overdue, outbox backlog and failures),
  cached for a few seconds so several scrapers cost one query each.

Every metric here has labels: a labelled metric creates its values on first
use, so the choice of value store (in memory or shared files) made by
`use_multiprocess_dir` holds even if this module was imported before it.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from sqlalchemy.engine import Connection, Engine

from guard import logs
from guard.clock import utcnow
from guard.db import reading
from guard.errors import GuardError
from guard.models import Hold, Notification
from guard.rules import REASONS
from guard.storage.state import count_by_reason

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# How long a scrape's database figures are reused (several Prometheus servers, one query).
DB_CACHE_S = 5.0

F = TypeVar("F", bound=Callable[..., Any])

# --- events, counted where they happen ------------------------------------------------

CHECKS = Counter("guard_checks", "Checks answered (POST /v1/orders/{id}/check), by verdict", ["verdict"])
CHECK_REASONS = Counter("guard_check_reasons", "Reasons given by checks, by reason code", ["reason"])
LABELS_ISSUED = Counter(
    "guard_labels_issued", "Labels issued (kind: issue or reprint), by source and format", ["kind", "source", "format"]
)
LABEL_REFUSALS = Counter("guard_label_refusals", "Label requests refused, by error code", ["kind", "code"])
WEBHOOK_DELIVERIES = Counter("guard_webhook_deliveries", "Webhook POST attempts, by outcome (ok: a 2xx)", ["outcome"])
NOTIFICATIONS_GAVE_UP = Counter(
    "guard_notifications_failed", "Notifications that failed for good (retries exhausted), by type", ["type"]
)
NOTIFICATION_LATENCY = Histogram(
    "guard_notification_latency_seconds",
    "From the change (outbox row written) to the webhook's 2xx, by type; type=hold.released is the release latency",
    ["type"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 6 * 3600, 24 * 3600),
)
HTTP_REQUESTS = Counter(
    "guard_http_requests", "HTTP requests, by method, route template and status", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "guard_http_request_duration_seconds",
    "HTTP request duration, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOBS = Counter("guard_jobs", "Worker jobs run, by job and outcome (ok or error)", ["job", "outcome"])
JOB_LATENCY = Histogram(
    "guard_job_duration_seconds",
    "Worker job duration, by job",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


def count_check(response: dict) -> None:
    """Count a committed check's verdict and reasons, and put them on the request's log line."""
    CHECKS.labels(verdict=response["verdict"]).inc()
    codes = [reason["code"] for reason in response["reasons"]]
    for code in codes:
        CHECK_REASONS.labels(reason=code).inc()
    logs.annotate(order_id=response["order_id"], verdict=response["verdict"], reasons=",".join(codes) or None)


def label_outcomes(kind: str) -> Callable[[F], F]:
    """Count labels issued (by source and format) and refused (by error code)."""

    def decorate(issue: F) -> F:
        @functools.wraps(issue)
        def counted(*args: Any, **kwargs: Any) -> dict:
            try:
                document = issue(*args, **kwargs)
            except GuardError as exc:
                LABEL_REFUSALS.labels(kind=kind, code=exc.code).inc()
                logs.annotate(error=exc.code)
                raise
            LABELS_ISSUED.labels(kind=kind, source=document["source"], format=document["format"]).inc()
            logs.annotate(order_id=document["order_id"], verdict="clear", label_id=document["label_id"])
            return document

        return counted  # type: ignore[return-value]

    return decorate


def relayed(row: Any, changes: dict, *, sent: bool) -> None:
    """After one outbox row was handled: the webhook attempt, the delivery latency, a final failure."""
    if sent and row.delivered_at is None:
        WEBHOOK_DELIVERIES.labels(outcome="ok" if "delivered_at" in changes else "failed").inc()
    if "delivered_at" in changes:
        latency = (changes["delivered_at"] - row.created_at).total_seconds()
        NOTIFICATION_LATENCY.labels(type=row.type).observe(max(latency, 0.0))
    if "failed_at" in changes:
        NOTIFICATIONS_GAVE_UP.labels(type=row.type).inc()


def request_served(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_LATENCY.labels(method=method, route=route).observe(seconds)


def job_finished(job: str, outcome: str, seconds: float) -> None:
    JOBS.labels(job=job, outcome=outcome).inc()
    JOB_LATENCY.labels(job=job).observe(seconds)


# --- several processes ----------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def use_multiprocess_dir(path: str | None = None) -> str:
    """Before starting processes that share metrics: give them a fresh directory.

    An operator's PROMETHEUS_MULTIPROC_DIR is used (and emptied: counts left
    by a previous run would be added to this one's); otherwise a new temporary
    directory. Child processes inherit it through the environment.
    """
    directory = path or multiprocess_dir()
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()
    else:
        directory = tempfile.mkdtemp(prefix="guard-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    values = sys.modules.get("prometheus_client.values")
    if values is not None:  # imported already: switch the value store for values made from now on
        values.ValueClass = values.get_value_class()  # type: ignore[attr-defined]
    return directory


class _ThisProcess:
    """The default registry's metrics (ours, plus process and Python runtime ones)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def event_registry() -> CollectorRegistry:
    """This process's event metrics, or every process's when they share a directory."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    return registry


# --- state, read at scrape time -------------------------------------------------------

holds_t = Hold.__table__
outbox_t = Notification.__table__


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class DatabaseCollector:
    """Gauges that need the database, computed when Prometheus scrapes (cached `cache_s`)."""

    def __init__(self, engine: Engine, cache_s: float = DB_CACHE_S):
        self._engine = engine
        self._cache_s = cache_s
        self._lock = threading.Lock()
        self._families: list[Metric] = []
        self._read_at = float("-inf")

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if time.monotonic() - self._read_at >= self._cache_s:
                self._families = self._read()
                self._read_at = time.monotonic()
            return list(self._families)

    def _read(self) -> list[Metric]:
        started = time.perf_counter()
        up = GaugeMetricFamily("guard_database_up", "1 when the database answered the metrics query, else 0")
        try:
            families = self._query(utcnow())
        except Exception:  # the database is down: say so; /readyz and the API answer 503 meanwhile
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        took = GaugeMetricFamily("guard_metrics_query_seconds", "Time the scrape-time database query took")
        took.add_metric([], time.perf_counter() - started)
        return [up, took, *families]

    def _query(self, now: datetime) -> list[Metric]:
        with reading(self._engine) as conn:
            return _hold_gauges(conn, now) + _outbox_gauges(conn, now)


def _age(now: datetime, since: datetime | None) -> float:
    """Seconds since `since` (0 when there is none)."""
    since = _aware(since)
    return max((now - since).total_seconds(), 0.0) if since else 0.0


def _hold_gauges(conn: Connection, now: datetime) -> list[Metric]:
    held = holds_t.c.state == "held"
    by_state: dict[str, int] = dict(
        conn.execute(
            sa.select(holds_t.c.state, sa.func.count())
            .where(holds_t.c.state.in_(("held", "blocked")))
            .group_by(holds_t.c.state)
        ).all()
    )
    overdue, oldest = conn.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((holds_t.c.overdue.is_(True), 1), else_=0)), 0),
            sa.func.min(holds_t.c.since),
        ).where(held)
    ).one()
    by_reason = count_by_reason(conn, held)
    states = GaugeMetricFamily(
        "guard_holds", "Open holds by state (held: on the shelf; blocked: pull it)", labels=["state"]
    )
    for state in ("held", "blocked"):
        states.add_metric([state], by_state.get(state, 0))
    depth = GaugeMetricFamily(
        "guard_hold_queue_depth", "Held orders by reason code (an order counts once per reason)", labels=["reason"]
    )
    for reason in sorted({code for code, spec in REASONS.items() if spec.verdict == "hold"} | set(by_reason)):
        depth.add_metric([reason], by_reason.get(reason, 0))
    overdue_g = GaugeMetricFamily("guard_holds_overdue", "Held orders past their escalation age")
    overdue_g.add_metric([], int(overdue or 0))
    oldest_g = GaugeMetricFamily("guard_hold_oldest_age_seconds", "Age of the oldest hold still held (0: none)")
    oldest_g.add_metric([], _age(now, oldest))
    return [states, depth, overdue_g, oldest_g]


def _outbox_gauges(conn: Connection, now: datetime) -> list[Metric]:
    backlog, oldest_pending = conn.execute(
        sa.select(sa.func.count(), sa.func.min(outbox_t.c.created_at)).where(outbox_t.c.next_attempt_at.is_not(None))
    ).one()
    failed = conn.execute(
        sa.select(sa.func.count()).select_from(outbox_t).where(outbox_t.c.failed_at.is_not(None))
    ).scalar_one()
    backlog_g = GaugeMetricFamily("guard_outbox_backlog", "Notifications not yet delivered (still retried)")
    backlog_g.add_metric([], backlog)
    pending_g = GaugeMetricFamily(
        "guard_outbox_oldest_pending_age_seconds", "Age of the oldest notification not yet delivered (0: none)"
    )
    pending_g.add_metric([], _age(now, oldest_pending))
    failed_g = GaugeMetricFamily(
        "guard_outbox_failed",
        "Notifications that failed for good and wait for a retry by hand (guard notifications retry)",
    )
    failed_g.add_metric([], failed)
    return [backlog_g, pending_g, failed_g]


class Exporter:
    """What `/metrics` answers: the event metrics plus the database gauges."""

    def __init__(self, engine: Engine, cache_s: float | None = None):
        self.registry = event_registry()
        self.registry.register(DatabaseCollector(engine, DB_CACHE_S if cache_s is None else cache_s))

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type
