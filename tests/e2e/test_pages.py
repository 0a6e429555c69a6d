"""The pages, for real: `/station` and `/holds` in a headless Chromium against `guard serve`.

Debian's `chromium` driven by Playwright (sync API, `executable_path`), the guard
in embedded mode (a SQLite file, no Redis), keys made with the CLI. Each state a
packer or supervisor sees is kept as a 1366×768 screenshot in docs/screenshots/.
Without /usr/bin/chromium these tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from support.browser import DESKTOP, SEEN_S, chromium, new_page, open_station, scan, verdict
from support.processes import GUARD, STARTUP_S, free_port, guard_env, run_guard, stop_group, tail, unique, wait_until
from support.stack import Erp

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # support.browser says so when a test needs it
    pass

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TABLET = {"width": 768, "height": 1024}


# --- the guard --------------------------------------------------------------------------------


class Serve:
    """`guard serve` on a port of our choosing, so it can be stopped and started again on it."""

    def __init__(self, workdir: Path, env: dict[str, str], port: int | None = None):
        self.workdir, self.env = workdir, env
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"serve-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Serve:
        self.process = subprocess.Popen(
            [*GUARD, "serve", "--port", str(self.port)],
            cwd=self.workdir,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def up() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"guard serve exited ({self.process.returncode}):\n{tail(self.log)}")
            try:
                return httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, STARTUP_S, "guard serve up", lambda: tail(self.log))
        return self

    def terminate(self) -> None:
        """SIGTERM, as a service manager stops it; the process may take a while to go."""
        os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds."""
        if self.process is not None:
            stop_group(self.process, grace=grace)
            self.process = None

    def key(self, name: str, *scopes: str) -> str:
        args = ["apikey", "create", name]
        for scope in scopes:
            args += ["--scope", scope]
        return run_guard(*args, cwd=self.workdir, env=self.env).stdout.strip().splitlines()[-1]


def embedded_env(workdir: Path) -> dict[str, str]:
    return guard_env(GUARD_DATABASE_URL=f"sqlite:///{workdir / 'guard.db'}")


class Keys:
    def __init__(self, guard: Serve):
        self.station = guard.key(unique("station"), "check", "labels")
        self.board = guard.key(unique("board"), "holds", "supervise")
        self.erp = guard.key(unique("erp"), "events", "check", "labels")


