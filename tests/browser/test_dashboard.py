"""The dashboard in a real browser, over a history made by the real sync against the sandbox:
a creator signs up and connects two accounts in the browser; the test seeds posts in the
sandbox and runs the real metric sync seven times, a day apart (the sandbox's clock moves a
day between syncs). Then: the empty states, headline numbers, period and filter switches
kept in the URL (and through a reload), ignored URL values, the top-posts CSV equal to the
table shown, a chart's PNG made in the browser under the app's CSP, a post's own page, the
phone width, and the screenshots for the README."""

from __future__ import annotations

import csv
import io
import os
import re
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from socialhub.config import PLATFORM_LABELS
from tests.browser.test_auth_flow import fill_signup
from tests.browser.test_connections_flow import _connect

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PERSON = {"name": "Grace Hopper", "email": "grace@example.com", "password": "nanoseconds 1906"}
PHONE = {"width": 390, "height": 844}
PLATFORMS = ("youtube", "instagram")
DAYS = 7


@contextmanager
def app_services(monkeypatch, data_dir, sandbox_url: str, redis_url: str):
    """Run SocialHub's own services here, on the live app's database, key file and sandbox."""
    from tests.conftest import _reset_caches

    with monkeypatch.context() as m:
        m.delenv("DATABASE_URL", raising=False)
        m.setenv("SOCIALHUB_DATA_DIR", str(data_dir))
        m.setenv("SOCIALHUB_SANDBOX_URL", sandbox_url)
        m.setenv("REDIS_URL", redis_url)
        _reset_caches()
        try:
            yield
        finally:
            _reset_caches()
    _reset_caches()


def _seed_history(app_sandbox) -> dict:
    """Sandbox posts on every connection, tracked, then one real sync a day for DAYS days."""
    from sqlmodel import select

    from socialhub.db import session_scope
    from socialhub.models import Connection, MetricSnapshot, TrackedPost, User, utcnow
    from socialhub.services import sync_runs, tracking
    from socialhub.services.dashboard_rollups import rebuild_rollups

    with session_scope() as s:
        user = s.exec(select(User)).one()
        conns = [(c.id, c.platform, c.account_id) for c in s.exec(select(Connection)).all()]
    for _cid, platform, account_id in conns:
        body = {"platform": platform, "account_id": account_id, "count": 8, "days": 20}
        app_sandbox.control.post("/seed_posts", json=body).raise_for_status()
    for cid, _platform, _account in conns:
        tracking.import_recent(user_id=user.id, connection_id=cid)
    now = utcnow()
    for k in range(DAYS - 1, -1, -1):
        run_id, ids = sync_runs.start_run(trigger="manual", user_id=user.id)
        sync_runs.run_connections(run_id, ids, now=now - timedelta(days=k, minutes=5))
        if k:
            app_sandbox.advance(86400)
    # The sandbox's clock now runs DAYS-1 days ahead of the times the syncs were given, and
    # publish dates come from it: put them on the syncs' clock, then rebuild the rollups the
    # sync kept (the same code the benchmark uses), so no post looks published after its
    # first snapshot.
    with session_scope() as s:
        for post in s.exec(select(TrackedPost)).all():
            if post.published_at is not None:
                post.published_at -= timedelta(days=DAYS - 1)
                s.add(post)
        s.flush()
        for cid, _platform, _account in conns:
            rebuild_rollups(s, cid)
        snapshots = len(s.exec(select(MetricSnapshot)).all())
    assert snapshots >= DAYS * 16, snapshots
    return {"user_id": user.id, "connections": conns}


def _needs_reconnect(platform: str) -> None:
    from sqlmodel import select

    from socialhub.db import session_scope
    from socialhub.models import Connection

    with session_scope() as s:
        conn = s.exec(select(Connection).where(Connection.platform == platform)).one()
        conn.status = "revoked"
        s.add(conn)


def _headline(page: Page, key: str) -> int:
    text = page.get_by_test_id(f"headline-{key}").inner_text()
    return int(text.replace(",", ""))


def _choose(page: Page, name: str, option: str) -> None:
    page.get_by_role("combobox", name=name).click()
    page.get_by_role("option", name=option, exact=True).click()


def _table_rows(page: Page) -> list[list[str]]:
    rows = page.get_by_test_id("top-post-row")
    out = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        title = rows.nth(i).get_by_test_id("top-post-title").inner_text()
        out.append([title, *[cells.nth(j).inner_text() for j in range(cells.count() - 1)]])
    return out


