"""The label gate: a label exists only for an order that was clear when it printed."""

import base64
from datetime import timedelta

import sqlalchemy as sa

from guard.clock import utcnow
from guard.services.labels import issue_label

from support.api import CLEAR_FACTS
from support.documents import pdf_label

PDF = pdf_label("LP77")  # the carrier's own label: a real PDF whose text carries its number


def clear_order(guard, order_id, number="LP77", **extra):
    """Clear, its notice recorded with `number` (each parcel wears its own: one per order in a test)."""
    guard.push(
        *[
            guard.event(
                order_id,
                t,
                s,
                1,
                **({"tracking_number": number, "carrier": "Cainiao"} if s == "recorded" else {}),
                **extra,
            )
            for t, s in CLEAR_FACTS.items()
        ]
    )


def label(guard, token, station="pack-01", pdf=False, key=None):
    headers = guard.auth(key)
    if pdf:
        headers["Accept"] = "application/pdf"
    return guard.client.post("/v1/labels", json={"clearance": token, "station_id": station}, headers=headers)


def put_carrier_label(guard, order_id, content=PDF, fmt="pdf", **extra):
    body = {"format": fmt, "content_base64": base64.b64encode(content).decode(), "tracking_number": "LP77", **extra}
    return guard.client.put(f"/v1/orders/{order_id}/carrier-label", json=body, headers=guard.auth())


def test_a_clear_order_gets_the_guards_own_zpl_label(guard):
    clear_order(guard, "o-zpl")
    response = label(guard, guard.check("o-zpl")["clearance"]["token"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["source"], body["format"], body["tracking_number"]) == ("guard", "zpl", "LP77")
    assert body["content"].startswith("^XA") and "^BC" in body["content"]  # Code 128
    assert "LP77" in body["content"] and "o-zpl" in body["content"] and "Cainiao" in body["content"]
    assert body["content_base64"] is None


def test_a_browser_printer_gets_the_same_label_as_pdf(guard):
    clear_order(guard, "o-pdf")
    body = label(guard, guard.check("o-pdf")["clearance"]["token"], pdf=True).json()
    assert body["format"] == "pdf" and body["content"] is None
    assert base64.b64decode(body["content_base64"]).startswith(b"%PDF")


def test_the_carriers_label_is_released_from_escrow_byte_for_byte(guard):
    clear_order(guard, "o-esc")
    assert put_carrier_label(guard, "o-esc").status_code == 204
    body = label(guard, guard.check("o-esc")["clearance"]["token"]).json()
    assert (body["source"], body["format"]) == ("carrier", "pdf")
    assert base64.b64decode(body["content_base64"]) == PDF


def test_a_zpl_carrier_label_comes_back_as_text(guard):
    clear_order(guard, "o-czpl")
    zpl = "^XA^FO50,50^A0N,40,40^FDCarrier label^FS^FO50,120^BCN,100^FDLP77^FS^XZ"
    put_carrier_label(guard, "o-czpl", content=zpl.encode(), fmt="zpl")
    body = label(guard, guard.check("o-czpl")["clearance"]["token"]).json()
    assert (body["source"], body["format"], body["content"]) == ("carrier", "zpl", zpl)


def test_escrow_may_be_replaced_until_the_label_is_issued(guard):
    clear_order(guard, "o-rep")
    assert put_carrier_label(guard, "o-rep", content=pdf_label("LP77", carrier="Old carrier")).status_code == 204
    assert put_carrier_label(guard, "o-rep").status_code == 204
    label(guard, guard.check("o-rep")["clearance"]["token"])
    late = put_carrier_label(guard, "o-rep", content=pdf_label("LP77", carrier="Too late"))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "LABEL_ALREADY_ISSUED")
    # Another parcel of the same order can still get its own.
    assert put_carrier_label(guard, "o-rep", parcel_id="2").status_code == 204


