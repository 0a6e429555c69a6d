"""The label gate's routes: carrier-label escrow, labels, reprints, voids, hand-overs, pulls,
and resolving a tracking-number conflict."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, body, call, require
from guard.api.responses import GuardJSONResponse
from guard.clock import utcnow
from guard.requests.bodies import (
    CarrierLabelRequest,
    HandoverRequest,
    LabelRequest,
    PullAck,
    ReprintRequest,
    ResolveRequest,
    VoidRequest,
)
from guard.requests.fields import Id, TrackingNumber
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
        "put_carrier_label",
        "labels",
        status=204,
        ok_description="Held in escrow",
        body=CarrierLabelRequest,
        scope="events",
        errors={
            404: "`ORDER_NOT_FOUND`: no such order (or not this key's store).",
            409: "`LABEL_ALREADY_ISSUED`: this parcel's label was issued; it can no longer be replaced.",
            413: "`TOO_LARGE`: the document is over 2 MiB decoded, or the body over 8 MiB.",
            422: "`VALIDATION_ERROR` (bad input), or `LABEL_TRACKING_NOT_FOUND`: the document does not carry "
            "its tracking number where it can be read.",
        },
    ),
)
async def put_carrier_label(
    order_id: Id,
    rt: RuntimeDep,
    principal: EventsKey,
    upload: Annotated[CarrierLabelRequest, Depends(body(CarrierLabelRequest))],
):
    await call(rt, escrow.put_carrier_label, rt, principal, order_id, upload.upload(), utcnow())
    return Response(status_code=204)


@router.post(
    "/labels",
    status_code=201,
    summary="Spend a clearance and issue the parcel's label",
    **doc.documented(
        "issue_label",
        "labels",
        ok=doc.Label,
        status=201,
        body=LabelRequest,
        scope="labels",
        errors={
            404: "`CLEARANCE_NOT_FOUND`: unknown token.",
            409: "`CLEARANCE_USED`, `CLEARANCE_EXPIRED`, `ORDER_NOT_CLEAR` (the reasons in `details`), "
            "`LABEL_ALREADY_ISSUED` or `TRACKING_MISMATCH`.",
        },
    ),
)
async def post_label(
    request: Request,
    rt: RuntimeDep,
    principal: LabelsKey,
    asked: Annotated[LabelRequest, Depends(body(LabelRequest))],
):
    want_pdf = "application/pdf" in request.headers.get("accept", "")
    issued = await call(rt, labels.issue_label, rt, principal, asked.clearance, asked.station_id, want_pdf, utcnow())
    return GuardJSONResponse(issued, status_code=201)


@router.post(
    "/labels/{label_id}/reprint",
    status_code=201,
    summary="Re-issue the same label (audited)",
    **doc.documented(
        "reprint_label",
        "labels",
        ok=doc.Label,
        status=201,
        body=ReprintRequest,
        scope="supervise",
        errors={
            404: "`LABEL_NOT_FOUND`: no such label (or not this key's store).",
            409: "`ORDER_NOT_CLEAR` (the reasons in `details`), `LABEL_VOIDED`, `ALREADY_HANDED_OVER` or "
            "`TRACKING_MISMATCH`.",
        },
    ),
)
async def post_reprint(
    label_id: Id,
    rt: RuntimeDep,
    principal: SuperviseKey,
    asked: Annotated[ReprintRequest, Depends(body(ReprintRequest))],
):
    reprinted = await call(rt, labels.reprint, rt, principal, label_id, asked.reason, utcnow())
    return GuardJSONResponse(reprinted, status_code=201)


@router.post(
    "/handovers",
    summary="The last scan before a parcel leaves",
    **doc.documented(
        "hand_over",
        "dock",
        ok=doc.Handover,
        body=HandoverRequest,
        scope="labels",
        errors={
            404: "`CODE_NOT_FOUND`: no order or label matches the code.",
            409: "`NOT_LABELLED`, `ORDER_NOT_CLEAR` (the reasons in `details`; pull the parcel), "
            "`CODE_AMBIGUOUS`, `TRACKING_MISMATCH` or `ALREADY_HANDED_OVER`.",
        },
    ),
)
async def post_handover(
    rt: RuntimeDep, principal: LabelsKey, scan: Annotated[HandoverRequest, Depends(body(HandoverRequest))]
):
    return await call(rt, handover.handover, rt, principal, scan.code, scan.station_id, utcnow())


@router.post(
    "/labels/{label_id}/void",
    summary="Void a label: its number stops being live; the parcel needs a new clearance",
    **doc.documented(
        "void_label",
        "labels",
        ok=doc.Voided,
        body=VoidRequest,
        scope="supervise",
        errors={
            404: "`LABEL_NOT_FOUND`: no such label (or not this key's store).",
            409: "`LABEL_VOIDED` (voided already) or `ALREADY_HANDED_OVER`.",
        },
    ),
)
async def post_void(
    label_id: Id, rt: RuntimeDep, principal: SuperviseKey, asked: Annotated[VoidRequest, Depends(body(VoidRequest))]
):
    return await call(rt, labels.void_label, rt, principal, label_id, asked.reason, utcnow())


@router.post(
    "/pulls/{notification_id}/ack",
    summary="Record that a pulled parcel was taken off the line (or could not be found)",
    **doc.documented(
        "acknowledge_pull",
        "dock",
        ok=doc.PullItem,
        body=PullAck,
        scope="labels",
        errors={
            404: "`PULL_NOT_FOUND`: no such pull (or not this key's store).",
            409: "`PULL_ALREADY_ACKNOWLEDGED` (the pull as acknowledged, in the error's fields).",
        },
    ),
)
async def post_pull_ack(
    notification_id: Id, rt: RuntimeDep, principal: LabelsKey, ack: Annotated[PullAck, Depends(body(PullAck))]
):
    return await call(rt, pulls.acknowledge, rt, principal, notification_id, ack.station_id, ack.outcome, utcnow())


@router.get(
    "/pulls",
    summary="Pulls not acknowledged yet, oldest first",
    **doc.documented("list_pulls", "dock", ok=doc.PullsPage, scope="holds", invalid=False),
)
async def get_pulls(rt: RuntimeDep, principal: HoldsKey):
    return await call(rt, pulls.open_pulls, rt, principal)


@router.post(
    "/tracking/{number}/resolve",
    summary="Resolve a tracking-number conflict: one parcel keeps the number, the other claims are void",
    **doc.documented(
        "resolve_tracking_conflict",
        "tracking",
        ok=doc.Resolution,
        body=ResolveRequest,
        scope="supervise",
        errors={404: "`CLAIM_NOT_FOUND`: that parcel holds no claim on this number (or not this key's store)."},
    ),
)
async def post_resolve(
    number: TrackingNumber,
    rt: RuntimeDep,
    principal: SuperviseKey,
    asked: Annotated[ResolveRequest, Depends(body(ResolveRequest))],
):
    return await call(
        rt, tracking.resolve_conflict, rt, principal, number, asked.order_id, asked.parcel_id, asked.reason, utcnow()
    )
