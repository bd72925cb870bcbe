"""Snapshots equal the sandbox's truth at the time of the sync, on all six platforms, at the
fewest calls the contracts allow (checked from the sandbox's own call counters)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import AccountSnapshot, TrackedPost
from socialhub.services import sync_runs
from tests.metrics.conftest import PLATFORMS, calls, imported, snapshots, tracked

# Which of the six numbers each platform's metrics endpoints give (CONTRACTS §1.3-§6.3).
REPORTED = {
    "instagram": ("views", "likes", "comments", "shares", "saves", "reach"),
    "facebook": ("views", "likes", "comments", "reach"),
    "tiktok": ("views", "likes", "comments", "shares"),
    "youtube": ("views", "likes", "comments"),
    "linkedin": ("views", "likes", "comments", "shares", "reach"),
    "x": ("views", "likes", "comments", "saves"),
}


def truth_at(sandbox, platform: str, post_id: str, when) -> dict[str, int]:
    sb = sandbox.sandbox
    doc = sb.post(platform, post_id.rsplit(":", 1)[-1])
    assert doc is not None, post_id
    truth: dict = sb.metrics(doc, when)
    # YouTube leaves out what the creator hides or turned off (C§4.2): None, not 0.
    if doc.get("likes_hidden"):
        truth["likes"] = None
    if doc.get("comments_disabled"):
        truth["comments"] = None
    return truth


@pytest.mark.parametrize("platform", PLATFORMS)
def test_snapshots_match_the_sandbox_at_sync_time(metrics_env, sandbox, platform):
    conn = imported(metrics_env, platform)
    posts = {p.id: p for p in tracked(conn.id)}
    assert len(posts) >= 20
    before_calls = calls(sandbox, platform)
    t0 = sandbox.sandbox.now()
    run_id = sync_runs.sync_now(trigger="test", inline=True)
    t1 = sandbox.sandbox.now()
    spent = calls(sandbox, platform) - before_calls

    snaps = snapshots(run_id)
    assert {s.tracked_post_id for s in snaps} == set(posts)
    for snap in snaps:
        post = posts[snap.tracked_post_id]
        assert snap.extra, "whatever else the platform gives is kept under its own names"
        low = truth_at(sandbox, platform, post.platform_post_id, t0)
        high = truth_at(sandbox, platform, post.platform_post_id, t1)
        for name in REPORTED[platform]:
            got = getattr(snap, name)
            if low[name] is None:
                assert got is None, (platform, name, got)
                continue
            # Numbers only grow: the answer lies between the truth before and after the sync.
            assert got is not None and low[name] <= got <= high[name], (platform, name, got, low, high)

    with session_scope() as s:
        run = sync_runs.view(s, run_id)
        accounts = s.exec(select(AccountSnapshot).where(AccountSnapshot.sync_run_id == run_id)).all()
        conns_n = len(accounts)
        assert run.status == "finished" and run.posts == len(posts) and run.errors == 0
        assert run.calls == spent, "the run reports the calls the platform saw"
        provider = _provider(platform)
        minimum = conns_n * provider.ACCOUNT_CALLS + provider.metric_calls(len(posts))
        assert spent == minimum, (spent, minimum)
        for acct in accounts:
            account_id = s.get(type(conn), acct.connection_id).account_id
            doc = sandbox.sandbox.account(platform, account_id)
            assert doc is not None, (platform, account_id)
            followers = sandbox.sandbox.followers(doc)
            if platform == "youtube":  # public subscriber counts: three significant figures
                from socialhub.sandbox.platforms.youtube.data import three_significant

                followers = three_significant(followers)
            # Followers grow continuously; the sync read them a moment ago.
            assert acct.followers is not None and abs(acct.followers - followers) <= 2, (
                acct.followers,
                followers,
            )
        post_rows = s.exec(select(TrackedPost).where(TrackedPost.connection_id == conn.id)).all()
        assert all(p.last_synced_at is not None for p in post_rows)


def _provider(platform: str):
    from socialhub.services import access

    p = access.provider_for(platform)
    p.close()
    return p
