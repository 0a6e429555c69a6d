"""The label gate's routes: carrier-label escrow, labels, reprints, hand-overs."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from guard.api.deps import RuntimeDep, call, checked_id, json_body, require
from guard.api.responses import GuardJSONResponse
from guard.clock import utcnow
from guard.services import labels
from guard.services.apikeys import Principal

router = APIRouter(prefix="/v1", default_response_class=GuardJSONResponse)

EventsKey = Annotated[Principal, Depends(require("events"))]
LabelsKey = Annotated[Principal, Depends(require("labels"))]
SuperviseKey = Annotated[Principal, Depends(require("supervise"))]


@router.put("/orders/{order_id}/carrier-label", status_code=204, response_class=Response,
            summary="Hand the carrier's own label to the guard, held in escrow until the order is clear")
async def put_carrier_label(order_id: str, request: Request, rt: RuntimeDep, principal: EventsKey):
    upload = labels.parse_carrier_label(await json_body(request))
    await call(rt, labels.put_carrier_label, rt, principal, checked_id(order_id), upload, utcnow())
    return Response(status_code=204)


@router.post("/labels", status_code=201, summary="Spend a clearance and issue the parcel's label")
async def post_label(request: Request, rt: RuntimeDep, principal: LabelsKey):
    token, station_id = labels.parse_label_request(await json_body(request))
    want_pdf = "application/pdf" in request.headers.get("accept", "")
    body = await call(rt, labels.issue_label, rt, principal, token, station_id, want_pdf, utcnow())
    return GuardJSONResponse(body, status_code=201)


@router.post("/labels/{label_id}/reprint", status_code=201, summary="Re-issue the same label (audited)")
async def post_reprint(label_id: str, request: Request, rt: RuntimeDep, principal: SuperviseKey):
    note = labels.parse_reason(await json_body(request))
    body = await call(rt, labels.reprint, rt, principal, checked_id(label_id, "label_id"), note, utcnow())
    return GuardJSONResponse(body, status_code=201)


@router.post("/handovers", summary="The last scan before a parcel leaves")
async def post_handover(request: Request, rt: RuntimeDep, principal: LabelsKey):
    code, station_id = labels.parse_handover(await json_body(request))
    return await call(rt, labels.handover, rt, principal, code, station_id, utcnow())
