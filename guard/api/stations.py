"""`GET /v1/stations/{station_id}/stream`: Server-Sent Events for one packing station.

A stream lives for hours, so its key is looked at again every second (through the key
cache, whose entries live at most 4 s): a revoked key's streams end within 5 s, as its
requests do. A key holds at most GUARD_STREAMS_PER_KEY streams (429 beyond).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, call, require
from guard.errors import GuardError
from guard.ratelimit import StreamSlot, StreamSlots
from guard.requests.fields import Id
from guard.runtime import Runtime
from guard.services.apikeys import KeyRing, Principal

router = APIRouter(prefix="/v1")

CheckKey = Annotated[Principal, Depends(require("check"))]
KEEPALIVE_S = 15.0  # proxies close idle streams; a comment line keeps this one open
KEY_CHECK_S = 1.0  # + the key cache (≤ 4 s) = a revoked key's stream ends within 5 s
SLOT_RENEW_S = 10.0  # ≪ StreamSlots.LEASE_S
RELEASE_WITHIN_S = 2.0  # then the slot's lease frees it


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
        "station_stream",
        "notifications",
        scope="check",
        ok_media={"text/event-stream": {"schema": {"type": "string"}}},
        ok_description="Server-Sent Events: `event:` the type, `id:`, `data:` the notification",
        errors={429: "`RATE_LIMITED`: too many requests, or this key holds `GUARD_STREAMS_PER_KEY` streams open."},
    ),
)
async def station_stream(station_id: Id, request: Request, rt: RuntimeDep, principal: CheckKey):
    slots: StreamSlots = request.app.state.streams
    slot = await slots.acquire(principal.key_id)  # 429 beyond the key's streams
    stream = _stream(
        rt, request.app.state.keys, request.headers.get("authorization"), slots, slot, station_id, principal
    )
    return StreamingResponse(
        stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


async def _stream(
    rt: Runtime,
    keys: KeyRing,
    authorization: str | None,
    slots: StreamSlots,
    slot: StreamSlot,
    station_id: str,
    principal: Principal,
) -> AsyncIterator[bytes]:
    try:
        async with rt.bus.subscribe(station_id) as subscription:
            yield b": connected\n\n"
            now = time.monotonic()
            check_at, keepalive_at, renew_at = now + KEY_CHECK_S, now + KEEPALIVE_S, now + SLOT_RENEW_S
            while True:
                now = time.monotonic()
                if now >= check_at:
                    if not await _key_still_good(rt, keys, authorization):
                        return  # the page reconnects, and hears 401
                    check_at = now + KEY_CHECK_S
                if now >= renew_at:
                    await slots.renew(slot)
                    renew_at = now + SLOT_RENEW_S
                if now >= keepalive_at:
                    yield b": keepalive\n\n"
                    keepalive_at = now + KEEPALIVE_S
                message = await subscription.next(max(0.0, min(check_at, keepalive_at) - time.monotonic()))
                if message is None:
                    continue
                notification = orjson.loads(message)
                if principal.sees(notification.get("data", {}).get("store_id")):
                    yield sse(notification)
    finally:
        # A station that hangs up cancels this generator: a cancelled scope would cancel the
        # release's Redis call too, and the place would stay taken until its lease ran out.
        with anyio.move_on_after(RELEASE_WITHIN_S, shield=True):
            await slots.release(slot)


async def _key_still_good(rt: Runtime, keys: KeyRing, authorization: str | None) -> bool:
    """The stream's key, looked at again: revoked, or not verifiable (the database away), ends it."""
    try:
        if keys.cached(authorization) is None:
            await call(rt, keys.authenticate, authorization)
        return True
    except GuardError:
        return False
