"""One place that turns every failure into the contract's error envelope."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from guard.api.responses import GuardJSONResponse
from guard.errors import GuardError, Unavailable, ValidationFailed, problem
from guard.ids import ID_PATTERN, ID_RULE
from guard.requests.fields import details_of

log = logging.getLogger("guard.api")

# What the router itself refuses. The guard reads every body itself (any Content-Type), so no
# other status is expected from the framework; should one come, it keeps the envelope.
_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "TOO_LARGE"}
OTHER_HTTP_CODE = "HTTP_ERROR"

# The order routes, by method, as the raw (still percent-encoded) path shows them.
_ORDER_PATHS = {
    "GET": re.compile(r"/v1/orders/([^/]*)(?:/decisions)?/?"),
    "POST": re.compile(r"/v1/orders/([^/]*)/check/?"),
    "PUT": re.compile(r"/v1/orders/([^/]*)/carrier-label/?"),
}


def _bad_path_order_id(request: Request) -> bool:
    """An order route whose id the router could not take: empty, or with an encoded "/" in it.

    The router decodes %2F before matching, so `/v1/orders/a%2Fb/check` would be a
    plain 404; the contract wants a bad path order_id answered 422, like a bad body id.
    """
    pattern = _ORDER_PATHS.get(request.method)
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    match = pattern.fullmatch(raw_path.split(b"?", 1)[0].decode("latin-1")) if pattern else None
    return match is not None and not ID_PATTERN.fullmatch(unquote(match.group(1)))


def render(error: GuardError, headers: dict[str, str] | None = None) -> GuardJSONResponse:
    return GuardJSONResponse(error.envelope(), status_code=error.status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict]:
    # Path and query parameters (their models in guard/requests/): one detail per problem, named
    # by the parameter, in the guard's words, like every other 422.
    return details_of(list(exc.errors()), drop=("body", "query", "path", "header"))


def install(app: FastAPI) -> None:
    @app.exception_handler(GuardError)
    async def _guard_error(_: Request, exc: GuardError) -> GuardJSONResponse:
        return render(exc, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError) -> GuardJSONResponse:
        return render(ValidationFailed(_validation_details(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> GuardJSONResponse:
        if exc.status_code == 404 and _bad_path_order_id(request):
            return render(ValidationFailed([problem("order_id", ID_RULE)]))
        code = _HTTP_CODES.get(exc.status_code, OTHER_HTTP_CODE)
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
