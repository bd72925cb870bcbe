"""Quota readings land in the database; platform failures are recorded without losing the connection."""

from __future__ import annotations

import pytest
from sqlmodel import select

from socialhub.models import Connection, ConnectionStatus, QuotaUsage, SyncError
from socialhub.providers.base import RateLimited, TransientError
from socialhub.services import connections as svc
from tests.connections.conftest import connected


def _connected(db, platform: str) -> Connection:
    return connected(db, platform)


@pytest.mark.parametrize("platform", ["x", "instagram"])
def test_rate_limit_headers_are_recorded_as_quota_use(connect_env, platform):
    db = connect_env
    conn = _connected(db, platform)
    svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    rows = db.exec(select(QuotaUsage).where(QuotaUsage.platform == platform)).all()
    assert rows, "no quota reading recorded"
    assert any(r.limit or r.percent is not None or r.used is not None for r in rows)


def test_rate_limited_call_keeps_connection_active_and_logs(connect_env, sandbox):
    db = connect_env
    conn = _connected(db, "x")
    sandbox.fault("x", "rate_limited", count=1)
    with pytest.raises(RateLimited) as err:
        svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    assert err.value.retry_at is not None
    db.expire_all()
    conn = db.get(Connection, conn.id)
    assert conn.status == ConnectionStatus.active and "rate limit" in conn.last_error.lower()
    logged = db.exec(select(SyncError).where(SyncError.connection_id == conn.id)).one()
    assert logged.kind == "rate_limited"


def test_platform_outage_is_transient(connect_env, sandbox):
    db = connect_env
    conn = _connected(db, "tiktok")
    sandbox.control.post("/platforms/tiktok/down", json={"down": True}).raise_for_status()
    try:
        with pytest.raises(TransientError):
            svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    finally:
        sandbox.control.post("/platforms/tiktok/down", json={"down": False}).raise_for_status()
    db.expire_all()
    assert db.get(Connection, conn.id).status == ConnectionStatus.active
    # Once the platform is back, the Refresh button works again and clears the error.
    view = svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    assert view.status == "active" and view.last_error is None
