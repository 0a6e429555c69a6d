"""What every route needs: the app's context and the caller's key, checked for a scope."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from guard.db import abandoned
from guard.errors import Unavailable, ValidationFailed, problem
from guard.requests.fields import validated
from guard.runtime import Runtime
from guard.services.apikeys import Principal

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


async def get_runtime(request: Request) -> Runtime:
    # async: a plain def would cost every request a thread hop to read an attribute.
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def call(rt: Runtime, function: Callable[..., T], *args: Any, batch: bool = False) -> T:
    """Run a service function within the request deadline: a plain one off the event loop,
    a coroutine function on it.

    Fail closed in bounded time: a database that hangs (rather than refusing)
    would otherwise hold the packer's scan forever. The thread may finish later;
    what it commits stays consistent, but the caller has already been told
    503 — do not ship.
    """
    timeout = rt.settings.batch_timeout_s if batch else rt.settings.request_timeout_s
    flag = threading.Event()
    token = abandoned.set(flag)  # copied into the worker thread's context
    try:
        async with asyncio.timeout(timeout):  # unlike wait_for, no extra task per request
            if inspect.iscoroutinefunction(function):
                return await function(*args)  # cancelled at the deadline: it never commits late
            return await run_in_threadpool(function, *args)
    except TimeoutError:
        # What the caller was told (503: nothing happened) must be what the guard keeps:
        # the thread may still finish when the database answers, but it will not commit.
        flag.set()
        raise Unavailable("the guard's database did not answer in time; do not ship until it does") from None
    finally:
        abandoned.reset(token)


def require(scope: str) -> Callable[..., Any]:
    # The header is read off the request, not declared as a parameter: FastAPI's parameter
    # machinery cost every request more than the key check itself (the scheme and each
    # operation's `security` are declared by guard/api/openapi.py).
    async def dependency(request: Request) -> Principal:
        authorization = request.headers.get("authorization")
        keys = request.app.state.keys
        principal = keys.cached(authorization)
        if principal is None:
            principal = await call(request.app.state.runtime, keys.authenticate, authorization)
        principal.require(scope)
        await request.app.state.limiter.take(principal.key_id)  # 429 before any work is done
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency


def body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency: the request's JSON body as `model` (its validator), or 422 naming every problem.

    Read here rather than by FastAPI, so that every route reads JSON alike: whatever the
    Content-Type (curl -d sends a form's), NUL refused, malformed JSON a 422 in the envelope.
    The route documents the same model as its request body (`guard.api.openapi.documented`).
    """

    async def dependency(request: Request) -> M:
        return validated(model, await json_body(request))

    dependency.__name__ = f"body_{model.__name__}"
    return dependency


_BATCHES = ("events", "order_ids")


async def json_body(request: Request, *, optional: bool = False) -> Any:
    raw = await request.body()
    if not raw.strip():
        if optional:
            return None
        raise ValidationFailed([problem("", "a JSON body is required")])
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed([problem("", f"malformed JSON: {exc}")]) from None
    # Valid JSON may still carry NUL ("\u0000"), which PostgreSQL text cannot store:
    # refuse it here as bad input (422), not later as a failed write (503).
    if b"\\u0000" in raw:
        # Batches refuse NUL item by item themselves (guard/events.py; the id rule for
        # order_ids), so one pass names every bad index; everything else is checked here.
        scanned = {k: v for k, v in body.items() if k not in _BATCHES} if isinstance(body, dict) else body
        problems = [problem(field, "must not contain NUL characters") for field in _nul_strings(scanned)]
        if problems:
            raise ValidationFailed(problems[:100])
    return body


def _nul_strings(body: Any) -> list[str]:
    """The dotted path of every string (key or value) holding NUL.

    Iterative: orjson accepts nesting deeper than Python's recursion limit.
    """
    found: list[str] = []
    stack: list[tuple[Any, tuple]] = [(body, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                found.append(".".join(str(part) for part in path))
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, path + (key,)))
                stack.append((item, path + (key,)))
        elif isinstance(value, list):
            stack.extend((item, path + (position,)) for position, item in enumerate(value))
    return sorted(set(found))
