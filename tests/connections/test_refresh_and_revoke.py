"""Token refresh, refresh failure, revocation noticed on use, and disconnect."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from socialhub import security
from socialhub.models import Connection, ConnectionStatus, SyncError, utcnow
from socialhub.providers.base import AuthRevoked, ProviderError, TransientError
from socialhub.services import access
from socialhub.services import connections as svc
from socialhub.services.access import RefreshOutcome
from socialhub.services.connections import RevokeOutcome
from tests.connections.conftest import connected

RENEWABLE = ["instagram", "tiktok", "youtube", "x"]
# The token endpoints that refresh each renewable platform (fault injection targets).
TOKEN_ENDPOINTS = {
    "instagram": "/oauth/access_token",
    "tiktok": "/v2/oauth/token/",
    "youtube": "/token",
    "x": "/2/oauth2/token",
}


def _due(db, conn: Connection, minutes: int = 5) -> None:
    conn.access_expires_at = utcnow() + timedelta(minutes=minutes)
    db.add(conn)
    db.commit()


def _reload(db, conn: Connection) -> Connection:
    db.expire_all()
    return db.get(Connection, conn.id)


@pytest.mark.parametrize("platform", RENEWABLE)
def test_refresh_before_expiry(connect_env, platform):
    db = connect_env
    conn = connected(db, platform)
    old_access = security.decrypt(conn.access_token_enc)
    _due(db, conn)
    assert access.refresh_expiring_tokens() == {"refreshed": 1}
    conn = _reload(db, conn)
    assert security.decrypt(conn.access_token_enc) != old_access
    assert conn.access_expires_at > utcnow() + timedelta(minutes=30)
    assert conn.status == ConnectionStatus.active and conn.last_refresh_at is not None
    # The new token works; nothing is due any more.
    svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    assert access.refresh_expiring_tokens() == {}


def test_linkedin_without_refresh_token_asks_for_reconnect(connect_env):
    db = connect_env
    conn = connected(db, "linkedin")
    assert conn.refresh_token_enc is None  # the sandbox default, like LinkedIn for most apps
    _due(db, conn, minutes=60 * 24 * 3)
    assert access.refresh_expiring_tokens() == {"needs_reconnect": 1}
    conn = _reload(db, conn)
    assert svc.display_status(conn) == "expiring" and "reconnect" in conn.last_error.lower()


def test_facebook_page_tokens_do_not_expire(connect_env):
    db = connect_env
    conn = connected(db, "facebook")
    assert conn.access_expires_at is None
    assert access.refresh_expiring_tokens() == {}


@pytest.mark.parametrize("platform", RENEWABLE)
def test_refresh_after_platform_revocation_marks_revoked(connect_env, sandbox, platform):
    db = connect_env
    conn = connected(db, platform)
    sandbox.control.post(
        "/tokens/revoke", json={"platform": platform, "account_id": _sandbox_account(conn)}
    ).raise_for_status()
    result = access.refresh_connection(conn.id, force=True)
    assert result.outcome == RefreshOutcome.revoked and isinstance(result.error, AuthRevoked)
    conn = _reload(db, conn)
    assert conn.status == ConnectionStatus.revoked and conn.last_error
    assert svc.display_status(conn) == "revoked"


@pytest.mark.parametrize("platform", ["instagram", "facebook", "tiktok", "youtube", "linkedin", "x"])
def test_revocation_detected_on_next_use(connect_env, sandbox, platform):
    """Revoked at the platform: the call fails, the refresh it tries fails too, and the
    connection ends `revoked` (not `expired`), with one error logged for the call."""
    db = connect_env
    conn = connected(db, platform)
    sandbox.control.post(
        "/tokens/revoke", json={"platform": platform, "account_id": _sandbox_account(conn)}
    ).raise_for_status()
    with pytest.raises(AuthRevoked):
        svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    conn = _reload(db, conn)
    assert conn.status == ConnectionStatus.revoked
    assert conn.last_error
    assert len(db.exec(select(SyncError).where(SyncError.connection_id == conn.id)).all()) == 1
    # A connection known to be revoked costs no further platform call.
    before = sandbox.counters().get(f"calls:{platform}", 0)
    with pytest.raises(AuthRevoked):
        svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    assert sandbox.counters().get(f"calls:{platform}", 0) == before


@pytest.mark.parametrize("platform", ["tiktok", "x", "youtube"])
def test_server_error_from_token_endpoint_does_not_kill_the_connection(connect_env, sandbox, platform):
    """A single 5xx while refreshing an expired token: the call fails as transient, the
    connection stays renewable, and the next hourly refresh succeeds."""
    db = connect_env
    conn = connected(db, platform)
    sandbox.control.post("/tokens/expire", json={"token": security.decrypt(conn.access_token_enc)})
    sandbox.fault(platform, "server_error", endpoint=TOKEN_ENDPOINTS[platform], count=1)
    with pytest.raises(TransientError):
        svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    conn = _reload(db, conn)
    assert conn.status == ConnectionStatus.active, conn.last_error
    assert len(db.exec(select(SyncError).where(SyncError.connection_id == conn.id)).all()) == 1
    _due(db, conn)
    assert access.refresh_expiring_tokens() == {"refreshed": 1}
    view = svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    assert view.status == "active" and view.last_error is None


# Instagram renews by exchanging a still-valid token; once it has expired, only reconnecting helps.
@pytest.mark.parametrize("platform", ["tiktok", "youtube", "x"])
def test_expired_token_is_refreshed_once_and_the_call_retried(connect_env, sandbox, platform):
    db = connect_env
    conn = connected(db, platform)
    old = security.decrypt(conn.access_token_enc)
    sandbox.control.post("/tokens/expire", json={"token": old}).raise_for_status()
    view = svc.sync_account(user_id=conn.user_id, connection_id=conn.id)
    assert view.status == "active"
    conn = _reload(db, conn)
    assert security.decrypt(conn.access_token_enc) != old
    assert db.exec(select(SyncError).where(SyncError.connection_id == conn.id)).all() == []


# Platforms whose sandbox (like the real one) has a revoke endpoint SocialHub calls.
REVOKES = {
    "instagram": RevokeOutcome.revoked,
    "facebook": RevokeOutcome.revoked,
    "tiktok": RevokeOutcome.revoked,
    "youtube": RevokeOutcome.revoked,
    "linkedin": RevokeOutcome.revoked,
    "x": RevokeOutcome.revoked,
}


@pytest.mark.parametrize("platform", list(REVOKES))
def test_disconnect_revokes_and_deletes(connect_env, platform):
    db = connect_env
    conn = connected(db, platform)
    creds, conn_id = svc.credentials(conn), conn.id
    result = svc.disconnect(user_id=conn.user_id, connection_id=conn_id)
    assert result.revoke == REVOKES[platform] and result.platform == platform
    db.expire_all()
    assert db.get(Connection, conn_id) is None
    # The platform really stopped accepting the token.
    provider = access.provider_for(platform)
    try:
        with pytest.raises(ProviderError):
            provider.get_account(creds)
    finally:
        provider.close()


def test_disconnect_deletes_even_when_the_platform_is_down(connect_env, sandbox):
    db = connect_env
    conn = connected(db, "x")
    conn_id, user_id = conn.id, conn.user_id
    sandbox.control.post("/platforms/x/down", json={"down": True}).raise_for_status()
    try:
        result = svc.disconnect(user_id=user_id, connection_id=conn_id)
    finally:
        sandbox.control.post("/platforms/x/down", json={"down": False}).raise_for_status()
    assert result.revoke == RevokeOutcome.failed and result.detail
    db.expire_all()
    assert db.get(Connection, conn_id) is None


def test_concurrent_refresh_refreshes_once(connect_env):
    """Two refreshers at once (rotating TikTok refresh tokens): one refreshes, the other sees
    a fresh token, and the stored refresh token still works afterwards."""
    db = connect_env
    conn = connected(db, "tiktok")
    _due(db, conn)
    results: list[str] = []

    def run() -> None:
        results.append(access.refresh_connection(conn.id).outcome.value)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["fresh", "refreshed"]
    assert access.refresh_connection(conn.id, force=True).outcome == RefreshOutcome.refreshed


def _sandbox_account(conn: Connection) -> str:
    """The sandbox account behind a connection (Meta connections are pages / IG users whose
    tokens belong to the Facebook user)."""
    return str(conn.extra.get("sandbox_owner_id") or conn.extra.get("fb_user_id") or conn.account_id)
