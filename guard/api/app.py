"""The FastAPI application: the JSON API, the station page and the hold board."""

from __future__ import annotations

import asyncio
import gc
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from guard import __version__
from guard.api import errors, holds, labels, observe, platform, stations, v1
from guard.api import openapi as doc
from guard.api.deps import RuntimeDep
from guard.api.limits import BodyLimit
from guard.api.responses import GuardJSONResponse
from guard.config import Settings
from guard.errors import Unavailable
from guard.ratelimit import SharedRateLimiter, StreamSlots
from guard.runtime import build_runtime
from guard.services.apikeys import KeyRing
from guard.services.health import readiness
from guard.storage.asyncpool import AsyncDatabase
from guard.web import pages

GC_YOUNG_THRESHOLD = 20_000


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.rules  # noqa: B018 - fail at start on a bad rules file, not on the first check

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # No more threads than pooled connections: a 41st thread would only queue for a
        # connection, or make the pool open (and soon close) an overflow one per request.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        runtime = build_runtime(settings, role="api")
        if not settings.is_sqlite:
            runtime.use_async_pool(AsyncDatabase(settings))
        app.state.runtime = runtime
        app.state.keys = KeyRing(runtime.engine, settings.key_cache_s)
        app.state.limiter = SharedRateLimiter(settings.redis_url, settings.rate_limit_per_s, settings.rate_limit_burst)
        app.state.streams = StreamSlots(settings.redis_url, settings.streams_per_key)
        # The objects alive after start-up (modules, routes, settings) stay alive: freeze them out
        # of the collector's scans, and collect the young generation less often. A request makes
        # a few hundred short-lived objects; at the default threshold (700) the collector ran
        # every couple of requests, which cost about a tenth of the process's CPU at peak.
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        try:
            yield
        finally:
            await app.state.limiter.close()
            await app.state.streams.close()
            if runtime.pg is not None:
                await runtime.pg.close()
            runtime.close()

    app = FastAPI(
        title="Dispatch Guard",
        version=__version__,
        description="Pre-shipment risk-control guard: no label prints until the order is clear.",
        default_response_class=GuardJSONResponse,
        lifespan=lifespan,
        # Our own metrics and logs (guard/api/observe.py); FastAPI's OpenTelemetry hooks would
        # look for providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # /docs is served from the package (guard/web/pages.py): FastAPI's pages load from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    doc.install(app)
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    observe.install(app)  # request log lines, request ids, metrics; GET /metrics (no key, contract)
    app.include_router(v1.router)
    app.include_router(holds.router)
    app.include_router(stations.router)
    app.include_router(labels.router)
    app.include_router(platform.router)
    pages.install(app)

    @app.get(
        "/healthz",
        summary="The process is up",
        **doc.documented("healthz", "health", ok=doc.Health, database=False, invalid=False),
    )
    async def healthz():
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="The database answers (Redis and the outbox are reported)",
        **doc.documented(
            "readyz",
            "health",
            ok=doc.Ready,
            invalid=False,
            errors={503: "`UNAVAILABLE`: the database does not answer (the report in `details`)."},
        ),
    )
    async def readyz(rt: RuntimeDep):
        try:
            report = await asyncio.wait_for(
                run_in_threadpool(readiness, rt.engine, rt.settings), rt.settings.request_timeout_s
            )
        except TimeoutError:
            report = {"database": "down", "redis": None, "outbox_backlog": None}
        if report["database"] != "up":
            raise Unavailable("the database does not answer", details=[report])
        return report

    return app
