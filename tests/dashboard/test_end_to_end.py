"""Through the real sandbox and the real sync: after each sync the dashboard's latest per-post
totals equal the platform's truth at the sync, and every headline number equals a sum
computed independently from the stored snapshots."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import MetricSnapshot, TrackedPost, utcnow
from socialhub.services import dashboard_queries as dq
from socialhub.services import sync_runs
from socialhub.services.dashboard_rollups import METRICS
from tests.dashboard.conftest import World, expected_gains
from tests.metrics.conftest import age_app_clock, imported, metrics_env, sandbox  # noqa: F401  (fixtures)
from tests.metrics.test_sync_truth import REPORTED, truth_at


def _latest(s, post_id: int) -> MetricSnapshot:
    return s.exec(
        select(MetricSnapshot)
        .where(MetricSnapshot.tracked_post_id == post_id)
        .order_by(MetricSnapshot.taken_at.desc(), MetricSnapshot.id.desc())
    ).first()


def _check(sb, user_id: int, windows: dict) -> None:
    """windows: sync run id -> the sandbox's clock (before, after) that run."""
    now = utcnow()
    with session_scope() as s:
        posts = s.exec(select(TrackedPost).where(TrackedPost.user_id == user_id)).all()
        assert len(posts) >= 40
        year = dq.resolve_period("365d", now=now, tz="Europe/Berlin")
        top = {t.tracked_post_id: t for t in dq.top_posts(s, dq.Filters(user_id), year, limit=10_000)}
        assert set(top) == {p.id for p in posts}
        for post in posts:
            snap = _latest(s, post.id)
            row = top[post.id]
            if post.platform == "youtube":  # the platform's thumbnail, kept when it was imported
                assert row.thumbnail_url and row.thumbnail_url.startswith("https://"), row
            else:
                assert (
                    row.thumbnail_url is None
                )  # Instagram's answer as read has none: the page shows the icon
            t0, t1 = windows[snap.sync_run_id]  # the run that last read this post
            low = truth_at(sb, post.platform, post.platform_post_id, t0)
            high = truth_at(sb, post.platform, post.platform_post_id, t1)
            for m in METRICS:
                stored = getattr(snap, m)
                assert getattr(row, f"total_{m}") == (stored or 0), (post.platform, m)
                if m in REPORTED[post.platform] and low[m] is not None:
                    # The platform's numbers only grow: the sync read them between t0 and t1.
                    assert low[m] <= stored <= high[m], (post.platform, m, stored, low[m], high[m])
        ids = [p.id for p in posts]
        for name in ("7d", "30d", "90d", "365d"):
            for tz in ("UTC", "Asia/Tokyo", "America/Los_Angeles"):
                p = dq.resolve_period(name, now=now, tz=tz)
                h = dq.headline(s, dq.Filters(user_id), p)
                for value, start, end in (
                    (h.views.value, p.start, p.end),
                    (h.views.previous, p.prev_start, p.prev_end),
                ):
                    assert value == expected_gains(s, ids, start, end)["views"], (name, tz)
                e = expected_gains(s, ids, p.start, p.end)
                assert h.engagement.value == e["likes"] + e["comments"] + e["shares"] + e["saves"]
                published = sum(1 for q in posts if q.published_at and p.start < q.published_at <= p.end)
                assert h.posts_published.value == published
                assert sum(v.value for v in dq.views_over_time(s, dq.Filters(user_id), p)) == h.views.value


def test_dashboard_equals_the_sandbox_and_the_snapshots_after_real_syncs(metrics_env, sandbox):  # noqa: F811
    ig = imported(metrics_env, "instagram")
    yt = imported(metrics_env, "youtube")
    assert ig.user_id == yt.user_id
    windows = {}
    t0 = sandbox.sandbox.now()
    run, ids = sync_runs.start_run(trigger="test")
    sync_runs.run_connections(run, ids)
    windows[run] = (t0, sandbox.sandbox.now())
    _check(sandbox, ig.user_id, windows)
    with session_scope() as s:
        world = World(s)
        before = {cid: world.rollup(cid) for cid in (ig.id, yt.id)}
    sync_runs.run_connections(run, ids)  # the same job delivered again: nothing is added
    with session_scope() as s:
        world = World(s)
        assert {cid: world.rollup(cid) for cid in (ig.id, yt.id)} == before

    # Half a day later, a second sync: gains between the two now count in the periods.
    sandbox.advance(12 * 3600)
    age_app_clock(12)
    t0 = sandbox.sandbox.now()
    run = sync_runs.sync_now(trigger="test", inline=True)
    windows[run] = (t0, sandbox.sandbox.now())
    with session_scope() as s:
        assert s.exec(select(MetricSnapshot).where(MetricSnapshot.sync_run_id == run)).first() is not None
    _check(sandbox, ig.user_id, windows)

    with session_scope() as s:
        world = World(s)
        for cid in (ig.id, yt.id):
            kept = world.rollup(cid)
            dq.rebuild_rollups(s, cid)
            s.flush()
            assert world.rollup(cid) == kept
        status = dq.overview_status(s, ig.user_id, utcnow())
        assert status.connections == 2 and status.has_snapshots and not status.sync_running
        assert status.last_sync_at is not None and status.last_sync_at <= utcnow()
        assert timedelta(0) < status.next_sync_at - utcnow() <= timedelta(hours=6)
