"""Runs: idempotent under redelivery and concurrency, scheduled every few hours, newest posts
first when the budget is short, fewer calls per day with freshness tiers."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import MetricSnapshot, QuotaUsage, TrackedPost, utcnow
from socialhub.services import metric_budget, metrics_sync, sync_runs
from tests.metrics.conftest import age_app_clock, calls, imported, snapshots, tracked


def all_snapshots() -> list[MetricSnapshot]:
    with session_scope() as s:
        return list(s.exec(select(MetricSnapshot)).all())


def test_a_job_delivered_twice_writes_one_snapshot_per_post(metrics_env, sandbox):
    conn = imported(metrics_env, "x")
    run_id, ids = sync_runs.start_run(trigger="test")
    sync_runs.run_connections(run_id, ids)
    first = len(all_snapshots())
    before = calls(sandbox, "x")
    sync_runs.run_connections(run_id, ids)  # the same job again
    assert len(all_snapshots()) == first == len(tracked(conn.id))
    assert calls(sandbox, "x") == before, "nothing left to do for this run: no call"
    # Inserting the same (run, post) again is refused by the database itself.
    with session_scope() as s:
        row = s.exec(select(MetricSnapshot)).first()
        assert (
            metrics_sync.insert_ignore(
                s,
                MetricSnapshot,
                [
                    {
                        "tracked_post_id": row.tracked_post_id,
                        "sync_run_id": run_id,
                        "taken_at": utcnow(),
                        "extra": {},
                    }
                ],
            )
            == 0
        )


def test_two_syncs_of_one_connection_never_run_at_once(metrics_env, sandbox):
    from socialhub.queue import get_redis

    conn = imported(metrics_env, "x")
    run_id, _ = sync_runs.start_run(trigger="test")
    held = get_redis().lock(f"socialhub:lock:sync:{conn.id}", timeout=30)
    assert held.acquire(blocking=False)
    try:
        out = metrics_sync.sync_connection(conn.id, run_id)
    finally:
        held.release()
    assert out.skipped == "busy" and out.calls == 0 and not snapshots(run_id)


def test_a_second_run_appends_and_never_changes_the_first(metrics_env, sandbox):
    conn = imported(metrics_env, "tiktok")
    first = sync_runs.sync_now(trigger="test", inline=True)
    before = {(s.id, s.views, s.likes) for s in snapshots(first)}
    sandbox.advance(3600)
    age_app_clock(24 * 100)
    second = sync_runs.sync_now(trigger="test", inline=True)
    assert {(s.id, s.views, s.likes) for s in snapshots(first)} == before
    assert len(snapshots(second)) == len(tracked(conn.id))


def test_the_scheduled_job_after_six_hours_snapshots_every_due_post(metrics_env, sandbox, monkeypatch):
    from rq import SimpleWorker

    from socialhub.config import reset_settings_cache
    from socialhub.queue import get_queue, get_redis
    from worker import jobs
    from worker.schedule import PERIODIC_JOBS

    assert PERIODIC_JOBS["sync_metrics"] == ("17 */6 * * *", "worker.jobs.sync_metrics", "sync")
    conns = [imported(metrics_env, p) for p in ("x", "tiktok")]
    posts = [p for c in conns for p in tracked(c.id)]

    def scheduled_run() -> int:
        run_id = jobs.sync_metrics()["run_id"]
        SimpleWorker([get_queue("sync")], connection=get_redis()).work(burst=True)
        return run_id

    first = scheduled_run()
    assert len(snapshots(first)) == len(posts)
    sandbox.advance(6 * 3600)
    age_app_clock(6)
    second = scheduled_run()
    now = utcnow()
    fresh = {p.id for p in posts if p.published_at and now - p.published_at < timedelta(days=7)}
    assert fresh and {s.tracked_post_id for s in snapshots(second)} == fresh, "young posts every run"

    # With every tier at the run interval, a 6-hour jump snapshots every tracked post.
    for name in ("SOCIALHUB_METRICS_WARM_HOURS", "SOCIALHUB_METRICS_COLD_HOURS"):
        monkeypatch.setenv(name, "6")
    reset_settings_cache()
    sandbox.advance(6 * 3600)
    age_app_clock(6)
    third = scheduled_run()
    assert {s.tracked_post_id for s in snapshots(third)} == {p.id for p in posts}
    with session_scope() as s:
        assert sync_runs.view(s, third).status == "finished"


def test_a_short_budget_syncs_the_newest_posts_first_and_the_rest_next_time(
    metrics_env, sandbox, monkeypatch
):
    from socialhub.config import reset_settings_cache

    conn = imported(metrics_env, "tiktok")
    posts = tracked(conn.id)
    monkeypatch.setenv("SOCIALHUB_METRICS_CALLS_PER_CONNECTION", "3")  # account + 2 batches of 20
    reset_settings_cache()
    first = sync_runs.sync_now(trigger="test", inline=True)
    newest = sorted(posts, key=lambda p: p.published_at, reverse=True)
    assert {s.tracked_post_id for s in snapshots(first)} == {p.id for p in newest[:40]}
    with session_scope() as s:
        run = sync_runs.view(s, first)
        assert run.deferred == len(posts) - 40 and "waiting for the next window" in run.summary
        waiting = s.exec(select(TrackedPost).where(TrackedPost.last_synced_at.is_(None))).all()
        assert {p.id for p in waiting} == {p.id for p in newest[40:]}, "nothing dropped; it says when"
    second = sync_runs.sync_now(trigger="test", inline=True)
    assert {s.tracked_post_id for s in snapshots(second)} == {p.id for p in newest[40:]}


def test_the_platforms_quota_readings_bound_the_budget(metrics_env):
    with session_scope() as s:
        s.add(
            QuotaUsage(
                platform="x",
                account_key="42",
                bucket="GET /2/tweets",
                used=897,
                limit=900,
                resets_at=utcnow() + timedelta(minutes=10),
            )
        )
        s.add(
            QuotaUsage(
                platform="x",
                account_key="42",
                bucket="POST /2/tweets",
                used=100,
                limit=100,
                resets_at=utcnow() + timedelta(minutes=10),
            )
        )
        s.add(QuotaUsage(platform="instagram", account_key="7", bucket="buc:instagram", percent=95.0))
        s.add(
            QuotaUsage(
                platform="youtube",
                account_key="",
                bucket="default",
                used=5,
                limit=10_000,
                resets_at=utcnow() - timedelta(minutes=1),
            )
        )
    with session_scope() as s:
        assert metric_budget.headroom(s, "x", ["42"]) == 3, "reads left; the publishing bucket does not count"
        assert metric_budget.headroom(s, "instagram", ["7"]) == 0, "a nearly spent bucket is left alone"
        assert metric_budget.headroom(s, "youtube", ["UC1"]) is None, (
            "a reading of a past window says nothing"
        )


def test_freshness_tiers_spend_fewer_calls_per_day_than_a_full_sync():
    tiers = metric_budget.Tiers(
        fresh=timedelta(days=7),
        warm=timedelta(days=30),
        warm_every=timedelta(hours=24),
        cold_every=timedelta(hours=72),
        run_every=timedelta(hours=6),
    )
    now = utcnow()
    ages = [timedelta(days=d) for d in range(0, 90)]
    syncs = 0
    last = {i: None for i in range(len(ages))}
    for step in range(4 * 6):  # six days of runs every 6 hours
        at = now + timedelta(hours=6 * step)
        for i, age in enumerate(ages):
            if tiers.is_due(now - age, last[i], at):
                syncs += 1
                last[i] = at
    full = 4 * 6 * len(ages)
    assert syncs < full / 3
    young = [i for i, a in enumerate(ages) if a < timedelta(days=1)]
    assert all(last[i] == now + timedelta(hours=6 * 23) for i in young), "young posts every run"


def test_sync_now_takes_every_post_while_the_schedule_takes_the_due_ones(metrics_env, sandbox):
    conn = imported(metrics_env, "x")
    sync_runs.sync_now(trigger="schedule", inline=True)
    again = sync_runs.sync_now(trigger="schedule", inline=True)
    assert snapshots(again) == [], "nothing is due a moment after a run"
    manual = sync_runs.sync_now(trigger="manual", inline=True)
    assert len(snapshots(manual)) == len(tracked(conn.id))
    with session_scope() as s:
        assert sync_runs.view(s, manual).summary.startswith(
            f"{len(tracked(conn.id))} posts, 1 account, 2 API calls"
        )
