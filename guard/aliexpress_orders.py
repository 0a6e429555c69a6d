"""An AliExpress order, as the open platform answers it, turned into `platform_status` events.

Pure: the sync (`guard/services/aliexpress_sync.py`) fetches, this decides what the
answers say. Each event takes the order's own modification time (`gmt_modified` in the
detail, `gmt_update` in the list; US Pacific wall-clock time), so a lagging answer can
never undo a newer fact, and its id is derived from what it says: reading an unchanged
order again is a duplicate.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from guard.aliexpress_api import items
from guard.events import PLATFORM_STATUS, PLATFORM_WORD_FIELDS
from guard.platform_time import PACIFIC, from_wall_clock

# The list says whether goods left; only the detail names the tracking numbers.
SHIPPED_LOGISTICS = {"SELLER_SEND_GOODS", "SELLER_SEND_PART_GOODS", "BUYER_ACCEPT_GOODS"}
SHIPPED_STATUSES = {"WAIT_BUYER_ACCEPT_GOODS", "SELLER_PART_SEND_GOODS"}
AWAITING_SHIPMENT = {"WAIT_SELLER_SEND_GOODS", "SELLER_PART_SEND_GOODS"}
# How far around a daylight-saving change a window is widened: the hour that happens twice
# (or never) is read either way, with an hour to spare (platform-statuses: "at least an hour").
DST_MARGIN = timedelta(hours=2)


class BadOrder(ValueError):
    """An order in an answer that cannot be read (no id, no modification time)."""


def order_id_of(order: dict) -> str:
    value = order.get("order_id", order.get("id"))
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip():
        raise BadOrder("an order without an order_id")
    return str(value).strip()


def needs_detail(order: dict) -> bool:
    """Whether the order's tracking numbers matter (goods left, or are leaving): only the detail has them."""
    return order.get("logistics_status") in SHIPPED_LOGISTICS or order.get("order_status") in SHIPPED_STATUSES


def order_events(order: dict, detail: dict | None, *, store_id: str | None, answered_at: datetime) -> list[dict]:
    """The events one order's answer means: one, or one per tracking number (a parcel each)."""
    seen = {**order, **(detail or {})}  # the detail is the fuller view of the same moment or later
    order_id = order_id_of(order)
    modified = seen.get("gmt_modified") or seen.get("gmt_update")
    if not isinstance(modified, str) or not modified.strip():
        raise BadOrder(f"order {order_id} has no modification time")
    try:
        occurred_at = from_wall_clock(modified).isoformat()
    except ValueError as exc:
        raise BadOrder(f"order {order_id}: {exc}") from None
    status = seen.get("order_status")
    event: dict[str, Any] = {
        "type": PLATFORM_STATUS,
        "platform": "aliexpress",
        "order_id": order_id,
        "status": status,
        "occurred_at": occurred_at,
    }
    for field in PLATFORM_WORD_FIELDS:
        if seen.get(field):
            event[field] = seen[field]
    end_reason = seen.get("order_end_reason") or seen.get("end_reason")
    if status == "FINISH" and end_reason:
        event["end_reason"] = end_reason
    if store_id:
        event["store_id"] = store_id
    ship_by = _ship_by(seen, answered_at) if status in AWAITING_SHIPMENT else None
    if ship_by is not None:
        event["ship_by"] = ship_by
    numbers = _tracking_numbers(detail)
    if not numbers:
        return [_with_id(event)]
    return [
        _with_id({**event, "tracking_number": number, **({"carrier": carrier} if carrier else {})})
        for number, carrier in numbers
    ]


def _with_id(event: dict) -> dict:
    said = "\x1f".join(f"{k}={event[k]}" for k in sorted(event) if k != "ship_by")
    return {"event_id": "aes-" + hashlib.sha256(said.encode()).hexdigest()[:48], **event}


def _tracking_numbers(detail: dict | None) -> list[tuple[str, str | None]]:
    numbers: dict[str, str | None] = {}
    for info in items((detail or {}).get("logistic_info_list")):
        number = info.get("logistics_no")
        if isinstance(number, str) and number.strip():
            carrier = info.get("logistics_service_name") or info.get("logistics_type_code")
            numbers.setdefault(number.strip(), carrier if isinstance(carrier, str) and carrier.strip() else None)
    return list(numbers.items())


def _ship_by(order: dict, answered_at: datetime) -> str | None:
    """The shipping deadline: the time the platform answered plus the delivery time it says is left."""
    try:
        left = timedelta(
            days=int(order.get("left_send_good_day") or 0),
            hours=int(order.get("left_send_good_hour") or 0),
            minutes=int(order.get("left_send_good_min") or 0),
        )
    except (TypeError, ValueError):
        return None
    if not any(
        order.get(k) not in (None, "") for k in ("left_send_good_day", "left_send_good_hour", "left_send_good_min")
    ):
        return None
    return (answered_at + left).replace(second=0, microsecond=0).astimezone(UTC).isoformat()


def dst_change_near(start: datetime, end: datetime) -> bool:
    """Whether US Pacific time changes its offset within DST_MARGIN of [start, end]."""
    first = (start - DST_MARGIN).astimezone(PACIFIC).utcoffset()
    last = (end + DST_MARGIN).astimezone(PACIFIC).utcoffset()
    if first != last:
        return True
    # A window longer than half a year could hold both changes and come back to the same offset.
    probe = start - DST_MARGIN
    while probe < end + DST_MARGIN:
        if probe.astimezone(PACIFIC).utcoffset() != first:
            return True
        probe += timedelta(days=30)
    return False


def query_range(start: datetime, end: datetime, latest: datetime) -> tuple[datetime, datetime]:
    """The modification-time range to ask for a window: the window itself, widened by
    DST_MARGIN on both sides when a daylight-saving change is near (never past `latest`)."""
    if not dst_change_near(start, end):
        return start, end
    return start - DST_MARGIN, min(end + DST_MARGIN, latest)
