"""The sandbox's own machinery over HTTP: index, control auth, clock, config, faults."""

from datetime import timedelta

import httpx


def test_index_lists_platforms(sandbox):
    body = httpx.get(sandbox.url + "/").json()
    assert body["name"] == "SocialHub platform sandbox"
    assert isinstance(body["platforms"], list)


def test_control_requires_admin_token(sandbox):
    assert httpx.get(sandbox.url + "/_sandbox/counters").status_code == 401
    wrong = httpx.get(sandbox.url + "/_sandbox/counters", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert sandbox.control.get("/counters").status_code == 200


def test_clock_moves_forward(fresh_sandbox):
    before = fresh_sandbox.control.get("/clock").json()["now_ts"]
    fresh_sandbox.advance(6 * 3600)
    after = fresh_sandbox.control.get("/clock").json()["now_ts"]
    assert 6 * 3600 <= after - before < 6 * 3600 + 60


def test_clock_survives_restart(tmp_path):
    from tests.servers import SandboxHandle

    first = SandboxHandle(tmp_path / "s.db")
    first.advance(86400 * 60)
    moved = first.control.get("/clock").json()["now_ts"]
    first.close()
    second = SandboxHandle(tmp_path / "s.db")
    try:
        assert second.control.get("/clock").json()["now_ts"] >= moved
    finally:
        second.close()


def test_config_rejects_unknown_keys(fresh_sandbox):
    bad = fresh_sandbox.control.post("/config", json={"no.such.key": 1})
    assert bad.status_code == 400
    ok = fresh_sandbox.control.post("/config", json={"instagram.publish_quota_total": 50})
    assert ok.json()["instagram.publish_quota_total"] == 50


def test_fault_needs_known_platform(sandbox):
    assert (
        sandbox.control.post("/faults", json={"platform": "myspace", "error": "server_error"}).status_code
        == 400
    )


def _x_me(handle, token):
    return httpx.get(
        handle.platform_url("api.x.com", "/2/users/me"), headers={"Authorization": f"Bearer {token}"}
    )


def _x_account(handle) -> str:
    return handle.accounts("x")[0]["id"]


def test_index_lists_every_platform_prefix_and_accounts(sandbox):
    body = httpx.get(sandbox.url + "/").json()
    platforms = {p for entry in body["platforms"] for p in entry["platforms"]}
    assert platforms == {"instagram", "facebook", "tiktok", "youtube", "linkedin", "x"}
    prefixes = {p for entry in body["platforms"] for p in entry["prefixes"]}
    for host in (
        "/graph.facebook.com",
        "/open.tiktokapis.com",
        "/www.googleapis.com",
        "/api.linkedin.com",
        "/api.x.com",
    ):
        assert host in prefixes
    for entry in body["platforms"]:
        for accounts in entry["accounts"].values():
            assert len(accounts) >= 2


def test_platform_down_and_back(fresh_sandbox):
    token = fresh_sandbox.mint("x", _x_account(fresh_sandbox))["access_token"]
    assert _x_me(fresh_sandbox, token).status_code == 200
    fresh_sandbox.control.post("/platforms/x/down", json={"down": True}).raise_for_status()
    assert _x_me(fresh_sandbox, token).status_code == 503
    fresh_sandbox.control.post("/platforms/x/down", json={"down": False}).raise_for_status()
    assert _x_me(fresh_sandbox, token).status_code == 200


def test_fault_for_next_n_calls_then_clears(fresh_sandbox):
    token = fresh_sandbox.mint("x", _x_account(fresh_sandbox))["access_token"]
    fresh_sandbox.fault("x", "server_error", count=2, endpoint="/2/users/me")
    codes = [_x_me(fresh_sandbox, token).status_code for _ in range(3)]
    assert codes[0] >= 500 and codes[1] >= 500 and codes[2] == 200


def test_injected_latency_is_real(fresh_sandbox):
    import time

    token = fresh_sandbox.mint("x", _x_account(fresh_sandbox))["access_token"]
    fresh_sandbox.control.post(
        "/faults", json={"platform": "x", "kind": "latency", "latency_ms": 400, "count": 1}
    )
    started = time.monotonic()
    assert _x_me(fresh_sandbox, token).status_code == 200
    assert time.monotonic() - started >= 0.4


def test_error_rate_applies_to_a_share_of_calls(fresh_sandbox):
    token = fresh_sandbox.mint("x", _x_account(fresh_sandbox))["access_token"]
    fresh_sandbox.control.post("/faults", json={"platform": "x", "error": "rate_limited", "rate": 0.5})
    codes = [_x_me(fresh_sandbox, token).status_code for _ in range(40)]
    assert 5 <= codes.count(429) <= 35 and codes.count(200) == 40 - codes.count(429)


def test_malformed_body_and_counters(fresh_sandbox):
    token = fresh_sandbox.mint("x", _x_account(fresh_sandbox))["access_token"]
    before = fresh_sandbox.counters().get("calls:x", 0)
    fresh_sandbox.fault("x", "malformed", count=1)
    resp = _x_me(fresh_sandbox, token)
    assert resp.status_code == 200
    try:
        resp.json()
        raise AssertionError("body should not parse")
    except ValueError:
        pass
    assert fresh_sandbox.counters()["calls:x"] == before + 1


def test_expire_and_revoke_tokens_via_control(fresh_sandbox):
    first = fresh_sandbox.mint("x", _x_account(fresh_sandbox))["access_token"]
    fresh_sandbox.control.post("/tokens/expire", json={"token": first}).raise_for_status()
    assert _x_me(fresh_sandbox, first).status_code == 401
    second = fresh_sandbox.mint("x", _x_account(fresh_sandbox))["access_token"]
    fresh_sandbox.control.post(
        "/tokens/revoke", json={"platform": "x", "account_id": _x_account(fresh_sandbox)}
    ).raise_for_status()
    assert _x_me(fresh_sandbox, second).status_code == 401


def test_state_survives_restart(tmp_path):
    from tests.servers import SandboxHandle

    first = SandboxHandle(tmp_path / "s.db")
    account = _x_account(first)
    token = first.mint("x", account)["access_token"]
    first.close()
    second = SandboxHandle(tmp_path / "s.db")
    try:
        assert _x_me(second, token).json()["data"]["id"] == account
    finally:
        second.close()


def test_seeding_is_deterministic(tmp_path):
    from tests.servers import SandboxHandle

    a = SandboxHandle(tmp_path / "a.db", seed=7)
    b = SandboxHandle(tmp_path / "b.db", seed=7)
    try:
        assert [x["id"] for x in a.accounts("tiktok")] == [x["id"] for x in b.accounts("tiktok")]
        posts_a = sorted(p["id"] for p in a.sandbox.posts("tiktok"))
        posts_b = sorted(p["id"] for p in b.sandbox.posts("tiktok"))
        assert posts_a == posts_b and len(posts_a) >= 24
    finally:
        a.close()
        b.close()


def test_metrics_grow_fast_then_slow(fresh_sandbox):
    sb = fresh_sandbox.sandbox
    post = sb.add_post("x", "999", _x_account(fresh_sandbox), text="growth check")
    views = []
    for hours in (0, 6, 24, 24 * 7, 24 * 60):
        at = sb.now() + timedelta(hours=hours)
        views.append(sb.metrics(post, at=at)["views"])
    assert views[0] == 0 and views == sorted(views)
    # The first day gains more than an average later day.
    assert views[2] - views[1] > (views[4] - views[3]) / (60 - 7)