def test_dashboard_over_a_synced_history(
    page: Page, browser, live_app, app_data_dir, app_sandbox, redis_url, monkeypatch, screenshot
):
    page.goto(f"{live_app}/signup")
    fill_signup(page, PERSON)
    page.wait_for_url(re.compile(r"/dashboard"))
    expect(page.get_by_role("heading", name="Connect an account")).to_be_visible()
    page.get_by_role("link", name="Connect an account").click()
    page.wait_for_url(re.compile(r"/connections$"))
    for platform in PLATFORMS:
        _connect(page, PLATFORM_LABELS[platform])

    page.goto(f"{live_app}/dashboard")
    expect(page.get_by_role("heading", name="Waiting for the first sync")).to_be_visible()
    expect(page.get_by_test_id("dashboard-empty")).to_contain_text(
        re.compile(r"First sync runs at \d\d:\d\d")
    )
    expect(page.get_by_role("button", name="Sync now")).to_be_visible()

    with app_services(monkeypatch, app_data_dir, app_sandbox.url, redis_url):
        seeded = _seed_history(app_sandbox)

    # Default view: the last 30 days, every platform.
    page.goto(f"{live_app}/dashboard")
    expect(page.get_by_test_id("headline-card")).to_have_count(4)
    views_30 = _headline(page, "views")
    assert views_30 > 0
    assert _headline(page, "posts_published") > 0
    expect(page.get_by_test_id("top-post-row").first).to_be_visible()
    expect(page.locator("#views-chart .main-svg").first).to_be_visible()
    expect(page.get_by_text("(likes + comments + shares + saves) / views")).to_be_visible()
    screenshot(page, "dashboard")
    if os.environ.get("SOCIALHUB_FULL_SCREENSHOTS"):  # the whole page, to look at while working on it
        page.screenshot(path=os.environ["SOCIALHUB_FULL_SCREENSHOTS"] + "/dashboard-full.png", full_page=True)

    if os.environ.get("SOCIALHUB_FULL_SCREENSHOTS"):  # the charts' dark template (no toggle in the app yet)
        page.evaluate("localStorage.setItem('theme', 'dark')")
        page.reload()
        expect(page.locator("#views-chart .main-svg").first).to_be_visible()
        page.wait_for_timeout(800)
        page.screenshot(path=os.environ["SOCIALHUB_FULL_SCREENSHOTS"] + "/dashboard-dark.png", full_page=True)
        page.evaluate("localStorage.setItem('theme', 'light')")
        page.reload()
        expect(page.get_by_test_id("headline-card")).to_have_count(4)

    # Period: 7 days. The URL follows, the numbers change.
    page.get_by_role("radio", name="7 days").click()
    page.wait_for_url(re.compile(r"period=7d"))
    expect(page.get_by_test_id("headline-views")).not_to_have_text(f"{views_30:,}")
    views_7 = _headline(page, "views")
    assert 0 < views_7 < views_30

    # Two changes in a row: the first one's answer must not end up on screen.
    page.get_by_role("radio", name="A year").click()
    page.get_by_role("radio", name="7 days").click()
    page.wait_for_url(re.compile(r"period=7d"))
    page.wait_for_timeout(1500)  # both loads are done by now
    expect(page.get_by_test_id("headline-views")).to_have_text(f"{views_7:,}")

    # A custom period: the last 7 days by their dates give the same whole days' numbers.
    page.get_by_role("radio", name="Custom").click()
    today = page.evaluate("new Date().toISOString().slice(0, 10)")
    first = page.evaluate("new Date(Date.now() - 6 * 86400000).toISOString().slice(0, 10)")
    page.get_by_label("Start date", exact=True).fill(first)
    page.get_by_label("End date", exact=True).fill(today)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(rf"period=custom&from={first}&to={today}"))
    expect(page.get_by_text(re.compile(r"compared with the previous 7 days"))).to_be_visible()
    custom_7 = _headline(page, "views")
    assert custom_7 >= views_7  # the same days, through the end of today
    page.get_by_role("radio", name="7 days").click()
    page.wait_for_url(re.compile(r"period=7d$"))
    expect(page.get_by_test_id("headline-views")).to_have_text(f"{views_7:,}")

    # Platform: YouTube only; then one account.
    _choose(page, "Platform", "YouTube")
    page.wait_for_url(re.compile(r"period=7d&platform=youtube"))
    expect(page.get_by_test_id("headline-views")).not_to_have_text(f"{views_7:,}")
    youtube_7 = _headline(page, "views")
    assert 0 < youtube_7 < views_7
    rows = _table_rows(page)
    assert rows and all("YouTube" in t for t in page.get_by_test_id("top-post-row").all_inner_texts())

    youtube_cid = next(cid for cid, platform, _ in seeded["connections"] if platform == "youtube")
    page.get_by_role("combobox", name="Account").click()
    page.get_by_role("option").filter(has_text="YouTube").first.click()
    page.wait_for_url(re.compile(rf"account={youtube_cid}"))
    expect(page.get_by_test_id("headline-views")).to_have_text(f"{youtube_7:,}")  # its only account

    # A reload keeps the view.
    page.reload()
    expect(page.get_by_test_id("headline-views")).to_have_text(f"{youtube_7:,}")
    expect(page.get_by_role("combobox", name="Platform")).to_contain_text("YouTube")
    assert "period=7d" in page.url and f"account={youtube_cid}" in page.url

    # Sorting the table by likes: the URL keeps it, the rows follow.
    page.get_by_role("button", name="Sort by likes").click()
    page.wait_for_url(re.compile(r"sort=likes"))
    expect(page.locator('th[aria-sort="descending"]')).to_have_text("Likes ↓")

    # The top-posts CSV is the table shown: same rows, same order, same numbers.
    shown = _table_rows(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download Top posts as CSV").click()
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8")
    got = list(csv.reader(io.StringIO(text)))
    assert got[0][:5] == ["title", "platform", "account", "published", "views"]
    assert len(got) - 1 == len(shown)
    for line, row in zip(got[1:], shown, strict=True):
        assert line[0] == row[0]
        assert [f"{int(v):,}" for v in line[4:12]] == row[1:9], (line, row)

    # A chart's PNG, drawn in the browser under the app's CSP.
    page.get_by_test_id("views-chart-card").hover()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download Views over time as PNG").click()
    png = Path(info.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert info.value.suggested_filename.endswith(".png")

    # A post's own page: its curve since publishing, one row per sync.
    title = shown[0][0]
    page.get_by_test_id("top-post-title").first.click()
    page.wait_for_url(re.compile(r"/dashboard/post/\d+$"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_test_id("snapshot-row")).to_have_count(DAYS)
    expect(page.locator("#post-chart .main-svg").first).to_be_visible()
    screenshot(page, "dashboard-post")
    page.get_by_role("link", name="Back to the dashboard").click()
    page.wait_for_url(re.compile(r"/dashboard\?period=7d"))

    # Ignored URL values are named; another user's (or an unknown) account is not shown.
    page.goto(f"{live_app}/dashboard?period=fortnight&account=999999&platform=myspace")
    notes = page.get_by_test_id("dashboard-notes")
    expect(notes).to_contain_text("Period “fortnight”")
    expect(notes).to_contain_text("Platform “myspace”")
    expect(notes).to_contain_text("not one of yours")
    expect(page.get_by_test_id("headline-views")).to_have_text(f"{views_30:,}")

    # A connection that needs a new login is named, with the way to fix it.
    with app_services(monkeypatch, app_data_dir, app_sandbox.url, redis_url):
        _needs_reconnect("instagram")
    page.goto(f"{live_app}/dashboard")
    alert = page.get_by_role("alert").filter(has_text="reconnect to resume")
    expect(alert).to_contain_text("Instagram")
    expect(alert.get_by_role("link", name="Reconnect")).to_have_attribute("href", "/connections")
    expect(page.get_by_test_id("headline-card")).to_have_count(4)  # the numbers stay

    phone = browser.new_context(viewport=PHONE)
    mobile = phone.new_page()
    mobile.goto(f"{live_app}/login?next=/dashboard")
    mobile.get_by_label("Email").fill(PERSON["email"])
    mobile.get_by_label("Password").fill(PERSON["password"])
    mobile.get_by_role("button", name="Log in", exact=True).click()
    mobile.wait_for_url(re.compile(r"/dashboard"))
    expect(mobile.get_by_test_id("headline-card")).to_have_count(4)
    expect(mobile.locator("#views-chart .main-svg").first).to_be_visible()
    assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(mobile, "dashboard-phone")
    if os.environ.get("SOCIALHUB_FULL_SCREENSHOTS"):
        mobile.screenshot(
            path=os.environ["SOCIALHUB_FULL_SCREENSHOTS"] + "/dashboard-phone-full.png", full_page=True
        )
    phone.close()