@pytest.fixture(scope="module")
def guard(tmp_path_factory) -> Iterator[Serve]:
    workdir = tmp_path_factory.mktemp("pages")
    server = Serve(workdir, embedded_env(workdir)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def keys(guard: Serve) -> Keys:
    return Keys(guard)


@pytest.fixture
def erp(guard: Serve, keys: Keys) -> Iterator[Erp]:
    client = Erp(guard.base, keys.erp)
    yield client
    client.close()


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as headless:
        yield headless


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = new_page(browser)
    yield page
    errors = list(page.errors)
    page.context.close()
    assert not errors, f"script errors on the page: {errors}"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")


# --- the ERP's side -----------------------------------------------------------------------------


def clock_in(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="seconds")


def clear_order(erp: Erp, order_id: str, tracking: str, minute: float = 0) -> None:
    erp.push(
        erp.event(order_id, "payment", "paid", minute, store_id="s1"),
        erp.event(order_id, "shipping_notice", "recorded", minute, store_id="s1", tracking_number=tracking),
    )


def labelled_order(erp: Erp, order_id: str, tracking: str, station: str) -> None:
    """Cleared, checked and labelled at a packing station: the parcel is on its way to the dock."""
    clear_order(erp, order_id, tracking)
    clearance = erp.check(order_id, station)["clearance"]["token"]
    response = erp.http.post("/v1/labels", json={"clearance": clearance, "station_id": station})
    assert response.status_code == 201, response.text


# --- the station page ---------------------------------------------------------------------------


def test_scanning_a_clear_order_turns_the_station_green_and_issues_its_label(page, guard, keys, erp):
    order, tracking = unique("CLR"), unique("LP").upper()
    clear_order(erp, order, tracking)
    open_station(page, guard.base, "pack-01", keys.station)

    scan(page, order)

    panel = verdict(page, "clear")
    expect(panel).to_contain_text("CLEAR")
    expect(panel).to_contain_text("放行")
    expect(page.locator("#v-order")).to_have_text(order)
    expect(page.locator("#v-tracking")).to_have_text(tracking)
    link = page.locator("#v-label-link")
    expect(link).to_be_visible()
    assert link.get_attribute("href").startswith("blob:")
    head = page.evaluate(
        "async (url) => { const b = await (await fetch(url)).arrayBuffer();"
        " return String.fromCharCode(...new Uint8Array(b).slice(0, 5)); }",
        link.get_attribute("href"),
    )
    assert head == "%PDF-", "the station asks for the label as a PDF"
    assert page.evaluate("document.body.dataset.tone") == "clear"
    labels = erp.order(order)["labels"]
    assert len(labels) == 1 and labels[0]["station_id"] == "pack-01", labels
    shot(page, "station-clear")

    scan(page, order)  # the same parcel again: clear, but no second label
    expect(page.locator("#verdict")).to_have_attribute("data-screen", "labelled", timeout=SEEN_S)
    expect(page.locator("#verdict")).to_contain_text("reprint needs a supervisor")
    expect(page.locator("#v-label")).to_be_hidden()
    assert len(erp.order(order)["labels"]) == 1


def test_scanning_a_held_order_turns_the_station_amber_with_what_to_do_in_chinese_and_english(page, guard, keys, erp):
    order = unique("HLD")
    erp.record(order, payment="processing", shipping_notice="recorded")
    open_station(page, guard.base, "pack-01", keys.station)
    page.click("#lang-toggle")  # zh → en; the click must not steal the scanner's focus

    scan(page, order)

    panel = verdict(page, "hold")
    expect(page.locator("#v-headline")).to_have_text("HOLD")
    expect(page.locator("#v-headline-2")).to_have_text("暂存")
    expect(panel).to_contain_text("Put the parcel on the hold shelf")
    reason = page.locator("#v-reasons li[data-code=PAYMENT_PROCESSING]")
    expect(reason).to_contain_text("payment is still processing")  # message, for the packer, in English
    expect(reason).to_contain_text("付款处理中")  # message_zh, in Chinese
    assert page.evaluate("document.body.dataset.tone") == "hold"
    shot(page, "station-hold")

    page.click("#lang-toggle")  # en → zh: the same verdict, Chinese first
    expect(page.locator("#v-headline")).to_have_text("暂存")
    assert page.locator("#v-reasons li .msg").first.inner_text().startswith("包裹放到暂存架")
    held = httpx.get(
        f"{guard.base}/v1/holds",
        params={"station_id": "pack-01", "state": "held"},
        headers={"Authorization": f"Bearer {keys.board}"},
    ).json()["items"]
    assert order in [item["order_id"] for item in held], "the scan put the order in the hold queue, at this station"


def test_scanning_a_blocked_order_turns_the_station_red_do_not_ship(page, guard, keys, erp):
    order = unique("BLK")
    erp.record(order, payment="paid", shipping_notice="recorded", risk="closed")
    open_station(page, guard.base, "pack-01", keys.station)

    scan(page, order)

    panel = verdict(page, "block")
    expect(panel).to_contain_text("禁止发货")
    expect(panel).to_contain_text("DO NOT SHIP")
    expect(panel).to_contain_text("Return it to stock")
    expect(page.locator("#v-reasons li[data-code=RISK_CLOSED]")).to_contain_text("退回库位")
    expect(page.locator("#v-label")).to_be_hidden()
    assert page.evaluate("document.body.dataset.tone") == "block"
    # The check itself sends order.blocked to this station: logged, but the screen already said it.
    expect(page.locator(f".notice[data-type='order.blocked'][data-order='{order}']")).to_be_visible(timeout=SEEN_S)
    expect(page.locator("#banner")).to_be_hidden()
    shot(page, "station-block")


def test_a_release_arrives_on_the_station_page_while_the_parcel_waits_on_the_hold_shelf(page, guard, keys, erp):
    order = unique("REL")
    erp.record(order, minute=10, payment="processing", shipping_notice="recorded")
    open_station(page, guard.base, "pack-02", keys.station)
    scan(page, order)
    verdict(page, "hold")

    erp.record(order, minute=20, payment="paid")  # the bank confirms: the guard releases the hold by itself

    notice = page.locator(f".notice[data-type='hold.released'][data-order='{order}']")
    expect(notice).to_be_visible(timeout=SEEN_S)
    expect(notice).to_contain_text(f"Order {order} is clear — take it from the hold shelf and scan it again")
    expect(notice).to_contain_text(f"订单 {order} 已放行")
    banner = page.locator("#banner")  # and across the screen, readable from the bench
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-order", order)
    expect(banner).to_contain_text("take it from the hold shelf and scan it again")
    expect(page.locator("#verdict")).to_have_attribute("data-kind", "hold")  # a notice, not a verdict
    shot(page, "station-released-notice")

    scan(page, order)  # taken from the shelf and scanned again
    verdict(page, "clear")
    expect(page.locator("#v-label-link")).to_be_visible()


def test_a_hand_over_scan_pulls_a_labelled_parcel_whose_order_turned_bad(page, guard, keys, erp):
    good, bad = unique("HOK"), unique("HPL")
    good_tracking, bad_tracking = unique("LPG").upper(), unique("LPB").upper()
    labelled_order(erp, good, good_tracking, "pack-01")
    labelled_order(erp, bad, bad_tracking, "pack-01")
    erp.record(bad, minute=30, risk="closed")  # closed by platform risk control after it was packed
    open_station(page, guard.base, "dock-01", keys.station, mode="handover")
    expect(page.locator("body")).to_have_attribute("data-mode", "handover")

    scan(page, good_tracking)
    verdict(page, "clear")
    expect(page.locator("#verdict")).to_contain_text("OK — hand to carrier")
    expect(page.locator("#v-order")).to_have_text(good)

    scan(page, bad_tracking)
    panel = verdict(page, "block")
    expect(panel).to_contain_text("PULL THIS PARCEL")
    expect(panel).to_contain_text("拦截此包裹")
    expect(page.locator("#v-reasons li[data-code=RISK_CLOSED]")).to_be_visible()
    pull = page.locator(f".notice[data-type='order.pull'][data-order='{bad}']")
    expect(pull).to_be_visible(timeout=SEEN_S)  # order.pull, pushed to this dock's stream
    page.wait_for_timeout(300)
    expect(page.locator("#banner")).to_be_hidden()  # the PULL on screen already says it
    shot(page, "station-handover-pull")

    scan(page, unique("NOPE"))
    verdict(page, "warn")
    expect(page.locator("#verdict")).to_have_attribute("data-screen", "unknownCode")


def test_the_offline_screen_covers_the_last_green_when_the_guard_stops(browser, tmp_path):
    guard = Serve(tmp_path, embedded_env(tmp_path)).start()
    page = new_page(browser)
    try:
        keys = Keys(guard)
        erp = Erp(guard.base, keys.erp)
        order = unique("OFF")
        clear_order(erp, order, unique("LPO").upper())
        erp.close()
        open_station(page, guard.base, "pack-09", keys.station)
        scan(page, order)
        verdict(page, "clear")

        guard.terminate()  # stops listening at once; the exit itself may wait on open streams
        offline = page.locator("#offline")
        expect(offline).to_be_visible(timeout=SEEN_S)
        expect(offline).to_contain_text("DO NOT SHIP — guard offline")
        expect(offline).to_contain_text("禁止发货 — 系统离线")
        expect(page.locator("#verdict")).to_have_attribute("data-kind", "idle")  # the green is gone, not hidden
        expect(page.locator("#v-label")).to_be_hidden()
        shot(page, "station-offline")

        scan(page, order)  # a scan while offline stays "do not ship"
        page.wait_for_timeout(500)
        expect(offline).to_be_visible()
        assert page.locator("#verdict").get_attribute("data-kind") != "clear"

        # `guard serve` waits for open station streams before it exits: do not wait for it here.
        guard.stop(grace=1)
        guard.start()  # the guard answers again: the screen says so, and shows no old verdict
        expect(offline).to_be_hidden(timeout=SEEN_S)
        expect(page.locator("#verdict")).to_have_attribute("data-screen", "back")
        assert page.locator("#verdict").get_attribute("data-kind") == "idle"
        expect(page.locator("#stream-status")).to_have_attribute("data-status", "live", timeout=SEEN_S)
        assert not page.errors, page.errors
    finally:
        page.context.close()
        guard.stop()


def test_the_station_remembers_its_setup_and_asks_again_when_the_key_is_refused(page, guard, keys):
    open_station(page, guard.base, "pack-05", keys.station, mode="handover")

    page.reload()
    expect(page.locator("body")).to_have_attribute("data-screen", "work")
    expect(page.locator("#station-name")).to_have_text("pack-05")
    expect(page.locator("body")).to_have_attribute("data-mode", "handover")
    expect(page.locator("#stream-status")).to_have_attribute("data-status", "live", timeout=SEEN_S)

    page.evaluate("""() => { const c = JSON.parse(localStorage.getItem('guard.station.v1'));
                             c.key = 'revoked-or-mistyped'; localStorage.setItem('guard.station.v1', JSON.stringify(c)); }""")
    page.reload()
    expect(page.locator("#setup")).to_be_visible(timeout=SEEN_S)
    expect(page.locator("#setup-message")).to_contain_text("401")
    expect(page.locator("#setup-station")).to_have_value("pack-05")


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["1366x768", "tablet-768x1024"])
def test_the_station_and_the_board_fit_the_screen_without_scrolling_sideways(browser, guard, keys, erp, viewport):
    order = unique("FIT")
    erp.record(order, payment="processing", shipping_notice="awaiting_tracking", cancellation="requested")
    page = new_page(browser, viewport=viewport)
    try:
        open_station(page, guard.base, "pack-06", keys.station)
        scan(page, order)
        verdict(page, "hold")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        box = page.locator("#v-headline").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert box["y"] + box["height"] <= viewport["height"]
        assert page.locator("#v-reasons li").count() == 3

        open_board(page, guard.base, keys.board)
        expect(page.locator(f"#queue-body tr[data-order='{order}']")).to_be_visible(timeout=SEEN_S)
        assert page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        )  # the table scrolls, not the page
        assert not page.errors, page.errors
    finally:
        page.context.close()


