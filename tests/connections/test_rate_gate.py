"""The rate gate: set from the platforms' own signals, checked before any I/O, shared by every
process through Redis. Calls are counted by the sandbox, so "no call spent" is measured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from socialhub.models import Connection, SyncError
from socialhub.providers.base import QuotaReading, RateLimited
from socialhub.services import access, rate_gate
from socialhub.services import connections as svc
from tests.connections.conftest import connected


def _calls(sandbox, platform: str) -> int:
    return sandbox.counters().get(f"calls:{platform}", 0)


def test_a_429_closes_the_gate_and_the_next_call_costs_nothing(connect_env, sandbox):
    db = connect_env
    conn = connected(db, "x")
    sandbox.fault("x", "rate_limited", count=1)
    with pytest.raises(RateLimited) as first:
        svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    # X's x-rate-limit-reset is the time the gate opens again.
    assert first.value.retry_at is not None and first.value.retry_at > datetime.now(UTC)
    gate = rate_gate.blocked("x", conn.account_id)
    assert gate is not None and abs((gate.until - first.value.retry_at).total_seconds()) < 2
    before = _calls(sandbox, "x")
    with pytest.raises(RateLimited) as second:
        svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    assert _calls(sandbox, "x") == before, "a call was spent on a blocked account"
    assert second.value.retry_at == gate.until
    # Only the platform's answer is logged, not every refusal at the gate.
    assert len(db.exec(select(SyncError).where(SyncError.connection_id == conn.id)).all()) == 1
    rate_gate.clear("x", conn.account_id)
    assert svc.sync_account(user_id=conn.user_id, connection_id=conn.id).status == "active"


def test_the_gate_is_per_account(connect_env, sandbox):
    db = connect_env
    first = connected(db, "x", "one@example.com")
    second = connected(db, "x", "two@example.com")
    accounts = sandbox.accounts("x")
    assert first.account_id == second.account_id == accounts[0]["id"]  # same demo account
    rate_gate.block("x", "someone-else", datetime.now(UTC) + timedelta(minutes=5), "test")
    svc.sync_account(user_id=first.user_id, connection_id=first.id)  # not blocked
    rate_gate.block("x", first.account_id, datetime.now(UTC) + timedelta(minutes=5), "test")
    with pytest.raises(RateLimited):
        svc.sync_account(user_id=second.user_id, connection_id=second.id)


def test_youtube_quota_exceeded_blocks_the_whole_app_until_pacific_midnight(connect_env, sandbox):
    db = connect_env
    conn = connected(db, "youtube", "a@example.com")
    other = connected(db, "youtube", "b@example.com")
    sandbox.set_config(**{"youtube.quota_units_per_day": 0})
    try:
        with pytest.raises(RateLimited) as err:
            svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    finally:
        sandbox.set_config(**{"youtube.quota_units_per_day": 10000})
    gate = rate_gate.blocked("youtube", "")
    assert gate is not None and gate.until == err.value.retry_at
    pacific = gate.until.astimezone(__import__("zoneinfo").ZoneInfo("America/Los_Angeles"))
    assert (pacific.hour, pacific.minute) == (0, 0)
    before = _calls(sandbox, "youtube")
    with pytest.raises(RateLimited):  # another creator's channel: the quota is the app's
        svc.sync_account(user_id=other.user_id, connection_id=other.id)
    assert _calls(sandbox, "youtube") == before


def test_a_spent_quota_reading_closes_the_gate(redis):
    until = datetime.now(UTC) + timedelta(minutes=30)
    reading = QuotaReading(bucket="app", account_key="acct-1", percent=100.0, blocked_until=until)
    assert rate_gate.block_from_reading("instagram", reading)
    with pytest.raises(RateLimited) as err:
        rate_gate.check("instagram", "acct-1")
    assert abs((err.value.retry_at - until).total_seconds()) < 0.01
    # A shorter block never shortens a longer one.
    assert not rate_gate.block("instagram", "acct-1", datetime.now(UTC) + timedelta(minutes=1), "short")
    assert rate_gate.blocked("instagram", "acct-1").until == err.value.retry_at
    rate_gate.check("instagram", "acct-2")  # other accounts are open


def test_quota_recording_never_fails_a_good_call(connect_env, monkeypatch):
    """A broken quota store (here: the table write raises) must not turn a successful platform
    call into a failure, and the sink itself is cheap: nothing is written during the call."""
    db = connect_env
    conn = connected(db, "x")

    def broken(*args, **kwargs):
        raise RuntimeError("quota store unavailable")

    monkeypatch.setattr("socialhub.services.quotas.record", broken)
    view = svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    assert view.status == "active" and view.last_error is None
    db.expire_all()
    assert db.get(Connection, conn.id).last_error is None


def test_a_raising_sink_does_not_fail_the_provider_call(sandbox):
    from socialhub.providers.x import XProvider

    def sink(platform, reading):
        raise RuntimeError("boom")

    minted = sandbox.mint("x", sandbox.accounts("x")[0]["id"])
    provider = XProvider(client_id="c", client_secret="s", base_url=sandbox.url, quota_sink=sink)
    try:
        from socialhub.providers.base import Credentials

        account = provider.get_account(Credentials(access_token=minted["access_token"], account_id=""))
    finally:
        provider.close()
    assert account.username


def test_quota_readings_are_saved_once_after_the_call(connect_env):
    from socialhub.models import QuotaUsage

    db = connect_env
    conn = connected(db, "x")
    for row in db.exec(select(QuotaUsage)).all():  # the connect flow's own readings
        db.delete(row)
    db.commit()
    buffer = access.QuotaBuffer()
    buffer("x", QuotaReading(bucket="GET /2/users/me", account_key=conn.account_id, used=1, limit=75))
    assert db.exec(select(QuotaUsage)).all() == []  # appending writes nothing
    buffer.flush(conn.id)
    rows = db.exec(select(QuotaUsage)).all()
    assert [(r.bucket, r.connection_id) for r in rows] == [("GET /2/users/me", conn.id)]


def test_a_publishing_cap_does_not_close_the_gate_for_other_calls(connect_env, sandbox):
    """Instagram's posts-per-24-h cap refuses publishing only: the metric sync of the same
    account goes on (a closed gate would have stopped it for an hour)."""
    db = connect_env
    conn = connected(db, "instagram")
    sandbox.set_config(**{"instagram.publish_quota_total": 0})
    try:
        with pytest.raises(RateLimited, match="0 posts through its API"):
            access.call(conn.id, lambda p, c: p._check_publish_quota(c, c.account_id), job="publish")
    finally:
        sandbox.set_config(**{"instagram.publish_quota_total": 100})
    assert rate_gate.blocked("instagram", conn.account_id) is None
    assert svc.sync_account(user_id=conn.user_id, connection_id=conn.id).status == "active"
