"""Connecting accounts in a real browser: click Connect, approve on the platform's consent
page, land back on Connections. Also checks that no token ever reaches the browser."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from socialhub.config import PLATFORM_LABELS, PLATFORMS, Settings
from tests.browser.test_auth_flow import fill_signup

PERSON = {"name": "Katherine Johnson", "email": "katherine@example.com", "password": "orbital mechanics 1962"}
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _stored_tokens(data_dir) -> list[str]:
    """Decrypt the tokens the app stored, with the app's own key file."""
    from socialhub import security

    settings = Settings(SOCIALHUB_DATA_DIR=data_dir, DATABASE_URL=None)  # the app runs on its own SQLite
    engine = create_engine(settings.db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT access_token_enc, refresh_token_enc FROM connections")).fetchall()
    engine.dispose()
    out = []
    for row in rows:
        out += [security.decrypt(v, settings) for v in row if v]
    return out


def _connect(page: Page, label: str, screenshot=None) -> None:
    page.get_by_role("button", name=f"Connect {label}", exact=True).click()
    expect(page.get_by_text("SocialHub sandbox")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(re.compile(r"/connections$"), timeout=60_000)
    # A login that manages several Pages asks which ones to connect (all are ticked).
    status, chooser = page.get_by_role("status"), page.get_by_role("dialog")
    expect(status.or_(chooser)).to_be_visible(timeout=30_000)
    if chooser.is_visible():
        expect(chooser).to_contain_text("accounts to connect")
        if screenshot:
            screenshot(page, "connections-choose-accounts")
        chooser.get_by_role("button", name=re.compile(r"Connect \d+ selected")).click()
    expect(status).to_contain_text(f"Connected {label}")


def _signed_up(page: Page, live_app: str) -> None:
    page.goto(f"{live_app}/signup")
    fill_signup(page, PERSON)
    page.wait_for_url(re.compile(r"/dashboard"))
    page.goto(f"{live_app}/connections")
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()


def test_connect_all_six_platforms_in_the_browser(page: Page, live_app: str, app_data_dir, screenshot):
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))

    _signed_up(page, live_app)
    expect(page.get_by_text("Sandbox").first).to_be_visible()

    started = time.monotonic()
    for platform in PLATFORMS:
        _connect(page, PLATFORM_LABELS[platform], screenshot)
    elapsed = time.monotonic() - started
    print(f"\nconnected all six sandbox platforms in the browser in {elapsed:.1f} s")
    assert elapsed < 60

    for platform in PLATFORMS:
        card = page.get_by_role("button", name=f"Connect {PLATFORM_LABELS[platform]}", exact=True)
        expect(card).to_contain_text("Add account")
    expect(page.get_by_text("Active").first).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Disconnect").first).to_be_visible()
    screenshot(page, "connections")

    # Nothing secret reached the browser: not over the websocket, not in storage, not in the page.
    tokens = _stored_tokens(app_data_dir)
    assert len(tokens) >= 6
    storage = page.evaluate("() => JSON.stringify(window.localStorage)")
    html = page.content()
    assert frames, "no websocket traffic was captured"
    for token in tokens:
        assert all(token not in frame for frame in frames)
        assert token not in storage and token not in html


def test_denied_consent_shows_a_clear_message(page: Page, live_app: str):
    _signed_up(page, live_app)
    page.get_by_role("button", name="Connect TikTok", exact=True).click()
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(re.compile(r"/connections$"))
    expect(page.get_by_role("alert")).to_contain_text("not granted")


def test_disconnect_from_the_page(page: Page, live_app: str):
    _signed_up(page, live_app)
    _connect(page, "X")
    _connect(page, "LinkedIn")
    before = page.get_by_role("button", name="Disconnect").count()
    assert before == 2
    # LinkedIn members have no @handle: the card shows the name without an @.
    expect(page.get_by_text(re.compile(r"^@Ava"))).to_have_count(0)
    page.get_by_role("button", name="Disconnect").first.click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disconnect").click()
    expect(page.get_by_role("status")).to_contain_text("disconnected")
    expect(page.get_by_role("button", name="Disconnect")).to_have_count(before - 1)
