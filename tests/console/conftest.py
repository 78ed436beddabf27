"""A real browser for the console: Playwright driving Debian's Chromium, headless.

The browser is the one `make setup` installs (`apt-get install chromium`), never one Playwright
downloads; without it the browser tests fail, saying how to install it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package
# Headless, and nothing that reaches beyond this machine (updates, sync, field trials).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The screenshots the README shows, written by the browser test on every run.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.fail(
            f"the console's browser tests need Debian's Chromium at {CHROMIUM}: `make setup` "
            "installs it (apt-get install -y chromium)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def new_page(browser, *, phone: bool = False):
    """A fresh browser profile (its own session storage), in Oslo's time, in British English."""
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="en-GB",
        timezone_id="Europe/Oslo",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = []  # script errors and console errors (a refused script or style shows here)
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on("console", lambda message: _console_error(page, message))
    return page


def _console_error(page, message) -> None:
    # The API's deliberate refusals (4xx) are logged by the browser too; they are not problems.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        page.problems.append(f"console error: {message.text}")
