"""What a running guard process holds: settings, the database, the station bus,
the webhook sender, and how freshly committed notifications get delivered.

Three shapes, one set of service functions:
- API with Redis: notifications are handed to the Celery worker (`guard worker`).
- API without Redis (embedded mode): an in-process loop delivers them and runs
  the re-check sweep, so `make run` alone shows automatic release.
- The worker: delivers directly, in-process.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from guard.clock import utcnow
from guard.config import Settings
from guard.db import make_engine
from guard.services.aliexpress_sync import sync_aliexpress
from guard.services.outbox import relay
from guard.services.parcels import run_followups
from guard.services.recheck import sweep
from guard.stations import LocalBus, RedisBus, StationBus
from guard.storage import Storage
from guard.storage.asyncpool import AsyncDatabase
from guard.webhooks import WebhookSender

log = logging.getLogger("guard.runtime")

DELIVER_TASK = "guard.outbox.deliver"
FOLLOWUPS_TASK = "guard.followups.run"
_FOLLOW_UP = "\x00followups"  # a marker in the hand-off queue, never a notification id


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    bus: StationBus
    sender: WebhookSender | None
    # The API's PostgreSQL pool on the event loop (the single check); None elsewhere.
    pg: AsyncDatabase | None = None
    # Called after a commit with the ids of the notifications it wrote.
    dispatch: Callable[[list[str]], None] = lambda ids: None
    # Called after a commit that queued follow-ups (other orders to judge again under their locks).
    follow_up: Callable[[], None] = lambda: None
    _closers: list[Callable[[], None]] = field(default_factory=list)
    storage: Storage = field(init=False)

    def __post_init__(self) -> None:
        # The port tells the floor after each commit, through whatever this process's shape set.
        self.storage = Storage(self.engine, pool=self.pg, after_commit=self._after_commit)

    def _after_commit(self, notification_ids: list[str], followups: bool) -> None:
        if notification_ids:
            self.dispatch(notification_ids)
        if followups:
            self.follow_up()

    def use_async_pool(self, pool: AsyncDatabase) -> None:
        """The API's single check on the event loop (PostgreSQL)."""
        self.pg = self.storage.pool = pool

    def deliver_now(self, notification_ids: list[str]) -> None:
        relay(self.engine, self.bus, self.sender, utcnow, notification_ids=notification_ids)

    def follow_up_now(self) -> None:
        """Judge queued orders again (each under its own lock), then deliver what that wrote."""
        while True:
            judged, notifications = run_followups(self.engine, self.settings, utcnow)
            if notifications:
                self.deliver_now(notifications)
            if judged == 0:
                return

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        if self.sender is not None:
            self.sender.close()
        self.bus.close()
        self.engine.dispose()


def drain(runtime: Runtime, chunk: int = 200, max_chunks: int = 50) -> int:
    """Deliver everything that is due now, chunk by chunk."""
    total = 0
    for _ in range(max_chunks):
        claimed = relay(runtime.engine, runtime.bus, runtime.sender, utcnow, limit=chunk).claimed
        total += claimed
        if claimed < chunk:
            break
    return total


def build_runtime(settings: Settings, role: str = "api") -> Runtime:
    """`role`: "api" (guard serve), "worker" (guard worker) or "tool" (CLI, tests)."""
    bus: StationBus = RedisBus(settings.redis_url) if settings.redis_url else LocalBus()
    sender = WebhookSender(settings.webhook_url, settings.webhook_secrets) if settings.webhook_url else None
    runtime = Runtime(settings=settings, engine=make_engine(settings), bus=bus, sender=sender)
    if role == "worker":
        runtime.dispatch = runtime.deliver_now
        runtime.follow_up = runtime.follow_up_now
    elif role == "api" and settings.redis_url:
        handoff = CeleryHandoff(settings.redis_url, settings.celery_queue)
        runtime.dispatch = handoff.submit
        runtime.follow_up = handoff.follow_up
        runtime._closers.append(handoff.stop)
    elif role == "api" and settings.embedded_jobs:
        jobs = EmbeddedJobs(runtime)
        runtime.dispatch = jobs.wake
        runtime.follow_up = jobs.follow_up
        runtime._closers.append(jobs.stop)
        jobs.start()
    return runtime


