"""Failures during a sync: isolated per account, typed, recorded, resumed without loss."""

from __future__ import annotations

import pytest
from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import Connection, ConnectionStatus, MetricSnapshot, SyncError, TrackedPost
from socialhub.services import access, rate_gate, sync_runs
from tests.metrics.conftest import calls, imported, snapshots, tracked


def run_view(run_id: int):
    with session_scope() as s:
        return sync_runs.view(s, run_id)


def errors(connection_id: int) -> list[SyncError]:
    with session_scope() as s:
        return list(s.exec(select(SyncError).where(SyncError.connection_id == connection_id)).all())


def open_window(platform: str) -> None:
    """Time passes until the platform's window opens: its gates and quota blocks are over."""
    from datetime import timedelta

    from sqlalchemy import update

    from socialhub.models import QuotaUsage, utcnow
    from socialhub.queue import get_redis

    for key in get_redis().scan_iter(f"{rate_gate.PREFIX}:{platform}:*"):
        get_redis().delete(key)
    past = utcnow() - timedelta(seconds=1)
    with session_scope() as s:
        s.exec(
            update(QuotaUsage)
            .where(QuotaUsage.platform == platform, QuotaUsage.blocked_until.is_not(None))
            .values(blocked_until=past, resets_at=past)
        )


