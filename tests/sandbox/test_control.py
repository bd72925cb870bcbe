"""The sandbox's own machinery over HTTP: index, control auth, clock, config, faults."""

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
    assert sandbox.control.post("/faults", json={"platform": "myspace", "error": "server_error"}).status_code == 400
