"""`/v1/holds` (the hold queue) and `/v1/notifications` (the outbox, for a supervisor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, body, call, require
from guard.api.responses import GuardJSONResponse
from guard.clock import utcnow
from guard.requests.bodies import ReleaseRequest
from guard.requests.fields import Id
from guard.requests.queries import HoldQuery, HoldSelection, NotificationQuery
from guard.services import hold_queue, outbox
from guard.services.apikeys import Principal

router = APIRouter(prefix="/v1", default_response_class=GuardJSONResponse)

HoldsKey = Annotated[Principal, Depends(require("holds"))]
SuperviseKey = Annotated[Principal, Depends(require("supervise"))]


@router.get(
    "/holds",
    summary="The hold queue, oldest first (cursor-paged, up to 1,000 a page)",
    **doc.documented("list_holds", "holds", ok=doc.HoldsPage, scope="holds"),
)
async def get_holds(rt: RuntimeDep, principal: HoldsKey, query: Annotated[HoldQuery, Query()]):
    return await call(rt, hold_queue.list_holds, rt, principal, query.page())


@router.get(
    "/holds/summary",
    summary="Counts for the hold board: by state, by reason, overdue, oldest",
    **doc.documented("hold_summary", "holds", ok=doc.HoldSummary, scope="holds", invalid=False),
)
async def get_summary(rt: RuntimeDep, principal: HoldsKey):
    return await call(rt, hold_queue.summary, rt, principal, utcnow())


@router.get(
    "/holds/export.csv",
    summary="Every matching hold as CSV, streamed (no row cap)",
    response_class=StreamingResponse,
    **doc.documented(
        "export_holds",
        "holds",
        ok_media={"text/csv": {"schema": {"type": "string"}}},
        ok_description="CSV: a header line, then one row per hold",
        scope="holds",
    ),
)
def get_export(rt: RuntimeDep, principal: HoldsKey, query: Annotated[HoldSelection, Query()]):
    return StreamingResponse(
        hold_queue.export_csv(rt, principal, query.filter()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="holds.csv"'},
    )


@router.post(
    "/holds/{order_id}/release",
    summary="Release a hold by hand, waiving its waivable reasons",
    **doc.documented(
        "release_hold",
        "holds",
        ok=doc.Release,
        body=ReleaseRequest,
        scope="supervise",
        errors={
            404: "`HOLD_NOT_FOUND`: no open hold for this order.",
            409: "`NOT_WAIVABLE` (the codes in `details`) or `ORDER_BLOCKED`.",
        },
    ),
)
async def post_release(
    order_id: Id,
    rt: RuntimeDep,
    principal: SuperviseKey,
    release: Annotated[ReleaseRequest, Depends(body(ReleaseRequest))],
):
    return await call(rt, hold_queue.release_hold, rt, principal, order_id, release.reason, utcnow())


@router.get(
    "/notifications",
    summary="Notifications by delivery state (failed ones can be retried)",
    **doc.documented("list_notifications", "notifications", ok=doc.NotificationsPage, scope="supervise"),
)
async def get_notifications(rt: RuntimeDep, principal: SuperviseKey, query: Annotated[NotificationQuery, Query()]):
    return await call(
        rt, outbox.list_notifications, rt.engine, query.state, query.limit, query.cursor, principal.stores
    )


@router.post(
    "/notifications/{notification_id}/retry",
    summary="Retry a notification that failed for good",
    **doc.documented(
        "retry_notification",
        "notifications",
        ok=doc.Retried,
        scope="supervise",
        errors={404: "`NOTIFICATION_NOT_FOUND`: no failed notification with this id (or not this key's store)."},
    ),
)
async def post_retry(notification_id: Id, rt: RuntimeDep, principal: SuperviseKey):
    ids = await call(rt, outbox.retry_failed, rt.engine, utcnow(), notification_id, principal.stores)
    rt.dispatch(ids)
    return {"retried": ids}