# --- the hold board -------------------------------------------------------------------------------


def open_board(page: Page, base: str, key: str) -> None:
    page.goto(f"{base}/holds")
    expect(page.locator("#setup")).to_be_visible()
    page.fill("#setup-key", key)
    page.press("#setup-key", "Enter")


def test_a_supervisor_releases_a_waivable_hold_from_the_board_and_sees_why_another_is_refused(page, guard, keys, erp):
    waivable, fixed, late, blocked = unique("W"), unique("R"), unique("L"), unique("B")
    erp.push(
        erp.event(waivable, "payment", "processing", 5, store_id="s1", ship_by=clock_in(30)),
        erp.event(waivable, "shipping_notice", "recorded", 5, store_id="s1"),
        erp.event(fixed, "payment", "paid", 5, store_id="s1", ship_by=clock_in(50)),
        erp.event(fixed, "shipping_notice", "recorded", 5, store_id="s1"),
        erp.event(fixed, "risk", "reviewing", 5, store_id="s1"),
        erp.event(late, "payment", "unpaid", 5, store_id="s2", ship_by=clock_in(5)),
        erp.event(late, "shipping_notice", "recorded", 5, store_id="s2"),
        erp.event(blocked, "order", "closed", 5, store_id="s1"),
    )
    for order in (waivable, fixed, late):
        erp.hold_at(order, "pack-03")
    assert erp.check(blocked, "pack-03")["verdict"] == "block"
    page.set_viewport_size(DESKTOP)
    open_board(page, guard.base, keys.board)
    expect(page.locator("#setup")).to_be_hidden()

    row = lambda order: page.locator(f"#queue-body tr[data-order='{order}']")  # noqa: E731
    expect(row(waivable)).to_be_visible(timeout=SEEN_S)
    expect(row(late)).to_have_class("overdue")  # within 12 h of ship_by
    expect(row(late)).to_contain_text("超时")
    expect(row(fixed).locator(".reason[data-code=RISK_REVIEW]")).to_have_class("reason fixed")
    expect(page.locator(f"#blocked-body tr[data-order='{blocked}']")).to_contain_text("ORDER_CLOSED")
    assert int(page.inner_text("#count-held")) >= 3 and int(page.inner_text("#count-overdue")) >= 1
    expect(page.locator("#by-reason button[data-code=PAYMENT_PROCESSING]")).to_be_visible()
    ages = page.eval_on_selector_all("#queue-body tr", "rows => rows.map(r => r.dataset.order)")
    assert ages.index(waivable) < ages.index(late), "oldest first"

    row(waivable).locator("input[type=checkbox]").check()
    row(fixed).locator("input[type=checkbox]").check()
    page.click("#release-open")
    expect(page.locator("#release-dialog")).to_be_visible()
    page.click("#release-submit")  # no written reason: nothing is sent
    expect(page.locator("#release-dialog")).to_be_visible()
    page.fill("#release-reason", "bank confirmed the payment by phone")
    page.click("#release-submit")

    released = page.locator(f"#results-list li[data-order='{waivable}']")
    refused = page.locator(f"#results-list li[data-order='{fixed}']")
    expect(released).to_have_attribute("data-outcome", "released", timeout=SEEN_S)
    expect(released).to_contain_text("PAYMENT_PROCESSING")
    expect(refused).to_have_attribute("data-code", "NOT_WAIVABLE")
    expect(refused).to_contain_text("RISK_REVIEW")
    expect(row(waivable)).to_have_count(0, timeout=SEEN_S)  # off the held queue
    expect(row(fixed)).to_be_visible()
    shot(page, "holds-board")

    again = erp.check(waivable, "pack-03")
    assert again["verdict"] == "clear" and [w["code"] for w in again["waived"]] == ["PAYMENT_PROCESSING"], again
    decisions = erp.http.get(f"/v1/orders/{waivable}/decisions").json()["items"]
    assert any(d["kind"] == "release" and d["note"] == "bank confirmed the payment by phone" for d in decisions)


