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


def test_the_store_index_answers_like_a_full_scan(tmp_path):
    from socialhub.sandbox.store import Store

    store = Store(tmp_path / "s.db")
    for i in range(30):
        store.put("posts", f"x:{i}", {"platform": "x", "account_id": str(i % 3), "id": str(i), "tags": [i]})
    store.update("posts", "x:4", account_id="2")  # moves from account 1 to account 2
    store.delete("posts", "x:5")

    def scan(account: str) -> set[str]:
        return {d["id"] for d in store.all("posts") if d["platform"] == "x" and d["account_id"] == account}

    for account in ("0", "1", "2"):
        assert {d["id"] for d in store.find("posts", platform="x", account_id=account)} == scan(account)
    found = store.find("posts", platform="x", account_id="0")[0]
    found["tags"].append("changed")  # a copy: the store is not changed through it
    assert store.get("posts", f"x:{found['id']}")["tags"] == [int(found["id"])]
    store.close()
    reopened = Store(tmp_path / "s.db")  # the index is rebuilt from disk
    assert {d["id"] for d in reopened.find("posts", platform="x", account_id="2")} == scan("2")
    reopened.close()
