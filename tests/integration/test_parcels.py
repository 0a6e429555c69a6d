"""The parcel is what leaves the dock (contract v1.1): notices, holds, labels and the dock scan per parcel,
tracking numbers as identities, shipments, and what a warehouse does when a number goes wrong."""

import base64

import pytest
import sqlalchemy as sa

from support.api import CLEAR_FACTS, assert_error
from support.documents import pdf_label, scanned_pdf, zpl_label

ORDER_FACTS = {k: v for k, v in CLEAR_FACTS.items() if k != "shipping_notice"}


def known(guard, order_id, minute=1, store_id=None, **facts):
    """The order's own facts (paid, cleared, freight paid), no notice yet."""
    extra = {"store_id": store_id} if store_id else {}
    guard.push(*[guard.event(order_id, t, s, minute, **extra) for t, s in {**ORDER_FACTS, **facts}.items()])


def notice(guard, order_id, number, minute=2, status="recorded", key=None, **extra):
    return guard.push(
        guard.event(order_id, "shipping_notice", status, minute, tracking_number=number, **extra), key=key
    )["results"][0]


def label(guard, token, station="pack-01", pdf=False):
    headers = guard.auth()
    if pdf:
        headers["Accept"] = "application/pdf"
    return guard.client.post("/v1/labels", json={"clearance": token, "station_id": station}, headers=headers)


def labelled(guard, order_id, parcel_id="1"):
    check = guard.check(order_id, parcel_id=parcel_id)
    assert check["verdict"] == "clear", check
    response = label(guard, check["clearance"]["token"])
    assert response.status_code == 201, response.text
    return response.json()


def scan(guard, code, station="dock-1", key=None):
    return guard.client.post("/v1/handovers", json={"code": code, "station_id": station}, headers=guard.auth(key))


def escrow(guard, order_id, number, document=None, fmt="pdf", **extra):
    content = document if document is not None else (pdf_label(number) if fmt == "pdf" else zpl_label(number))
    body = {"format": fmt, "content_base64": base64.b64encode(content).decode(), "tracking_number": number, **extra}
    return guard.client.put(f"/v1/orders/{order_id}/carrier-label", json=body, headers=guard.auth())


def order(guard, order_id):
    response = guard.client.get(f"/v1/orders/{order_id}", headers=guard.auth())
    assert response.status_code == 200, response.text
    return response.json()


def parcel(guard, order_id, parcel_id="1"):
    return next(p for p in order(guard, order_id)["parcels"] if p["parcel_id"] == parcel_id)


def notifications(guard, kind=None):
    with guard.engine.connect() as conn:
        rows = conn.execute(sa.text("select type, body from outbox order by id")).all()
    return [
        (body if isinstance(body, dict) else __import__("json").loads(body))
        for t, body in rows
        if kind is None or t == kind
    ]


def run_followups(guard):
    from guard.services.parcels import run_followups as run

    settings = guard.client.app.state.runtime.settings
    from guard.clock import utcnow

    while run(guard.engine, settings, utcnow)[0]:
        pass


# --- the five ways a parcel got out -------------------------------------------------------------------------------


def test_one_number_on_two_orders_holds_both_and_the_dock_lets_neither_out(guard):
    """Case 1: orders A and B recorded with one number T (an ERP bug). Neither may leave on T."""
    known(guard, "A-1")
    known(guard, "B-1")
    notice(guard, "A-1", "T-SHARED-1")
    a = guard.check("A-1")
    assert a["verdict"] == "clear"
    assert label(guard, a["clearance"]["token"]).status_code == 201
    notice(guard, "B-1", "T-SHARED-1")
    run_followups(guard)
    assert "TRACKING_CONFLICT" in guard.codes("B-1")
    assert "TRACKING_CONFLICT" in guard.codes("A-1")
    # A was labelled before B claimed the number: it is pulled at once, not only at the dock.
    pulls = [n for n in notifications(guard, "order.pull") if n["data"]["order_id"] == "A-1"]
    assert pulls and pulls[-1]["data"]["reasons"] == ["TRACKING_CONFLICT"]
    # B is then closed by the platform. The dock scan of T must not answer for A and let B's parcel go.
    guard.push(guard.event("B-1", "order", "closed", 3))
    error = assert_error(scan(guard, "T-SHARED-1"), 409, "CODE_AMBIGUOUS")
    assert {d["order_id"] for d in error["details"]} == {"A-1", "B-1"}


