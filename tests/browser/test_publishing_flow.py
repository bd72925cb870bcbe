"""A creator's publishing day in a real browser: upload a video and an image, schedule the
video to TikTok and YouTube and the image to Instagram, move the clocks and watch all three
turn published on the calendar with their links, then reschedule by drag and drop and cancel.

The live app runs no worker: the test runs the real engine in-process against the app's own
database and data directory (the sandbox fetches media from the app's /media route)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlmodel import select

from tests.browser.test_connections_flow import _connect, _signed_up
from tests.pages.conftest import make_image, make_video

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def app_engine_env(app_data_dir, app_sandbox, live_app, monkeypatch):
    """Settings of this process pointed at the live app's data directory and sandbox."""
    from socialhub.config import reset_settings_cache

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SOCIALHUB_DATA_DIR", str(app_data_dir))
    monkeypatch.setenv("SOCIALHUB_SANDBOX_URL", app_sandbox.url)
    monkeypatch.setenv("SOCIALHUB_PUBLIC_URL", live_app)
    reset_settings_cache()
    yield
    reset_settings_cache()


def _settle_all(sandbox) -> dict[int, str]:
    """Move both clocks and run the engine on every target until none is waiting."""
    from socialhub.db import session_scope
    from socialhub.models import PostTarget, utcnow
    from socialhub.models import TargetStatus as S
    from socialhub.services import engine

    for _ in range(25):
        with session_scope() as s:
            s.exec(
                update(PostTarget)
                .where(PostTarget.status.in_(["scheduled", "retrying", "publishing"]))
                .values(due_at=utcnow() - timedelta(seconds=1))
            )
            waiting = s.exec(
                select(PostTarget.id).where(PostTarget.status.in_(["scheduled", "retrying", "publishing"]))
            ).all()
        if not waiting:
            break
        for tid in waiting:
            engine.run_target(tid)
        sandbox.advance(120)
    with session_scope() as s:
        return {t.id: S(t.status).value for t in s.exec(select(PostTarget)).all()}


def tall(page: Page, screenshot, name: str, height: int = 1000) -> None:
    """A taller window for pages whose point is below the fold (the shell's sidebar is 100vh)."""
    page.set_viewport_size({"width": 1280, "height": height})
    screenshot(page, name)
    page.set_viewport_size({"width": 1280, "height": 800})


def _tiktok_audience() -> str | None:
    from socialhub.db import session_scope
    from socialhub.models import Connection

    with session_scope() as s:
        return (
            s.exec(select(Connection).where(Connection.platform == "tiktok")).one().extra.get("privacy_level")
        )


def _choose(dialog, name: str) -> None:
    dialog.get_by_role("group", name=name).get_by_role("checkbox").first.click()


