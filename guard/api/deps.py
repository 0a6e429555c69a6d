"""What every route needs: the app's context and the caller's key, checked for a scope."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Callable

import orjson
from fastapi import Depends, Header, Request
from sqlalchemy.engine import Engine

from guard.config import Settings
from guard.errors import ValidationFailed, problem
from guard.ids import ID_PATTERN, ID_RULE
from guard.services.apikeys import KeyRing, Principal


@dataclass
class Context:
    settings: Settings
    engine: Engine
    keys: KeyRing


def get_context(request: Request) -> Context:
    return request.app.state.context


ContextDep = Annotated[Context, Depends(get_context)]


def require(scope: str) -> Callable[..., Principal]:
    def dependency(
        context: ContextDep,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Principal:
        principal = context.keys.authenticate(authorization)
        principal.require(scope)
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency


def checked_id(value: str, field: str = "order_id") -> str:
    if not ID_PATTERN.fullmatch(value):
        raise ValidationFailed([problem(field, ID_RULE)])
    return value


async def json_body(request: Request, *, optional: bool = False) -> Any:
    raw = await request.body()
    if not raw.strip():
        if optional:
            return None
        raise ValidationFailed([problem("", "a JSON body is required")])
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationFailed([problem("", f"malformed JSON: {exc}")]) from None
