"""An integrator's client, generated from the guard's own OpenAPI document, works against a guard.

`openapi-python-client` reads /openapi.json from a running `guard serve` and writes a
typed client; the test imports it and does what an ERP does: push facts, check the order
(held), release the hold with a written reason, check again (clear, with a clearance) —
through the calls' readable names, the bearer key declared by the document.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from support.processes import served_with_key

PACKAGE = "guard_client"
T0 = datetime(2026, 11, 11, 0, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture
def served(tmp_path: Path):
    with served_with_key(tmp_path, "erp", "events", "check", "holds", "supervise") as guard:
        yield guard


def generate(base: str, into: Path) -> Path:
    """The client, as an integrator would make it: from the live document, with the tool's defaults."""
    into.mkdir()
    document = into / "openapi.json"
    document.write_bytes(httpx.get(f"{base}/openapi.json", timeout=10).raise_for_status().content)
    config = into / "config.yaml"
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    tool = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [str(tool), "generate", "--path", str(document), "--output-path", str(into / PACKAGE), "--meta", "none",
         "--config", str(config)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr  # every schema understood
    return into


def test_a_generated_client_pushes_events_checks_an_order_and_releases_its_hold(served, tmp_path, monkeypatch):
    base, key = served
    monkeypatch.syspath_prepend(str(generate(base, tmp_path / "generated")))
    client_module = importlib.import_module(PACKAGE)
    events_api = importlib.import_module(f"{PACKAGE}.api.events.post_events")
    check_api = importlib.import_module(f"{PACKAGE}.api.checks.check_order")
    release_api = importlib.import_module(f"{PACKAGE}.api.holds.release_hold")
    models = importlib.import_module(f"{PACKAGE}.models")

    client = client_module.AuthenticatedClient(base_url=base, token=key)

    # Facts, as typed models: an unpaid order with its notice recorded.
    pushed = events_api.sync(
        client=client,
        body=models.EventBatch(
            events=[
                models.PaymentEvent(event_id="gen-1", order_id="AE-GEN-1", occurred_at=T0, type_="payment",
                                    status=models.PaymentEventStatus.UNPAID, store_id="shop-1"),
                models.RiskEvent(event_id="gen-2", order_id="AE-GEN-1", occurred_at=T0, type_="risk",
                                 status=models.RiskEventStatus.CLEARED),
                models.FreightEvent(event_id="gen-3", order_id="AE-GEN-1", occurred_at=T0, type_="freight",
                                    status=models.FreightEventStatus.PAID),
                models.ShippingNoticeTrackedEvent(event_id="gen-4", order_id="AE-GEN-1", occurred_at=T0,
                                                  type_="shipping_notice", tracking_number="LPGEN1",
                                                  status=models.ShippingNoticeTrackedEventStatus.RECORDED),
            ]
        ),
    )  # fmt: skip
    assert isinstance(pushed, models.EventsResponse), pushed
    assert [result.outcome.value for result in pushed.results] == ["applied"] * 4

    held = check_api.sync("AE-GEN-1", client=client, body=models.CheckBody(station_id="pack-01"))
    assert isinstance(held, models.CheckResponse), held
    assert held.verdict.value == "hold"
    assert [reason.code for reason in held.reasons] == ["PAYMENT_UNPAID"]  # a plain string: codes may be added
    assert held.hold.state.value == "held" and held.clearance is None

    released = release_api.sync("AE-GEN-1", client=client, body=models.ReleaseRequest(reason="bank confirmed"))
    assert isinstance(released, models.Release), released
    assert [waiver.code for waiver in released.waived] == ["PAYMENT_UNPAID"]

    clear = check_api.sync("AE-GEN-1", client=client, body=models.CheckBody(station_id="pack-01"))
    assert isinstance(clear, models.CheckResponse), clear
    assert clear.verdict.value == "clear" and clear.clearance.token
    assert [waiver.code for waiver in clear.waived] == ["PAYMENT_UNPAID"]

    # A refusal is the contract's envelope, typed too.
    again = release_api.sync_detailed("AE-GEN-1", client=client, body=models.ReleaseRequest(reason="again"))
    assert again.status_code == 404
    assert isinstance(again.parsed, models.ErrorEnvelope) and again.parsed.error.code == "HOLD_NOT_FOUND"
    refused = check_api.sync_detailed("AE GEN", client=client)
    assert refused.status_code == 422 and refused.parsed.error.code == "VALIDATION_ERROR"

    # Without the key the client cannot even be asked to call: the operation needs an AuthenticatedClient;
    # a plain client gets the contract's 401.
    anonymous = client_module.Client(base_url=base)
    assert check_api.sync_detailed("AE-GEN-1", client=anonymous).status_code == 401
