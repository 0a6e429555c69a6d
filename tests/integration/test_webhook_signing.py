"""Each webhook is signed when it is sent, and each outbox row is leased from when it is
claimed (security review, finding 6).

`t=` used to be fixed when a delivery pass started: behind a receiver that takes
seconds per delivery, the later notifications of a pass were signed long before they
left, and a pass of a hundred slow deliveries would be refused by receivers that
apply the usual 300 s tolerance. The lease was set from the same stale moment, so a
second worker could take a row the first had claimed but not yet sent.

The receiver here checks signatures with Stripe's own verifier (`stripe` on PyPI),
a third-party check of the `t=…,v1=…` format over `"<t>.<body>"`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

import guard.services.outbox as outbox_service
from guard.runtime import build_runtime, drain
from guard.webhooks import SIGNATURE_HEADER

from support.notifications import held_then_released

SECRET = "whsec_finding6"


class SlowReceiver:
    """An ERP endpoint that takes `delay` seconds per delivery and verifies each as Stripe would."""

    def __init__(self, delay: float, tolerance: int):
        self.delay = delay
        self.ids: list[str] = []
        self.stale: list[str] = []  # ids whose signature the verifier refused
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    stripe.WebhookSignature.verify_header(body, self.headers[SIGNATURE_HEADER], SECRET, tolerance)
                    good = True
                except stripe.SignatureVerificationError:
                    good = False
                time.sleep(receiver.delay)  # the slow part comes after the check, as in a real ERP
                with receiver.lock:
                    notification_id = self.headers["Guard-Notification-Id"]
                    receiver.ids.append(notification_id)
                    if not good:
                        receiver.stale.append(notification_id)
                self.send_response(200 if good else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/erp/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_receiver(request) -> Iterator[SlowReceiver]:
    delay, tolerance = request.param
    receiver = SlowReceiver(delay, tolerance)
    yield receiver
    receiver.close()


def runtime_for(settings, receiver: SlowReceiver):
    """What `guard worker` runs: its own runtime, signing with SECRET, nothing embedded."""
    return build_runtime(
        settings.model_copy(update={"webhook_url": receiver.url, "webhook_secret": SECRET}), role="tool"
    )


@pytest.mark.parametrize("slow_receiver", [(1.2, 2)], indirect=True)
def test_every_delivery_of_a_slow_pass_is_signed_when_it_is_sent(quiet_guard, quiet_settings, slow_receiver):
    # Scaled down from the review's 3 s per delivery against a 300 s tolerance: 1.2 s against 2 s.
    for n in range(4):
        held_then_released(quiet_guard, f"o-{n}")
    rt = runtime_for(quiet_settings, slow_receiver)
    try:
        assert drain(rt) == 4
    finally:
        rt.close()
    assert len(slow_receiver.ids) == 4
    assert slow_receiver.stale == []  # the 3rd and 4th left 2.4 s and 3.6 s into the pass


@pytest.mark.parametrize("slow_receiver", [(0.5, 300)], indirect=True)
def test_two_workers_never_send_one_notification_twice_behind_a_slow_receiver(
    quiet_guard, quiet_settings, slow_receiver, monkeypatch
):
    # A short lease makes the race quick to reach: 1.5 s, each delivery 0.5 s.
    monkeypatch.setattr(outbox_service, "LEASE", timedelta(seconds=1.5))
    ids = [held_then_released(quiet_guard, f"o-{n}")["notification_id"] for n in range(8)]
    runtimes = [runtime_for(quiet_settings, slow_receiver) for _ in range(2)]
    start = threading.Barrier(2)

    def worker(rt) -> None:
        start.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(set(slow_receiver.ids)) < len(ids):
            drain(rt)
            time.sleep(0.05)

    threads = [threading.Thread(target=worker, args=(rt,)) for rt in runtimes]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        for rt in runtimes:
            rt.close()

    assert set(slow_receiver.ids) == set(ids)
    sent_twice = [notification_id for notification_id, count in Counter(slow_receiver.ids).items() if count > 1]
    assert sent_twice == []
