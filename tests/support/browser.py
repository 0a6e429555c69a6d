"""Debian's headless Chromium driven by Playwright for Python (never a downloaded browser),
and what a packer does on the station page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.services import service_missing

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError as exc:  # the dev extra installs it; say so instead of erroring at collection
    PLAYWRIGHT_MISSING: ImportError | None = exc
else:
    PLAYWRIGHT_MISSING = None

CHROMIUM = Path(os.environ.get("GUARD_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 768}
SEEN_S = 10_000  # ms: a verdict shows within a fraction of a second; this only bounds a broken run


def require_browser() -> None:
    """Skip (fail under CI=true) without Chromium or Playwright."""
    if not CHROMIUM.exists():
        service_missing("Chromium", FileNotFoundError(f"{CHROMIUM} (apt-get install chromium)"))
    if PLAYWRIGHT_MISSING is not None:
        service_missing("Playwright for Python", PLAYWRIGHT_MISSING)


def launch(playwright) -> Browser:  # type: ignore[no-untyped-def]
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for a module's page tests (skips, or fails under CI=true, without one)."""
    require_browser()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser, viewport: dict = DESKTOP, locale: str = "zh-CN") -> Page:
    context = browser.new_context(viewport=viewport, locale=locale, accept_downloads=True)
    page = context.new_page()
    page.errors = []  # uncaught script errors: a page test fails on any
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def open_station(page: Page, base: str, station: str, key: str, mode: str = "packing") -> None:
    page.goto(f"{base}/station")
    expect(page.locator("#setup")).to_be_visible()
    page.fill("#setup-station", station)
    page.fill("#setup-key", key)
    page.check(f"input[name=mode][value={mode}]")
    page.click("#setup-save")
    expect(page.locator("#setup")).to_be_hidden()
    expect(page.locator("#stream-status")).to_have_attribute("data-status", "live", timeout=SEEN_S)
    expect(page.locator("#scan")).to_be_focused()


def scan(page: Page, code: str) -> None:
    """A keyboard-wedge scanner: it types into whatever has focus, then Enter."""
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def verdict(page: Page, kind: str):
    panel = page.locator("#verdict")
    expect(panel).to_have_attribute("data-kind", kind, timeout=SEEN_S)
    return panel
