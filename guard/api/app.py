"""The FastAPI application: the JSON API, the station page and the hold board."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from guard import __version__
from guard.api import errors, holds, labels, observe, stations, v1
from guard.api import openapi as doc
from guard.api.deps import RuntimeDep
from guard.api.limits import BodyLimit
from guard.api.responses import GuardJSONResponse
from guard.config import Settings
from guard.errors import Unavailable
from guard.ratelimit import RateLimiter
from guard.runtime import build_runtime
from guard.services.apikeys import KeyRing
from guard.web import pages
from guard.services.health import readiness


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.rules  # fail at start on a bad rules file, not on the first check

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runtime = build_runtime(settings, role="api")
        app.state.runtime = runtime
        app.state.keys = KeyRing(runtime.engine, settings.key_cache_s)
        app.state.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
        try:
            yield
        finally:
            runtime.close()

    app = FastAPI(
        title="Dispatch Guard",
        version=__version__,
        description="Pre-shipment risk-control guard: no label prints until the order is clear.",
        default_response_class=GuardJSONResponse,
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    observe.install(app)  # request log lines, request ids, metrics; GET /metrics (no key, contract)
    app.include_router(v1.router)
    app.include_router(holds.router)
    app.include_router(stations.router)
    app.include_router(labels.router)
    pages.install(app)

    @app.get("/healthz", summary="The process is up",
             **doc.documented(ok=doc.Health, keyed=False, database=False, invalid=False))
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", summary="The database answers (Redis and the outbox are reported)",
             **doc.documented(ok=doc.Ready, keyed=False, invalid=False,
                              errors={503: "`UNAVAILABLE`: the database does not answer (the report in `details`)."}))
    async def readyz(rt: RuntimeDep):
        try:
            report = await asyncio.wait_for(run_in_threadpool(readiness, rt.engine, rt.settings),
                                            rt.settings.request_timeout_s)
        except asyncio.TimeoutError:
            report = {"database": "down", "redis": None, "outbox_backlog": None}
        if report["database"] != "up":
            raise Unavailable("the database does not answer", details=[report])
        return report

    return app
