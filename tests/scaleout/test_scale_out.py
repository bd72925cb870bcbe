"""The README's "Scale out" section, followed for real: one `socialhub build`, two
`socialhub web` on two ports behind a proxy (the public URL), two workers, two schedulers
and the sandbox, each started on its own with a data directory of its own, all configured
by one `.env` (web A takes everything from it; web B only overrides its port). PostgreSQL
and the machine's Redis are shared.

One scenario, in order: a sign-up through web A is a session on web B; a platform connected
through B shows on A; periodic jobs are registered once; jobs run once each, spread over
both workers; a post is published exactly once while a worker and a scheduler are
SIGKILLed; restarting web B does not rebuild and web A serves throughout."""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis as redis_lib
from cryptography.fernet import Fernet
from playwright.sync_api import expect
from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import Connection, Heartbeat, JobRun, PostEvent, PostTarget, User, utcnow
from socialhub.models import TargetStatus as S
from tests.scaleout.cluster import ROOT, Poller, Proc, TcpProxy, wait_http, wait_until
from tests.scaleout.conftest import CHROMIUM
from tests.servers import free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PERSON = {"name": "Mary Jackson", "email": "mary@example.com", "password": "wind tunnel 1958 ok"}
# What each process must not take from the test's own environment: the `.env` says it.
FROM_ENV_FILE = (
    "DATABASE_URL",
    "REDIS_URL",
    "REFLEX_REDIS_URL",
    "SOCIALHUB_ENV",
    "SOCIALHUB_PUBLIC_URL",
    "SOCIALHUB_HOST",
    "SOCIALHUB_PORT",
    "SOCIALHUB_ENCRYPTION_KEYS",
    "SOCIALHUB_SANDBOX_URL",
    "SOCIALHUB_SANDBOX_PORT",
    "SOCIALHUB_SANDBOX_ADMIN_TOKEN",
    "SOCIALHUB_SANDBOX_DB",
    "SOCIALHUB_WEB_WORKERS",
    "SOCIALHUB_DATA_DIR",
)


def _other_redis_db(url: str) -> str:
    """Reflex's state store: the same Redis server, the next database number."""
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db + 1) % 16}"))


def _build_files() -> dict[str, int]:
    web = ROOT / ".web"
    return {
        str(p.relative_to(web)): p.stat().st_mtime_ns
        for p in [web / "socialhub-build.stamp", *(web / "build" / "client").rglob("*")]
        if p.is_file()
    }


def _fill_signup(page) -> None:
    page.get_by_label("Display name").fill(PERSON["name"])
    page.get_by_label("Email").fill(PERSON["email"])
    page.get_by_label("Password").fill(PERSON["password"])
    page.get_by_role("button", name="Create account").click()


