"""The Celery app: broker Redis (GUARD_REDIS_URL), no result backend.

Tasks take ids, are idempotent, ack late and are re-queued if a worker dies.
Hold timers are not Celery ETAs: they live in the database (`holds.recheck_at`)
and a periodic sweep takes what is due — Redis would redeliver a long ETA after
its visibility timeout, running it twice, or lose it with the broker.
"""

from __future__ import annotations

import logging
import os
import tempfile

from celery import Celery

from guard.config import Settings

settings = Settings()
logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per webhook POST is noise

OUTBOX_SWEEP_S = 5.0
HOLDS_SWEEP_S = 15.0

app = Celery("guard", broker=settings.redis_url or "redis://127.0.0.1:6379/0", include=["worker.tasks"])
app.conf.update(
    task_ignore_result=True,
    result_backend=None,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=4,
    broker_connection_retry_on_startup=True,
    task_default_queue=settings.celery_queue,
    timezone="UTC",
    worker_hijack_root_logger=False,
    # Beat's bookkeeping file, out of the working directory (the schedule itself is
    # intervals; losing the file only means the first sweep runs at once). One per
    # process, so two workers on one machine never fight over its lock.
    beat_schedule_filename=os.environ.get(
        "GUARD_BEAT_SCHEDULE_FILE", os.path.join(tempfile.gettempdir(), f"guard-celerybeat-{os.getpid()}")
    ),
    beat_schedule={
        # Catches what the API could not hand over (Redis was down) and retries.
        "outbox-sweep": {
            "task": "guard.outbox.sweep",
            "schedule": OUTBOX_SWEEP_S,
            "options": {"expires": OUTBOX_SWEEP_S},
        },
        "holds-sweep": {"task": "guard.holds.sweep", "schedule": HOLDS_SWEEP_S, "options": {"expires": HOLDS_SWEEP_S}},
        # Catches follow-ups the API could not hand over (each is also sent when written).
        "followups": {
            "task": "guard.followups.run",
            "schedule": OUTBOX_SWEEP_S,
            "options": {"expires": OUTBOX_SWEEP_S},
        },
    },
)

# The direct sync with the AliExpress open platform, for a seller without an ERP
# (docs/integration.md, "AliExpress without an ERP"); a lease keeps runs from overlapping.
if settings.aliexpress_sync_enabled:
    app.conf.beat_schedule["aliexpress-sync"] = {
        "task": "guard.aliexpress.sync",
        "schedule": settings.aliexpress_sync_interval_s,
        "options": {"expires": settings.aliexpress_sync_interval_s},
    }