class CeleryHandoff:
    """Hands notification ids to the worker, off the request path.

    A background thread sends the tasks, so a slow or absent Redis never delays
    a check or a label; what cannot be sent stays in the outbox, and the
    worker's periodic sweep delivers it once Redis is back.
    """

    def __init__(self, broker_url: str, queue_name: str):
        from celery import Celery

        self._queue_name = queue_name
        self._app = Celery("guard-api", broker=broker_url, set_as_current=False)
        self._app.conf.update(
            broker_connection_retry=False,
            broker_connection_max_retries=0,
            broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 2, "max_retries": 0},
        )
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=100_000)
        self._thread = threading.Thread(target=self._run, name="guard-handoff", daemon=True)
        self._thread.start()

    def follow_up(self) -> None:
        try:
            self._queue.put_nowait(_FOLLOW_UP)
        except queue.Full:  # the worker's periodic run will find them
            return

    def submit(self, notification_ids: list[str]) -> None:
        for notification_id in notification_ids:
            try:
                self._queue.put_nowait(notification_id)
            except queue.Full:  # the sweep will find it in the outbox
                return

    def _run(self) -> None:
        broken_until = 0.0
        while True:
            notification_id = self._queue.get()
            if notification_id is None:
                return
            if time.monotonic() < broken_until:
                continue  # Redis is down: leave it to the sweep
            try:
                if notification_id == _FOLLOW_UP:
                    self._app.send_task(FOLLOWUPS_TASK, queue=self._queue_name, retry=False)
                else:
                    self._app.send_task(DELIVER_TASK, args=[notification_id], queue=self._queue_name, retry=False)
            except Exception as exc:
                log.warning("cannot hand notifications to the worker (%s); the sweep will deliver them", exc)
                broken_until = time.monotonic() + 5

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=2)


class EmbeddedJobs:
    """Embedded mode: delivery and re-checks in a thread of `guard serve`, and the AliExpress
    sync in another when it is configured (its calls to the platform take seconds).

    The thread shares the process, and its interpreter lock, with the event loop that answers
    the stations, so it does on each wake only what the wake asked for: a commit's
    notifications are delivered by id (one claim each, no scan for whatever else is due), and
    follow-ups are judged when a commit queued some. What needs the clock — the re-check
    sweep, follow-ups left over, notifications due for a retry — runs once a tick, not on
    every commit: woken by every check that wrote a notification, the old loop ran all three
    each time, and its extra statements cost the loop's p99 (docs/benchmarks.md, "The default
    mode"). Nothing is lost by waiting: whatever a pass misses (the database down, a lost
    wake) is in the outbox or the follow-up queue, and the next tick finds it.
    """

    INTERVAL_S = 1.0

    def __init__(self, runtime: Runtime):
        self._runtime = runtime
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._pending: list[str] = []  # notification ids committed since the last pass
        self._followups = False  # a commit queued follow-ups since the last pass
        self._thread = threading.Thread(target=self._run, name="guard-jobs", daemon=True)
        self._sync = (
            threading.Thread(target=self._run_sync, name="guard-sync", daemon=True)
            if runtime.settings.aliexpress_sync_enabled
            else None
        )

    def start(self) -> None:
        self._thread.start()
        if self._sync is not None:
            self._sync.start()

    def wake(self, notification_ids: list[str]) -> None:
        """After a commit that wrote notifications (called on the request's thread: no I/O here)."""
        with self._lock:
            self._pending += notification_ids
        self._wake.set()

    def follow_up(self) -> None:
        """After a commit that queued follow-ups."""
        self._followups = True
        self._wake.set()

    def _run(self) -> None:
        runtime = self._runtime
        next_tick = time.monotonic()
        while not self._stopped.is_set():
            self._wake.wait(max(next_tick - time.monotonic(), 0.0))
            self._wake.clear()
            if self._stopped.is_set():
                return
            with self._lock:
                pending, self._pending = self._pending, []
                followups, self._followups = self._followups, False
            tick = time.monotonic() >= next_tick
            if tick:
                next_tick = time.monotonic() + self.INTERVAL_S
            try:
                if followups or tick:
                    runtime.follow_up_now()
                if pending:
                    runtime.deliver_now(pending)
                if tick:
                    sweep(runtime.engine, runtime.settings, utcnow, runtime.deliver_now)
                    drain(runtime)
            except Exception:  # the database may be down; the next tick tries again
                log.exception("embedded jobs failed; retrying")

    def _run_sync(self) -> None:
        runtime = self._runtime
        while not self._stopped.is_set():
            try:
                sync_aliexpress(runtime)
            except Exception:  # the database or the platform may be down; try again next time
                log.exception("embedded AliExpress sync failed; retrying")
            self._stopped.wait(runtime.settings.aliexpress_sync_interval_s)

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join(timeout=5)
        if self._sync is not None:
            self._sync.join(timeout=5)
