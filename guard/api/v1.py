"""The `/v1` routes: parse, call one service function, render. Nothing else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, call, json_body, require
from guard.api.responses import GuardJSONResponse
from guard.clock import utcnow
from guard.events import parse_batch
from guard.requests.checks import BatchCheckBody, CheckBody, parse_batch_ids, parse_check
from guard.requests.events import EventBatch
from guard.requests.fields import Id
from guard.requests.queries import DecisionQuery
from guard.services import checks, ingest, orders
from guard.services.apikeys import Principal

router = APIRouter(prefix="/v1", default_response_class=GuardJSONResponse)

EventsKey = Annotated[Principal, Depends(require("events"))]
CheckKey = Annotated[Principal, Depends(require("check"))]
ORDER_NOT_FOUND = {404: "`ORDER_NOT_FOUND`: no such order (or not this key's store)."}


@router.post(
    "/events",
    summary="Push order facts (1 to 1,000 events, all or nothing)",
    **doc.documented("post_events", "events", ok=doc.EventsResponse, body=EventBatch, scope="events"),
)
async def post_events(request: Request, rt: RuntimeDep, principal: EventsKey):
    # Parsed by hand (guard/events.py): every bad index named in one pass, and fast.
    body = await json_body(request)
    now = utcnow()
    events = parse_batch(body, now)
    # Rendered here with orjson: FastAPI's generic encoder would walk every result first.
    return GuardJSONResponse(await call(rt, ingest.ingest, rt, principal, events, now, batch=True))


@router.post(
    "/orders/{order_id}/check",
    summary="Check one parcel before its label prints",
    **doc.documented("check_order", "checks", ok=doc.CheckResponse, body=CheckBody, body_required=False, scope="check"),
)
async def post_check(order_id: Id, request: Request, rt: RuntimeDep, principal: CheckKey):
    check = parse_check(order_id, await json_body(request, optional=True))
    now = utcnow()
    if rt.storage.on_the_event_loop:  # PostgreSQL: no thread hop (a shipment's parcel answers None)
        answer = await call(rt, checks.check_parcel, rt, principal, check, now)
        if answer is not None:
            return GuardJSONResponse(answer)
    return GuardJSONResponse(await call(rt, checks.check_order, rt, principal, check, now))


@router.post(
    "/checks",
    summary="Pre-check a wave of up to 20,000 orders (read-only)",
    **doc.documented("check_orders", "checks", ok=doc.BatchCheckResponse, body=BatchCheckBody, scope="check"),
)
async def post_checks(request: Request, rt: RuntimeDep, principal: CheckKey):
    order_ids = parse_batch_ids(await json_body(request))
    return GuardJSONResponse(await call(rt, checks.check_batch, rt, principal, order_ids, utcnow(), batch=True))


@router.get(
    "/orders/{order_id}",
    summary="An order's facts, verdict, hold and labels",
    **doc.documented("get_order", "orders", ok=doc.Order, scope="check", errors=ORDER_NOT_FOUND),
)
async def get_order(order_id: Id, rt: RuntimeDep, principal: CheckKey):
    return await call(rt, orders.get_order, rt, principal, order_id, utcnow())


@router.get(
    "/orders/{order_id}/decisions",
    summary="An order's decisions, newest first",
    **doc.documented(
        "list_decisions",
        "orders",
        ok=doc.DecisionsPage,
        scope="check",
        errors={404: "`ORDER_NOT_FOUND`: no such order and no decision on record."},
    ),
)
async def get_decisions(order_id: Id, rt: RuntimeDep, principal: CheckKey, query: Annotated[DecisionQuery, Query()]):
    return await call(rt, orders.list_decisions, rt.engine, principal, order_id, query.limit, query.cursor)
