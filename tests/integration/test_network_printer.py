"""Raw ZPL to a station's network printer: the server prints, since a page cannot open a socket."""

import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient

from guard.api.app import create_app
from guard.db import make_engine
from guard.printers import parse_printers
from guard.services.apikeys import create_key

from support.api import CLEAR_FACTS, Guard


class FakePrinter:
    """A thermal printer's raw port: it takes a connection and keeps what it is sent."""

    def __init__(self):
        self.received: list[bytes] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            with connection:
                chunks = []
                while data := connection.recv(65536):
                    chunks.append(data)
                self.received.append(b"".join(chunks))

    def jobs(self, count: int = 1, within_s: float = 5.0) -> list[bytes]:
        """What it has printed, once `count` jobs are in: the guard's send returns when the
        bytes are on the wire, a moment before this thread has read them to the end."""
        deadline = time.monotonic() + within_s
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.received)

    def close(self):
        self._socket.close()


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


def guard_with_printers(settings, printers: str) -> Guard:
    tuned = settings.model_copy(update={"station_printers": printers})
    engine = make_engine(tuned)
    key = create_key(engine, "erp", ["events", "check", "labels"], None)
    client = TestClient(create_app(tuned))
    client.__enter__()
    return Guard(client=client, engine=engine, key=key)


def clear(guard, order_id):
    guard.push(
        *[
            guard.event(order_id, t, s, 1, **({"tracking_number": "LP55"} if s == "recorded" else {}))
            for t, s in CLEAR_FACTS.items()
        ]
    )
    return guard.check(order_id, station_id="pack-01")["clearance"]["token"]


def test_a_label_for_a_station_with_a_printer_is_sent_to_it_as_zpl(settings, printer):
    guard = guard_with_printers(settings, f"pack-01=127.0.0.1:{printer.port}")
    try:
        token = clear(guard, "o-print")
        response = guard.client.post(
            "/v1/labels",
            json={"clearance": token, "station_id": "pack-01"},
            headers={**guard.auth(), "Accept": "application/pdf"},
        )
        body = response.json()
        assert response.status_code == 201 and body["format"] == "pdf"  # the browser still gets its PDF
        assert body["printer"] == {"address": f"127.0.0.1:{printer.port}", "sent": True, "error": None}
        [job] = printer.jobs()
        assert job.startswith(b"^XA") and b"LP55" in job and b"o-print" in job
    finally:
        guard.client.__exit__(None, None, None)
        guard.engine.dispose()


def test_an_unreachable_printer_is_reported_and_the_label_still_issued(settings):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        dead_port = probe.getsockname()[1]  # closed again at once: nobody listens there
    guard = guard_with_printers(settings, f"pack-01=127.0.0.1:{dead_port}")
    try:
        token = clear(guard, "o-noprint")
        body = guard.client.post(
            "/v1/labels", json={"clearance": token, "station_id": "pack-01"}, headers=guard.auth()
        ).json()
        assert body["label_id"] and body["printer"]["sent"] is False
        assert "Connection" in body["printer"]["error"] or "refused" in body["printer"]["error"]
    finally:
        guard.client.__exit__(None, None, None)
        guard.engine.dispose()


def test_stations_without_a_printer_print_from_the_browser(guard):
    token = clear(guard, "o-browser")
    body = guard.client.post(
        "/v1/labels", json={"clearance": token, "station_id": "pack-01"}, headers=guard.auth()
    ).json()
    assert body["printer"] is None


def test_printer_settings_are_checked_at_start():
    assert parse_printers("pack-01=10.0.0.21:9100, pack-02=printer-2.local") == {
        "pack-01": ("10.0.0.21", 9100),
        "pack-02": ("printer-2.local", 9100),
    }
    for bad in ("pack-01", "=10.0.0.1", "pack-01=host:port", "pack-01=host:70000"):
        with pytest.raises(ValueError):
            parse_printers(bad)
