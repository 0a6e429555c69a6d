"""Parcels on the pages (contract v1.1), for real: `/station` and `/holds` in a headless Chromium
against `guard serve`, the facts pushed by an ERP over HTTP with a key.

A packer picks the parcel in hand of an order shipped in several; a supervisor sees each held
parcel named on the board, and voids and confirms the pull of a labelled parcel whose order
went bad; the dock refuses a code that names more than one parcel, a shared number, an
outdated label and a parcel that is no longer clear — each with its own words on screen.
Run with `flock /tmp/guard-e2e.lock`. Without /usr/bin/chromium these tests skip locally and
fail under CI=true.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.browser import SEEN_S, chromium, new_page, open_station, scan, verdict
from support.processes import guard_env, unique
from support.stack import Api, Erp, new_key

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # support.browser says so when a test needs it
    pass


# --- the guard --------------------------------------------------------------------------------


class Keys:
    """One key per role, each with only the scopes that role is told to use (README)."""

    def __init__(self, database_url: str):
        self.station = new_key(database_url, unique("station"), ["check", "labels"])
        self.supervisor_name = unique("supervisor")
        self.supervisor = new_key(database_url, self.supervisor_name, ["holds", "supervise", "labels"])
        self.release_only = new_key(database_url, unique("board"), ["holds", "supervise"])
        self.erp = new_key(database_url, unique("erp"), ["events", "check", "labels"])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("parcel-pages")


@pytest.fixture(scope="module")
def guard(workdir: Path) -> Iterator[Api]:
    """`guard serve` in embedded mode: a SQLite file, no Redis."""
    server = Api(workdir, guard_env(GUARD_DATABASE_URL=f"sqlite:///{workdir / 'guard.db'}"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def keys(guard: Api, workdir: Path) -> Keys:
    return Keys(f"sqlite:///{workdir / 'guard.db'}")  # the file `guard serve` migrated


@pytest.fixture
def erp(guard: Api, keys: Keys) -> Iterator[Erp]:
    client = Erp(guard.base, keys.erp)
    yield client
    client.close()


def as_key(guard: Api, key: str) -> httpx.Client:
    return httpx.Client(base_url=guard.base, timeout=10, headers={"Authorization": f"Bearer {key}"})


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as headless:
        yield headless


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = new_page(browser)  # zh-CN: the pages speak Chinese first, English second
    yield page
    errors = list(page.errors)
    page.context.close()
    assert not errors, f"script errors on the page: {errors}"


def open_board(page: Page, base: str, key: str) -> None:
    page.goto(f"{base}/holds")
    expect(page.locator("#setup")).to_be_visible()
    page.fill("#setup-key", key)
    page.press("#setup-key", "Enter")
    expect(page.locator("#setup")).to_be_hidden()
    expect(page.locator("#status")).to_have_attribute("data-status", "ok", timeout=SEEN_S)


# --- the ERP's side -----------------------------------------------------------------------------


def two_parcels(erp: Erp, order: str, first: str, second: str | None = None, minute: float = 0) -> None:
    """Paid, parcel 1's notice recorded with `first`; parcel 2's recorded with `second`, or, with
    none, named by a notice that is still missing (no number yet)."""
    if second is None:
        parcel_2 = erp.event(order, "shipping_notice", "missing", minute, store_id="s1", parcel_id="2")
    else:
        parcel_2 = erp.event(
            order, "shipping_notice", "recorded", minute, store_id="s1", parcel_id="2", tracking_number=second
        )
    erp.push(
        erp.event(order, "payment", "paid", minute, store_id="s1"),
        erp.event(order, "shipping_notice", "recorded", minute, store_id="s1", parcel_id="1", tracking_number=first),
        parcel_2,
    )


def parcels(erp: Erp, order: str) -> dict[str, dict]:
    return {parcel["parcel_id"]: parcel for parcel in erp.order(order)["parcels"]}


def reason_texts(erp: Erp, order: str, code: str) -> dict:
    """What the API says to the packer for this reason (message, message_zh)."""
    return next(reason for reason in erp.order(order)["reasons"] if reason["code"] == code)


# --- the packing station ----------------------------------------------------------------------


def test_a_packer_picks_the_parcel_in_hand_the_clear_one_is_labelled_the_other_held(page, guard, keys, erp):
    order, first = unique("TWO"), unique("LPA").upper()
    two_parcels(erp, order, first)  # parcel 1 clear; parcel 2 has no shipping notice yet
    open_station(page, guard.base, "pack-21", keys.station)

    scan(page, order)  # the packing slip's order barcode does not say which parcel is in hand

    panel = page.locator("#verdict")
    expect(panel).to_have_attribute("data-screen", "chooseParcel", timeout=SEEN_S)
    expect(panel).to_have_attribute("data-kind", "choose")  # neither green nor amber: no verdict yet
    expect(page.locator("#v-headline")).to_have_text("哪一个包裹？")
    expect(page.locator("#v-headline-2")).to_have_text("WHICH PARCEL?")
    expect(page.locator("#v-order")).to_have_text(order)
    choice = lambda parcel: page.locator(f"#v-parcels button.parcel[data-parcel='{parcel}']")  # noqa: E731
    expect(page.locator("#v-parcels button.parcel")).to_have_count(2)
    expect(choice("1")).to_have_attribute("data-verdict", "clear")
    expect(choice("1")).to_contain_text(first)
    expect(choice("1")).to_contain_text("未打面单")
    expect(choice("2")).to_have_attribute("data-verdict", "hold")
    expect(choice("2")).to_contain_text("待放行")
    expect(page.locator("#v-label")).to_be_hidden()
    assert erp.order(order)["labels"] == [], "nothing is printed before the packer says which parcel"
    decisions = erp.http.get(f"/v1/orders/{order}/decisions").json()["items"]
    assert decisions == [], "nor checked: a check of parcel 1 would hand out its clearance"

    choice("1").click()

    verdict(page, "clear")
    expect(page.locator("#v-headline")).to_have_text("放行")
    expect(page.locator("#v-order")).to_have_text(f"{order} · 包裹 1")
    expect(page.locator("#v-tracking")).to_have_text(first)  # parcel 1's own number
    expect(page.locator("#v-label-link")).to_be_visible()
    expect(choice("1")).to_have_class(re.compile(r"\bcurrent\b"))
    expect(choice("1")).to_contain_text("已打面单")  # the list is read after the label, not before
    expect(page.locator("#scan")).to_be_focused()  # the tap did not take the scanner's focus
    labels = erp.order(order)["labels"]
    assert [(label["parcel_id"], label["tracking_number"], label["station_id"]) for label in labels] == [
        ("1", first, "pack-21")
    ], labels

    choice("2").click()

    verdict(page, "hold")
    expect(page.locator("#v-headline")).to_have_text("暂存")
    expect(page.locator("#v-headline-2")).to_have_text("HOLD")
    expect(page.locator("#v-order")).to_have_text(f"{order} · 包裹 2")
    expect(page.locator("#v-label")).to_be_hidden()
    expected = reason_texts(erp, order, "SHIPPING_NOTICE_MISSING")
    expect(page.locator("#v-reasons li")).to_have_count(1)
    messages = page.locator("#v-reasons li[data-code=SHIPPING_NOTICE_MISSING] .msg")
    expect(messages).to_have_text([expected["message_zh"], expected["message"]])  # Chinese first
    expect(choice("2")).to_have_class(re.compile(r"\bcurrent\b"))
    assert page.evaluate("document.body.dataset.tone") == "hold"

    page.click("#lang-toggle")  # zh → en: the same screen, English first
    expect(page.locator("#v-headline")).to_have_text("HOLD")
    expect(page.locator("#v-order")).to_have_text(f"{order} · parcel 2")
    expect(messages).to_have_text([expected["message"], expected["message_zh"]])
    expect(panel).to_contain_text("Put the parcel on the hold shelf")

    with as_key(guard, keys.supervisor) as board:
        held = board.get("/v1/holds", params={"station_id": "pack-21", "state": "held"}).json()["items"]
    assert [(item["order_id"], item["parcel_id"]) for item in held] == [(order, "2")], held
    assert len(erp.order(order)["labels"]) == 1, "the hold printed nothing"

    scan(page, f"{order}/1")  # parcel 1 again, typed as the chooser does: labelled once, no second label
    expect(panel).to_have_attribute("data-screen", "labelled", timeout=SEEN_S)
    expect(panel).to_contain_text("reprint needs a supervisor")
    assert len(erp.order(order)["labels"]) == 1


def test_an_order_with_one_parcel_is_checked_and_labelled_at_once(page, guard, keys, erp):
    order, tracking = unique("ONE"), unique("LPO").upper()
    erp.push(
        erp.event(order, "payment", "paid", store_id="s1"),
        erp.event(order, "shipping_notice", "recorded", store_id="s1", tracking_number=tracking),
    )
    open_station(page, guard.base, "pack-21", keys.station)

    scan(page, order)

    verdict(page, "clear")
    expect(page.locator("#v-order")).to_have_text(order)  # no parcel named, no chooser
    expect(page.locator("#v-parcels")).to_be_hidden()
    expect(page.locator("#v-tracking")).to_have_text(tracking)
    assert [label["parcel_id"] for label in erp.order(order)["labels"]] == ["1"]


# --- the hold board -----------------------------------------------------------------------------


def test_the_board_names_the_held_parcel_and_a_supervisor_voids_and_confirms_a_pull(page, guard, keys, erp):
    order, first = unique("PUL"), unique("LPP").upper()
    two_parcels(erp, order, first)
    assert erp.check(order, "pack-22", parcel_id="2")["hold"]["state"] == "held"
    label = erp.label(order, "pack-22", parcel_id="1")
    open_board(page, guard.base, keys.supervisor)

    held = page.locator(f"#queue-body tr[data-order='{order}']")
    expect(held).to_have_count(1, timeout=SEEN_S)  # parcel 1 is clear: only parcel 2 holds
    expect(held).to_have_attribute("data-parcel", "2")
    expect(held.locator("td.order .parcel")).to_have_text("包裹 2")
    expect(held.locator(".reason[data-code=SHIPPING_NOTICE_MISSING]")).to_be_visible()

    erp.push(erp.event(order, "order", "closed", 10, store_id="s1"))  # closed on the platform after the label
    page.evaluate("window.guardHolds.refresh()")  # (the board also refreshes itself every 10 s)

    pull = page.locator(f"#pulls-body tr[data-order='{order}']")
    expect(pull).to_have_count(1, timeout=SEEN_S)
    expect(pull).to_have_attribute("data-parcel", "1")
    expect(pull.locator("td.order .parcel")).to_have_text("包裹 1")  # parcel 1 of two is named too
    expect(pull.locator(".reason[data-code=ORDER_CLOSED]")).to_be_visible()
    expect(pull.locator("button[data-action=void]")).to_be_visible()
    blocked = page.locator(f"#blocked-body tr[data-order='{order}'] td.order .parcel")
    expect(blocked).to_have_text(["包裹 1", "包裹 2"])  # both blocked: pull one, return both to stock
    expect(held).to_have_count(0)
    with as_key(guard, keys.supervisor) as board:
        [open_pull] = [item for item in board.get("/v1/pulls").json()["items"] if item["order_id"] == order]
    assert open_pull["parcel_id"] == "1" and open_pull["label_id"] == label["label_id"], open_pull

    page.once("dialog", lambda dialog: dialog.accept("goods back to stock, label torn off"))
    pull.locator("button[data-action=void]").click()

    expect(page.locator("#pulls-message")).to_have_text("已记录。", timeout=SEEN_S)
    expect(pull.locator("button[data-action=void]")).to_have_count(0, timeout=SEEN_S)  # no live label left
    expect(pull).to_have_count(1)  # voided, but nobody said yet that the parcel is off the line
    [voided] = erp.order(order)["labels"]
    assert voided["label_id"] == label["label_id"] and voided["voided_at"], voided
    assert parcels(erp, order)["1"]["label"] is None
    decisions = erp.http.get(f"/v1/orders/{order}/decisions").json()["items"]
    assert any(d["note"] == "goods back to stock, label torn off" for d in decisions), decisions

    pull.locator("button[data-outcome=pulled]").click()

    expect(pull).to_have_count(0, timeout=SEEN_S)
    expect(page.locator("#pulls-message")).to_have_text("已记录。")
    with as_key(guard, keys.supervisor) as board:
        assert order not in [item["order_id"] for item in board.get("/v1/pulls").json()["items"]]
    with as_key(guard, keys.station) as station:
        again = station.post(f"/v1/pulls/{open_pull['notification_id']}/ack", json={"outcome": "not_found"})
    assert again.status_code == 409, again.text
    error = again.json()["error"]
    assert error["code"] == "PULL_ALREADY_ACKNOWLEDGED"
    assert (error["ack_outcome"], error["ack_key_name"]) == ("pulled", keys.supervisor_name), error


def test_the_board_says_which_scope_a_pull_button_lacks(page, guard, keys, erp):
    order, tracking = unique("SCP"), unique("LPC").upper()
    erp.push(
        erp.event(order, "payment", "paid", store_id="s1"),
        erp.event(order, "shipping_notice", "recorded", store_id="s1", tracking_number=tracking),
    )
    erp.label(order, "pack-22")
    erp.push(erp.event(order, "risk", "closed", 10, store_id="s1"))
    open_board(page, guard.base, keys.release_only)  # holds + supervise: releases, but confirms no pull

    pull = page.locator(f"#pulls-body tr[data-order='{order}']")
    expect(pull).to_have_count(1, timeout=SEEN_S)
    expect(pull.locator("td.order .parcel")).to_have_count(0)  # one parcel: no parcel tag
    pull.locator("button[data-outcome=pulled]").click()

    message = page.locator("#pulls-message")
    expect(message).to_contain_text("没有 labels 权限", timeout=SEEN_S)  # the scope this button needs
    expect(message).not_to_contain_text("supervise")  # this key has that one: naming it would mislead
    expect(message).to_have_attribute("data-outcome", "403")
    expect(pull).to_have_count(1)
    with as_key(guard, keys.supervisor) as board:
        assert order in [item["order_id"] for item in board.get("/v1/pulls").json()["items"]]


# --- the dock -----------------------------------------------------------------------------------


def test_the_dock_refuses_the_id_of_a_two_parcel_order_and_an_outdated_label_but_passes_the_good_parcel(
    page, guard, keys, erp
):
    order = unique("DCK")
    first, second, corrected = unique("LPD").upper(), unique("LPE").upper(), unique("LPF").upper()
    two_parcels(erp, order, first, second)
    erp.label(order, "pack-23", parcel_id="1")
    erp.label(order, "pack-23", parcel_id="2")
    erp.push(  # the ERP corrects parcel 2's number after its label was printed
        erp.event(order, "shipping_notice", "recorded", 20, store_id="s1", parcel_id="2", tracking_number=corrected)
    )
    open_station(page, guard.base, "dock-21", keys.station, mode="handover")

    scan(page, order)  # the order id: it names both parcels

    panel = verdict(page, "block")
    expect(panel).to_have_attribute("data-screen", "ambiguous")
    expect(page.locator("#v-headline")).to_have_text("条码不唯一 — 不要交接")
    expect(page.locator("#v-headline-2")).to_have_text("AMBIGUOUS — DO NOT HAND OVER")
    expect(panel).to_contain_text("请扫描该包裹自己的订单条码")

    scan(page, second)  # parcel 2 still wears the label with its old number

    verdict(page, "block")
    expect(panel).to_have_attribute("data-screen", "mismatch")
    expect(page.locator("#v-headline")).to_have_text("面单有误 — 拦截此包裹")
    expect(page.locator("#v-headline-2")).to_have_text("WRONG LABEL — PULL THIS PARCEL")
    expect(page.locator("#v-order")).to_have_text(f"{order} · 包裹 2")  # the order, not the number scanned

    scan(page, first)

    verdict(page, "clear")
    expect(panel).to_have_attribute("data-screen", "handoverOk")
    expect(page.locator("#v-order")).to_have_text(order)
    state = parcels(erp, order)
    assert state["1"]["handed_over_at"] is not None
    assert state["2"]["handed_over_at"] is None, "refused twice, it did not leave"

    scan(page, first)  # a second copy of parcel 1's label
    verdict(page, "block")
    expect(panel).to_have_attribute("data-screen", "handedOver")
    expect(page.locator("#v-order")).to_have_text(order)


def test_the_dock_refuses_a_shared_number_and_pulls_a_parcel_whose_order_went_bad(page, guard, keys, erp):
    labelled, claimant, shared = unique("SHA"), unique("SHB"), unique("LPS").upper()
    erp.push(
        erp.event(labelled, "payment", "paid", store_id="s1"),
        erp.event(labelled, "shipping_notice", "recorded", store_id="s1", tracking_number=shared),
    )
    erp.label(labelled, "pack-24")
    erp.push(  # another order of the same store is given the same number
        erp.event(claimant, "payment", "paid", 5, store_id="s1"),
        erp.event(claimant, "shipping_notice", "recorded", 5, store_id="s1", tracking_number=shared),
    )
    assert "TRACKING_CONFLICT" in parcels(erp, labelled)["1"]["reasons"]
    bad, bad_first, bad_second = unique("BAD"), unique("LPG").upper(), unique("LPH").upper()
    two_parcels(erp, bad, bad_first, bad_second)
    erp.label(bad, "pack-24", parcel_id="1")
    erp.label(bad, "pack-24", parcel_id="2")
    erp.push(erp.event(bad, "risk", "closed", 30, store_id="s1"))  # closed by risk control after packing
    open_station(page, guard.base, "dock-22", keys.station, mode="handover")

    scan(page, shared)

    panel = verdict(page, "block")
    expect(panel).to_have_attribute("data-screen", "ambiguous")
    expect(page.locator("#v-headline")).to_have_text("条码不唯一 — 不要交接")
    expect(panel).to_contain_text("This code matches more than one parcel")
    assert parcels(erp, labelled)["1"]["handed_over_at"] is None

    scan(page, bad_second)

    verdict(page, "block")
    expect(panel).to_have_attribute("data-screen", "pull")
    expect(page.locator("#v-headline")).to_have_text("拦截此包裹")
    expect(page.locator("#v-headline-2")).to_have_text("PULL THIS PARCEL")
    expect(page.locator("#v-order")).to_have_text(f"{bad} · 包裹 2")  # the order, not the number scanned
    # The dock's notice panel says which of the order's boxes to pull.
    pulled = page.locator(f".notice[data-type='order.pull'][data-order='{bad}'][data-parcel='2']")
    expect(pulled).to_contain_text(f"拦截包裹 {bad}（包裹 2）", timeout=SEEN_S)
    expect(pulled).to_contain_text(f"PULL parcel {bad} (parcel 2)")
    expected = reason_texts(erp, bad, "RISK_CLOSED")
    expect(page.locator("#v-reasons li[data-code=RISK_CLOSED] .msg")).to_have_text(
        [expected["message_zh"], expected["message"]]
    )
    assert all(parcel["handed_over_at"] is None for parcel in parcels(erp, bad).values())
