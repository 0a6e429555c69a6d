"""`/v1/holds` (the hold queue) and `/v1/notifications` (the outbox, for a supervisor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from guard.api import openapi as doc
from guard.api.deps import RuntimeDep, call, checked_id, json_body, require
from guard.api.responses import GuardJSONResponse
from guard.clock import utcnow
from guard.errors import ValidationFailed, problem
from guard.services import hold_queue, outbox
from guard.services.apikeys import Principal

router = APIRouter(prefix="/v1", default_response_class=GuardJSONResponse)

HoldsKey = Annotated[Principal, Depends(require("holds"))]
SuperviseKey = Annotated[Principal, Depends(require("supervise"))]


@router.get(
    "/holds",
    summary="The hold queue, oldest first (cursor-paged, up to 1,000 a page)",
    **doc.documented(ok=doc.HoldsPage),
)
async def get_holds(
    rt: RuntimeDep,
    principal: HoldsKey,
    state: str | None = None,
    reason: str | None = None,
    station_id: str | None = None,
    overdue: str | None = None,
    limit: str | None = None,
    cursor: str | None = None,
):
    flt = hold_queue.parse_filter(
        {
            "state": state,
            "reason": reason,
            "station_id": station_id,
            "overdue": overdue,
            "limit": limit,
            "cursor": cursor,
        }
    )
    return await call(rt, hold_queue.list_holds, rt, principal, flt)


@router.get(
    "/holds/summary",
    summary="Counts for the hold board: by state, by reason, overdue, oldest",
    **doc.documented(ok=doc.HoldSummary),
)
async def get_summary(rt: RuntimeDep, principal: HoldsKey):
    return await call(rt, hold_queue.summary, rt, principal, utcnow())


@router.get(
    "/holds/export.csv",
    summary="Every matching hold as CSV, streamed (no row cap)",
    response_class=StreamingResponse,
    **doc.documented(
        ok_media={"text/csv": {"schema": {"type": "string"}}},
        ok_description="CSV: a header line, then one row per hold",
    ),
)
def get_export(
    rt: RuntimeDep,
    principal: HoldsKey,
    state: str | None = None,
    reason: str | None = None,
    station_id: str | None = None,
    overdue: str | None = None,
):
    flt = hold_queue.parse_filter({"state": state, "reason": reason, "station_id": station_id, "overdue": overdue})
    return StreamingResponse(
        hold_queue.export_csv(rt, principal, flt),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="holds.csv"'},
    )


@router.post(
    "/holds/{order_id}/release",
    summary="Release a hold by hand, waiving its waivable reasons",
    **doc.documented(
        ok=doc.Release,
        body=doc.ReleaseRequest,
        errors={
            404: "`HOLD_NOT_FOUND`: no open hold for this order.",
            409: "`NOT_WAIVABLE` (the codes in `details`) or `ORDER_BLOCKED`.",
        },
    ),
)
async def post_release(order_id: str, request: Request, rt: RuntimeDep, principal: SuperviseKey):
    note = hold_queue.parse_release(await json_body(request))
    return await call(rt, hold_queue.release_hold, rt, principal, checked_id(order_id), note, utcnow())


@router.get(
    "/notifications",
    summary="Notifications by delivery state (failed ones can be retried)",
    **doc.documented(ok=doc.NotificationsPage),
)
async def get_notifications(
    rt: RuntimeDep, principal: SuperviseKey, state: str = "failed", limit: int = 100, cursor: str | None = None
):
    if state not in outbox.STATES:
        raise ValidationFailed([problem("state", f"one of {', '.join(outbox.STATES)}")])
    if not 1 <= limit <= 1000:
        raise ValidationFailed([problem("limit", "a whole number from 1 to 1000")])
    return await call(rt, outbox.list_notifications, rt.engine, state, limit, cursor, principal.stores)


@router.post(
    "/notifications/{notification_id}/retry",
    summary="Retry a notification that failed for good",
    **doc.documented(
        ok=doc.Retried,
        errors={404: "`NOTIFICATION_NOT_FOUND`: no failed notification with this id (or not this key's store)."},
    ),
)
async def post_retry(notification_id: str, rt: RuntimeDep, principal: SuperviseKey):
    notification_id = checked_id(notification_id, "notification_id")
    ids = await call(rt, outbox.retry_failed, rt.engine, utcnow(), notification_id, principal.stores)
    rt.dispatch(ids)
    return {"retried": ids}
