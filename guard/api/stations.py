"""`GET /v1/stations/{station_id}/stream`: Server-Sent Events for one packing station."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, checked_id, require
from guard.services.apikeys import Principal

router = APIRouter(prefix="/v1")

CheckKey = Annotated[Principal, Depends(require("check"))]
KEEPALIVE_S = 15.0  # proxies close idle streams; a comment line keeps this one open


def sse(notification: dict) -> bytes:
    return (
        f"id: {notification['id']}\nevent: {notification['type']}\n".encode()
        + b"data: "
        + orjson.dumps(notification)
        + b"\n\n"
    )


@router.get(
    "/stations/{station_id}/stream",
    summary="Live notifications for the orders held at a station",
    response_class=StreamingResponse,
    **doc.documented(
        ok_media={"text/event-stream": {"schema": {"type": "string"}}},
        ok_description="Server-Sent Events: `event:` the type, `id:`, `data:` the notification",
    ),
)
async def station_stream(station_id: str, rt: RuntimeDep, principal: CheckKey):
    checked_id(station_id, "station_id")

    async def events() -> AsyncIterator[bytes]:
        async with rt.bus.subscribe(station_id) as subscription:
            yield b": connected\n\n"
            while True:
                message = await subscription.next(KEEPALIVE_S)
                if message is None:
                    yield b": keepalive\n\n"
                    continue
                notification = orjson.loads(message)
                if principal.sees(notification.get("data", {}).get("store_id")):
                    yield sse(notification)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
