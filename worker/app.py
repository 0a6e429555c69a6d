"""The Celery app: broker Redis (GUARD_REDIS_URL), no result backend.

Tasks take ids, are idempotent, ack late and are re-queued if a worker dies.
Hold timers are not Celery ETAs: they live in the database (`holds.recheck_at`).
"""
from __future__ import annotations

from celery import Celery

from guard.config import Settings

settings = Settings()

app = Celery("guard", broker=settings.redis_url or "redis://127.0.0.1:6379/0")
app.conf.update(
    task_ignore_result=True,
    result_backend=None,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_default_queue="guard",
    timezone="UTC",
)