def test_escrow_refuses_bad_uploads(guard):
    clear_order(guard, "o-bad")
    too_big = put_carrier_label(guard, "o-bad", content=b"x" * (2 * 1024 * 1024 + 1))
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "TOO_LARGE")
    bad = guard.client.put(
        "/v1/orders/o-bad/carrier-label",
        headers=guard.auth(),
        json={"format": "png", "content_base64": "%%%", "tracking_number": ""},
    )
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"format", "content_base64", "tracking_number"}
    unknown = put_carrier_label(guard, "o-nobody")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "ORDER_NOT_FOUND")


def test_clearance_errors_come_in_the_contracts_order(guard):
    clear_order(guard, "o-err")
    assert label(guard, "clr_nonsense").json()["error"]["code"] == "CLEARANCE_NOT_FOUND"
    first = guard.check("o-err")["clearance"]["token"]
    second = guard.check("o-err")["clearance"]["token"]  # voids the first
    voided = label(guard, first)
    assert (voided.status_code, voided.json()["error"]["code"]) == (409, "CLEARANCE_USED")
    assert label(guard, second).status_code == 201
    assert label(guard, second).json()["error"]["code"] == "CLEARANCE_USED"


def test_an_expired_clearance_is_refused(guard, settings):
    clear_order(guard, "o-exp")
    token = guard.check("o-exp")["clearance"]["token"]
    runtime = guard.client.app.state.runtime
    principal = guard.client.app.state.keys.authenticate(f"Bearer {guard.key}")
    later = utcnow() + timedelta(seconds=301)
    try:
        issue_label(runtime, principal, token, "pack-01", False, later)
    except Exception as exc:
        assert (exc.status, exc.code) == (409, "CLEARANCE_EXPIRED")
    else:
        raise AssertionError("an expired clearance issued a label")


def test_an_order_that_turned_bad_after_the_check_gets_no_label_and_the_token_is_spent(guard):
    clear_order(guard, "o-turn")
    token = guard.check("o-turn", station_id="pack-03")["clearance"]["token"]
    guard.push(guard.event("o-turn", "risk", "reviewing", 60))
    refused = label(guard, token, station="pack-03")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "ORDER_NOT_CLEAR")
    assert [d["code"] for d in refused.json()["error"]["details"]] == ["RISK_REVIEW"]
    assert label(guard, token).json()["error"]["code"] == "CLEARANCE_USED"
    order = guard.client.get("/v1/orders/o-turn", headers=guard.auth()).json()
    assert order["hold"]["state"] == "held" and order["labels"] == []


def test_a_labelled_parcel_gets_no_new_clearance(guard):
    clear_order(guard, "o-once")
    issued = label(guard, guard.check("o-once")["clearance"]["token"]).json()
    again = guard.check("o-once")
    assert again["verdict"] == "clear" and again["clearance"] is None
    assert again["label"]["label_id"] == issued["label_id"]
    decisions = guard.client.get("/v1/orders/o-once/decisions", headers=guard.auth()).json()["items"]
    assert [d["kind"] for d in decisions] == ["check", "label", "check"]


def test_a_reprint_needs_a_supervisor_and_a_reason_and_gives_the_same_document(guard):
    clear_order(guard, "o-re")
    issued = label(guard, guard.check("o-re")["clearance"]["token"], pdf=True).json()
    packer = guard.new_key("packer", "check", "labels")
    url = f"/v1/labels/{issued['label_id']}/reprint"
    assert guard.client.post(url, json={"reason": "jammed"}, headers=guard.auth(packer)).status_code == 403
    assert guard.client.post(url, json={"reason": " "}, headers=guard.auth()).status_code == 422
    reprint = guard.client.post(url, json={"reason": "printer jammed"}, headers=guard.auth())
    assert reprint.status_code == 201
    assert reprint.json()["content_base64"] == issued["content_base64"]
    newest = guard.client.get("/v1/orders/o-re/decisions", headers=guard.auth()).json()["items"][0]
    assert (newest["kind"], newest["note"], newest["key_name"]) == ("reprint", "printer jammed", "erp")


