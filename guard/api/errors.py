"""One place that turns every failure into the contract's error envelope."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from guard.api.responses import GuardJSONResponse
from guard.errors import GuardError, Unavailable, ValidationFailed, problem

log = logging.getLogger("guard.api")

_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE"}


def render(error: GuardError, headers: dict[str, str] | None = None) -> GuardJSONResponse:
    return GuardJSONResponse(error.envelope(), status_code=error.status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict]:
    details = []
    for err in exc.errors():
        loc = [part for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
        details.append(problem(".".join(str(part) for part in loc), err.get("msg", "invalid")))
    return details or [problem("", "invalid request")]


def install(app: FastAPI) -> None:
    @app.exception_handler(GuardError)
    async def _guard_error(_: Request, exc: GuardError) -> GuardJSONResponse:
        return render(exc)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError) -> GuardJSONResponse:
        return render(ValidationFailed(_validation_details(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> GuardJSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        error = GuardError(str(exc.detail), code=code)
        error.status = exc.status_code
        return render(error, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(DBAPIError)
    async def _database_down(_: Request, exc: Exception) -> GuardJSONResponse:
        # Fail closed: no verdict without the store. The station shows DO NOT SHIP.
        log.warning("database unavailable: %s", type(exc).__name__)
        return render(Unavailable("the guard's database cannot be reached; do not ship until it answers"))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> GuardJSONResponse:
        log.exception("unexpected error")
        error = GuardError("internal error; the guard did not decide — do not ship", code="INTERNAL")
        error.status = 500
        return render(error)
