"""Per-request observation: a request id, one log line, two metric updates. No database.

Every answer also carries `X-Content-Type-Options: nosniff`.
The log line (logger `guard.request`) carries method, route template, status,
duration_ms, request_id, and the order id when the path has one; a check adds
its verdict and reasons, a label its label id (`guard.logs.annotate`).
`X-Request-ID` is taken from the caller when it is a sane id (a load balancer
or ERP may set one), else made here, and is echoed on the response.
"""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from guard import logs, metrics
from guard.ids import ID_PATTERN

log = logging.getLogger("guard.request")

HEADER = b"x-request-id"
# Every answer: a JSON body carrying ERP text must never be sniffed into HTML or script
# on the origin where the pages keep their keys.
NOSNIFF = (b"x-content-type-options", b"nosniff")
# Polled every few seconds by load balancers and Prometheus: kept out of the INFO log.
QUIET = frozenset({"/healthz", "/metrics"})
UNMATCHED = "unmatched"  # 404s for made-up paths must not each make a new metric series


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path or UNMATCHED


class Observe:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = None
        for name, value in scope.get("headers", ()):
            if name == HEADER:
                candidate = value.decode("latin-1")
                request_id = candidate if ID_PATTERN.fullmatch(candidate) else None
                break
        request_id = request_id or logs.new_request_id()
        token = logs.bind(request_id=request_id)
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                headers = [*message["headers"], (HEADER, request_id.encode())]
                if not any(name.lower() == NOSNIFF[0] for name, _ in headers):  # the pages set their own
                    headers.append(NOSNIFF)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route(scope)
            method = scope["method"]
            metrics.request_served(method, route, status, seconds)
            fields = logs.context_fields()
            order_id = (scope.get("path_params") or {}).get("order_id")
            if order_id and "order_id" not in fields:
                fields["order_id"] = order_id
            fields.update(method=method, route=route, status=status, duration_ms=round(seconds * 1000, 2))
            level = logging.DEBUG if route in QUIET and status < 400 else logging.INFO
            if status >= 500:
                level = logging.WARNING
            log.log(level, "%s %s %d", method, route, status, extra=fields)
            logs.unbind(token)


def install(app: FastAPI) -> None:
    """Add the observation middleware (outermost but for Starlette's error handler) and `/metrics`."""
    app.add_middleware(Observe)

    @app.get(
        "/metrics",
        summary="Prometheus metrics (no key)",
        operation_id="metrics",
        tags=["health"],
        response_class=Response,
        response_model=None,
        responses={
            200: {
                "description": "Prometheus text, or OpenMetrics when the Accept header asks for it",
                "content": {
                    "text/plain": {"schema": {"type": "string"}},
                    "application/openmetrics-text": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def prometheus_metrics(request: Request) -> Response:
        exporter = getattr(request.app.state, "metrics_exporter", None)
        if exporter is None:
            exporter = request.app.state.metrics_exporter = metrics.Exporter(request.app.state.runtime.engine)
        body, content_type = await run_in_threadpool(exporter.render, request.headers.get("accept"))
        return Response(body, media_type=content_type)
