"""`platform_status` events: ERPs forward AliExpress words; the guard sets its facts (contract v1.1)."""

from support.api import assert_error


def push_status(guard, order_id, status, minute, expect=200, **extra):
    return guard.push(
        guard.event(order_id, "platform_status", status, minute, platform="aliexpress", **extra), expect=expect
    )


def release(guard, order_id):
    return guard.client.post(
        f"/v1/holds/{order_id}/release", json={"reason": "checked with the buyer"}, headers=guard.auth()
    )


def test_a_platform_status_sets_several_facts_and_reports_each(guard):
    result = push_status(guard, "ae-1", "RISK_CONTROL", 1)["results"][0]
    assert result["outcome"] == "applied"
    assert result["facts"] == {"payment": "applied", "risk": "applied", "settlement": "applied"}
    assert set(guard.codes("ae-1")) == {"RISK_REVIEW", "SHIPPING_NOTICE_MISSING"}


def test_an_aliexpress_order_walks_to_clear(guard):
    push_status(guard, "ae-2", "PLACE_ORDER_SUCCESS", 1)
    assert guard.codes("ae-2") == ["PAYMENT_UNPAID", "SHIPPING_NOTICE_MISSING"]
    push_status(guard, "ae-2", "WAIT_SELLER_SEND_GOODS", 90, logistics_status="init")
    assert guard.codes("ae-2") == ["TRACKING_NUMBER_PENDING"]
    push_status(
        guard,
        "ae-2",
        "WAIT_SELLER_SEND_GOODS",
        120,
        logistics_status="wait_warehouse_receive_goods",
        tracking_number="LP123",
    )
    assert guard.codes("ae-2") == ["SHIPPING_NOTICE_MISSING"]
    # The ERP's own acknowledged fulfil call records the notice.
    guard.push(guard.event("ae-2", "shipping_notice", "recorded", 125, tracking_number="LP123"))
    assert guard.check("ae-2")["verdict"] == "clear"


def test_fund_processing_holds_for_the_settlement_and_no_supervisor_can_release_it(guard):
    push_status(guard, "ae-fp", "WAIT_SELLER_SEND_GOODS", 1, tracking_number="LP9")
    guard.push(guard.event("ae-fp", "shipping_notice", "recorded", 2, tracking_number="LP9"))
    push_status(guard, "ae-fp", "FUND_PROCESSING", 30)
    assert guard.codes("ae-fp") == ["FUNDS_IN_SETTLEMENT"]
    assert_error(release(guard, "ae-fp"), 409, "NOT_WAIVABLE")
    # Any other main status ends the settlement.
    push_status(guard, "ae-fp", "WAIT_SELLER_SEND_GOODS", 60)
    assert guard.check("ae-fp")["verdict"] == "clear"


def test_a_dispute_holds_as_a_dispute_not_a_security_check(guard):
    push_status(guard, "ae-is", "IN_ISSUE", 1)
    reasons = guard.check("ae-is")["reasons"]
    assert [r["code"] for r in reasons] == ["DISPUTE_OPEN", "SHIPPING_NOTICE_MISSING"]  # no PAYMENT_UNKNOWN
    assert_error(release(guard, "ae-is"), 409, "NOT_WAIVABLE")
    push_status(guard, "ae-is", "WAIT_SELLER_SEND_GOODS", 30, issue_status="END_ISSUE")
    assert guard.codes("ae-is") == ["SHIPPING_NOTICE_MISSING"]


def test_payment_unpaid_from_the_platform_cannot_be_released_but_a_plain_one_can(guard):
    push_status(guard, "ae-up", "WAIT_SELLER_SEND_GOODS", 1, fund_status="NOT_PAY", tracking_number="LP7")
    guard.push(guard.event("ae-up", "shipping_notice", "recorded", 2, tracking_number="LP7"))
    assert guard.codes("ae-up") == ["PAYMENT_UNPAID"]
    error = assert_error(release(guard, "ae-up"), 409, "NOT_WAIVABLE")
    assert error["details"] == [{"code": "PAYMENT_UNPAID", "waivable": False}]
    guard.record("plain-up", 1, payment="unpaid", shipping_notice="recorded")
    guard.check("plain-up")
    assert release(guard, "plain-up").status_code == 200


def test_a_frozen_field_beside_an_all_clear_status_still_holds(guard):
    push_status(guard, "ae-fz", "WAIT_SELLER_SEND_GOODS", 1, frozen_status="IN_FROZEN")
    assert "RISK_REVIEW" in guard.codes("ae-fz")
    push_status(guard, "ae-rc", "RISK_CONTROL", 1, frozen_status="NO_FROZEN", fund_status="PAY_SUCCESS")
    assert "RISK_REVIEW" in guard.codes("ae-rc")


def test_risk_closure_at_finish_blocks_and_never_reopens(guard):
    push_status(guard, "ae-3", "RISK_CONTROL", 1)
    push_status(guard, "ae-3", "FINISH", 30, end_reason="risk_reject_closed")
    lagging = push_status(guard, "ae-3", "WAIT_SELLER_SEND_GOODS", 60)["results"][0]
    assert lagging["facts"]["risk"] == "final"
    assert lagging["outcome"] == "applied"  # payment and cancellation still applied
    result = guard.check("ae-3")
    assert result["verdict"] == "block"
    assert {r["code"] for r in result["reasons"]} >= {"RISK_CLOSED", "ORDER_CLOSED"}


