"""Routes that act on the platform for the seller: recording the shipping notice through AliExpress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, body, call, require
from guard.api.responses import GuardJSONResponse
from guard.clock import utcnow
from guard.requests.bodies import FulfilRequest
from guard.requests.fields import Id
from guard.services import aliexpress_fulfil
from guard.services.apikeys import Principal

router = APIRouter(prefix="/v1", default_response_class=GuardJSONResponse)

EventsKey = Annotated[Principal, Depends(require("events"))]


@router.post(
    "/orders/{order_id}/fulfil",
    summary="Declare the shipment to AliExpress and, on its success answer, record the shipping notice",
    **doc.documented(
        "fulfil_order",
        "platform",
        ok=doc.Fulfilled,
        body=FulfilRequest,
        scope="events",
        errors={
            404: "`ORDER_NOT_FOUND`: no such order (or not this key's store).",
            409: "`FULFIL_OFF`: recording through AliExpress is switched off (GUARD_ALIEXPRESS_FULFILL).",
            502: "`PLATFORM_REFUSED` or `PLATFORM_UNAVAILABLE`: AliExpress did not confirm; nothing was recorded.",
        },
    ),
)
async def post_fulfil(
    order_id: Id, rt: RuntimeDep, principal: EventsKey, asked: Annotated[FulfilRequest, Depends(body(FulfilRequest))]
):
    # The platform may take seconds to answer: the batch deadline, not the check's.
    declaration = asked.declaration()
    return await call(rt, aliexpress_fulfil.fulfil, rt, principal, order_id, declaration, utcnow(), batch=True)