def test_a_carrier_label_for_another_number_holds_the_parcel_and_is_never_released(guard):
    """Case 2: the carrier's label in escrow is for X, the notice records Y."""
    known(guard, "esc-1")
    assert escrow(guard, "esc-1", "X-CARRIER-1").status_code == 204
    notice(guard, "esc-1", "Y-DECLARED-1")
    check = guard.check("esc-1")
    assert check["verdict"] == "hold" and check["clearance"] is None
    assert "TRACKING_MISMATCH" in [r["code"] for r in check["reasons"]]
    # Put right: the carrier label for the declared number replaces the wrong one.
    assert escrow(guard, "esc-1", "Y-DECLARED-1").status_code == 204
    issued = labelled(guard, "esc-1")
    assert (issued["source"], issued["tracking_number"]) == ("carrier", "Y-DECLARED-1")


def test_a_second_parcel_needs_a_notice_of_its_own(guard):
    """Case 3: an order recorded with one number (partly shipped) does not clear its parcel 2."""
    known(guard, "two-1")
    notice(guard, "two-1", "N-PARCEL-ONE")
    assert guard.check("two-1", parcel_id="1")["verdict"] == "clear"
    second = guard.check("two-1", parcel_id="2")
    assert second["verdict"] == "hold" and second["clearance"] is None
    assert [r["code"] for r in second["reasons"]] == ["SHIPPING_NOTICE_MISSING"]
    # A check never creates a parcel.
    assert [p["parcel_id"] for p in order(guard, "two-1")["parcels"]] == ["1"]
    notice(guard, "two-1", "N-PARCEL-TWO", minute=3, parcel_id="2")
    issued = labelled(guard, "two-1", "2")
    assert issued["tracking_number"] == "N-PARCEL-TWO" and "N-PARCEL-TWO" in issued["content"]
    assert "N-PARCEL-ONE" not in issued["content"]


def test_an_order_lists_its_parcels_in_the_packers_order_parcel_10_after_parcel_2(guard):
    known(guard, "many-1")
    for minute, parcel_id in enumerate(["10", "2", "1", "B"], start=2):
        notice(guard, "many-1", f"N-MANY-{parcel_id}", minute=minute, parcel_id=parcel_id)
    assert [p["parcel_id"] for p in order(guard, "many-1")["parcels"]] == ["1", "2", "10", "B"]


def test_aliexpress_partly_shipped_records_the_notice_of_that_numbers_parcel_only(guard):
    known(guard, "part-1")
    notice(guard, "part-1", "P1-NUM", status="tracking_assigned", parcel_id="1")
    notice(guard, "part-1", "P2-NUM", status="tracking_assigned", parcel_id="2")
    guard.push(
        guard.event(
            "part-1", "platform_status", "SELLER_PART_SEND_GOODS", 5, platform="aliexpress", tracking_number="P1-NUM"
        )  # fmt: skip
    )
    assert parcel(guard, "part-1", "1")["notice"]["status"] == "recorded"
    assert parcel(guard, "part-1", "2")["notice"]["status"] == "tracking_assigned"
    assert guard.check("part-1", parcel_id="2")["verdict"] == "hold"


# --- tracking numbers ---------------------------------------------------------------------------------------------


def test_numbers_are_kept_in_normal_form_so_a_stray_space_still_matches_the_dock_scan(guard):
    known(guard, "nf-1")
    notice(guard, "nf-1", " lp 0012 3456 cn ")
    assert parcel(guard, "nf-1")["notice"]["tracking_number"] == "LP00123456CN"
    labelled(guard, "nf-1")
    answer = scan(guard, "lp00123456cn")
    assert answer.status_code == 200, answer.text
    assert answer.json()["parcel_id"] == "1"


def test_a_notice_without_parcel_id_goes_to_the_parcel_that_carries_its_number(guard):
    known(guard, "as-1")
    notice(guard, "as-1", "AS-TWO", status="tracking_assigned", parcel_id="2")
    notice(guard, "as-1", "AS-ONE", status="tracking_assigned", parcel_id="1")
    notice(guard, "as-1", "AS-TWO", minute=3)  # recorded, no parcel_id: parcel 2 carries the number
    assert parcel(guard, "as-1", "2")["notice"]["status"] == "recorded"
    assert parcel(guard, "as-1", "1")["notice"]["status"] == "tracking_assigned"


