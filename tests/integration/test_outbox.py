"""The outbox relay (contract, "Notifications"; design, "Notifications").

A real HTTP receiver stands in for the ERP: it records what it got and can be
told to fail. The relay is driven by hand with an explicit `now`, with the app's
embedded jobs switched off, so each attempt happens exactly when the test says.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from guard.services.outbox import LEASE, _claim, relay
from guard.stations import LocalBus
from guard.webhooks import SIGNATURE_HEADER, WebhookSender

from support.api import Guard, assert_error
from support.notifications import held_then_released, outbox, real_now
from support.processes import free_port
from support.webhooks import verify

SECRETS = ["new-secret", "old-secret"]  # mid-rotation: both sign


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    path: str
    status: int


@dataclass
class Receiver:
    """An ERP's webhook endpoint on 127.0.0.1: records every request; fails on demand."""

    requests: list[Received] = field(default_factory=list)
    fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    failing = receiver.fail_next > 0
                    if failing:
                        receiver.fail_next -= 1
                    status = 500 if failing else 200
                    headers = {name.lower(): value for name, value in self.headers.items()}
                    receiver.requests.append(Received(body, headers, self.path, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/guard"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def sender(receiver: Receiver) -> Iterator[WebhookSender]:
    sender = WebhookSender(receiver.url, SECRETS)
    yield sender
    sender.close()


def signatures(header: str) -> tuple[int, list[str]]:
    fields = [part.split("=", 1) for part in header.split(",")]
    [timestamp] = [value for key, value in fields if key == "t"]
    return int(timestamp), [value for key, value in fields if key == "v1"]


def hmac_hex(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def get_notifications(guard: Guard, key: str | None = None, **params: Any):
    return guard.client.get("/v1/notifications", params=params, headers=guard.auth(key))


def listed_ids(guard: Guard, state: str) -> list[str]:
    response = get_notifications(guard, state=state)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# -- the webhook -------------------------------------------------------------------------------


def test_the_receiver_gets_the_notification_json_signed_with_every_secret(quiet_guard, receiver, sender):
    row = held_then_released(quiet_guard, "o-1")
    now = real_now()

    report = relay(quiet_guard.engine, LocalBus(), sender, now)

    assert (report.delivered, report.retrying, report.failed) == (1, 0, 0)
    [got] = receiver.requests
    assert got.path == "/hooks/guard"
    assert got.headers["content-type"] == "application/json"
    payload = json.loads(got.body)
    assert payload == row["body"]
    assert set(payload) == {"id", "type", "created_at", "data"}
    assert payload["id"] == row["notification_id"]
    assert payload["type"] == "hold.released"
    assert datetime.fromisoformat(payload["created_at"]).tzinfo is not None
    data = payload["data"]
    assert {key: data[key] for key in ("order_id", "store_id", "station_id", "reasons")} == {
        "order_id": "o-1",
        "store_id": "shop-1",
        "station_id": "pack-1",
        "reasons": ["PAYMENT_PROCESSING"],
    }
    assert data["hold"]["state"] == "released"
    assert datetime.fromisoformat(data["hold"]["since"]).tzinfo is not None

    # Guard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">, one v1 per secret.
    header = got.headers[SIGNATURE_HEADER.lower()]
    timestamp, v1 = signatures(header)
    assert timestamp == int(now.timestamp())
    assert v1 == [hmac_hex(secret, timestamp, got.body) for secret in SECRETS]
    for secret in SECRETS:  # a receiver on either side of the rotation accepts it
        assert verify(got.body, header, secret, timestamp)
        assert verify(got.body, header, secret, timestamp + 300)
    assert not verify(got.body, header, "wrong-secret", timestamp)
    assert not verify(got.body, header, "new-secret", timestamp + 301)  # older than 5 minutes
    assert not verify(got.body.replace(b"o-1", b"o-2"), header, "new-secret", timestamp)

    [done] = outbox(quiet_guard, "o-1")
    assert done["next_attempt_at"] is None and done["delivered_at"] == now and done["failed_at"] is None
    assert done["attempts"] == 1  # one POST, and it landed
    assert listed_ids(quiet_guard, "delivered") == [row["notification_id"]]
    assert listed_ids(quiet_guard, "pending") == []


def test_a_delivered_notification_is_not_sent_again(quiet_guard, receiver, sender):
    held_then_released(quiet_guard, "o-1")
    now = real_now()
    relay(quiet_guard.engine, LocalBus(), sender, now)
    later = relay(quiet_guard.engine, LocalBus(), sender, now + timedelta(days=2))
    assert later.claimed == 0
    assert len(receiver.requests) == 1


def test_a_failed_delivery_is_retried_later_with_the_same_id_and_body(quiet_guard, receiver, sender):
    row = held_then_released(quiet_guard, "o-1")
    receiver.fail_next = 1
    now = real_now()

    first = relay(quiet_guard.engine, LocalBus(), sender, now)

    assert (first.delivered, first.retrying) == (0, 1)
    [pending] = outbox(quiet_guard, "o-1")
    assert pending["attempts"] == 1 and pending["delivered_at"] is None and pending["failed_at"] is None
    assert pending["last_error"] == "HTTP 500"
    assert now < pending["next_attempt_at"] <= now + timedelta(seconds=10)
    assert listed_ids(quiet_guard, "pending") == [row["notification_id"]]

    # Not before its backoff has passed ...
    assert relay(quiet_guard.engine, LocalBus(), sender, now + timedelta(seconds=1)).claimed == 0
    assert len(receiver.requests) == 1
    # ... then the same notification, byte for byte.
    retry_at = pending["next_attempt_at"] + timedelta(seconds=1)
    second = relay(quiet_guard.engine, LocalBus(), sender, retry_at)

    assert second.delivered == 1
    failed, resent = receiver.requests
    assert (failed.status, resent.status) == (500, 200)
    assert resent.body == failed.body
    assert json.loads(resent.body)["id"] == row["notification_id"]
    assert resent.headers["guard-notification-id"] == failed.headers["guard-notification-id"] == row["notification_id"]
    timestamp, _ = signatures(resent.headers["guard-signature"])
    assert timestamp == int(retry_at.timestamp())  # signed afresh, so a 5-minute window still passes
    assert verify(resent.body, resent.headers["guard-signature"], "old-secret", timestamp)
    [done] = outbox(quiet_guard, "o-1")
    assert done["next_attempt_at"] is None and done["delivered_at"] == retry_at
    assert done["attempts"] == 2  # the refused POST and the one that landed


def test_a_notification_relayed_before_any_webhook_was_configured_is_listed_as_skipped_not_delivered(quiet_guard):
    at_station = held_then_released(quiet_guard, "o-1")
    nowhere = held_then_released(quiet_guard, "o-2", station_id=None)

    report = relay(quiet_guard.engine, LocalBus(), None, real_now())  # GUARD_WEBHOOK_URL unset

    assert (report.skipped, report.delivered, report.retrying) == (2, 0, 0)
    for order_id, attempts in (("o-1", 1), ("o-2", 0)):
        [row] = outbox(quiet_guard, order_id)
        assert row["delivered_at"] is None and row["failed_at"] is None and row["next_attempt_at"] is None
        assert row["attempts"] == attempts, order_id  # the station push was tried; no POST was
    assert listed_ids(quiet_guard, "delivered") == []
    assert sorted(listed_ids(quiet_guard, "skipped")) == sorted(
        [at_station["notification_id"], nowhere["notification_id"]]
    )
    [item, _] = get_notifications(quiet_guard, state="skipped").json()["items"]
    assert item["state"] == "skipped" and "no webhook URL" in item["last_error"]
    # Nothing more happens on its own.
    assert relay(quiet_guard.engine, LocalBus(), None, real_now() + timedelta(days=1)).claimed == 0


def test_every_listed_notification_says_its_state(quiet_guard, receiver, sender):
    held_then_released(quiet_guard, "o-1")
    assert [item["state"] for item in get_notifications(quiet_guard, state="pending").json()["items"]] == ["pending"]
    relay(quiet_guard.engine, LocalBus(), sender, real_now())
    assert [item["state"] for item in get_notifications(quiet_guard, state="delivered").json()["items"]] == [
        "delivered"
    ]
    assert_error(get_notifications(quiet_guard, state="sent"), 422, "VALIDATION_ERROR")


def test_an_unreachable_receiver_is_retried_like_a_failing_one(quiet_guard):
    held_then_released(quiet_guard, "o-1")
    down = WebhookSender(f"http://127.0.0.1:{free_port()}/hooks", SECRETS)  # a port nobody listens on
    try:
        report = relay(quiet_guard.engine, LocalBus(), down, real_now())
    finally:
        down.close()
    assert report.retrying == 1
    [pending] = outbox(quiet_guard, "o-1")
    assert pending["attempts"] == 1 and pending["next_attempt_at"] is not None
    assert pending["last_error"]


def test_a_row_claimed_by_a_worker_that_died_is_sent_once_its_lease_ends(quiet_guard, receiver, sender):
    row = held_then_released(quiet_guard, "o-1")
    now = real_now()
    [claimed] = _claim(quiet_guard.engine, now, None, 10)  # ... and the worker is killed here
    assert claimed.notification_id == row["notification_id"]

    assert relay(quiet_guard.engine, LocalBus(), sender, now + timedelta(seconds=30)).claimed == 0
    assert relay(quiet_guard.engine, LocalBus(), sender, now + LEASE - timedelta(seconds=1)).claimed == 0
    assert receiver.requests == []

    report = relay(quiet_guard.engine, LocalBus(), sender, now + LEASE + timedelta(seconds=1))
    assert report.delivered == 1
    [got] = receiver.requests
    assert json.loads(got.body)["id"] == row["notification_id"]
    assert outbox(quiet_guard, "o-1")[0]["next_attempt_at"] is None


def test_a_receiver_failing_past_24_hours_fails_the_row_until_retried_by_hand(quiet_guard, receiver, sender):
    row = held_then_released(quiet_guard, "o-1")
    receiver.fail_next = 10_000
    start = real_now()
    for hours in (0, 1, 6, 12, 23):
        assert relay(quiet_guard.engine, LocalBus(), sender, start + timedelta(hours=hours)).retrying == 1
    assert listed_ids(quiet_guard, "failed") == []

    report = relay(quiet_guard.engine, LocalBus(), sender, start + timedelta(hours=24, minutes=1))

    assert report.failed == 1
    [failed] = outbox(quiet_guard, "o-1")
    assert failed["failed_at"] == start + timedelta(hours=24, minutes=1)
    assert failed["next_attempt_at"] is None and failed["delivered_at"] is None
    assert failed["attempts"] == 6
    assert len(receiver.requests) == 6
    # Nothing more happens on its own.
    assert relay(quiet_guard.engine, LocalBus(), sender, start + timedelta(days=3)).claimed == 0

    # A supervisor sees it ...
    response = get_notifications(quiet_guard, state="failed")
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    assert (item["id"], item["type"], item["order_id"], item["attempts"]) == (
        row["notification_id"],
        "hold.released",
        "o-1",
        6,
    )
    assert item["last_error"] == "HTTP 500" and item["failed_at"]
    assert listed_ids(quiet_guard, "delivered") == [] and listed_ids(quiet_guard, "pending") == []

    # ... and puts it back in line once the ERP is fixed.
    receiver.fail_next = 0
    retried = quiet_guard.client.post(f"/v1/notifications/{row['notification_id']}/retry", headers=quiet_guard.auth())
    assert retried.status_code == 200, retried.text
    assert retried.json()["retried"] == [row["notification_id"]]
    assert listed_ids(quiet_guard, "failed") == []
    assert listed_ids(quiet_guard, "pending") == [row["notification_id"]]

    assert relay(quiet_guard.engine, LocalBus(), sender, real_now() + timedelta(seconds=1)).delivered == 1
    last = receiver.requests[-1]
    assert (last.status, json.loads(last.body)) == (200, row["body"])
    [done] = outbox(quiet_guard, "o-1")
    assert done["failed_at"] is None and done["next_attempt_at"] is None and done["delivered_at"] is not None
    assert listed_ids(quiet_guard, "delivered") == [row["notification_id"]]


def test_the_notification_list_and_retry_need_the_supervise_scope(quiet_guard):
    row = held_then_released(quiet_guard, "o-1")
    reader = quiet_guard.new_key("reader", "holds", "check", "events", "labels")
    assert_error(get_notifications(quiet_guard, reader), 403, "FORBIDDEN")
    assert_error(
        quiet_guard.client.post(f"/v1/notifications/{row['notification_id']}/retry", headers=quiet_guard.auth(reader)),
        403,
        "FORBIDDEN",
    )
    assert_error(quiet_guard.client.get("/v1/notifications"), 401, "UNAUTHENTICATED")


def test_only_a_failed_notification_can_be_retried(quiet_guard):
    row = held_then_released(quiet_guard, "o-1")
    for notification_id in (row["notification_id"], "ntf_nothing_here"):
        response = quiet_guard.client.post(f"/v1/notifications/{notification_id}/retry", headers=quiet_guard.auth())
        assert_error(response, 404, "NOTIFICATION_NOT_FOUND")
    [untouched] = outbox(quiet_guard, "o-1")
    assert untouched["next_attempt_at"] == row["next_attempt_at"] and untouched["attempts"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"state": "lost"},
        {"limit": 0},
        {"limit": 1001},
        {"limit": "ten"},
        {"cursor": "not a cursor!"},
        {"cursor": "wrI"},
        {"cursor": "YWJj"},
    ],
)
def test_a_bad_notification_query_is_a_validation_error(quiet_guard, params):
    assert_error(get_notifications(quiet_guard, **params), 422, "VALIDATION_ERROR")


def test_the_notification_list_pages_by_cursor(quiet_guard):
    ids = [held_then_released(quiet_guard, f"o-{n}")["notification_id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        page = get_notifications(quiet_guard, state="pending", limit=2, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


# -- the station stream ------------------------------------------------------------------------


def test_a_station_is_told_of_its_own_orders_only_and_only_once(quiet_guard, receiver, sender):
    at_pack1 = held_then_released(quiet_guard, "o-p1", station_id="pack-1")
    at_pack2 = held_then_released(quiet_guard, "o-p2", station_id="pack-2")
    held_then_released(quiet_guard, "o-nowhere", station_id=None)
    receiver.fail_next = 3  # the ERP is down for the first round: the webhooks are retried
    bus = LocalBus()
    now = real_now()

    async def listen() -> tuple[list[bytes], list[bytes]]:
        async with bus.subscribe("pack-1") as pack1, bus.subscribe("pack-3") as pack3:
            first = await asyncio.to_thread(relay, quiet_guard.engine, bus, sender, now)
            second = await asyncio.to_thread(relay, quiet_guard.engine, bus, sender, now + timedelta(minutes=1))
            assert (first.retrying, second.delivered) == (3, 3)
            got1, got3 = [], []
            while (message := await pack1.next(0.5)) is not None:
                got1.append(message)
            while (message := await pack3.next(0.1)) is not None:
                got3.append(message)
            return got1, got3

    got1, got3 = asyncio.run(listen())

    assert [json.loads(message) for message in got1] == [at_pack1["body"]]  # once, despite the webhook retry
    assert got3 == []
    assert at_pack2["body"]["data"]["station_id"] == "pack-2"
    sent = {json.loads(request.body)["data"]["order_id"] for request in receiver.requests if request.status == 200}
    assert sent == {"o-p1", "o-p2", "o-nowhere"}
    assert all(row["published_at"] is not None for row in outbox(quiet_guard, "o-p1") + outbox(quiet_guard, "o-p2"))


def test_a_subscriber_of_the_station_gets_the_same_json_as_the_webhook(quiet_guard, receiver, sender):
    row = held_then_released(quiet_guard, "o-1", station_id="pack-1")
    bus = LocalBus()

    async def listen() -> bytes | None:
        async with bus.subscribe("pack-1") as pack1:
            await asyncio.to_thread(relay, quiet_guard.engine, bus, sender, real_now())
            return await pack1.next(2)

    message = asyncio.run(listen())
    [webhook] = receiver.requests
    assert message == webhook.body
    assert json.loads(message) == row["body"]
