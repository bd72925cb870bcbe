"""Sign-up, log-in, log-out and the page guards, driven through headless Chromium."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "analytical engine 1843"}
MEMBER = {"name": "Grace Hopper", "email": "grace@example.com", "password": "compilers are fun 1952"}
NAV = ("Connections", "Library", "Calendar", "Dashboard", "Leaderboard")


def fill_signup(page: Page, person: dict) -> None:
    page.get_by_label("Display name").fill(person["name"])
    page.get_by_label("Email").fill(person["email"])
    page.get_by_label("Password").fill(person["password"])
    page.get_by_role("button", name="Create account").click()


def fill_login(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def heading(page: Page, name: str):
    return page.get_by_role("heading", name=name, exact=True)


def nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def test_sign_up_log_out_log_in_and_admin(page: Page, live_app: str, screenshot):
    # A private page sends a visitor to the login page, remembering where they were going.
    page.goto(f"{live_app}/dashboard")
    expect(page).to_have_url(re.compile(r"/login/?\?next=/dashboard"))
    expect(heading(page, "Log in")).to_be_visible()
    screenshot(page, "login")

    page.get_by_role("link", name="Create an account").click()
    expect(heading(page, "Create your account")).to_be_visible()
    screenshot(page, "signup")

    # Server-side validation is shown in the callout, and the form keeps its values.
    fill_signup(page, {**OWNER, "password": "too short"})
    expect(page.get_by_role("alert")).to_have_text("Choose a password of at least 10 characters.")
    expect(page.get_by_label("Email")).to_have_value(OWNER["email"])

    # The first account ever: lands in the shell (on the dashboard it was heading for).
    fill_signup(page, OWNER)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(heading(page, "Dashboard")).to_be_visible()
    expect(page.get_by_text(OWNER["name"], exact=True)).to_be_visible()
    for label in (*NAV, "Admin"):
        expect(nav(page).get_by_role("link", name=label, exact=True)).to_be_visible()
    screenshot(page, "dashboard")

    nav(page).get_by_role("link", name="Connections", exact=True).click()
    expect(heading(page, "Connections")).to_be_visible()
    for label in ("Instagram", "Facebook Page", "TikTok", "YouTube", "LinkedIn", "X"):
        expect(page.get_by_role("button", name=f"Connect {label}", exact=True)).to_be_visible()

    # The browser holds only an opaque token, never the password or user details.
    storage = page.evaluate("() => JSON.stringify(window.localStorage)")
    assert OWNER["password"] not in storage
    assert OWNER["email"] not in storage
    assert "socialhub_session" in storage

    page.get_by_role("button", name="Log out").click()
    expect(heading(page, "Log in")).to_be_visible()
    storage = json.loads(page.evaluate("() => JSON.stringify(window.localStorage)"))
    assert storage.get("socialhub_session", "") == ""
    # Logged out: private pages are closed again.
    page.goto(f"{live_app}/connections")
    expect(page).to_have_url(re.compile(r"/login"))

    # Wrong password and unknown e-mail get the same, generic message.
    fill_login(page, OWNER["email"], "not the password")
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")
    fill_login(page, "nobody@example.com", OWNER["password"])
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")

    # The right password goes back to the page that was asked for.
    fill_login(page, OWNER["email"], OWNER["password"])
    expect(page).to_have_url(re.compile(r"/connections/?$"))
    expect(heading(page, "Connections")).to_be_visible()

    # A reload keeps the session (the token survives in localStorage).
    page.reload()
    expect(heading(page, "Connections")).to_be_visible()
    expect(page.get_by_text(OWNER["name"], exact=True)).to_be_visible()

    # The first account is an admin.
    page.goto(f"{live_app}/admin")
    expect(heading(page, "Admin")).to_be_visible()
    expect(page.get_by_text("Admins only")).to_have_count(0)
    screenshot(page, "admin")

    # Logged-in visitors of /login go straight on.
    page.goto(f"{live_app}/login")
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))


def test_leaderboard_is_public(page: Page, live_app: str, screenshot):
    page.goto(f"{live_app}/leaderboard")
    expect(heading(page, "Leaderboard")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("link", name="Sign up")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(nav(page).get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    screenshot(page, "leaderboard")

    page.goto(live_app + "/")
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_members_see_admins_only(page: Page, live_app: str):
    # Someone else is the first account (the database is empty at the start of each test).
    page.goto(f"{live_app}/signup")
    fill_signup(page, OWNER)
    expect(heading(page, "Dashboard")).to_be_visible()
    page.evaluate("() => window.localStorage.clear()")

    page.goto(f"{live_app}/signup")
    expect(heading(page, "Create your account")).to_be_visible()
    fill_signup(page, MEMBER)
    expect(heading(page, "Dashboard")).to_be_visible()
    expect(page.get_by_text(MEMBER["name"], exact=True)).to_be_visible()
    expect(nav(page).get_by_role("link", name="Admin", exact=True)).to_have_count(0)

    page.goto(f"{live_app}/admin")
    expect(heading(page, "Admins only")).to_be_visible()
    expect(page.get_by_text("System health")).to_have_count(0)
