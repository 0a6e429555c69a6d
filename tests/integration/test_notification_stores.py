"""Notifications and store-limited keys (contract, "Store-limited keys").

A `supervise` key limited to some stores sees and retries only those stores'
notifications: another store's (or one with no store) is as if it did not exist —
absent from every list, 404 `NOTIFICATION_NOT_FOUND` on retry, and left untouched.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from guard.models import Notification
from guard.services.outbox import relay

from support.api import assert_error
from support.notifications import held_then_released, outbox, real_now

outbox_t = Notification.__table__


class Refusing:
    """A webhook receiver that is down for good (no HTTP needed to fail a delivery)."""

    def send(self, notification_id, body, timestamp):
        from guard.webhooks import Delivery

        return Delivery(False, "HTTP 500")


def failed_for_good(guard, order_id: str, store_id: str) -> str:
    """A released hold whose notification the receiver refused past its 24 hours."""
    row = held_then_released(guard, order_id, store_id=store_id)
    relay(guard.engine, None, Refusing(), real_now() + timedelta(hours=25), notification_ids=[row["notification_id"]])
    [failed] = outbox(guard, order_id)
    assert failed["failed_at"] is not None
    return row["notification_id"]


def listed(guard, key: str, state: str) -> list[str]:
    response = guard.client.get("/v1/notifications", params={"state": state}, headers=guard.auth(key))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_a_store_limited_supervisor_sees_only_its_stores_notifications(quiet_guard):
    ours = held_then_released(quiet_guard, "o-a", store_id="A")["notification_id"]
    theirs = held_then_released(quiet_guard, "o-b", store_id="B")["notification_id"]
    supervisor_a = quiet_guard.new_key("sup-a", "supervise", stores=["A"])

    assert listed(quiet_guard, supervisor_a, "pending") == [ours]
    assert sorted(listed(quiet_guard, quiet_guard.key, "pending")) == sorted([ours, theirs])

    # Paging does not leak either: a one-item page of store A's list never shows B.
    page = quiet_guard.client.get(
        "/v1/notifications", params={"state": "pending", "limit": 1}, headers=quiet_guard.auth(supervisor_a)
    ).json()
    assert [item["id"] for item in page["items"]] == [ours] and page["next_cursor"] is None


def test_a_store_limited_supervisor_cannot_retry_another_stores_notification(quiet_guard):
    theirs = failed_for_good(quiet_guard, "o-b", "B")
    ours = failed_for_good(quiet_guard, "o-a", "A")
    supervisor_a = quiet_guard.new_key("sup-a", "supervise", stores=["A"])
    assert listed(quiet_guard, supervisor_a, "failed") == [ours]

    refused = quiet_guard.client.post(f"/v1/notifications/{theirs}/retry", headers=quiet_guard.auth(supervisor_a))

    assert_error(refused, 404, "NOTIFICATION_NOT_FOUND")
    [still_failed] = outbox(quiet_guard, "o-b")
    assert still_failed["failed_at"] is not None and still_failed["next_attempt_at"] is None
    # Its own store's notification it can put back in line.
    retried = quiet_guard.client.post(f"/v1/notifications/{ours}/retry", headers=quiet_guard.auth(supervisor_a))
    assert retried.status_code == 200, retried.text
    assert retried.json()["retried"] == [ours]


def test_a_notification_without_a_store_is_hidden_from_a_store_limited_supervisor(quiet_guard):
    notification_id = failed_for_good(quiet_guard, "o-none", "A")
    with quiet_guard.engine.begin() as conn:  # an order fed by an unrestricted key without a store
        conn.execute(outbox_t.update().where(outbox_t.c.notification_id == notification_id).values(store_id=None))
    supervisor_a = quiet_guard.new_key("sup-a", "supervise", stores=["A"])

    assert listed(quiet_guard, supervisor_a, "failed") == []
    response = quiet_guard.client.post(
        f"/v1/notifications/{notification_id}/retry", headers=quiet_guard.auth(supervisor_a)
    )
    assert_error(response, 404, "NOTIFICATION_NOT_FOUND")
    with quiet_guard.engine.connect() as conn:
        assert conn.execute(sa.select(outbox_t.c.failed_at)).scalar_one() is not None