def test_the_board_filters_the_queue_and_exports_every_row_as_csv(page, guard, keys, erp):
    orders = [unique("X") for _ in range(3)]
    erp.push(
        *(erp.event(order, "freight", "pending", 5, store_id="s1") for order in orders),
        *(erp.event(order, "payment", "paid", 5, store_id="s1") for order in orders),
        *(erp.event(order, "shipping_notice", "recorded", 5, store_id="s1") for order in orders),
    )
    for order in orders:
        erp.hold_at(order, "pack-07")
    open_board(page, guard.base, keys.board)

    page.fill("#f-station", "pack-07")
    page.select_option("#f-reason", "FREIGHT_UNPAID")
    page.click("#filters button[type=submit]")
    expect(page.locator("#queue-body tr")).to_have_count(3, timeout=SEEN_S)

    with page.expect_download() as download:
        page.click("#export")
    text = Path(download.value.path()).read_text()
    lines = text.strip().splitlines()
    assert lines[0].startswith("order_id,parcel_id,state,reasons")  # a hold per parcel (v1.1)
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(orders)
    assert all("FREIGHT_UNPAID" in line for line in lines[1:])


def test_customer_service_copies_the_buyers_reply_in_the_buyers_language_from_the_board(browser, guard, keys, erp):
    brazil, israel, nowhere = unique("BR"), unique("IL"), unique("NC")
    for order, country in ((brazil, "BR"), (israel, "IL"), (nowhere, None)):
        erp.record(order, 5, payment="processing", shipping_notice="recorded")
        if country:  # the ERP knows the buyer's country (contract v1.1)
            erp.push(erp.event(order, "risk", "none", 6, store_id="s1", buyer_country=country))
        erp.hold_at(order, "pack-08")
    expected = erp.order(brazil)["reasons"][0]  # what the API says for this hold
    assert expected["code"] == "PAYMENT_PROCESSING"

    page = new_page(browser)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=guard.base)
    try:
        open_board(page, guard.base, keys.board)
        row = page.locator(f"#queue-body tr[data-order='{brazil}']")
        expect(row).to_be_visible(timeout=SEEN_S)
        row.locator(".replies-toggle").click()

        replies = page.locator(
            f"#queue-body tr.replies-row[data-replies-for='{brazil}'] .reason-texts[data-code=PAYMENT_PROCESSING]"
        )
        expect(replies).to_be_visible()
        expect(replies.locator(".office")).to_contain_text(expected["supervisor_message_zh"])  # the board is in Chinese
        first = replies.locator(".reply").first
        expect(first).to_have_attribute("data-lang", "pt")  # Brazil: Portuguese first
        expect(first.locator(".text")).to_have_text(expected["buyer_messages"]["pt"])
        first.locator("button.copy").click()
        expect(first.locator("button.copy")).to_have_attribute("data-copied", "yes")
        assert page.evaluate("navigator.clipboard.readText()") == expected["buyer_messages"]["pt"]
        row.scroll_into_view_if_needed()
        shot(page, "holds-buyer-replies")

        # Every other language is one click away, and copies its own text.
        replies.locator("details.more summary").click()
        german = replies.locator(".reply[data-lang=de]")
        german.locator("button.copy").click()
        assert page.evaluate("navigator.clipboard.readText()") == expected["buyer_messages"]["de"]
        assert replies.locator(".reply").count() == len(expected["buyer_messages"])

        # The open replies survive the board's own refresh.
        page.evaluate("window.guardHolds.refresh()")
        expect(page.locator(f"#queue-body tr.replies-row[data-replies-for='{brazil}']")).to_be_visible()

        page.locator(f"#queue-body tr[data-order='{israel}'] .replies-toggle").click()
        hebrew = page.locator(f"#queue-body tr.replies-row[data-replies-for='{israel}'] .reply").first
        expect(hebrew).to_have_attribute("data-lang", "he")
        expect(hebrew.locator(".text")).to_have_attribute("dir", "rtl")

        page.locator(f"#queue-body tr[data-order='{nowhere}'] .replies-toggle").click()
        english = page.locator(f"#queue-body tr.replies-row[data-replies-for='{nowhere}'] .reply").first
        expect(english).to_have_attribute("data-lang", "en")  # no country known: English first
        assert not page.errors, page.errors
    finally:
        page.context.close()


def test_the_board_asks_for_a_key_again_when_it_is_refused(page, guard):
    open_board(page, guard.base, "not-a-key")
    expect(page.locator("#setup-message")).to_contain_text("401", timeout=SEEN_S)
    expect(page.locator("#setup")).to_be_visible()
    assert page.evaluate("JSON.parse(localStorage.getItem('guard.holds.v1')).key") is None  # not kept


def test_the_pages_load_without_a_key_and_fetch_nothing_from_outside(browser, guard):
    page = new_page(browser)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith((guard.base, "blob:", "data:")) else None
        ),
    )
    try:
        for path in ("/station", "/holds"):
            response = page.goto(f"{guard.base}{path}")
            assert response.status == 200 and "text/html" in response.headers["content-type"]
            assert "default-src 'self'" in response.headers["content-security-policy"]
        assert not outside, outside
        assert not page.errors, page.errors
    finally:
        page.context.close()
