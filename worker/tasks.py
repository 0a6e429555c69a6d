"""Worker tasks: thin edges over the service functions. Each takes ids or nothing.

Every task is safe to run twice: delivery claims a row with a lease, and the
sweep takes only holds that are due, each under a row lock.
"""
from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from guard.clock import utcnow
from guard.runtime import Runtime, build_runtime, drain
from guard.services.recheck import sweep
from worker.app import app, settings

log = logging.getLogger("guard.worker")
_runtime: Runtime | None = None


def runtime() -> Runtime:
    """One runtime per worker process, made after the fork (engines do not cross forks)."""
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(settings, role="worker")
    return _runtime


TRANSIENT = dict(autoretry_for=(OperationalError,), retry_backoff=2, retry_backoff_max=60, max_retries=5)


@app.task(name="guard.outbox.deliver", **TRANSIENT)
def deliver(notification_id: str) -> None:
    runtime().deliver_now([notification_id])


@app.task(name="guard.outbox.sweep", **TRANSIENT)
def outbox_sweep() -> None:
    delivered = drain(runtime())
    if delivered:
        log.info("outbox sweep: %d notifications handled", delivered)


@app.task(name="guard.holds.sweep", **TRANSIENT)
def holds_sweep() -> None:
    rt = runtime()
    checked = sweep(rt.engine, rt.settings, utcnow, rt.dispatch)
    if checked:
        log.info("re-check sweep: %d holds re-checked", checked)
