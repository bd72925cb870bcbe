"""System, sync errors, quotas, connections, publishing and jobs: real database and Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue
from sqlmodel import select

from socialhub.models import ConnectionStatus, JobRun, PostEvent, QuotaUsage, SyncError, utcnow
from socialhub.services import admin_health as health
from socialhub.services import admin_work as work
from socialhub.services import heartbeats
from socialhub.services.admin import AdminError
from tests.leaderboard.seed import account, scheduled_post


def test_system_status_names_pieces_queues_jobs_redis_and_database(db, admin, redis):
    heartbeats.beat(db, name="worker-1", kind="worker")
    db.add(JobRun(job_id="j1", name="refresh_tokens", status="failed", error="ValueError: boom"))
    db.commit()
    Queue("default", connection=redis).enqueue("worker.jobs.ping", 1)
    status = health.system_status(db, actor_id=admin.id, redis=redis)
    assert [p.name for p in status.pieces] == ["worker-1"]
    assert "scheduler has never run" in status.problem
    assert {q.name: q.queued for q in status.queues}["default"] == 1
    jobs = {j.name: j for j in status.jobs}
    assert jobs["refresh_tokens"].status == "failed" and "boom" in jobs["refresh_tokens"].error
    assert jobs["dispatch_publishing"].status == "never"
    assert jobs["refresh_leaderboard"].status == "never"
    # The tests' Redis lives outside the data directory: to this app it is external.
    assert status.redis.startswith("Redis ") and "(external)" in status.redis
    assert status.database.startswith(("SQLite", "PostgreSQL")) and "@" not in status.database


def test_an_embedded_redis_is_named_as_such(tmp_path):
    """A Redis started from the data directory (as `socialhub up` does) reads as embedded."""
    from redis import Redis

    from socialhub import embedded_redis

    server = embedded_redis.start(tmp_path / "redis", persist=False)
    try:
        conn = Redis.from_url(server.url)
        assert "(embedded)" in health.describe_redis(conn, tmp_path)
        assert "(external)" in health.describe_redis(conn, tmp_path / "elsewhere")
    finally:
        server.stop()


def test_system_status_survives_redis_being_down(db, admin):
    from redis import Redis

    status = health.system_status(db, actor_id=admin.id, redis=Redis(port=1, socket_connect_timeout=0.2))
    assert "not reachable" in status.redis_error and status.queues == []


def test_sync_errors_filter_and_resolve(db, admin, member):
    conn = account(db, member, "x", public=False)
    now = utcnow()
    db.add(
        SyncError(
            user_id=member.id,
            connection_id=conn.id,
            platform="x",
            job="sync",
            kind="rate_limited",
            message="Too Many Requests",
            occurred_at=now - timedelta(hours=1),
        )
    )
    db.add(
        SyncError(
            user_id=member.id,
            connection_id=conn.id,
            platform="x",
            job="sync",
            kind="auth",
            message="token revoked",
            occurred_at=now - timedelta(days=3),
        )
    )
    db.add(SyncError(platform="youtube", job="sync", kind="server", message="backendError"))
    db.commit()
    assert len(health.sync_errors(db, actor_id=admin.id)) == 3
    assert [e.kind for e in health.sync_errors(db, actor_id=admin.id, platform="x")] == [
        "rate_limited",
        "auth",
    ]
    assert [e.kind for e in health.sync_errors(db, actor_id=admin.id, platform="x", since_hours=24)] == [
        "rate_limited"
    ]
    only_auth = health.sync_errors(db, actor_id=admin.id, kind="auth", connection_id=conn.id)
    assert [(e.message, e.owner) for e in only_auth] == [("token revoked", "plain_member")]
    health.resolve_sync_error(db, actor_id=admin.id, error_id=only_auth[0].id)
    db.commit()
    assert len(health.sync_errors(db, actor_id=admin.id)) == 2
    assert len(health.sync_errors(db, actor_id=admin.id, include_resolved=True)) == 3
    with pytest.raises(AdminError, match="Unknown platform"):
        health.sync_errors(db, actor_id=admin.id, platform="myspace")
    with pytest.raises(AdminError, match="not found"):
        health.resolve_sync_error(db, actor_id=admin.id, error_id=12345)


def test_quotas_warn_before_the_limit(db, admin, member):
    conn = account(db, member, "x", public=False)
    soon = utcnow() + timedelta(minutes=10)
    db.add(
        QuotaUsage(
            platform="x",
            account_key=conn.account_id,
            connection_id=conn.id,
            bucket="tweets",
            used=85,
            limit=100,
            resets_at=soon,
        )
    )
    db.add(QuotaUsage(platform="youtube", bucket="daily units", used=100, limit=10_000))
    db.commit()
    rows = {r.platform: r for r in health.quotas(db, actor_id=admin.id)}
    assert rows["x"].percent == 85 and rows["x"].warning and rows["x"].resets_at == soon
    assert rows["x"].account == conn.username
    assert not rows["youtube"].warning and rows["youtube"].account == "app-wide"


def test_connections_needing_attention_with_their_owner(db, admin, member):
    ok = account(db, member, "youtube", public=False)
    bad = account(db, member, "tiktok", public=False)
    bad.status = ConnectionStatus.revoked
    db.add(bad)
    db.commit()
    rows = health.connections_needing_attention(db, actor_id=admin.id)
    assert [(r.id, r.status, r.owner) for r in rows] == [(bad.id, "revoked", "plain_member")]
    assert ok.id not in [r.id for r in rows]


def test_publishing_attention_and_the_way_out(db, admin, member):
    conn = account(db, member, "x", public=False)
    failed = scheduled_post(db, conn, "it failed", status="failed")
    failed.last_error, failed.error_code = "The text is too long.", "too_long"
    scheduled_post(db, conn, "fine", status="scheduled")
    missed = scheduled_post(db, conn, "too late", status="missed")
    db.commit()
    rows = work.publishing_attention(db, actor_id=admin.id)
    assert sorted(r.status for r in rows) == ["failed", "missed"]
    row = next(r for r in rows if r.status == "failed")
    assert row.reason == "The text is too long." and row.owner == "plain_member" and "retry" in row.way_out
    work.act_on_target(db, actor_id=admin.id, target_id=failed.id, action="publish_now")
    work.act_on_target(db, actor_id=admin.id, target_id=missed.id, action="cancel")
    db.commit()
    db.refresh(failed)
    db.refresh(missed)
    assert (failed.status, missed.status) == ("scheduled", "cancelled")
    steps = db.exec(select(PostEvent.step).where(PostEvent.target_id == failed.id)).all()
    assert "publish_now" in steps
    with pytest.raises(AdminError, match="cannot be handled"):
        work.act_on_target(db, actor_id=admin.id, target_id=missed.id, action="publish_now")


def test_failed_jobs_retry_and_delete(db, admin, redis):
    from rq import SimpleWorker

    q = Queue("default", connection=redis)
    a = q.enqueue("tests.foundation.failing_job.explode", "the job broke")
    b = q.enqueue("tests.foundation.failing_job.explode", "the job broke")
    SimpleWorker([q], connection=redis).work(burst=True)
    failed = work.failed_jobs(db, actor_id=admin.id, redis=redis)
    assert sorted(j.id for j in failed) == sorted([a.id, b.id])
    assert all(j.error for j in failed)
    work.retry_job(db, actor_id=admin.id, redis=redis, job_id=a.id)
    work.delete_job(db, actor_id=admin.id, redis=redis, job_id=b.id)
    assert q.job_ids == [a.id]
    assert work.failed_jobs(db, actor_id=admin.id, redis=redis) == []
    with pytest.raises(AdminError, match="not among the failed"):
        work.delete_job(db, actor_id=admin.id, redis=redis, job_id=b.id)


def test_scheduled_jobs_lists_periodic_jobs(db, admin, redis):
    from rq_scheduler import Scheduler

    from worker.schedule import register_periodic_jobs

    register_periodic_jobs(Scheduler(queue=Queue("default", connection=redis), connection=redis))
    jobs = work.scheduled_jobs(db, actor_id=admin.id, redis=redis)
    assert any("refresh_leaderboard" in j.function for j in jobs)
    assert all(j.next_run is not None for j in jobs)
