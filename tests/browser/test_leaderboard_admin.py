"""The leaderboard, a public profile and the admin page in a real browser (desktop and phone),
the public pages scanned for anything private (HTML and every websocket frame), and a
member calling each admin event handler straight over the websocket: refused, nothing
changes (and the same crafted message from an admin works, so the refusal is real)."""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine
from sqlmodel import Session, select

from socialhub import security
from socialhub.config import Settings
from socialhub.models import PostTarget, SyncError, User, utcnow
from socialhub.services.leaderboard import rebuild
from tests.browser.test_auth_flow import fill_login
from tests.leaderboard.seed import account, creator, post, scheduled_post

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "correct horse battery"
PHONE = {"width": 390, "height": 844}
PRIVATE_CAPTION = "SECRET launch caption not yet published"
HIDDEN_ACCOUNT = "hidden_side_account"


@contextmanager
def app_db(data_dir):
    engine = create_engine(Settings(SOCIALHUB_DATA_DIR=data_dir, DATABASE_URL=None).db_url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            yield s
            s.commit()
    finally:
        engine.dispose()


def _seed(data_dir) -> dict:
    """Admin, member, five public creators with a week of snapshots, and private things."""
    now = utcnow()
    with app_db(data_dir) as db:
        admin = creator(db, "ops_admin", public=False, admin=True, email="ops-admin@private-mail.example")
        member = creator(db, "just_member", public=False, email="member@private-mail.example")
        for u in (admin, member):
            u.password_hash = security.hash_password(PASSWORD)
        figures = {
            "maya_films": (52_000, 3100, 400),
            "leo_cooks": (48_500, 2900, 510),
            "ines_travels": (31_000, 1500, 90),
            "tom_tech": (9_800, 700, 40),
            "zoe_draws": (2_400, 260, 12),
        }
        last_week = {
            "maya_films": 0.2,
            "leo_cooks": 0.5,
            "ines_travels": 0.1,
            "tom_tech": 0.3,
            "zoe_draws": 0.05,
        }
        for i, (handle, (views, likes, shares)) in enumerate(figures.items()):
            user = creator(db, handle)
            conn = account(db, user, ("youtube", "tiktok", "instagram", "youtube", "x")[i])
            for n in range(3):
                post(
                    db,
                    conn,
                    [
                        (now - timedelta(days=15), {"views": 0}),
                        (now - timedelta(days=8), {"views": int(views * last_week[handle]) // 3}),
                        (
                            now - timedelta(hours=2),
                            {"views": views // 3 + n, "likes": likes // 3, "shares": shares // 3},
                        ),
                    ],
                    post_id=f"{handle}-{n}",
                    title=f"{handle.split('_')[1].title()} video {n + 1}",
                    published_at=now - timedelta(days=20),
                )
            hidden = account(db, user, "linkedin", public=False, username=HIDDEN_ACCOUNT)
            post(db, hidden, [(now - timedelta(days=9), 0), (now, 10**9)], post_id=f"{handle}-hidden")
            scheduled_post(db, conn, PRIVATE_CAPTION)
        target = scheduled_post(db, account(db, member, "x", public=False), "member post", status="failed")
        target.last_error = "The platform refused the text."
        db.add(
            SyncError(
                user_id=member.id,
                platform="x",
                job="sync_metrics",
                kind="rate_limited",
                message="Too Many Requests: wait 15 minutes",
            )
        )
        db.flush()
        rebuild(db)
        return {
            "admin": admin.email,
            "member": member.email,
            "member_id": member.id,
            "admin_id": admin.id,
            "target_id": target.id,
        }


def _private_strings(data_dir) -> list[str]:
    with app_db(data_dir) as db:
        users = db.exec(select(User)).all()
        return [u.email for u in users] + ["gAAAAA-secret", PRIVATE_CAPTION, HIDDEN_ACCOUNT]


def _log_in(page: Page, live_app: str, email: str, then: str) -> None:
    page.goto(f"{live_app}/login?next={then}")
    fill_login(page, email, PASSWORD)
    page.wait_for_url(re.compile(re.escape(then) + "/?$"))
    # The token reaches localStorage just after the redirect: wait for it before navigating on.
    page.wait_for_function("() => !!window.localStorage.getItem('socialhub_session')")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_public_pages_rank_and_leak_nothing(page: Page, browser, live_app, app_data_dir, screenshot):
    _seed(app_data_dir)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.goto(f"{live_app}/leaderboard")
    rows = page.get_by_test_id("leaderboard-row")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("Maya Films")
    expect(rows.nth(0)).to_contain_text("▲ 1")  # second the week before
    expect(rows.nth(2)).to_contain_text("Leo Cooks")
    expect(rows.nth(2)).to_contain_text("▼ 2")
    expect(rows.nth(0).get_by_label("gold medal, rank 1")).to_be_visible()
    expect(rows.nth(2).get_by_label("bronze medal, rank 3")).to_be_visible()
    expect(rows.nth(3).get_by_test_id("medal")).to_have_count(0)
    expect(page.get_by_test_id("leaderboard-freshness")).to_contain_text("next sync")
    screenshot(page, "leaderboard")
    html = page.content()

    page.get_by_role("combobox", name="Ranked by").click()
    page.get_by_role("option", name="Shares").click()
    expect(rows.nth(0)).to_contain_text("Leo Cooks")
    page.get_by_role("combobox", name="Platform").click()
    page.get_by_role("option", name="X", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Zoe Draws")
    html += page.content()

    page.goto(f"{live_app}/creator/maya_films")
    expect(page.get_by_role("heading", name="Maya Films")).to_be_visible()
    expect(page.get_by_text("Films video 3")).to_be_visible()
    screenshot(page, "creator-profile")
    html += page.content()
    page.goto(f"{live_app}/creator/just_member")  # not public: nothing at all
    expect(page.get_by_role("heading", name="No public creator here")).to_be_visible()
    html += page.content()

    phone = browser.new_context(viewport=PHONE)
    mobile = phone.new_page()
    mobile.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    mobile.goto(f"{live_app}/leaderboard")
    expect(mobile.get_by_test_id("leaderboard-row")).to_have_count(5)
    assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(mobile, "leaderboard-phone")
    phone.close()

    assert frames, "no websocket traffic was captured"
    everything = html + "\n".join(frames)
    for secret in _private_strings(app_data_dir):
        assert secret not in everything, secret
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", "\n".join(frames)), (
        "an e-mail address reached the browser"
    )

    # A shared link unfurls: the served HTML itself carries the title and preview image.
    served = httpx.get(f"{live_app}/leaderboard", timeout=10, follow_redirects=True).text
    assert 'property="og:image"' in served and "leaderboard-card.png" in served
    assert httpx.get(f"{live_app}/leaderboard-card.png", timeout=10).status_code == 200


def test_admin_page_sections_and_actions(page: Page, browser, live_app, app_data_dir, screenshot):
    seeded = _seed(app_data_dir)
    _log_in(page, live_app, seeded["admin"], "/admin")
    expect(page.get_by_role("heading", name="Workers and scheduler")).to_be_visible()
    expect(page.get_by_text("SQLite (embedded)")).to_be_visible()
    screenshot(page, "admin-system")

    page.get_by_role("tab", name="Sync errors").click()
    expect(page.get_by_text("Too Many Requests: wait 15 minutes")).to_be_visible()
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_text("No sync errors match.")).to_be_visible()

    page.get_by_role("tab", name="Publishing").click()
    expect(page.get_by_text("The platform refused the text.")).to_be_visible()
    screenshot(page, "admin-publishing")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Nothing needs attention")).to_be_visible()

    page.get_by_role("tab", name="Users").click()
    row = page.get_by_role("row").filter(has_text="just_member")
    row.get_by_role("button", name="Disable").click()
    expect(page.get_by_text("User disabled")).to_be_visible()
    admin_row = page.get_by_role("row").filter(has_text="ops_admin")
    admin_row.get_by_role("button", name="Remove admin").click()
    expect(page.get_by_role("alert")).to_contain_text("last admin")
    screenshot(page, "admin-users")
    with app_db(app_data_dir) as db:
        member = db.get(User, seeded["member_id"])
        assert member.is_disabled
        assert db.get(PostTarget, seeded["target_id"]).status == "cancelled"
        assert db.exec(select(SyncError)).one().resolved_at is not None

    phone = browser.new_context(viewport=PHONE)
    mobile = phone.new_page()
    token = page.evaluate("() => window.localStorage.getItem('socialhub_session')")
    mobile.goto(f"{live_app}/login")
    mobile.evaluate("t => window.localStorage.setItem('socialhub_session', t)", token)
    mobile.goto(f"{live_app}/admin")
    expect(mobile.get_by_role("heading", name="Workers and scheduler")).to_be_visible()
    screenshot(mobile, "admin-phone")
    phone.close()


# --- the websocket ---------------------------------------------------------------------------


def _state_name() -> str:
    from socialhub.state.admin import AdminState

    return AdminState.get_full_name()


def _admin_calls(seeded: dict, job_id: str) -> list[tuple[str, dict]]:
    target, member, admin = seeded["target_id"], seeded["member_id"], seeded["admin_id"]
    return [
        ("load", {}),
        ("set_tab", {"tab": "users"}),
        ("set_error_filter", {"field": "platform", "value": "x"}),
        ("set_target_status", {"value": "failed"}),
        ("search_users", {"value": "member"}),
        ("resolve_error", {"error_id": 1}),
        ("retry_error", {"error_id": 1}),
        ("target_action", {"target_id": target, "action": "cancel"}),
        ("confirm_target", {"target_id": target, "form": {"url": "https://x.com/a/status/1"}}),
        ("retry_job", {"job_id": job_id}),
        ("delete_job", {"job_id": job_id}),
        ("set_admin", {"user_id": member, "admin": True}),
        ("set_disabled", {"user_id": admin, "disabled": True}),
        ("setvar", {"var_name": "refused", "value": False}),
        ("load", {}),  # even after setting its own flag back, a member gets nothing
    ]


def _world(data_dir, redis, job_id: str):
    from rq.registry import FailedJobRegistry

    with app_db(data_dir) as db:
        users = [(u.id, u.is_admin, u.is_disabled) for u in db.exec(select(User).order_by(User.id))]
        targets = [(t.id, t.status) for t in db.exec(select(PostTarget).order_by(PostTarget.id))]
        errors = [(e.id, e.resolved_at) for e in db.exec(select(SyncError))]
    failed = job_id in FailedJobRegistry("default", connection=redis)
    return users, targets, errors, failed


def _failed_job(redis) -> str:
    from rq import Queue, SimpleWorker

    q = Queue("default", connection=redis)
    job = q.enqueue("json.loads", "left failed on purpose: not JSON")
    SimpleWorker([q], connection=redis).work(burst=True)
    return job.id


def _inject(page: Page, live_app: str, calls: list[tuple[str, dict]]) -> list[str]:
    """Open /admin with the websocket routed through the test, then send each handler's event
    as the client would, straight to the server; returns the frames the server sent back."""
    holder: dict = {}
    sent: list[str] = []
    received: list[str] = []

    def route(ws):
        server = ws.connect_to_server()
        holder["server"] = server
        ws.on_message(lambda m: (sent.append(m), server.send(m)))
        server.on_message(lambda m: (received.append(m), ws.send(m)))

    page.route_web_socket(re.compile(r"/_event"), route)
    page.goto(f"{live_app}/admin")
    # The session is known to the server (hydrated, checked) once the page shows either face.
    loaded = page.get_by_role("heading", name="Workers and scheduler").or_(
        page.get_by_role("heading", name="Admins only")
    )
    expect(loaded).to_be_visible()
    page.wait_for_load_state("networkidle")
    # Reflex 0.10 sends its first event (hydrate and load) inside the socket.io CONNECT packet
    # ("40/_event,{...}"); every later event is an EVENT packet ("42/_event,["event", {...}]").
    connect = next(m for m in sent if isinstance(m, str) and m.startswith("40/_event,"))
    router_data = json.loads(connect[len("40/_event,") :])["event"]["router_data"]
    state = _state_name()
    for name, payload in calls:
        event = {"name": f"{state}.{name}", "payload": payload, "router_data": router_data}
        holder["server"].send("42/_event," + json.dumps(["event", event]))
        page.wait_for_timeout(300)
    page.wait_for_timeout(1500)
    return received


def test_a_member_calling_admin_handlers_over_the_websocket_is_refused(
    page: Page, browser, live_app, app_data_dir, redis_url
):
    from redis import Redis

    redis = Redis.from_url(redis_url)
    seeded = _seed(app_data_dir)
    job_id = _failed_job(redis)
    before = _world(app_data_dir, redis, job_id)
    _log_in(page, live_app, seeded["member"], "/dashboard")
    frames = _inject(page, live_app, _admin_calls(seeded, job_id))
    assert any(re.search(r'"refused(_rx_state_)?":\s*true', f) for f in frames), "the handlers never answered"
    assert _world(app_data_dir, redis, job_id) == before
    for secret in (seeded["admin"], "Too Many Requests", "The platform refused"):
        assert all(secret not in f for f in frames), secret

    # The same crafted message from an admin is obeyed: the refusal above was not a bad message.
    context = browser.new_context()
    admin_page = context.new_page()
    _log_in(admin_page, live_app, seeded["admin"], "/dashboard")
    _inject(admin_page, live_app, [("set_admin", {"user_id": seeded["member_id"], "admin": True})])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _world(app_data_dir, redis, job_id)[0][1][1]:
        time.sleep(0.3)
    assert _world(app_data_dir, redis, job_id)[0][1] == (seeded["member_id"], True, False)
    context.close()


def test_opting_in_on_settings_with_a_preview_then_out(page: Page, live_app, app_data_dir, screenshot):
    now = utcnow()
    with app_db(app_data_dir) as db:
        me = creator(db, "new_creator", public=False, email="new@private-mail.example")
        me.password_hash = security.hash_password(PASSWORD)
        shown = account(db, me, "youtube", public=False, username="my_channel")
        account(db, me, "x", public=False, username="my_private_x")
        post(db, shown, [(now - timedelta(days=3), 0), (now - timedelta(hours=1), 777)], post_id="v")
    _log_in(page, live_app, "new@private-mail.example", "/settings")
    expect(page.get_by_text("Nothing: you are private (the default).")).to_be_visible()
    page.get_by_role("switch", name="Show me on the public leaderboard").click()
    page.get_by_role("checkbox", name="X: my_private_x").click()  # keep this one private
    preview = page.get_by_text("These accounts, with their avatars").locator("..")
    expect(preview).to_contain_text("YouTube: my_channel")
    expect(preview).not_to_contain_text("my_private_x")
    screenshot(page, "settings-leaderboard")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("You are on the leaderboard")).to_be_visible()

    with app_db(app_data_dir) as db:
        rebuild(db)
    page.goto(f"{live_app}/leaderboard")
    expect(page.get_by_test_id("leaderboard-row")).to_have_count(1)
    expect(page.get_by_test_id("leaderboard-row")).to_contain_text("777")
    page.goto(f"{live_app}/creator/new_creator")
    expect(page.get_by_text("YouTube: my_channel")).to_be_visible()
    assert "my_private_x" not in page.content()

    page.goto(f"{live_app}/settings")
    page.get_by_role("switch", name="Show me on the public leaderboard").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("You are private now.")).to_be_visible()
    page.goto(f"{live_app}/leaderboard")  # gone at once, before any refresh
    expect(page.get_by_text("No one ranked here yet")).to_be_visible()
