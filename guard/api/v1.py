"""The `/v1` routes: parse, call one service function, render. Nothing else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, call, checked_id, json_body, require
from guard.api.responses import GuardJSONResponse
from guard.clock import utcnow
from guard.events import parse_batch
from guard.services import checks, ingest, orders
from guard.services.apikeys import Principal

router = APIRouter(prefix="/v1", default_response_class=GuardJSONResponse)

EventsKey = Annotated[Principal, Depends(require("events"))]
CheckKey = Annotated[Principal, Depends(require("check"))]


@router.post(
    "/events",
    summary="Push order facts (1 to 1,000 events, all or nothing)",
    **doc.documented(ok=doc.EventsResponse, body=doc.EventBatch),
)
async def post_events(request: Request, rt: RuntimeDep, principal: EventsKey):
    body = await json_body(request)
    now = utcnow()
    events = parse_batch(body, now)
    # Rendered here with orjson: FastAPI's generic encoder would walk every result first.
    return GuardJSONResponse(await call(rt, ingest.ingest, rt, principal, events, now, batch=True))


@router.post(
    "/orders/{order_id}/check",
    summary="Check one parcel before its label prints",
    **doc.documented(ok=doc.CheckResponse, body=doc.CheckRequest, body_required=False),
)
async def post_check(order_id: str, request: Request, rt: RuntimeDep, principal: CheckKey):
    body = await json_body(request, optional=True)
    check = checks.parse_check_request(checked_id(order_id), body)
    now = utcnow()
    if rt.storage.on_the_event_loop:  # PostgreSQL: no thread hop (a shipment's parcel answers None)
        answer = await call(rt, checks.check_parcel, rt, principal, check, now)
        if answer is not None:
            return GuardJSONResponse(answer)
    return GuardJSONResponse(await call(rt, checks.check_order, rt, principal, check, now))


@router.post(
    "/checks",
    summary="Pre-check a wave of up to 20,000 orders (read-only)",
    **doc.documented(ok=doc.BatchCheckResponse, body=doc.BatchCheckRequest),
)
async def post_checks(request: Request, rt: RuntimeDep, principal: CheckKey):
    order_ids = checks.parse_batch_ids(await json_body(request))
    return GuardJSONResponse(await call(rt, checks.check_batch, rt, principal, order_ids, utcnow(), batch=True))


@router.get(
    "/orders/{order_id}",
    summary="An order's facts, verdict, hold and labels",
    **doc.documented(ok=doc.Order, errors={404: "`ORDER_NOT_FOUND`: no such order (or not this key's store)."}),
)
async def get_order(order_id: str, rt: RuntimeDep, principal: CheckKey):
    return await call(rt, orders.get_order, rt, principal, checked_id(order_id), utcnow())


@router.get(
    "/orders/{order_id}/decisions",
    summary="An order's decisions, newest first",
    **doc.documented(ok=doc.DecisionsPage, errors={404: "`ORDER_NOT_FOUND`: no such order and no decision on record."}),
)
async def get_decisions(
    order_id: str, rt: RuntimeDep, principal: CheckKey, limit: str | None = None, cursor: str | None = None
):
    return await call(
        rt, orders.list_decisions, rt.engine, principal, checked_id(order_id), orders.parse_limit(limit), cursor
    )
