"""The label gate's routes: carrier-label escrow, labels, reprints, hand-overs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, call, checked_id, json_body, require
from guard.api.responses import GuardJSONResponse
from guard.clock import utcnow
from guard.services import labels
from guard.services.apikeys import Principal

router = APIRouter(prefix="/v1", default_response_class=GuardJSONResponse)

EventsKey = Annotated[Principal, Depends(require("events"))]
LabelsKey = Annotated[Principal, Depends(require("labels"))]
SuperviseKey = Annotated[Principal, Depends(require("supervise"))]


@router.put(
    "/orders/{order_id}/carrier-label",
    status_code=204,
    response_class=Response,
    summary="Hand the carrier's own label to the guard, held in escrow until the order is clear",
    **doc.documented(
        status=204,
        ok_description="Held in escrow",
        body=doc.CarrierLabelUpload,
        errors={
            404: "`ORDER_NOT_FOUND`: no such order (or not this key's store).",
            409: "`LABEL_ALREADY_ISSUED`: this parcel's label was issued; it can no longer be replaced.",
            413: "`TOO_LARGE`: the document is over 2 MiB decoded, or the body over 8 MiB.",
        },
    ),
)
async def put_carrier_label(order_id: str, request: Request, rt: RuntimeDep, principal: EventsKey):
    upload = labels.parse_carrier_label(await json_body(request))
    await call(rt, labels.put_carrier_label, rt, principal, checked_id(order_id), upload, utcnow())
    return Response(status_code=204)


@router.post(
    "/labels",
    status_code=201,
    summary="Spend a clearance and issue the parcel's label",
    **doc.documented(
        ok=doc.Label,
        status=201,
        body=doc.LabelRequest,
        errors={
            404: "`CLEARANCE_NOT_FOUND`: unknown token.",
            409: "`CLEARANCE_USED`, `CLEARANCE_EXPIRED`, `ORDER_NOT_CLEAR` (the reasons in `details`) "
            "or `LABEL_ALREADY_ISSUED`.",
        },
    ),
)
async def post_label(request: Request, rt: RuntimeDep, principal: LabelsKey):
    token, station_id = labels.parse_label_request(await json_body(request))
    want_pdf = "application/pdf" in request.headers.get("accept", "")
    body = await call(rt, labels.issue_label, rt, principal, token, station_id, want_pdf, utcnow())
    return GuardJSONResponse(body, status_code=201)


@router.post(
    "/labels/{label_id}/reprint",
    status_code=201,
    summary="Re-issue the same label (audited)",
    **doc.documented(
        ok=doc.Label,
        status=201,
        body=doc.ReprintRequest,
        errors={
            404: "`LABEL_NOT_FOUND`: no such label (or not this key's store).",
            409: "`ORDER_NOT_CLEAR`: the order is no longer clear (the reasons in `details`).",
        },
    ),
)
async def post_reprint(label_id: str, request: Request, rt: RuntimeDep, principal: SuperviseKey):
    note = labels.parse_reason(await json_body(request))
    body = await call(rt, labels.reprint, rt, principal, checked_id(label_id, "label_id"), note, utcnow())
    return GuardJSONResponse(body, status_code=201)


@router.post(
    "/handovers",
    summary="The last scan before a parcel leaves",
    **doc.documented(
        ok=doc.Handover,
        body=doc.HandoverRequest,
        errors={
            404: "`CODE_NOT_FOUND`: no order or label matches the code.",
            409: "`NOT_LABELLED`, or `ORDER_NOT_CLEAR` with the reasons (pull the parcel).",
        },
    ),
)
async def post_handover(request: Request, rt: RuntimeDep, principal: LabelsKey):
    code, station_id = labels.parse_handover(await json_body(request))
    return await call(rt, labels.handover, rt, principal, code, station_id, utcnow())