def test_a_number_the_guard_cannot_place_is_kept_unassigned_and_changes_no_verdict(guard):
    known(guard, "un-1")
    notice(guard, "un-1", "UN-FIRST")
    result = notice(guard, "un-1", "UN-SECOND", minute=3)  # the only parcel already has a number
    assert result["facts"]["shipping_notice"] == "unassigned"
    body = order(guard, "un-1")
    assert body["parcels"][0]["notice"]["tracking_number"] == "UN-FIRST"
    assert [u["tracking_number"] for u in body["unassigned_tracking_numbers"]] == ["UN-SECOND"]
    assert guard.check("un-1")["verdict"] == "clear"
    # Once an event names its parcel, the number is that parcel's.
    notice(guard, "un-1", "UN-SECOND", minute=4, parcel_id="2")
    assert order(guard, "un-1")["unassigned_tracking_numbers"] == []


def test_a_conflict_clears_when_a_newer_event_gives_one_parcel_another_number(guard):
    known(guard, "cf-a")
    known(guard, "cf-b")
    notice(guard, "cf-a", "CF-T")
    notice(guard, "cf-b", "CF-T", minute=3)
    run_followups(guard)
    assert "TRACKING_CONFLICT" in guard.codes("cf-a")
    notice(guard, "cf-b", "CF-OTHER", minute=4, parcel_id="1")  # the ERP corrects B's number
    run_followups(guard)
    assert guard.check("cf-a")["verdict"] == "clear"
    assert guard.check("cf-b")["verdict"] == "clear"
    holds = {i["order_id"]: i["state"] for i in guard.client.get("/v1/holds", headers=guard.auth()).json()["items"]}
    assert holds == {"cf-a": "released", "cf-b": "released"}


