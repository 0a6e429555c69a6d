"""Worker tasks: thin edges over the service functions. Each takes ids or nothing.

Every task is safe to run twice: delivery claims a row with a lease, and the
sweep takes only holds that are due, each under a row lock.

Each run logs one line (logger `guard.job`: job, task id as request_id,
duration_ms, and what it did) and counts into the job metrics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from celery import current_task
from sqlalchemy.exc import OperationalError

from guard import logs, metrics
from guard.clock import utcnow
from guard.runtime import Runtime, build_runtime, drain
from guard.services.aliexpress_sync import sync_aliexpress
from guard.services.outbox import relay
from guard.services.parcels import run_followups
from guard.services.recheck import sweep
from worker.app import app, settings

job_log = logging.getLogger("guard.job")
_runtime: Runtime | None = None


def runtime() -> Runtime:
    """One runtime per worker process, made after the fork (engines do not cross forks)."""
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(settings, role="worker")
    return _runtime


@contextmanager
def job(name: str, *, periodic: bool = False, **fields: object) -> Iterator[dict]:
    """Time one run; the caller adds its counts to the yielded dict.

    A periodic sweep that found nothing to do logs at DEBUG: every few seconds
    of "0 handled" would bury the lines that matter.
    """
    request = getattr(current_task, "request", None)
    token = logs.bind(request_id=getattr(request, "id", None) or logs.new_request_id(), job=name, **fields)
    counts: dict = {}
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield counts
    except Exception:
        outcome = "error"
        raise
    finally:
        seconds = time.perf_counter() - started
        metrics.job_finished(name, outcome, seconds)
        line = {**logs.context_fields(), **counts, "outcome": outcome, "duration_ms": round(seconds * 1000, 2)}
        idle = periodic and outcome == "ok" and not any(counts.values())
        level = logging.WARNING if outcome != "ok" else logging.DEBUG if idle else logging.INFO
        job_log.log(level, "%s %s", name, outcome, extra=line)
        logs.unbind(token)


TRANSIENT = {"autoretry_for": (OperationalError,), "retry_backoff": 2, "retry_backoff_max": 60, "max_retries": 5}


@app.task(name="guard.outbox.deliver", **TRANSIENT)
def deliver(notification_id: str) -> None:
    with job("guard.outbox.deliver", notification_id=notification_id) as counts:
        rt = runtime()
        report = relay(rt.engine, rt.bus, rt.sender, utcnow, notification_ids=[notification_id])
        counts.update(delivered=report.delivered, retrying=report.retrying, failed=report.failed)


@app.task(name="guard.outbox.sweep", **TRANSIENT)
def outbox_sweep() -> None:
    with job("guard.outbox.sweep", periodic=True) as counts:
        counts["handled"] = drain(runtime())


@app.task(name="guard.holds.sweep", **TRANSIENT)
def holds_sweep() -> None:
    with job("guard.holds.sweep", periodic=True) as counts:
        rt = runtime()
        counts["checked"] = sweep(rt.engine, rt.settings, utcnow, rt.dispatch)


@app.task(name="guard.followups.run", **TRANSIENT)
def followups_run() -> None:
    """Orders another order's change concerns (a shared number, a shipment partner), judged
    under their own locks; also run periodically, for what the API could not hand over."""
    with job("guard.followups.run", periodic=True) as counts:
        rt = runtime()
        total = 0
        while True:
            judged, notifications = run_followups(rt.engine, rt.settings, utcnow)
            if notifications:
                rt.dispatch(notifications)
            total += judged
            if judged == 0:
                break
        counts["judged"] = total


@app.task(name="guard.aliexpress.sync", **TRANSIENT)
def aliexpress_sync() -> None:
    with job("guard.aliexpress.sync", periodic=True) as counts:
        rt = runtime()
        if not rt.settings.aliexpress_sync_enabled:
            return
        report = sync_aliexpress(rt)
        counts.update(orders=report.orders, windows=report.windows, **report.outcomes)
        if report.error:
            counts["stopped"] = report.error  # the run goes on from here next time
