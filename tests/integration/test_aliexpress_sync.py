"""`guard sync aliexpress` against a local fake of the open platform's gateway.

The fake (tests/support/aliexpress_gateway.py) is built from the documented request
and answer shapes and checks every signature; nothing here reaches the network.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from guard.aliexpress_api import OpenPlatform, sign
from guard.platform_time import to_wall_clock
from guard.runtime import build_runtime
from guard.services.aliexpress_sync import MAX_PAGES, SyncFailed, check_credentials, sync_aliexpress

from support.aliexpress_gateway import FakeGateway, expected_sign


@pytest.fixture
def gateway():
    fake = FakeGateway().start()
    yield fake
    fake.stop()


def shop_settings(settings, gateway, **more):
    """The test's settings with the shop's app and first token pair, talking to the fake gateway."""
    shop = {
        "aliexpress_app_key": gateway.app_key,
        "aliexpress_app_secret": gateway.app_secret,
        "aliexpress_access_token": "at-1",
        "aliexpress_refresh_token": "rt-1",
        "aliexpress_gateway_url": gateway.url,
    }
    return settings.model_copy(update={**shop, **more})


@pytest.fixture
def shop(settings, gateway):
    """The guard's runtime with the shop's app and tokens, on the test's database."""
    configured = shop_settings(settings, gateway, aliexpress_store_id="ae-shop", aliexpress_sync_days=2)
    rt = build_runtime(configured, role="tool")
    yield rt
    rt.close()


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# The shop's day, a day behind the real clock (event times must not be in the future).
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
CLOCK = Clock(START)


@pytest.fixture(autouse=True)
def morning():
    CLOCK.now = START


def later(**delta) -> None:
    CLOCK.now += timedelta(**delta)


def run(shop, clock=None, sleeps=None, platform=None):
    return sync_aliexpress(
        shop,
        clock=clock or CLOCK,
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        platform=platform,
    )


def verdict(guard, order_id):
    answer = guard.check(order_id)
    return answer["verdict"], [r["code"] for r in answer["reasons"]]


def ago(**delta) -> datetime:
    return CLOCK.now - timedelta(**delta)


def test_the_signature_is_the_documented_one():
    params = {"app_key": "12345678", "method": "aliexpress.solution.order.get", "timestamp": "1517820392000"}
    assert sign("helloworld", params) == expected_sign("helloworld", params)
    assert sign("helloworld", params, "/auth/token/refresh") != sign("helloworld", params)
    assert len(sign("x", {})) == 64 and sign("x", {}).isupper()


def test_orders_become_facts_at_their_own_modification_time(guard, shop, gateway):
    gateway.put_order("8190000000001", "WAIT_SELLER_SEND_GOODS", ago(hours=3), left_send_good_day="2")
    gateway.put_order("8190000000002", "RISK_CONTROL", ago(hours=2))
    gateway.put_order("8190000000003", "PLACE_ORDER_SUCCESS", ago(hours=1), fund_status="NOT_PAY")
    report = run(shop)
    assert report.error is None and report.orders == 3 and report.outcomes == {"applied": 3}
    assert verdict(guard, "8190000000001") == ("hold", ["SHIPPING_NOTICE_MISSING"])
    assert verdict(guard, "8190000000002") == ("hold", ["RISK_REVIEW", "SHIPPING_NOTICE_MISSING"])
    assert verdict(guard, "8190000000003") == ("hold", ["PAYMENT_UNPAID", "SHIPPING_NOTICE_MISSING"])
    order = guard.client.get("/v1/orders/8190000000001", headers=guard.auth()).json()
    assert order["store_id"] == "ae-shop"
    assert datetime.fromisoformat(order["facts"]["payment"]["occurred_at"]) == ago(hours=3)
    assert order["facts"]["payment"]["source"] == "status=WAIT_SELLER_SEND_GOODS"
    assert datetime.fromisoformat(order["ship_by"]) > CLOCK.now + timedelta(days=1, hours=23)


def test_a_shipped_order_gets_its_tracking_number_from_the_detail(guard, shop, gateway):
    gateway.put_order("8190000000010", "WAIT_BUYER_ACCEPT_GOODS", ago(hours=1), logistics_status="SELLER_SEND_GOODS")
    gateway.details["8190000000010"] = {
        "logistic_info_list": {
            "global_aeop_tp_logistic_info_dto": [
                {"logistics_no": "LP00190000010CN", "logistics_service_name": "Cainiao Standard"}
            ]
        }
    }
    report = run(shop)
    assert report.details == 1
    assert verdict(guard, "8190000000010") == ("clear", [])
    notice = guard.client.get("/v1/orders/8190000000010", headers=guard.auth()).json()["facts"]["shipping_notice"]
    assert (notice["status"], notice["tracking_number"]) == ("recorded", "LP00190000010CN")