def test_a_supervisor_resolves_a_conflict_the_keeper_clears_the_others_stay_held(guard):
    known(guard, "rs-a")
    known(guard, "rs-b")
    notice(guard, "rs-a", "RS-T")
    notice(guard, "rs-b", "RS-T", minute=3)
    run_followups(guard)
    response = guard.client.post(
        "/v1/tracking/rs-t/resolve", json={"order_id": "rs-a", "parcel_id": "1", "reason": "A's box wears it"},
        headers=guard.auth(),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["voided"] == [{"order_id": "rs-b", "parcel_id": "1"}]
    assert guard.check("rs-a")["verdict"] == "clear"
    assert guard.codes("rs-b") == ["TRACKING_CONFLICT"]
    decisions = guard.client.get("/v1/orders/rs-b/decisions", headers=guard.auth()).json()["items"]
    assert any(d["kind"] == "resolve" and "A's box wears it" in d["note"] for d in decisions)
    # B gets its own number: it clears.
    notice(guard, "rs-b", "RS-B-OWN", minute=4, parcel_id="1")
    assert guard.check("rs-b")["verdict"] == "clear"


def test_resolving_needs_a_supervisor_a_reason_and_a_real_claim(guard):
    known(guard, "rq-a")
    notice(guard, "rq-a", "RQ-T")
    labels_only = guard.new_key("station-rq", "labels", "check")
    response = guard.client.post(
        "/v1/tracking/RQ-T/resolve", json={"order_id": "rq-a", "reason": "x"}, headers=guard.auth(labels_only)
    )
    assert_error(response, 403, "FORBIDDEN")
    missing = guard.client.post("/v1/tracking/RQ-T/resolve", json={"order_id": "rq-a"}, headers=guard.auth())
    assert_error(missing, 422, "VALIDATION_ERROR")
    nobody = guard.client.post(
        "/v1/tracking/NOPE/resolve", json={"order_id": "rq-a", "reason": "x"}, headers=guard.auth()
    )
    assert_error(nobody, 404, "CLAIM_NOT_FOUND")


def test_a_number_shared_across_stores_holds_no_one_but_the_dock_refuses_it_and_the_operator_is_told(guard):
    known(guard, "xs-a", store_id="shop-a")
    known(guard, "xs-b", store_id="shop-b")
    notice(guard, "xs-a", "XS-T", store_id="shop-a")
    notice(guard, "xs-b", "XS-T", minute=3, store_id="shop-b")
    assert guard.check("xs-a")["verdict"] == "clear"
    assert guard.check("xs-b")["verdict"] == "clear"
    told = notifications(guard, "tracking.conflict")
    assert {n["data"]["store_id"] for n in told} == {"shop-a", "shop-b"}
    assert all(n["data"]["tracking_number"] == "XS-T" for n in told)
    notice(guard, "xs-b", "XS-T", minute=4, store_id="shop-b")  # the same news again: told once only
    assert len(notifications(guard, "tracking.conflict")) == 2
    labelled(guard, "xs-a")
    assert_error(scan(guard, "XS-T"), 409, "CODE_AMBIGUOUS")
    # Its own order id still identifies it.
    assert scan(guard, "xs-a").status_code == 200


def test_another_stores_key_can_never_hold_an_order_with_a_shared_number(guard):
    shop_b = guard.new_key("erp-b", "events", "check", stores=["shop-b"])
    known(guard, "iso-a", store_id="shop-a")
    notice(guard, "iso-a", "ISO-T", store_id="shop-a")
    guard.push(
        *[guard.event("iso-b", t, s, 1, store_id="shop-b") for t, s in ORDER_FACTS.items()],
        guard.event("iso-b", "shipping_notice", "recorded", 2, tracking_number="ISO-T", store_id="shop-b"),
        key=shop_b,
    )
    assert guard.check("iso-a")["verdict"] == "clear"


# --- shipments ----------------------------------------------------------------------------------------------------


def test_a_shipment_is_one_box_clear_only_when_every_member_is(guard):
    known(guard, "sh-a")
    known(guard, "sh-b", risk="reviewing")
    notice(guard, "sh-a", "SH-BOX", shipment_id="box-7")
    notice(guard, "sh-b", "SH-BOX", shipment_id="box-7")
    assert "TRACKING_CONFLICT" not in guard.codes("sh-a")
    check = guard.check("sh-a")
    assert check["verdict"] == "hold"
    member = [r for r in check["reasons"] if r.get("order_id") == "sh-b"]
    assert [r["code"] for r in member] == ["RISK_REVIEW"]
    guard.push(guard.event("sh-b", "risk", "cleared", 3))
    issued = labelled(guard, "sh-a")
    assert issued["tracking_number"] == "SH-BOX"
    answer = scan(guard, "SH-BOX")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["shipment_id"] == "box-7"
    assert {(p["order_id"], p["parcel_id"]) for p in body["parcels"]} == {("sh-a", "1"), ("sh-b", "1")}
    assert parcel(guard, "sh-b")["handed_over_at"] is not None


def test_a_shipment_whose_member_turned_bad_is_refused_at_the_dock_naming_that_member(guard):
    known(guard, "sm-a")
    known(guard, "sm-b")
    notice(guard, "sm-a", "SM-BOX", shipment_id="box-9")
    notice(guard, "sm-b", "SM-BOX", shipment_id="box-9")
    labelled(guard, "sm-a")
    guard.push(guard.event("sm-b", "order", "closed", 3))
    error = assert_error(scan(guard, "SM-BOX"), 409, "ORDER_NOT_CLEAR")
    assert error["order_id"] == "sm-a" and error["member"] == {"order_id": "sm-b", "parcel_id": "1"}
    assert any(d.get("order_id") == "sm-b" and d["code"] == "ORDER_CLOSED" for d in error["details"])


# --- escrow ------------------------------------------------------------------------------------------------------


def test_a_carrier_label_must_carry_its_own_number(guard):
    known(guard, "doc-1")
    assert_error(escrow(guard, "doc-1", "DOC-1", document=pdf_label("SOMETHING-ELSE")), 422, "LABEL_TRACKING_NOT_FOUND")
    assert_error(
        escrow(guard, "doc-1", "DOC-1", document=zpl_label("ELSE"), fmt="zpl"), 422, "LABEL_TRACKING_NOT_FOUND"
    )
    assert escrow(guard, "doc-1", "DOC-1", fmt="zpl").status_code == 204
    assert escrow(guard, "doc-1", "doc 1").status_code == 204  # normal form on both sides


def test_a_scanned_pdf_without_a_text_layer_is_accepted_unverified(guard):
    known(guard, "scan-1")
    assert escrow(guard, "scan-1", "SCAN-1", document=scanned_pdf()).status_code == 204
    with guard.engine.connect() as conn:
        verified = conn.execute(sa.text("select verified from carrier_labels where order_id = 'scan-1'")).scalar()
    assert not verified


def test_an_escrowed_label_names_its_parcel(guard):
    known(guard, "ep-1")
    assert escrow(guard, "ep-1", "EP-TWO", parcel_id="2").status_code == 204
    assert [p["parcel_id"] for p in order(guard, "ep-1")["parcels"]] == ["1", "2"]


# --- the dock -----------------------------------------------------------------------------------------------------


def test_a_second_scan_of_a_handed_over_parcel_is_refused(guard):
    known(guard, "twice-1")
    notice(guard, "twice-1", "TWICE-1")
    labelled(guard, "twice-1")
    assert scan(guard, "TWICE-1").status_code == 200
    error = assert_error(scan(guard, "TWICE-1"), 409, "ALREADY_HANDED_OVER")
    assert error["parcel_id"] == "1"
    assert_error(scan(guard, "twice-1"), 409, "ALREADY_HANDED_OVER")


def test_a_label_with_an_outdated_number_is_refused_at_the_dock_and_for_reprints(guard):
    known(guard, "old-1")
    notice(guard, "old-1", "OLD-NUMBER", parcel_id="1")
    issued = labelled(guard, "old-1")
    notice(guard, "old-1", "NEW-NUMBER", minute=5, parcel_id="1")  # a newer recorded corrects the number
    error = assert_error(scan(guard, "OLD-NUMBER"), 409, "TRACKING_MISMATCH")
    assert (error["order_id"], error["parcel_id"]) == ("old-1", "1")
    assert any(n["data"]["order_id"] == "old-1" for n in notifications(guard, "order.pull"))
    reprint = guard.client.post(
        f"/v1/labels/{issued['label_id']}/reprint", json={"reason": "smudged"}, headers=guard.auth()
    )
    assert_error(reprint, 409, "TRACKING_MISMATCH")
    # Void and re-label: the new label carries the corrected number and passes.
    void = guard.client.post(f"/v1/labels/{issued['label_id']}/void", json={"reason": "number corrected"},
                             headers=guard.auth())  # fmt: skip
    assert void.status_code == 200, void.text
    again = labelled(guard, "old-1")
    assert again["tracking_number"] == "NEW-NUMBER"
    assert scan(guard, "NEW-NUMBER").status_code == 200


def test_an_order_id_of_an_order_with_several_numbered_parcels_is_ambiguous(guard):
    known(guard, "multi-1")
    notice(guard, "multi-1", "M-ONE", parcel_id="1")
    notice(guard, "multi-1", "M-TWO", parcel_id="2")
    labelled(guard, "multi-1", "1")
    labelled(guard, "multi-1", "2")
    assert_error(scan(guard, "multi-1"), 409, "CODE_AMBIGUOUS")
    answer = scan(guard, "M-TWO")
    assert answer.status_code == 200 and answer.json()["parcel_id"] == "2"


def test_an_order_id_that_is_also_a_live_number_is_ambiguous(guard):
    known(guard, "ZZ123")
    known(guard, "other-zz")
    notice(guard, "ZZ123", "ZZ-OWN")
    notice(guard, "other-zz", "ZZ123")
    labelled(guard, "ZZ123")
    assert_error(scan(guard, "ZZ123"), 409, "CODE_AMBIGUOUS")


def test_a_voided_label_stops_its_number_and_needs_a_new_clearance(guard):
    known(guard, "vd-1")
    notice(guard, "vd-1", "VD-1")
    issued = labelled(guard, "vd-1")
    void = guard.client.post(f"/v1/labels/{issued['label_id']}/void", json={"reason": "back to stock"},
                             headers=guard.auth())  # fmt: skip
    assert void.status_code == 200
    assert_error(scan(guard, "VD-1"), 409, "NOT_LABELLED")
    assert guard.check("vd-1")["clearance"] is not None  # a new clearance for a new label
    again = guard.client.post(f"/v1/labels/{issued['label_id']}/void", json={"reason": "x"}, headers=guard.auth())
    assert_error(again, 409, "LABEL_VOIDED")


# --- pulls ---------------------------------------------------------------------------------------------------------


def test_a_labelled_parcel_that_stops_being_clear_is_pulled_at_once_and_listed_until_acknowledged(guard):
    known(guard, "pl-1")
    notice(guard, "pl-1", "PL-1")
    labelled(guard, "pl-1")
    guard.push(guard.event("pl-1", "risk", "reviewing", 4))
    pulls = guard.client.get("/v1/pulls", headers=guard.auth()).json()["items"]
    assert [(p["order_id"], p["parcel_id"], p["reasons"]) for p in pulls] == [("pl-1", "1", ["RISK_REVIEW"])]
    assert pulls[0]["label_id"]
    ack = guard.client.post(
        f"/v1/pulls/{pulls[0]['notification_id']}/ack", json={"station_id": "pack-01", "outcome": "pulled"},
        headers=guard.auth(),
    )  # fmt: skip
    assert ack.status_code == 200 and ack.json()["ack_outcome"] == "pulled"
    assert guard.client.get("/v1/pulls", headers=guard.auth()).json()["items"] == []
    again = guard.client.post(
        f"/v1/pulls/{pulls[0]['notification_id']}/ack", json={"outcome": "pulled"}, headers=guard.auth()
    )
    assert_error(again, 409, "PULL_ALREADY_ACKNOWLEDGED")


def test_a_pull_says_how_many_parcels_its_order_has_so_the_board_can_name_parcel_1_of_two(guard):
    known(guard, "pc-1")
    notice(guard, "pc-1", "PC-ONE", parcel_id="1")
    notice(guard, "pc-1", "PC-TWO", parcel_id="2")
    known(guard, "pc-2")
    notice(guard, "pc-2", "PC-ALONE")
    for order_id in ("pc-1", "pc-2"):
        labelled(guard, order_id)
        guard.push(guard.event(order_id, "risk", "reviewing", 4))
    pulls = guard.client.get("/v1/pulls", headers=guard.auth()).json()["items"]
    assert {(p["order_id"], p["parcel_id"]): p["order_parcels"] for p in pulls} == {("pc-1", "1"): 2, ("pc-2", "1"): 1}


# --- holds per parcel ----------------------------------------------------------------------------------------------


def test_holds_are_per_parcel_and_a_check_releases_only_its_own(guard):
    known(guard, "hp-1")
    notice(guard, "hp-1", "HP-TWO", status="tracking_assigned", parcel_id="2")
    assert guard.check("hp-1", parcel_id="1")["verdict"] == "hold"
    assert guard.check("hp-1", parcel_id="2")["verdict"] == "hold"
    notice(guard, "hp-1", "HP-ONE", minute=3, parcel_id="1")
    assert guard.check("hp-1", parcel_id="1")["verdict"] == "clear"
    items = guard.client.get("/v1/holds", headers=guard.auth()).json()["items"]
    states = {(i["order_id"], i["parcel_id"]): i["state"] for i in items}
    assert states == {("hp-1", "1"): "released", ("hp-1", "2"): "held"}
    assert all(i["order_parcels"] == 2 for i in items)


def test_a_release_by_order_waives_for_each_held_parcel(guard):
    known(guard, "rl-1", freight="pending")
    notice(guard, "rl-1", "RL-ONE", parcel_id="1")
    notice(guard, "rl-1", "RL-TWO", parcel_id="2")
    assert guard.check("rl-1", parcel_id="1")["verdict"] == "hold"
    assert guard.check("rl-1", parcel_id="2")["verdict"] == "hold"
    response = guard.client.post("/v1/holds/rl-1/release", json={"reason": "freight prepaid"}, headers=guard.auth())
    assert response.status_code == 200, response.text
    assert {p["parcel_id"]: p["hold"]["state"] for p in response.json()["parcels"]} == {
        "1": "released",
        "2": "released",
    }
    assert guard.check("rl-1", parcel_id="2")["verdict"] == "clear"


def test_the_wave_check_answers_each_order_with_its_worst_parcel(guard):
    known(guard, "wv-1")
    notice(guard, "wv-1", "WV-ONE", parcel_id="1")
    notice(guard, "wv-1", "WV-TWO", status="awaiting_tracking", parcel_id="2")
    known(guard, "wv-2")
    notice(guard, "wv-2", "WV-2")
    response = guard.client.post("/v1/checks", json={"order_ids": ["wv-1", "wv-2"]}, headers=guard.auth())
    results = {r["order_id"]: r for r in response.json()["results"]}
    assert results["wv-1"]["verdict"] == "hold" and results["wv-1"]["reasons"] == ["TRACKING_NUMBER_PENDING"]
    assert results["wv-2"]["verdict"] == "clear"


@pytest.mark.parametrize("number", ["WV-C"])
def test_the_wave_check_sees_conflicts_and_mismatches(guard, number):
    known(guard, "wc-1")
    known(guard, "wc-2")
    known(guard, "wc-3")
    notice(guard, "wc-1", number)
    notice(guard, "wc-2", number)
    escrow(guard, "wc-3", "WC-CARRIER")
    notice(guard, "wc-3", "WC-DECLARED")
    response = guard.client.post("/v1/checks", json={"order_ids": ["wc-1", "wc-2", "wc-3"]}, headers=guard.auth())
    reasons = {r["order_id"]: r["reasons"] for r in response.json()["results"]}
    assert reasons == {"wc-1": ["TRACKING_CONFLICT"], "wc-2": ["TRACKING_CONFLICT"], "wc-3": ["TRACKING_MISMATCH"]}