def test_a_reprint_for_an_order_no_longer_clear_is_refused_and_audited(guard):
    clear_order(guard, "o-re2")
    issued = label(guard, guard.check("o-re2")["clearance"]["token"]).json()
    guard.push(guard.event("o-re2", "order", "closed", 90))
    refused = guard.client.post(
        f"/v1/labels/{issued['label_id']}/reprint", json={"reason": "lost"}, headers=guard.auth()
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "ORDER_NOT_CLEAR")
    newest = guard.client.get("/v1/orders/o-re2/decisions", headers=guard.auth()).json()["items"][0]
    assert (newest["kind"], newest["verdict"], newest["note"]) == ("reprint", "block", "lost")


def handover(guard, code):
    return guard.client.post("/v1/handovers", json={"code": code, "station_id": "dock-1"}, headers=guard.auth())


def test_the_dock_scan_lets_a_clear_labelled_parcel_go_by_order_id_or_tracking_number(guard):
    clear_order(guard, "o-dock")
    clear_order(guard, "o-dock-2", number="LP78")
    label(guard, guard.check("o-dock")["clearance"]["token"])
    label(guard, guard.check("o-dock-2")["clearance"]["token"])
    first = handover(guard, "o-dock").json()
    assert (first["order_id"], first["parcel_id"], first["verdict"]) == ("o-dock", "1", "clear")
    second = handover(guard, "LP78").json()
    assert (second["order_id"], second["parcel_id"], second["verdict"]) == ("o-dock-2", "1", "clear")
    # A parcel leaves once: its number scanned again is a second copy of the label.
    again = handover(guard, "LP77")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "ALREADY_HANDED_OVER")


def test_the_dock_scan_refuses_an_unlabelled_or_unknown_parcel(guard):
    clear_order(guard, "o-nolabel")
    response = handover(guard, "o-nolabel")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "NOT_LABELLED")
    unknown = handover(guard, "LP-NOBODY")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "CODE_NOT_FOUND")


def test_a_labelled_parcel_whose_order_turned_bad_is_pulled_at_the_dock(guard):
    clear_order(guard, "o-pull")
    label(guard, guard.check("o-pull", station_id="pack-02")["clearance"]["token"], station="pack-02")
    guard.push(guard.event("o-pull", "risk", "closed", 120))
    response = handover(guard, "LP77")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "ORDER_NOT_CLEAR")
    assert [d["code"] for d in response.json()["error"]["details"]] == ["RISK_CLOSED"]
    assert response.json()["error"]["order_id"] == "o-pull"  # the dock scanned a tracking number
    with guard.engine.connect() as conn:
        pulls = conn.execute(
            sa.text("select station_id from outbox where type = 'order.pull' and order_id = 'o-pull'")
        ).all()
    # Pulled at once when the order turned bad (told to the station that printed it), then at the dock.
    assert [tuple(row) for row in pulls] == [("pack-02",), ("dock-1",)]
    newest = guard.client.get("/v1/orders/o-pull/decisions", headers=guard.auth()).json()["items"][0]
    assert (newest["kind"], newest["verdict"], newest["station_id"]) == ("handover", "block", "dock-1")


def test_a_store_limited_key_cannot_label_or_hand_over_another_stores_parcel(guard):
    clear_order(guard, "o-other", store_id="shop-b")
    token = guard.check("o-other")["clearance"]["token"]
    limited = guard.new_key("shop-a-station", "check", "labels", stores=["shop-a"])
    response = label(guard, token, key=limited)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "CLEARANCE_NOT_FOUND")
    assert label(guard, token).status_code == 201  # not spent by the refused attempt
    scan = guard.client.post("/v1/handovers", json={"code": "o-other"}, headers=guard.auth(limited))
    assert (scan.status_code, scan.json()["error"]["code"]) == (404, "CODE_NOT_FOUND")
