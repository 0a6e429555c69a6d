"""`platform_status` events: ERPs forward AliExpress words; the guard sets its facts."""


def push_status(guard, order_id, status, minute, expect=200, **extra):
    return guard.push(
        guard.event(order_id, "platform_status", status, minute, platform="aliexpress", **extra), expect=expect
    )


def test_a_platform_status_sets_several_facts_and_reports_each(guard):
    result = push_status(guard, "ae-1", "RISK_CONTROL", 1)["results"][0]
    assert result["outcome"] == "applied"
    assert result["facts"] == {"payment": "applied", "risk": "applied"}
    assert set(guard.codes("ae-1")) == {"RISK_REVIEW", "SHIPPING_NOTICE_MISSING"}


def test_an_aliexpress_order_walks_to_clear(guard):
    push_status(guard, "ae-2", "FUND_PROCESSING", 1)
    assert guard.codes("ae-2") == ["PAYMENT_PROCESSING", "SHIPPING_NOTICE_MISSING"]
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
    assert push_status(guard, "ae-4", "FINISH", 20)["results"][0]["outcome"] == "final"
    push_status(guard, "ae-5", "FUND_PROCESSING", 10)
    assert push_status(guard, "ae-5", "FUND_PROCESSING", 5)["results"][0]["outcome"] == "stale"


def test_unknown_words_and_platforms_are_refused_never_ignored(guard):
    bad = [
        guard.event("ae-6", "platform_status", "NEW_RISK_STATE", 1, platform="aliexpress"),
        guard.event("ae-6", "platform_status", "FINISH", 1, platform="shopee"),
        guard.event("ae-6", "platform_status", "FINISH", 1),
        guard.event("ae-6", "platform_status", "FINISH", 1, platform="aliexpress", logistics_status="no spaces"),
    ]
    response = guard.client.post("/v1/events", json={"events": bad}, headers=guard.auth())
    assert response.status_code == 422
    assert [(d["index"], d["field"]) for d in response.json()["error"]["details"]] == [
        (0, "status"),
        (1, "platform"),
        (2, "platform"),
        (3, "logistics_status"),
    ]
    assert guard.client.get("/v1/orders/ae-6", headers=guard.auth()).status_code == 404
