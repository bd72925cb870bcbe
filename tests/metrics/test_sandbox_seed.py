"""The sandbox's seed_posts control: more posts for an existing account, in each platform's
own id formats, listed and measured by the platform endpoints like any other post."""

from __future__ import annotations

import pytest

from socialhub.services import sync_runs
from tests.metrics.conftest import PLATFORMS, connection, snapshots, tracked


@pytest.mark.parametrize("platform", PLATFORMS)
def test_seeded_posts_are_listed_and_synced(metrics_env, fresh_sandbox, monkeypatch, platform):
    from socialhub.config import reset_settings_cache
    from socialhub.services import tracking

    sandbox = fresh_sandbox
    monkeypatch.setenv("SOCIALHUB_SANDBOX_URL", sandbox.url)
    reset_settings_cache()
    conn = connection(metrics_env, platform)
    before = len(sandbox.sandbox.posts(platform, conn.account_id))
    body = {"platform": platform, "account_id": conn.account_id, "count": 30, "days": 80}
    resp = sandbox.control.post("/seed_posts", json=body)
    assert resp.status_code == 200 and resp.json()["created"] == 30
    assert len(sandbox.sandbox.posts(platform, conn.account_id)) == before + 30
    tracking.import_recent(user_id=conn.user_id, connection_id=conn.id)
    posts = tracked(conn.id)
    assert len(posts) == before + 30
    run_id = sync_runs.sync_now(trigger="manual", inline=True)
    assert len(snapshots(run_id)) == len(posts)


def test_seed_posts_refuses_bad_input(sandbox):
    account = sandbox.accounts("x")[0]["id"]
    bad = [
        ({"platform": "x", "account_id": "nobody", "count": 5}, 404),
        ({"platform": "x", "count": 5}, 400),
        ({"platform": "x", "account_id": account, "count": 0}, 400),
        ({"platform": "x", "account_id": account, "count": 10**7}, 400),
        ({"platform": "myspace", "account_id": "1", "count": 5}, 400),
        ({"platform": "x", "account_id": account, "count": 5, "extra": 1}, 400),
    ]
    for body, status in bad:
        assert sandbox.control.post("/seed_posts", json=body).status_code == status, body