def test_an_event_whose_facts_are_all_stale_or_final_says_so(guard):
    push_status(guard, "ae-4", "FINISH", 10, end_reason="cancel_order_close_trade")
    assert push_status(guard, "ae-4", "FINISH", 5)["results"][0]["outcome"] == "final"
    push_status(guard, "ae-5", "FUND_PROCESSING", 10)
    assert push_status(guard, "ae-5", "FUND_PROCESSING", 5)["results"][0]["outcome"] == "stale"


def test_an_unknown_word_holds_its_order_and_the_rest_of_the_batch_still_lands(guard):
    batch = [
        guard.event("ae-6", "platform_status", "NEW_RISK_STATE", 1, platform="aliexpress"),
        guard.event("ae-7", "platform_status", "FINISH", 1, platform="aliexpress", end_reason="risk_reject_closed"),
        guard.event("ae-8", "platform_status", "WAIT_SELLER_SEND_GOODS", 1, platform="aliexpress", fund_status="HALF"),
    ]
    results = guard.push(*batch)["results"]
    assert [r["outcome"] for r in results] == ["applied", "applied", "applied"]
    assert guard.check("ae-7")["verdict"] == "block"
    for order_id, named in (("ae-6", "status=NEW_RISK_STATE"), ("ae-8", "fund_status=HALF")):
        error = next(r for r in guard.check(order_id)["reasons"] if r["code"] == "RULE_ERROR")
        assert named in error["detail"]
    order = guard.client.get("/v1/orders/ae-8", headers=guard.auth()).json()
    assert order["facts"]["platform_word"]["status"] == "unknown"
    # A newer view with only known words lifts it; an older one does not.
    push_status(guard, "ae-8", "WAIT_SELLER_SEND_GOODS", 0)
    assert "RULE_ERROR" in guard.codes("ae-8")
    push_status(guard, "ae-8", "WAIT_SELLER_SEND_GOODS", 5)
    assert "RULE_ERROR" not in guard.codes("ae-8")


def test_what_is_no_word_at_all_and_unknown_platforms_are_refused(guard):
    bad = [
        guard.event("ae-9", "platform_status", "TAB\tINSIDE", 1, platform="aliexpress"),
        guard.event("ae-9", "platform_status", "FINISH", 1, platform="shopee"),
        guard.event("ae-9", "platform_status", "FINISH", 1),
        guard.event("ae-9", "platform_status", "FINISH", 1, platform="aliexpress", logistics_status="no spaces"),
        guard.event("ae-9", "platform_status", "FINISH", 1, platform="aliexpress", issue_status=7),
    ]
    response = guard.client.post("/v1/events", json={"events": bad}, headers=guard.auth())
    assert response.status_code == 422
    assert [(d["index"], d["field"]) for d in response.json()["error"]["details"]] == [
        (0, "status"),
        (1, "platform"),
        (2, "platform"),
        (3, "logistics_status"),
        (4, "issue_status"),
    ]
    assert guard.client.get("/v1/orders/ae-9", headers=guard.auth()).status_code == 404


def test_a_store_that_switches_payment_unpaid_off_still_holds_the_platforms_in_waves_too(settings, tmp_path):
    from fastapi.testclient import TestClient

    from guard.api.app import create_app
    from guard.services.apikeys import create_key

    rules = tmp_path / "rules.toml"
    rules.write_text('[stores."shop-1".PAYMENT_UNPAID]\nenabled = false\n', encoding="utf-8")
    app = create_app(settings.model_copy(update={"rules_file": rules}))
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {create_key(app.state.runtime.engine, 'erp', ['events', 'check'], None)}"}
        common = {"store_id": "shop-1", "occurred_at": "2026-11-11T00:05:00+08:00"}
        events = [
            {"event_id": "w-1", "order_id": "plain", "type": "payment", "status": "unpaid", **common},
            {
                "event_id": "w-2",
                "order_id": "plain",
                "type": "shipping_notice",
                "status": "recorded",
                "tracking_number": "LP1",
                **common,
            },
            {
                "event_id": "w-3",
                "order_id": "platform",
                "type": "platform_status",
                "platform": "aliexpress",
                "status": "WAIT_SELLER_SEND_GOODS",
                "fund_status": "NOT_PAY",
                **common,
            },
            {
                "event_id": "w-4",
                "order_id": "platform",
                "type": "shipping_notice",
                "status": "recorded",
                "tracking_number": "LP2",
                **common,
            },
        ]
        assert client.post("/v1/events", json={"events": events}, headers=auth).status_code == 200
        wave = client.post("/v1/checks", json={"order_ids": ["plain", "platform"]}, headers=auth).json()
        single = client.post("/v1/orders/platform/check", headers=auth).json()
    assert [(r["order_id"], r["verdict"], r["reasons"]) for r in wave["results"]] == [
        ("plain", "clear", []),
        ("platform", "hold", ["PAYMENT_UNPAID"]),
    ]
    assert single["verdict"] == "hold"
