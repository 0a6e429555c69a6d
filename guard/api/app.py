"""The FastAPI application: JSON API (and, later, the station and hold-board pages)."""
from __future__ import annotations

from contextlib import asynccontextmanager

import sqlalchemy as sa
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from guard import __version__
from guard.api import errors, v1
from guard.api.deps import Context, ContextDep
from guard.api.limits import BodyLimit
from guard.api.responses import GuardJSONResponse
from guard.config import Settings
from guard.db import make_engine
from guard.errors import Unavailable
from guard.services.apikeys import KeyRing
from guard.services.health import readiness


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.rules  # fail at start on a bad rules file, not on the first check
    engine = make_engine(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        engine.dispose()

    app = FastAPI(
        title="Dispatch Guard",
        version=__version__,
        description="Pre-shipment risk-control guard: no label prints until the order is clear.",
        default_response_class=GuardJSONResponse,
        lifespan=lifespan,
    )
    app.state.context = Context(settings=settings, engine=engine, keys=KeyRing(engine, settings.key_cache_s))
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(v1.router)

    @app.get("/healthz", summary="The process is up")
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", summary="The database answers (Redis and the outbox are reported)")
    async def readyz(context: ContextDep):
        report = await run_in_threadpool(readiness, context.engine, context.settings)
        if report["database"] != "up":
            raise Unavailable("the database does not answer", details=[report])
        return report

    return app
