"""The app shell at phone width: nothing in the header is cut off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_auth_flow import OWNER, fill_signup

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}


def test_header_fits_a_phone(browser, live_app: str, screenshot):
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page: Page = context.new_page()
    try:
        page.goto(f"{live_app}/signup")
        fill_signup(page, OWNER)
        page.wait_for_url(re.compile(r"/dashboard"))
        log_out = page.get_by_role("button", name="Log out")
        expect(log_out).to_be_visible()
        box = log_out.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        # The page never scrolls sideways.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        menu = page.get_by_role("button", name="Menu")
        expect(menu).to_be_visible()
        screenshot(page, "phone-dashboard")
        menu.click()
        page.get_by_role("menuitem", name="Connections").click()
        expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()
        log_out.click()
        expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    finally:
        context.close()


def test_favicon_and_logo_are_served_from_assets(live_app: str):
    import httpx

    for path, kind in (("/favicon.ico", "image/"), ("/logo.svg", "image/svg")):
        resp = httpx.get(live_app + path, timeout=10)
        assert resp.status_code == 200 and resp.headers["content-type"].startswith(kind), path