def test_a_transient_5xx_is_retried_in_the_job_and_nothing_is_lost(metrics_env, sandbox):
    conn = imported(metrics_env, "tiktok")
    posts = tracked(conn.id)
    sandbox.fault("tiktok", "server_error", endpoint="/v2/video/query/", count=1)
    before = calls(sandbox, "tiktok")
    run_id = sync_runs.sync_now(trigger="test", inline=True)
    run = run_view(run_id)
    assert run.posts == len(posts) and run.deferred == 0
    # One extra call: the retried batch; everything else at the minimum.
    assert calls(sandbox, "tiktok") - before == 1 + 1 + -(-len(posts) // 20)
    assert run.calls == calls(sandbox, "tiktok") - before


def test_a_429_stops_one_account_the_others_finish_and_a_resume_completes_the_run(metrics_env, sandbox):
    tiktok = imported(metrics_env, "tiktok")
    x = imported(metrics_env, "x")
    sandbox.fault("tiktok", "rate_limited", endpoint="/v2/video/query/", count=1)
    run_id = sync_runs.sync_now(trigger="test", inline=True)
    run = run_view(run_id)
    n_tiktok, n_x = len(tracked(tiktok.id)), len(tracked(x.id))
    assert run.status == "finished" and run.errors == 1
    assert run.posts == n_x and run.deferred == n_tiktok, "X synced in full; TikTok waits"
    kinds = [e.kind for e in errors(tiktok.id)]
    assert kinds == ["rate_limited"]
    assert rate_gate.blocked("tiktok", tiktok.account_id) is not None, "the gate is closed: no call is spent"
    with session_scope() as s:
        assert s.get(Connection, tiktok.id).status == ConnectionStatus.active, (
            "a rate limit is no auth problem"
        )

    # The window opens again: the resume job finishes the same run, nothing lost or doubled.
    open_window("tiktok")
    sync_runs.resume_connection(run_id, tiktok.id, run.deferred, 1)
    run = run_view(run_id)
    assert run.posts == n_tiktok + n_x and run.deferred == 0
    snaps = snapshots(run_id)
    assert len(snaps) == len({s.tracked_post_id for s in snaps}) == n_tiktok + n_x


def test_an_outage_and_timeouts_leave_the_rest_done_and_the_posts_due(metrics_env, sandbox, monkeypatch):
    from socialhub.config import reset_settings_cache
    from socialhub.services import metrics_sync

    monkeypatch.setattr(metrics_sync, "TRANSIENT_RETRIES", (0.05, 0.05))
    monkeypatch.setenv("SOCIALHUB_HTTP_TIMEOUT", "0.5")
    reset_settings_cache()
    youtube = imported(metrics_env, "youtube")
    x = imported(metrics_env, "x")
    sandbox.fault("x", kind="latency", latency_ms=1500, endpoint="/2/tweets", count=1)  # one timeout
    sandbox.control.post("/platforms/youtube/down", json={"down": True}).raise_for_status()
    try:
        run_id = sync_runs.sync_now(trigger="test", inline=True)
    finally:
        sandbox.control.post("/platforms/youtube/down", json={"down": False}).raise_for_status()
    run = run_view(run_id)
    n_x, n_yt = len(tracked(x.id)), len(tracked(youtube.id))
    assert run.posts == n_x, "X retried its timed-out call and finished"
    assert run.deferred == n_yt and run.errors == 1
    assert {e.kind for e in errors(youtube.id)} == {"transient"}  # each attempt is logged
    with session_scope() as s:
        waiting = s.exec(select(TrackedPost).where(TrackedPost.connection_id == youtube.id)).all()
        assert all(p.status == "active" and p.last_synced_at is None for p in waiting)
    sync_runs.resume_connection(run_id, youtube.id, run.deferred, 1)
    assert run_view(run_id).posts == n_x + n_yt


@pytest.mark.parametrize("platform", ["x", "linkedin"])
def test_an_expired_token_is_refreshed_or_asks_to_reconnect(metrics_env, sandbox, platform):
    conn = imported(metrics_env, platform)
    token = access.load(conn.id).creds.access_token
    sandbox.control.post("/tokens/expire", json={"token": token}).raise_for_status()
    run_id = sync_runs.sync_now(trigger="test", inline=True)
    run = run_view(run_id)
    with session_scope() as s:
        status = s.get(Connection, conn.id).status
    if platform == "x":  # X gives a refresh token: refreshed once, then the sync goes on
        assert run.posts == len(tracked(conn.id)) and run.errors == 0
        assert status == ConnectionStatus.active
    else:  # LinkedIn gives none: the connection asks for a reconnect, nothing is lost
        assert run.posts == 0 and run.errors == 1
        assert status in (ConnectionStatus.expired, ConnectionStatus.expiring)
        assert errors(conn.id)


def test_a_revoked_token_marks_the_connection_and_spares_the_others(metrics_env, sandbox):
    tiktok = imported(metrics_env, "tiktok")
    x = imported(metrics_env, "x")
    sandbox.control.post(
        "/tokens/revoke", json={"platform": "tiktok", "account_id": tiktok.account_id}
    ).raise_for_status()
    run_id = sync_runs.sync_now(trigger="test", inline=True)
    run = run_view(run_id)
    assert run.posts == len(tracked(x.id)) and run.errors == 1
    with session_scope() as s:
        assert s.get(Connection, tiktok.id).status == ConnectionStatus.revoked
    assert [e.kind for e in errors(tiktok.id)] == ["auth_revoked"]
    # The next run spends no call on it and says it needs a reconnect.
    before = calls(sandbox, "tiktok")
    sync_runs.sync_now(trigger="test", inline=True)
    assert calls(sandbox, "tiktok") == before


@pytest.mark.parametrize("platform", ["instagram", "x", "tiktok"])
def test_a_post_deleted_on_the_platform_is_marked_and_keeps_its_history(metrics_env, sandbox, platform):
    conn = imported(metrics_env, platform)
    first = sync_runs.sync_now(trigger="test", inline=True)
    victim = tracked(conn.id)[0]
    sandbox.sandbox.update_post(platform, victim.platform_post_id, deleted=True)
    from tests.metrics.conftest import age_app_clock

    age_app_clock(24 * 100)  # everything due again
    second = sync_runs.sync_now(trigger="test", inline=True)
    with session_scope() as s:
        row = s.get(TrackedPost, victim.id)
        assert row.status == "deleted" and row.removed_at is not None
        history = s.exec(select(MetricSnapshot).where(MetricSnapshot.tracked_post_id == victim.id)).all()
        assert [h.sync_run_id for h in history] == [first]
    assert run_view(second).posts == len(tracked(conn.id)) - 1
    assert "not_found" in [e.kind for e in errors(conn.id)]
    # A deleted post is not asked for again.
    age_app_clock(24 * 100)
    third = sync_runs.sync_now(trigger="test", inline=True)
    assert victim.id not in {s.tracked_post_id for s in snapshots(third)}