def test_upload_schedule_publish_reschedule_cancel(
    page: Page, live_app, app_sandbox, app_engine_env, tmp_path, screenshot
):
    _signed_up(page, live_app)
    for label in ("TikTok", "YouTube", "Instagram"):
        _connect(page, label)

    # --- Library: upload a video and an image at once, plus a file that lies about its type.
    video = make_video(tmp_path / "city-walk.mp4", size=(720, 1280), seconds=6)
    photo = make_image(tmp_path / "harbour.jpg", size=(1080, 1350))
    liar = tmp_path / "not-a-photo.jpg"
    liar.write_bytes(b"\xff\xd8\xff\xe0" + b"definitely not a jpeg " * 50)
    page.goto(f"{live_app}/library")
    expect(page.get_by_role("heading", name="Library", exact=True)).to_be_visible()
    page.locator("#library_upload input[type=file]").set_input_files([str(video), str(photo), str(liar)])
    chosen = page.get_by_test_id("selected-file")
    expect(chosen).to_have_count(3)
    # A slow line (CDP throttling) so the per-file bars can be seen filling one after the other.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 60 * 1024},
    )
    page.get_by_role("button", name=re.compile(r"^Upload 3 file")).click()
    page.wait_for_function(
        "() => { const bars = [...document.querySelectorAll('[data-testid=selected-file] [role=progressbar]')];"
        " const v = (b) => Number(b.getAttribute('aria-valuenow') ?? b.getAttribute('data-value') ?? 0);"
        " return bars.length === 3 && v(bars[0]) > 0 && v(bars[2]) === 0; }",
        timeout=10_000,
    )
    from tests.browser.conftest import SCREENSHOTS

    page.screenshot(path=str(SCREENSHOTS / "library-uploading.png"))  # now, mid-upload (no idle wait)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    rows = page.get_by_test_id("upload-row")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="city-walk.mp4")).to_contain_text("Checked and added", timeout=60_000)
    expect(rows.filter(has_text="harbour.jpg")).to_contain_text("Checked and added", timeout=60_000)
    expect(rows.filter(has_text="not-a-photo.jpg")).to_contain_text("cannot be read")
    cards = page.get_by_role("article")
    expect(cards).to_have_count(2)
    expect(page.get_by_role("article", name="city-walk")).to_contain_text("0:06 · 720×1280")
    # Edit an item: caption and tags (searchable right away).
    page.get_by_role("button", name="Edit harbour").click()
    edit = page.get_by_role("dialog")
    edit.get_by_label("Caption").fill("Boats coming home at dusk")
    edit.get_by_label("Tags").fill("#Harbour, sunset")
    edit.get_by_role("button", name="Save").click()
    expect(page.get_by_role("article", name="harbour")).to_contain_text("#harbour")
    page.get_by_label("Search").fill("sunset")
    expect(cards).to_have_count(1)
    page.get_by_label("Search").fill("")
    expect(cards).to_have_count(2)
    tall(page, screenshot, "library")

    # --- Schedule the video to TikTok and YouTube; first see the problems listed at once.
    page.get_by_role("button", name="Publish city-walk").click()
    page.get_by_role("menuitem", name="Schedule…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Schedule: city-walk")
    _choose(dialog, "TikTok")
    _choose(dialog, "YouTube")
    dialog.get_by_label("Caption", exact=True).fill("")
    problems = dialog.get_by_role("alert", name="Problems")
    expect(problems).to_contain_text("YouTube needs a caption")
    expect(dialog.get_by_role("button", name="Schedule", exact=True)).to_be_disabled()
    dialog.get_by_label("Caption", exact=True).fill("Walking the old town " + "#walk " * 101)
    expect(problems).to_contain_text("TikTok allows at most 100 hashtags; this caption has 101.")
    expect(page.get_by_role("figure", name="TikTok preview")).to_be_visible()
    screenshot(page, "schedule-dialog-errors")
    expect(problems).to_contain_text("choose who can see the video")
    dialog.get_by_label("Caption", exact=True).fill("Walking the old town at dawn #citywalk")
    dialog.get_by_role("combobox", name=re.compile("TikTok .* audience")).click()
    page.get_by_role("option", name="Followers").click()
    expect(problems).to_have_count(0)
    expect(dialog).to_contain_text("SocialHub publishes at that time")
    screenshot(page, "schedule-dialog")
    dialog.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Scheduled for")).to_be_visible()
    expect(page.get_by_role("article", name="city-walk")).to_contain_text("Scheduled")
    assert _tiktok_audience() == "FOLLOWER_OF_CREATOR"  # where the TikTok publisher reads it

    # --- The image to Instagram.
    page.get_by_role("button", name="Publish harbour").click()
    page.get_by_role("menuitem", name="Schedule…").click()
    dialog = page.get_by_role("dialog")
    _choose(dialog, "Instagram")
    expect(page.get_by_role("figure", name="Instagram preview")).to_be_visible()
    dialog.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.get_by_role("article", name="harbour")).to_contain_text("Scheduled")

    # A scheduled item cannot be deleted; the page says why.
    page.get_by_role("button", name="Delete harbour").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Cancel them on the Calendar first")
    page.get_by_role("button", name="Keep it").click()

    # --- Calendar: open it, then move the clocks; statuses change without a reload.
    page.goto(f"{live_app}/calendar")
    chips = page.locator("[data-status]")
    expect(chips).to_have_count(3)
    expect(page.locator("[data-status=scheduled]")).to_have_count(3)
    statuses = _settle_all(app_sandbox)
    assert sorted(statuses.values()) == ["published"] * 3
    expect(page.locator("[data-status=published]")).to_have_count(3, timeout=15_000)
    screenshot(page, "calendar-month")
    page.get_by_role("link", name="Library").click()
    expect(page.get_by_role("article", name="harbour").get_by_role("link")).to_have_count(1)  # to the post
    tall(page, screenshot, "library-published")
    page.goto(f"{live_app}/calendar")
    page.locator("[data-status=published]").first.click()
    detail = page.get_by_role("dialog")
    expect(detail.get_by_role("link", name="View post")).to_have_count(2)
    expect(detail).to_contain_text("published")
    expect(detail).to_contain_text("It is published; it can no longer be moved")
    detail.get_by_role("button", name="Close").click()

    # --- Schedule the video again to TikTok, then drag it to another day in the week view.
    page.goto(f"{live_app}/library")
    page.get_by_role("button", name="Publish city-walk").click()
    page.get_by_role("menuitem", name="Schedule…").click()
    dialog = page.get_by_role("dialog")
    _choose(dialog, "TikTok")
    _choose(dialog, "YouTube")
    dialog.get_by_label("Caption", exact=True).fill("Old town, second take")
    dialog.get_by_role("combobox", name=re.compile("TikTok .* audience")).click()
    page.get_by_role("option", name="Only me").click()
    dialog.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Scheduled for")).to_be_visible()
    page.goto(f"{live_app}/calendar")
    page.get_by_role("radio", name="Week").click()
    expect(page.get_by_role("grid", name="Week")).to_be_visible()
    moving = page.locator("[data-status=scheduled]").first
    expect(moving).to_be_visible()
    start_cell = moving.locator("xpath=ancestor::div[@data-day][1]").get_attribute("data-day")
    day, hour = start_cell.split("T")
    new_hour = f"{(int(hour) + 2) % 24:02d}" if int(hour) < 21 else f"{int(hour) - 3:02d}"
    moving.drag_to(page.locator(f"[data-day='{day}T{new_hour}']"))
    expect(page.get_by_role("status").filter(has_text=f"Moved to {day} {new_hour}:")).to_be_visible()
    expect(page.locator(f"[data-day='{day}T{new_hour}'] [data-status=scheduled]")).to_have_count(1)
    screenshot(page, "calendar-week")

    # --- Cancel the other one from its detail.
    page.locator(f"[data-day='{day}T{hour}'] [data-status=scheduled]").first.click()
    detail = page.get_by_role("dialog")
    detail.get_by_role("button", name="Cancel this post").click()
    expect(detail.get_by_role("status")).to_contain_text("Cancelled.")
    expect(detail.get_by_text("Cancel this post")).to_have_count(0)  # nothing left to cancel
    detail.get_by_role("button", name="Close").click()
    expect(page.locator("[data-status=scheduled]")).to_have_count(1)
    assert re.search(r"/calendar/?$", page.url)

    # The Library follows too: the moved post goes out while the page is open.
    page.get_by_role("link", name="Library", exact=True).click()
    card = page.get_by_role("article", name="city-walk")
    expect(card.get_by_text("Scheduled", exact=True)).to_have_count(1)
    assert sorted(_settle_all(app_sandbox).values()).count("published") == 4
    expect(card.get_by_text("Published", exact=True)).to_have_count(3, timeout=15_000)