def test_a_risk_closure_is_seen_because_finished_orders_are_asked_for_on_their_own(guard, shop, gateway):
    gateway.put_order("8190000000020", "RISK_CONTROL", ago(hours=5))
    run(shop)
    assert verdict(guard, "8190000000020")[0] == "hold"
    # The platform closes it and refunds the buyer: it leaves the ordinary list for good.
    later(minutes=30)
    gateway.put_order("8190000000020", "FINISH", ago(minutes=20), end_reason="risk_reject_closed")
    run(shop)
    got = verdict(guard, "8190000000020")
    assert got[0] == "block" and "RISK_CLOSED" in got[1]
    finished = [q for q in gateway.queries() if q.get("order_status") == "FINISH"]
    assert finished and all(
        datetime.fromisoformat(q["modified_date_end"]) - datetime.fromisoformat(q["modified_date_start"])
        <= timedelta(days=30)
        for q in finished
    )


def test_a_lagging_answer_never_undoes_a_newer_fact(guard, shop, gateway):
    closed = gateway.put_order("8190000000030", "FINISH", ago(minutes=5), end_reason="buyer_cancel_order_in_risk")
    frozen = gateway.put_order("8190000000031", "IN_FROZEN", ago(minutes=3))
    run(shop)
    assert verdict(guard, "8190000000030")[0] == "block"
    assert "RISK_REVIEW" in verdict(guard, "8190000000031")[1]
    # A replica that lags answers older views of both beside the current ones, out of order.
    later(minutes=5)
    gateway.lagging += [
        closed
        | {"order_status": "WAIT_SELLER_SEND_GOODS", "end_reason": "", "gmt_update": to_wall_clock(ago(minutes=13))},
        frozen
        | {
            "order_status": "WAIT_SELLER_SEND_GOODS",
            "frozen_status": "NO_FROZEN",
            "gmt_update": to_wall_clock(ago(minutes=11)),
        },
    ]
    report = run(shop)
    assert report.error is None and report.orders >= 2
    assert verdict(guard, "8190000000030")[0] == "block"
    assert "RISK_REVIEW" in verdict(guard, "8190000000031")[1]


def test_pages_are_read_to_the_end_and_no_page_is_past_the_cap(guard, shop, gateway):
    for n in range(120):
        gateway.put_order(f"82000000{n:05d}", "WAIT_SELLER_SEND_GOODS", ago(minutes=30 + n))
    report = run(shop)
    assert report.orders == 120
    pages = [q["current_page"] for q in gateway.queries() if "order_status" not in q]
    assert max(pages) == 3 and all(q["page_size"] <= 50 for q in gateway.queries())
    body = guard.client.post(
        "/v1/checks", json={"order_ids": [f"82000000{n:05d}" for n in range(120)]}, headers=guard.auth()
    ).json()
    assert body["counts"]["hold"] == 120  # all known, none ORDER_UNKNOWN
    assert all(r["reasons"] == ["SHIPPING_NOTICE_MISSING"] for r in body["results"])


def test_a_crowded_window_is_split_rather_than_paged_deep(shop, gateway):
    crowd = MAX_PAGES * 50 + 60
    for n in range(crowd):
        gateway.put_order(f"83{n:014d}", "WAIT_SELLER_SEND_GOODS", ago(hours=2, seconds=n))
    report = run(shop)
    assert report.outcomes["applied"] == crowd and report.error is None  # a boundary may be read twice
    assert max(q["current_page"] for q in gateway.queries()) <= MAX_PAGES


def test_empty_and_overlapping_windows(guard, shop, gateway):
    first = run(shop)
    assert first.error is None and first.orders == 0 and first.windows >= 1
    assert first.modified_until is not None and first.finished_until is not None
    later(minutes=15)
    gateway.put_order("8190000000040", "WAIT_SELLER_SEND_GOODS", ago(minutes=5))
    assert run(shop).outcomes == {"applied": 1}
    # The next run overlaps the last one: the same answer again is a duplicate, nothing moves.
    later(minutes=1)
    again = run(shop)
    assert again.outcomes == {"duplicate": 1}


def test_throttling_is_backed_off_and_retried(shop, gateway):
    gateway.put_order("8190000000050", "WAIT_SELLER_SEND_GOODS", ago(hours=1))
    gateway.throttle = 2
    sleeps: list[float] = []
    report = run(shop, sleeps=sleeps)
    assert report.error is None and report.orders == 1
    assert sleeps == [1.0, 1.0] and report.retries == 2  # the ban's own length


