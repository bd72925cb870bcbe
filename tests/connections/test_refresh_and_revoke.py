"""Token refresh, refresh failure, revocation noticed on use, and disconnect."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from socialhub import security
from socialhub.db import get_engine
from socialhub.models import Connection, ConnectionStatus, SyncError, utcnow
from socialhub.providers.base import AuthExpired, AuthRevoked, ProviderError
from socialhub.services import connections as svc
from tests.connections.conftest import make_user
from tests.oauth_helpers import consent

RENEWABLE = ["instagram", "tiktok", "youtube", "x"]


def _connected(db, platform: str, email: str = "creator@example.com") -> Connection:
    user = make_user(db, email)
    url = svc.start_connect(db, user_id=user.id, platform=platform)
    params = consent(url)
    views = svc.finish_connect(
        db, user_id=user.id, platform=platform, state=params["state"], code=params["code"]
    )
    return db.get(Connection, views[0].id)


def _due(db, conn: Connection, minutes: int = 5) -> None:
    conn.access_expires_at = utcnow() + timedelta(minutes=minutes)
    db.add(conn)
    db.commit()


@pytest.mark.parametrize("platform", RENEWABLE)
def test_refresh_before_expiry(connect_env, platform):
    db = connect_env
    conn = _connected(db, platform)
    old_access = security.decrypt(conn.access_token_enc)
    _due(db, conn)
    assert svc.refresh_expiring_tokens() == {"refreshed": 1}
    db.expire_all()
    conn = db.get(Connection, conn.id)
    assert security.decrypt(conn.access_token_enc) != old_access
    assert conn.access_expires_at > utcnow() + timedelta(minutes=30)
    assert conn.status == ConnectionStatus.active and conn.last_refresh_at is not None
    # The new token works; nothing is due any more.
    svc.sync_account(db, user_id=conn.user_id, connection_id=conn.id)
    assert svc.refresh_expiring_tokens() == {}


def test_linkedin_without_refresh_token_asks_for_reconnect(connect_env):
    db = connect_env
    conn = _connected(db, "linkedin")
    assert conn.refresh_token_enc is None  # the sandbox default, like LinkedIn for most apps
    _due(db, conn, minutes=60 * 24 * 3)
    assert svc.refresh_expiring_tokens() == {"needs_reconnect": 1}
    db.expire_all()
    conn = db.get(Connection, conn.id)
    assert svc.display_status(conn) == "expiring" and "reconnect" in conn.last_error.lower()


def test_facebook_page_tokens_do_not_expire(connect_env):
    db = connect_env
    conn = _connected(db, "facebook")
    assert conn.access_expires_at is None
    assert svc.refresh_expiring_tokens() == {}


@pytest.mark.parametrize("platform", RENEWABLE + ["linkedin"])
def test_refresh_failure_after_platform_revocation(connect_env, sandbox, platform):
    db = connect_env
    conn = _connected(db, platform)
    sandbox.control.post(
        "/tokens/revoke", json={"platform": platform, "account_id": _sandbox_account(conn)}
    ).raise_for_status()
    outcome = svc.refresh_connection(db, conn.id, force=True)
    assert outcome in {"auth_revoked", "auth_expired", "needs_reconnect"}
    db.expire_all()
    conn = db.get(Connection, conn.id)
    assert svc.display_status(conn) in {"revoked", "expired", "expiring"} and conn.last_error


@pytest.mark.parametrize("platform", ["instagram", "facebook", "tiktok", "youtube", "linkedin", "x"])
def test_revocation_detected_on_next_use(connect_env, sandbox, platform):
    db = connect_env
    conn = _connected(db, platform)
    sandbox.control.post(
        "/tokens/revoke", json={"platform": platform, "account_id": _sandbox_account(conn)}
    ).raise_for_status()
    with pytest.raises((AuthRevoked, AuthExpired)):
        svc.sync_account(db, user_id=conn.user_id, connection_id=conn.id)
    db.expire_all()
    conn = db.get(Connection, conn.id)
    assert conn.status in (ConnectionStatus.revoked, ConnectionStatus.expired)
    assert conn.last_error
    assert db.exec(select(SyncError).where(SyncError.connection_id == conn.id)).first() is not None


@pytest.mark.parametrize("platform", ["instagram", "facebook", "tiktok", "youtube", "linkedin", "x"])
def test_disconnect_revokes_and_deletes(connect_env, platform):
    db = connect_env
    conn = _connected(db, platform)
    creds = svc.credentials(conn)
    message = svc.disconnect(db, user_id=conn.user_id, connection_id=conn.id)
    assert "disconnected" in message
    assert db.get(Connection, conn.id) is None
    provider = svc.provider_for(platform)
    try:
        if "revoked at" in message:
            with pytest.raises(ProviderError):
                provider.get_account(creds)
    finally:
        provider.close()


def test_concurrent_refresh_refreshes_once(connect_env):
    """Two refreshers at once (rotating TikTok refresh tokens): one refreshes, the other sees
    a fresh token, and the stored refresh token still works afterwards."""
    db = connect_env
    conn = _connected(db, "tiktok")
    _due(db, conn)
    results: list[str] = []

    def run() -> None:
        with Session(get_engine(), expire_on_commit=False) as s:
            results.append(svc.refresh_connection(s, conn.id))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["fresh", "refreshed"]
    assert svc.refresh_connection(db, conn.id, force=True) == "refreshed"


def _sandbox_account(conn: Connection) -> str:
    """The sandbox account behind a connection (Meta connections are pages / IG users whose
    tokens belong to the Facebook user)."""
    return str(conn.extra.get("sandbox_owner_id") or conn.extra.get("fb_user_id") or conn.account_id)
