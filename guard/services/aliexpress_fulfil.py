"""Record the shipping notice through the AliExpress open platform (optional, off by default).

`POST /v1/orders/{order_id}/fulfil` — a station or the ERP asks once the parcel has its
tracking number. The guard calls `aliexpress.solution.order.fulfill` with the logistics
service's key (`service_name`, the platform's code for the service, never free text), the
number and `send_type`; only on the platform's success answer does it record the notice
(`shipping_notice` `recorded`, through the same ingest as any event). A refusal, or no
answer, records nothing: the parcel keeps SHIPPING_NOTICE_MISSING. Should the success
answer be lost on the way back, the next sync reads the shipment from the platform.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from guard.aliexpress_api import OpenPlatform, PlatformError, Refused
from guard.errors import Conflict, GuardError, NotFound
from guard.events import parse_batch
from guard.services.aliexpress_sync import SyncFailed, with_shop_token
from guard.services.apikeys import Principal
from guard.services.ingest import ingest
from guard.storage.state import load_states

if TYPE_CHECKING:
    from guard.services.context import Context


@dataclass(frozen=True, slots=True)
class Declaration:
    """What the seller declares to the platform (checked by guard/requests/bodies.py)."""

    service_name: str  # the platform's key of the logistics service, e.g. CAINIAO_STANDARD
    tracking_number: str
    send_type: str = "all"  # all | part
    tracking_website: str | None = None  # with service OTHER only
    parcel_id: str | None = None


class PlatformRefused(GuardError):
    status = 502
    code = "PLATFORM_REFUSED"


class PlatformUnavailable(GuardError):
    status = 502
    code = "PLATFORM_UNAVAILABLE"


def fulfil(
    ctx: Context,
    principal: Principal,
    order_id: str,
    request: Declaration,
    now: datetime,
    *,
    platform: OpenPlatform | None = None,
) -> dict:
    if not ctx.settings.aliexpress_fulfill:
        raise Conflict(
            "recording the notice through AliExpress is off; set GUARD_ALIEXPRESS_FULFILL=true",
            code="FULFIL_OFF",
        )
    with ctx.storage.reading() as conn:
        state = load_states(conn, [order_id], with_waivers=False).get(order_id)
    if state is None or not state.facts or not principal.sees(state.store_id):
        raise NotFound(f"no order {order_id!r}", code="ORDER_NOT_FOUND")

    def declare(platform: OpenPlatform, token: str) -> None:
        platform.fulfill(
            token,
            order_id=order_id,
            service_name=request.service_name,
            tracking_number=request.tracking_number,
            send_type=request.send_type,
            tracking_website=request.tracking_website,
        )

    try:
        with_shop_token(ctx, declare, platform=platform)
    except Refused as exc:
        raise PlatformRefused(f"AliExpress refused the shipment: {exc}; nothing was recorded") from None
    except (PlatformError, SyncFailed) as exc:
        raise PlatformUnavailable(f"AliExpress did not confirm the shipment ({exc}); nothing was recorded") from None
    said = f"{order_id}\x1f{request.tracking_number}\x1f{request.service_name}\x1f{now.isoformat()}"
    event = {
        "event_id": "aef-" + hashlib.sha256(said.encode()).hexdigest()[:48],
        "order_id": order_id,
        "type": "shipping_notice",
        "status": "recorded",
        "occurred_at": now.isoformat(),
        "tracking_number": request.tracking_number,
        "carrier": request.service_name,
        "reason": "declared through aliexpress.solution.order.fulfill",
    }
    if state.store_id:
        event["store_id"] = state.store_id
    if request.parcel_id:
        event["parcel_id"] = request.parcel_id
    result = ingest(ctx, principal, parse_batch({"events": [event]}, now), now)["results"][0]
    return {
        "order_id": order_id,
        "tracking_number": request.tracking_number,
        "service_name": request.service_name,
        "recorded": True,
        "event_id": result["event_id"],
        "outcome": result["outcome"],
    }
