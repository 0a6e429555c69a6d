"""The label gate's routes: carrier-label escrow, labels, reprints, voids, hand-overs, pulls,
and resolving a tracking-number conflict."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, call, checked_id, json_body, require
from guard.api.responses import GuardJSONResponse
from guard.clock import utcnow
from guard.services import escrow, handover, labels, pulls, tracking
from guard.services.apikeys import Principal

router = APIRouter(prefix="/v1", default_response_class=GuardJSONResponse)

EventsKey = Annotated[Principal, Depends(require("events"))]
LabelsKey = Annotated[Principal, Depends(require("labels"))]
SuperviseKey = Annotated[Principal, Depends(require("supervise"))]
HoldsKey = Annotated[Principal, Depends(require("holds"))]


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
    upload = escrow.parse_carrier_label(await json_body(request))
    await call(rt, escrow.put_carrier_label, rt, principal, checked_id(order_id), upload, utcnow())
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
            409: "`NOT_LABELLED`, `ORDER_NOT_CLEAR` (the reasons in `details`; pull the parcel), "
            "`CODE_AMBIGUOUS`, `TRACKING_MISMATCH` or `ALREADY_HANDED_OVER`.",
        },
    ),
)
async def post_handover(request: Request, rt: RuntimeDep, principal: LabelsKey):
    code, station_id = handover.parse_handover(await json_body(request))
    return await call(rt, handover.handover, rt, principal, code, station_id, utcnow())


@router.post(
    "/labels/{label_id}/void",
    summary="Void a label: its number stops being live; the parcel needs a new clearance",
    **doc.documented(
        ok=doc.Voided,
        body=doc.VoidRequest,
        errors={
            404: "`LABEL_NOT_FOUND`: no such label (or not this key's store).",
            409: "`LABEL_VOIDED` (voided already) or `ALREADY_HANDED_OVER`.",
        },
    ),
)
async def post_void(label_id: str, request: Request, rt: RuntimeDep, principal: SuperviseKey):
    note = labels.parse_reason(await json_body(request))
    return await call(rt, labels.void_label, rt, principal, checked_id(label_id, "label_id"), note, utcnow())


@router.post(
    "/pulls/{notification_id}/ack",
    summary="Record that a pulled parcel was taken off the line (or could not be found)",
    **doc.documented(
        ok=doc.PullItem,
        body=doc.PullAck,
        errors={
            404: "`PULL_NOT_FOUND`: no such pull (or not this key's store).",
            409: "`PULL_ALREADY_ACKNOWLEDGED`.",
        },
    ),
)
async def post_pull_ack(notification_id: str, request: Request, rt: RuntimeDep, principal: LabelsKey):
    station_id, outcome = pulls.parse_ack(await json_body(request))
    pull_id = checked_id(notification_id, "notification_id")
    return await call(rt, pulls.acknowledge, rt, principal, pull_id, station_id, outcome, utcnow())


@router.get(
    "/pulls",
    summary="Pulls not acknowledged yet, oldest first",
    **doc.documented(ok=doc.PullsPage, invalid=False),
)
async def get_pulls(rt: RuntimeDep, principal: HoldsKey):
    return await call(rt, pulls.open_pulls, rt, principal)


@router.post(
    "/tracking/{number}/resolve",
    summary="Resolve a tracking-number conflict: one parcel keeps the number, the other claims are void",
    **doc.documented(
        ok=doc.Resolution,
        body=doc.ResolveRequest,
        errors={404: "`CLAIM_NOT_FOUND`: that parcel holds no claim on this number (or not this key's store)."},
    ),
)
async def post_resolve(number: str, request: Request, rt: RuntimeDep, principal: SuperviseKey):
    normal, order_id, parcel_id, note = tracking.parse_resolution(number, await json_body(request))
    return await call(rt, tracking.resolve_conflict, rt, principal, normal, order_id, parcel_id, note, utcnow())