def test_time_zone_comes_from_the_browser_and_times_are_stored_in_utc(
    browser, live_app, app_engine_env, tmp_path
):
    from datetime import UTC, datetime

    from socialhub.db import session_scope
    from socialhub.models import Post, User
    from tests.browser.conftest import VIEWPORT

    context = browser.new_context(viewport=VIEWPORT, timezone_id="Asia/Tokyo")
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        _signed_up(page, live_app)
        _connect(page, "X")
        page.goto(f"{live_app}/library")
        page.locator("#library_upload input[type=file]").set_input_files(
            [str(make_image(tmp_path / "fuji.jpg"))]
        )
        page.get_by_role("button", name=re.compile(r"^Upload 1 file")).click()
        expect(page.get_by_role("article", name="fuji")).to_be_visible(timeout=60_000)
        page.get_by_role("button", name="Publish fuji").click()
        page.get_by_role("menuitem", name="Schedule…").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_label("Time zone")).to_have_value("Asia/Tokyo")  # taken from the browser
        _choose(dialog, "X")
        dialog.get_by_label("Caption", exact=True).fill("Fuji at sunrise")
        dialog.get_by_label("Date").fill("2031-06-01")
        dialog.get_by_label("Time", exact=True).fill("09:30")
        expect(dialog).to_contain_text("X: SocialHub publishes at that time")
        dialog.get_by_role("button", name="Schedule", exact=True).click()
        expect(
            page.get_by_role("status").filter(has_text="Scheduled for 2031-06-01 09:30 (Asia/Tokyo)")
        ).to_be_visible()
        with session_scope() as s:
            post = s.exec(select(Post)).one()
            user = s.exec(select(User)).one()
            assert post.scheduled_for == datetime(2031, 6, 1, 0, 30, tzinfo=UTC)
            assert (post.timezone, user.timezone) == ("Asia/Tokyo", "Asia/Tokyo")
    finally:
        context.close()