def test_scale_out_as_the_readme_says(scale_out_ready, db, redis, tmp_path):  # noqa: PLR0915
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    reflex_redis_url = _other_redis_db(os.environ["REDIS_URL"])
    reflex_redis = redis_lib.Redis.from_url(reflex_redis_url)
    reflex_redis.flushdb()
    proxy = TcpProxy()
    port_a, port_b, sandbox_port = free_port(), free_port(), free_port()
    token = "scale-out-sandbox-admin"
    env_file = tmp_path / "socialhub.env"
    env_file.write_text(
        "\n".join(
            [
                f"SOCIALHUB_PUBLIC_URL={proxy.url}",
                "SOCIALHUB_HOST=127.0.0.1",
                f"SOCIALHUB_PORT={port_a}",
                "SOCIALHUB_WEB_WORKERS=1",
                f"DATABASE_URL={os.environ['DATABASE_URL']}",
                f"REDIS_URL={os.environ['REDIS_URL']}",
                f"REFLEX_REDIS_URL={reflex_redis_url}",
                f"SOCIALHUB_ENCRYPTION_KEYS={Fernet.generate_key().decode()}",
                f"SOCIALHUB_SANDBOX_URL=http://127.0.0.1:{sandbox_port}",
                f"SOCIALHUB_SANDBOX_PORT={sandbox_port}",
                f"SOCIALHUB_SANDBOX_ADMIN_TOKEN={token}",
                f"SOCIALHUB_SANDBOX_DB={tmp_path / 'sandbox.db'}",
                "",
            ]
        )
    )
    base = {k: v for k, v in os.environ.items() if k not in FROM_ENV_FILE}
    base.update(
        SOCIALHUB_ENV_FILE=str(env_file),
        PATH=f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{base.get('PATH', '')}",
        REFLEX_USE_SYSTEM_BUN="1",
        PYTHONUNBUFFERED="1",
    )
    logs = tmp_path / "logs"
    logs.mkdir()

    def proc(name: str, *args: str, **extra: str) -> Proc:
        data = tmp_path / f"data-{name}"  # a data directory of its own, as on its own machine
        return Proc(name, list(args), {**base, "SOCIALHUB_DATA_DIR": str(data), **extra}, logs)

    procs: list[Proc] = []
    try:
        # --- one build per release, for the public URL -----------------------------------
        t0 = time.monotonic()
        build = proc("build", "build").start()
        assert build.proc.wait(timeout=900) == 0, build.tail()
        build_seconds = time.monotonic() - t0
        env_json = json.loads((ROOT / ".web" / "env.json").read_text())
        urls = {k: v for k, v in env_json.items() if isinstance(v, str) and "://" in v}
        assert urls and all(
            v.startswith(proxy.url.replace("http", "ws", 1)) or v.startswith(proxy.url) for v in urls.values()
        ), urls
        before = _build_files()

        # --- the processes -----------------------------------------------------------------
        sandbox = proc("sandbox", "sandbox", "--port", str(sandbox_port)).start()
        web_a = proc("web-a", "web", SOCIALHUB_INSTANCE_ID="web-a").start()  # port from .env
        web_b = proc("web-b", "web", SOCIALHUB_PORT=str(port_b), SOCIALHUB_INSTANCE_ID="web-b").start()
        workers = [proc(f"worker-{i}", "worker").start() for i in (1, 2)]
        schedulers = [proc(f"scheduler-{i}", "scheduler").start() for i in (1, 2)]
        procs += [sandbox, web_a, web_b, *workers, *schedulers]
        wait_http(f"http://127.0.0.1:{sandbox_port}/health", sandbox, 60)
        for web, port in ((web_a, port_a), (web_b, port_b)):
            ping = wait_http(f"http://127.0.0.1:{port}/ping", web, 180)
            assert ping.headers["x-socialhub-instance"] == web.name
        assert "the frontend build is up to date: skipping it" in web_a.tail(20000)
        assert _build_files() == before  # starting two web processes changed nothing in .web

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.set_default_timeout(30_000)
            sockets: list[str] = []
            context.on("page", lambda p: p.on("websocket", lambda ws: sockets.append(ws.url)))

            # --- sign up through web A, the session holds on web B ------------------------
            proxy.switch(port_a)
            page_a = context.new_page()
            page_a.on("websocket", lambda ws: sockets.append(ws.url))
            served = page_a.goto(f"{proxy.url}/signup")
            assert served.headers["x-socialhub-instance"] == "web-a"
            _fill_signup(page_a)
            page_a.wait_for_url(re.compile(r"/dashboard"))
            expect(page_a.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()

            proxy.switch(port_b)
            page_b = context.new_page()
            served = page_b.goto(f"{proxy.url}/connections")
            assert served.headers["x-socialhub-instance"] == "web-b"
            expect(page_b.get_by_role("heading", name="Connections", exact=True)).to_be_visible()
            expect(page_b.get_by_text(PERSON["name"], exact=True)).to_be_visible()

            # --- connect a platform through B, see it on A ---------------------------------
            page_b.get_by_role("button", name="Connect X", exact=True).click()
            expect(page_b.get_by_text("SocialHub sandbox")).to_be_visible()
            page_b.get_by_role("button", name="Approve").click()
            page_b.wait_for_url(re.compile(r"/connections$"), timeout=60_000)
            expect(page_b.get_by_role("status")).to_contain_text("Connected X")
            assert proxy.accepted[port_b] > 0

            proxy.switch(port_a)
            page_a2 = context.new_page()
            served = page_a2.goto(f"{proxy.url}/connections")
            assert served.headers["x-socialhub-instance"] == "web-a"
            expect(page_a2.get_by_role("button", name="Disconnect").first).to_be_visible()

            # Every page, whichever process served it, talked to the public URL only.
            ws_proxy = proxy.url.replace("http", "ws", 1)
            assert sockets and all(u.startswith(ws_proxy) for u in sockets), sockets
            # Tabs' state lives in the shared Redis (nothing on any disk).
            assert reflex_redis.dbsize() > 0
            assert not any((tmp_path / f"data-{w}" / ".states").exists() for w in ("web-a", "web-b"))

            # --- periodic jobs registered once; two schedulers beat apart ------------------
            from rq_scheduler import Scheduler

            from socialhub.queue import get_queue
            from worker.schedule import PERIODIC_JOBS

            periodic = Counter(
                j.id
                for j in Scheduler(queue=get_queue("default"), connection=redis).get_jobs()
                if j.id.startswith("periodic-")
            )
            assert len(periodic) == len(PERIODIC_JOBS) and set(periodic.values()) == {1}, periodic

            def scheduler_rows():
                with session_scope() as s:
                    rows = s.exec(select(Heartbeat).where(Heartbeat.kind == "scheduler")).all()
                    return {r.info.get("pid"): dict(r.info) for r in rows} if len(rows) == 2 else None

            rows = wait_until(scheduler_rows, 60, "both schedulers' heartbeats")
            assert set(rows) == {s.pid for s in schedulers}

            # --- jobs run once each, on both workers ---------------------------------------
            from rq.job import Job

            queue = get_queue("default")
            ids = [f"scale-ping-{i}" for i in range(24)]
            for job_id in ids:
                queue.enqueue("worker.jobs.ping", job_id, job_id=job_id)

            def all_done():
                return all(Job.fetch(i, connection=redis).get_status() == "finished" for i in ids)

            wait_until(all_done, 120, "24 ping jobs")
            with session_scope() as s:
                runs = Counter(r.job_id for r in s.exec(select(JobRun).where(JobRun.job_id.in_(ids))).all())
            assert runs == Counter({i: 1 for i in ids})
            ran_on = Counter(Job.fetch(i, connection=redis).worker_name for i in ids)
            assert len(ran_on) == 2, ran_on

            # --- a post goes out once while a worker and a scheduler are SIGKILLed ---------
            from socialhub.services import publishing

            with session_scope() as s:
                user = s.exec(select(User).where(User.email == PERSON["email"])).one()
                conn = s.exec(select(Connection).where(Connection.user_id == user.id)).one()
                post = publishing.create_post(
                    s,
                    user_id=user.id,
                    caption="Scaled out, published once 4242",
                    connection_ids=[conn.id],
                    at=utcnow() + timedelta(seconds=15),
                )
                post_id = post.id
            with session_scope() as s:
                publishing.enqueue_post(s, post_id)
            control = httpx.Client(
                base_url=f"http://127.0.0.1:{sandbox_port}/_sandbox",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            published_before = control.get("/counters").json().get("published:x", 0)
            workers[0].kill_tree()
            schedulers[0].kill_tree()

            def target_final():
                with session_scope() as s:
                    t = s.exec(select(PostTarget).where(PostTarget.post_id == post_id)).one()
                    return t if S(t.status) in (S.published, S.failed, S.unconfirmed) else None

            target = wait_until(target_final, 120, "the scheduled post to settle", every=1)
            assert S(target.status) == S.published
            counters = control.get("/counters").json()
            assert counters.get("published:x", 0) - published_before == 1
            assert counters.get("duplicates:x", 0) == 0
            with session_scope() as s:
                claims = s.exec(
                    select(PostEvent).where(PostEvent.target_id == target.id, PostEvent.step == "claimed")
                ).all()
            assert len(claims) == 1
            control.close()

            # --- restarting web B rebuilds nothing; web A serves throughout ----------------
            with Poller([f"http://127.0.0.1:{port_a}/", f"http://127.0.0.1:{port_a}/ping"]) as poll:
                web_b.stop()
                restart_from = len(web_b.tail(10**7))
                web_b.start()
                wait_http(f"http://127.0.0.1:{port_b}/ping", web_b, 180)
                # The tab on A still works over its websocket while B went away and came back.
                page_a2.get_by_role("link", name="Library", exact=True).first.click()
                expect(page_a2.get_by_role("heading", name="Library", exact=True)).to_be_visible()
            assert poll.failures == [] and poll.ok > 10, (poll.ok, poll.failures[:5])
            assert "the frontend build is up to date: skipping it" in web_b.tail(10**7)[restart_from:]
            assert _build_files() == before

            # A tab opened on the restarted B is still signed in.
            proxy.switch(port_b)
            page_b2 = context.new_page()
            assert page_b2.goto(f"{proxy.url}/connections").headers["x-socialhub-instance"] == "web-b"
            expect(page_b2.get_by_role("button", name="Disconnect").first).to_be_visible()
            browser.close()
        print(
            f"\nscale-out: build {build_seconds:.0f} s, whole test {time.monotonic() - started:.0f} s; "
            f"web A answered {poll.ok} requests during B's restart; jobs by worker {dict(ran_on)}; "
            f"scheduler heartbeats {rows}"
        )
    finally:
        for p in procs:
            p.stop()
        proxy.close()
        reflex_redis.flushdb()
