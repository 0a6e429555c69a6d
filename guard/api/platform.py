"""Routes that act on the platform for the seller: recording the shipping notice through AliExpress."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, call, checked_id, json_body, require
from guard.api.responses import GuardJSONResponse
from guard.clock import utcnow
from guard.services import aliexpress_fulfil
from guard.services.apikeys import Principal

router = APIRouter(prefix="/v1", default_response_class=GuardJSONResponse)

EventsKey = Annotated[Principal, Depends(require("events"))]


class FulfilRequest(BaseModel):
    service_name: str = Field(description="The logistics service's key as AliExpress lists it, e.g. CAINIAO_STANDARD.")
    tracking_number: str = Field(description="The parcel's tracking number (4 to 64 letters, digits and -).")
    send_type: Literal["all", "part"] = Field("all", description="`part` while more parcels are to follow.")
    tracking_website: str | None = Field(None, description="The carrier's tracking page; required with OTHER.")
    parcel_id: str | None = Field(None, description="The parcel the number belongs to.")


class FulfilResponse(BaseModel):
    order_id: str
    tracking_number: str
    service_name: str
    recorded: bool = Field(description="Always true: the notice is recorded only on the platform's success answer.")
    event_id: str
    outcome: str = Field(description="What the recorded notice did: applied, stale, final, duplicate.")


@router.post(
    "/orders/{order_id}/fulfil",
    summary="Declare the shipment to AliExpress and, on its success answer, record the shipping notice",
    **doc.documented(
        ok=FulfilResponse,
        body=FulfilRequest,
        errors={
            404: "`ORDER_NOT_FOUND`: no such order (or not this key's store).",
            409: "`FULFIL_OFF`: recording through AliExpress is switched off (GUARD_ALIEXPRESS_FULFILL).",
            502: "`PLATFORM_REFUSED` or `PLATFORM_UNAVAILABLE`: AliExpress did not confirm; nothing was recorded.",
        },
    ),
)
async def post_fulfil(order_id: str, request: Request, rt: RuntimeDep, principal: EventsKey):
    body = aliexpress_fulfil.parse_fulfil(await json_body(request))
    # The platform may take seconds to answer: the batch deadline, not the check's.
    return await call(rt, aliexpress_fulfil.fulfil, rt, principal, checked_id(order_id), body, utcnow(), batch=True)