def test_a_gateway_error_is_retried_and_one_that_does_not_end_stops_the_run_where_it_was(shop, gateway):
    gateway.put_order("8190000000060", "WAIT_SELLER_SEND_GOODS", ago(hours=1))
    gateway.fail = 1
    assert run(shop).orders == 1
    before = run(shop).modified_until
    gateway.fail = 100
    sleeps: list[float] = []
    stopped = run(shop, sleeps=sleeps)
    assert "kept failing" in stopped.error and sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert stopped.modified_until == before  # the position did not move past what was read


def test_an_expiring_token_is_refreshed_and_the_new_pair_kept(guard, shop, gateway):
    gateway.put_order("8190000000070", "WAIT_SELLER_SEND_GOODS", ago(hours=1))
    gateway.expire_token()
    report = run(shop)
    assert report.error is None and report.token_refreshed and report.orders == 1
    with shop.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT access_token, refresh_token FROM sync_positions")).one()
    assert tuple(stored) == ("at-2", "rt-2")
    # The next run uses the stored pair, not the settings' spent one.
    gateway.calls.clear()
    assert run(shop).error is None
    assert {call["session"] for call in gateway.calls if call["path"] == "/sync"} == {"at-2"}


def test_a_refused_refresh_stops_the_run_and_says_to_authorize_again(shop, gateway):
    gateway.expire_token()
    gateway.refresh_token = "rt-other"
    report = run(shop)
    assert "authorize the app" in report.error


def test_a_wrong_secret_is_refused_by_the_gateway(shop, gateway):
    platform = OpenPlatform(gateway.url, gateway.app_key, "not-the-secret")
    report = run(shop, platform=platform)
    assert "IncompleteSignature" in report.error


def test_windows_overlap_around_the_daylight_saving_change(guard, shop, gateway):
    # 2026-11-01: at 09:00 UTC Pacific clocks go back from 02:00 PDT to 01:00 PST, so the
    # wall-clock hour 01:00-01:59 happens twice. A window from 01:40 PDT (08:40 UTC) to
    # 01:20 PST (09:20 UTC) is, written as the platform reads times, "01:40" to "01:20".
    with shop.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sync_positions (source, modified_until, finished_until, orders_seen, updated_at) "
                "VALUES ('aliexpress', :at, :at, 0, :at)"
            ),
            {
                "at": datetime(2026, 11, 1, 8, 50).isoformat(sep=" ")
                if shop.settings.is_sqlite
                else datetime(2026, 11, 1, 8, 50, tzinfo=UTC)
            },
        )
    gateway.put_order("8190000000080", "IN_FROZEN", datetime(2026, 11, 1, 9, 0, tzinfo=UTC))  # "01:00:00" PST
    report = run(shop, clock=Clock(datetime(2026, 11, 1, 9, 22, tzinfo=UTC)))
    assert report.error is None and report.orders == 1
    assert "RISK_REVIEW" in verdict(guard, "8190000000080")[1]


def test_check_proves_the_credentials_work(shop, gateway):
    gateway.put_order("8190000000090", "WAIT_SELLER_SEND_GOODS", ago(hours=2))
    assert check_credentials(shop, clock=CLOCK)["orders_modified_last_day"] == 1
    gateway.app_secret = "rotated"
    with pytest.raises(Exception, match="IncompleteSignature"):
        check_credentials(shop, clock=CLOCK)


def test_the_sync_needs_its_settings(settings):
    rt = build_runtime(settings, role="tool")
    try:
        with pytest.raises(SyncFailed, match="not configured"):
            sync_aliexpress(rt)
    finally:
        rt.close()


def test_guard_serve_in_embedded_mode_runs_the_sync_on_its_own(settings, gateway):
    from fastapi.testclient import TestClient

    from guard.api.app import create_app
    from guard.services.apikeys import create_key

    gateway.put_order("8190000000100", "RISK_CONTROL", datetime.now(UTC) - timedelta(hours=1))
    configured = shop_settings(settings, gateway, embedded_jobs=True)
    app = create_app(configured)
    with TestClient(app) as client:
        key = create_key(app.state.runtime.engine, "station", ["check"], None)
        deadline = time.monotonic() + 30
        codes: list[str] = []
        while time.monotonic() < deadline:
            answer = client.post("/v1/orders/8190000000100/check", headers={"Authorization": f"Bearer {key}"})
            codes = [r["code"] for r in answer.json()["reasons"]]
            if codes != ["ORDER_UNKNOWN"]:
                break
            time.sleep(0.2)
    assert "RISK_REVIEW" in codes


