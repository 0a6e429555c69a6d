"""/docs for real: Swagger UI from the package in a headless Chromium against `guard serve`,
with every request that leaves the guard's own origin refused — as in a warehouse without
internet. The integrator authorizes with a key and tries a call; the call is answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.browser import launch, new_page, require_browser
from support.processes import served_with_key

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # support.browser says so
    pass


@pytest.fixture
def served(tmp_path: Path):
    with served_with_key(tmp_path, "integrator", "events", "check") as guard:
        yield guard


def test_docs_work_offline_and_authorize_lets_an_integrator_try_a_call(served):
    require_browser()
    base, key = served
    elsewhere: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = new_page(browser, locale="en-US")

        def only_the_guard(route) -> None:
            if route.request.url.startswith(base + "/"):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_guard)
        page.goto(f"{base}/docs")
        check = page.locator("#operations-checks-check_order")
        expect(check).to_be_visible(timeout=15_000)
        assert page.locator(".opblock").count() >= 20  # every operation, grouped by tag
        expect(page.locator("#operations-health-healthz .authorization__btn")).to_have_count(0)  # public
        expect(check.locator(".authorization__btn")).to_have_count(1)

        page.click(".auth-wrapper button.authorize")
        page.fill(".auth-container input", key)
        page.click(".auth-btn-wrapper button.authorize")
        page.click(".btn-done")

        check.locator(".opblock-summary").click()
        check.locator(".try-out__btn").click()
        check.locator("input[placeholder=order_id]").fill("o-docs-1")
        check.locator("textarea.body-param__text").fill('{"station_id": "pack-01"}')
        check.locator(".execute").click()
        status = check.locator(".live-responses-table tbody .response-col_status")
        expect(status).to_have_text("200", timeout=10_000)
        expect(check.locator(".live-responses-table .microlight").first).to_contain_text("ORDER_UNKNOWN")
        assert page.errors == []
        browser.close()
    assert elsewhere == []
