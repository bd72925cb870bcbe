"""Issue 12 in the real app (`reflex run --env prod`, Chromium): the login throttle through
the UI, no session token on disk, security headers and CORS on the real responses, a CSP
that the app runs under without a single violation, `next=` tricks, oversized fields."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_auth_flow import fill_login, fill_signup, heading

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LINUS = {"name": "Linus Pauling", "email": "linus@example.com", "password": "vitamin c 1954 nobel"}
MARIE = {"name": "Marie Curie", "email": "marie@example.com", "password": "polonium radium 1898"}
NIELS = {"name": "Niels Bohr", "email": "niels@example.com", "password": "complementarity 1927"}
EVIL = "https://evil.example"


def csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def sign_up_fresh(page: Page, live_app: str, person: dict) -> None:
    page.goto(f"{live_app}/signup")
    expect(heading(page, "Create your account")).to_be_visible()
    fill_signup(page, person)
    expect(heading(page, "Dashboard")).to_be_visible()


def test_login_throttle_in_the_real_ui(page: Page, live_app: str):
    """Seven wrong passwords, then the right one: the report saw seven "Incorrect" and a login."""
    sign_up_fresh(page, live_app, LINUS)
    page.get_by_role("button", name="Log out").click()
    expect(heading(page, "Log in")).to_be_visible()
    alert = page.get_by_role("alert")
    for attempt in range(7):
        fill_login(page, LINUS["email"], f"wrong password {attempt}")
        if attempt < 5:
            expect(alert).to_have_text("Incorrect email or password.")
        else:
            expect(alert).to_have_text(
                re.compile(r"^Too many failed attempts\. Try again in \d+ minutes?\.$")
            )
        page.wait_for_function("() => !document.querySelector('button[type=submit]').disabled")
    fill_login(page, LINUS["email"], LINUS["password"])
    expect(alert).to_have_text(re.compile(r"^Too many failed attempts\. Try again in \d+ minutes?\.$"))
    expect(heading(page, "Log in")).to_be_visible()
    assert page.evaluate("() => window.localStorage.getItem('socialhub_session') || ''") == ""


def test_no_session_token_on_disk(page: Page, live_app: str, app_data_dir: Path):
    sign_up_fresh(page, live_app, MARIE)
    page.reload()  # a revalidated (304) page must still run under its CSP
    expect(heading(page, "Dashboard")).to_be_visible()
    expect(page.get_by_text(MARIE["name"], exact=True)).to_be_visible()
    token = json.loads(page.evaluate("() => JSON.stringify(window.localStorage)"))["socialhub_session"]
    assert len(token) > 20
    holders = [p for p in app_data_dir.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]
    assert holders == [], f"session token in plain text on disk: {holders}"
    states = app_data_dir / ".states"
    assert not states.exists() or list(states.iterdir()) == []


def test_security_headers_and_cors_on_real_responses(live_app: str):
    for path in ("/", "/login", "/signup", "/leaderboard"):
        response = httpx.get(live_app + path, follow_redirects=True)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        script_src = re.search(r"script-src ([^;]*)", csp).group(1)
        assert "'unsafe-inline'" not in script_src
        assert "'sha256-" in script_src  # the page's own inline scripts, by hash
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"

    evil = httpx.get(live_app + "/ping", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in evil.headers
    preflight = httpx.options(
        live_app + "/ping", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.headers.get("access-control-allow-origin") != EVIL
    own = httpx.get(live_app + "/ping", headers={"Origin": live_app})
    assert own.headers["access-control-allow-origin"] == live_app


def _websocket_handshake_status(live_app: str, origin: str) -> int:
    parts = urlsplit(live_app)
    request = (
        "GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request.encode())
        status_line = sock.recv(1024).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_websocket_refuses_other_origins(live_app: str):
    assert _websocket_handshake_status(live_app, EVIL) in (400, 403)
    assert _websocket_handshake_status(live_app, live_app) == 101


def test_the_app_runs_under_its_csp_without_violations(page: Page, live_app: str):
    violations = csp_violations(page)
    # Sign-up: the websocket (connect-src) and the welcome toast (eval'd from the backend).
    sign_up_fresh(page, live_app, NIELS)
    expect(page.get_by_text(f"Welcome to SocialHub, {NIELS['name']}!")).to_be_visible()
    for route, title in (
        ("/connections", "Connections"),
        ("/library", "Library"),
        ("/leaderboard", "Leaderboard"),
    ):
        page.goto(live_app + route)
        expect(heading(page, title)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert violations == []


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%5C/evil.example", "%2F%2Fevil.example"])
def test_next_cannot_leave_the_app(page: Page, live_app: str, target: str):
    sign_up_fresh(page, live_app, MARIE)  # each test starts from an empty database
    page.get_by_role("button", name="Log out").click()
    expect(heading(page, "Log in")).to_be_visible()
    page.goto(f"{live_app}/login?next={target}")
    expect(heading(page, "Log in")).to_be_visible()
    fill_login(page, MARIE["email"], MARIE["password"])
    expect(page).to_have_url(re.compile(re.escape(live_app) + r"/dashboard/?$"))
    expect(heading(page, "Dashboard")).to_be_visible()


def test_oversized_fields_are_capped_and_answered(page: Page, live_app: str):
    """A 1 MB display name dropped the websocket with no message."""
    page.goto(f"{live_app}/signup")
    expect(heading(page, "Create your account")).to_be_visible()
    page.get_by_label("Display name").fill("x" * 1_000_000)
    assert len(page.get_by_label("Display name").input_value()) == 120
    page.get_by_label("Email").fill("big@example.com")
    page.get_by_label("Password").fill("too short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_text("Choose a password of at least 10 characters.")