def test_the_worker_schedules_the_sync_only_when_it_is_configured():
    script = "import worker.app as w; print('aliexpress-sync' in w.app.conf.beat_schedule)"
    base = {k: v for k, v in os.environ.items() if not k.startswith("GUARD_")}
    off = subprocess.run([sys.executable, "-c", script], env=base, capture_output=True, text=True, check=True)
    shop = {
        "GUARD_ALIEXPRESS_APP_KEY": "500100",
        "GUARD_ALIEXPRESS_APP_SECRET": "s3cret-app",
        "GUARD_ALIEXPRESS_REFRESH_TOKEN": "rt-1",
    }
    on = subprocess.run(
        [sys.executable, "-c", script], env={**base, **shop}, capture_output=True, text=True, check=True
    )
    assert (off.stdout.strip(), on.stdout.strip()) == ("False", "True")


def test_config_check_masks_the_app_secret_and_the_shops_tokens(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith("GUARD_")}
    shop = {
        "GUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
        "GUARD_ALIEXPRESS_APP_KEY": "500100",
        "GUARD_ALIEXPRESS_APP_SECRET": "app-secret-value",
        "GUARD_ALIEXPRESS_ACCESS_TOKEN": "access-token-value",
        "GUARD_ALIEXPRESS_REFRESH_TOKEN": "refresh-token-value",
        "GUARD_ALIEXPRESS_GATEWAY_URL": "https://sandbox.example/gw?token=query-secret",
    }
    shown = subprocess.run(
        [sys.executable, "-m", "guard.cli", "config", "check"], env={**base, **shop}, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    for secret in ("app-secret-value", "access-token-value", "refresh-token-value", "query-secret"):
        assert secret not in shown.stdout
    assert "GUARD_ALIEXPRESS_APP_KEY" in shown.stdout and "500100" in shown.stdout
    assert "AliExpress sync: every 300 s" in shown.stdout


def fulfil(guard, order_id, **body):
    return guard.client.post(f"/v1/orders/{order_id}/fulfil", json=body, headers=guard.auth())


@pytest.fixture
def fulfilling(settings, gateway):
    """The guard's API with recording through AliExpress switched on."""
    from fastapi.testclient import TestClient

    from guard.api.app import create_app
    from guard.services.apikeys import create_key

    from support.api import Guard

    configured = shop_settings(settings, gateway, aliexpress_fulfill=True, embedded_jobs=False)
    app = create_app(configured)
    with TestClient(app) as client:
        key = create_key(app.state.runtime.engine, "fulfilling-erp", ["events", "check"], None)
        yield Guard(client=client, engine=app.state.runtime.engine, key=key)


def test_the_notice_is_recorded_only_on_the_platforms_success_answer(fulfilling, gateway):
    guard = fulfilling
    guard.record("8190000000200", 0, payment="paid")
    gateway.fulfill_refuses = "logistics number is invalid"
    refused = fulfil(guard, "8190000000200", service_name="CAINIAO_STANDARD", tracking_number="LP00190000200CN")
    assert refused.status_code == 502 and refused.json()["error"]["code"] == "PLATFORM_REFUSED"
    assert guard.codes("8190000000200") == ["SHIPPING_NOTICE_MISSING"]
    gateway.fulfill_refuses = None
    gateway.expire_token()  # and the token expired meanwhile: refreshed, then declared
    done = fulfil(guard, "8190000000200", service_name="CAINIAO_STANDARD", tracking_number="LP00190000200CN")
    assert done.status_code == 200, done.text
    assert done.json()["recorded"] is True and done.json()["outcome"] == "applied"
    assert gateway.fulfilled == [
        {
            "out_ref": "8190000000200",
            "service_name": "CAINIAO_STANDARD",
            "logistics_no": "LP00190000200CN",
            "send_type": "all",
        }
    ]
    assert guard.check("8190000000200")["verdict"] == "clear"


def test_fulfil_takes_a_service_key_not_free_text_and_is_off_unless_switched_on(guard, fulfilling):
    fulfilling.record("8190000000201", 0, payment="paid")
    bad = fulfil(fulfilling, "8190000000201", service_name="China Post, please", tracking_number="LP1")
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"service_name", "tracking_number"}
    unknown = fulfil(fulfilling, "never-seen", service_name="EMS", tracking_number="EE123456789CN")
    assert unknown.status_code == 404
    guard.record("8190000000202", 0, payment="paid")
    off = fulfil(guard, "8190000000202", service_name="EMS", tracking_number="EE123456789CN")
    assert off.status_code == 409 and off.json()["error"]["code"] == "FULFIL_OFF"
