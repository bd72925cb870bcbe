"""The OAuth connect flow for all six platforms, end to end against the sandbox."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from socialhub import security
from socialhub.config import PLATFORMS
from socialhub.models import AccountSnapshot, Connection, ConnectionStatus, OAuthState, utcnow
from socialhub.services import connections as svc
from tests.connections.conftest import make_user
from tests.oauth_helpers import consent


def _connect(db, user, platform: str, decision: str = "approve") -> list:
    url = svc.start_connect(db, user_id=user.id, platform=platform)
    params = consent(url, decision=decision)
    return svc.finish_connect(
        db,
        user_id=user.id,
        platform=platform,
        state=params.get("state"),
        code=params.get("code"),
        error=params.get("error"),
        error_description=params.get("error_description"),
    ), params


@pytest.mark.parametrize("platform", PLATFORMS)
def test_connect_stores_account_with_encrypted_tokens(connect_env, platform):
    db = connect_env
    user = make_user(db)
    views, params = _connect(db, user, platform)
    assert params["_redirect"] == f"http://127.0.0.1:3999/oauth/{platform}/callback"
    assert views, "no account connected"
    conn = db.exec(select(Connection).where(Connection.user_id == user.id)).first()
    assert conn.platform == platform and conn.status == ConnectionStatus.active
    assert conn.username and conn.account_id and conn.is_sandbox
    assert conn.followers is not None and conn.followers >= 0
    access = security.decrypt(conn.access_token_enc)
    raw = repr(db.connection().execute(text("SELECT * FROM connections")).fetchall())
    assert access and access not in raw
    assert (
        db.exec(select(AccountSnapshot).where(AccountSnapshot.connection_id == conn.id)).first() is not None
    )
    # The stored token really works at the platform.
    view = svc.sync_account(db, user_id=user.id, connection_id=conn.id)
    assert view.username == conn.username
    # The state cannot be used twice.
    with pytest.raises(svc.ConnectError, match="already used"):
        svc.finish_connect(db, user_id=user.id, platform=platform, state=params["state"], code=params["code"])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_denied_consent_stores_nothing(connect_env, platform):
    db = connect_env
    user = make_user(db)
    with pytest.raises(svc.ConnectError, match="not granted|reported an error"):
        _connect(db, user, platform, decision="deny")
    assert db.exec(select(Connection)).all() == []


def test_state_bound_to_user_single_use_and_expiring(connect_env):
    db = connect_env
    alice, mallory = make_user(db, "alice@example.com"), make_user(db, "mallory@example.com")
    url = svc.start_connect(db, user_id=alice.id, platform="x")
    params = consent(url)
    # Another user's session cannot finish Alice's flow, and the attempt burns nothing of hers.
    with pytest.raises(svc.ConnectError, match="could not be matched"):
        svc.finish_connect(db, user_id=mallory.id, platform="x", state=params["state"], code=params["code"])
    # A forged state is refused.
    with pytest.raises(svc.ConnectError, match="could not be matched"):
        svc.finish_connect(db, user_id=alice.id, platform="x", state="forged", code=params["code"])
    # Wrong platform in the callback path.
    with pytest.raises(svc.ConnectError, match="could not be matched"):
        svc.finish_connect(
            db, user_id=alice.id, platform="tiktok", state=params["state"], code=params["code"]
        )
    assert db.exec(select(Connection)).all() == []
    # An expired state is refused.
    row = db.exec(select(OAuthState).where(OAuthState.user_id == alice.id)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.commit()
    with pytest.raises(svc.ConnectError, match="expired"):
        svc.finish_connect(db, user_id=alice.id, platform="x", state=params["state"], code=params["code"])
    assert db.exec(select(Connection)).all() == []


def test_reused_code_is_refused_by_the_platform(connect_env):
    db = connect_env
    user = make_user(db)
    url = svc.start_connect(db, user_id=user.id, platform="tiktok")
    params = consent(url)
    svc.finish_connect(db, user_id=user.id, platform="tiktok", state=params["state"], code=params["code"])
    # A second flow replaying the first code: the platform says no, nothing new is stored.
    url2 = svc.start_connect(db, user_id=user.id, platform="tiktok")
    state2 = httpx.URL(url2).params["state"]
    before = len(db.exec(select(Connection)).all())
    with pytest.raises(svc.ConnectError, match="did not complete"):
        svc.finish_connect(db, user_id=user.id, platform="tiktok", state=state2, code=params["code"])
    assert len(db.exec(select(Connection)).all()) == before


def test_pkce_verifier_stays_server_side(connect_env):
    db = connect_env
    user = make_user(db)
    url = svc.start_connect(db, user_id=user.id, platform="x")
    q = httpx.URL(url).params
    assert q["code_challenge_method"] == "S256" and q["code_challenge"]
    row = db.exec(select(OAuthState)).one()
    verifier = security.decrypt(row.code_verifier_enc)
    assert verifier not in url and security.s256_challenge(verifier) == q["code_challenge"]
    assert row.state_hash != q["state"] and row.state_hash == security.token_digest(q["state"])


def test_other_users_cannot_touch_a_connection(connect_env):
    db = connect_env
    owner, other = make_user(db, "owner@example.com"), make_user(db, "other@example.com")
    views, _ = _connect(db, owner, "youtube")
    with pytest.raises(svc.NotYours):
        svc.disconnect(db, user_id=other.id, connection_id=views[0].id)
    with pytest.raises(svc.NotYours):
        svc.sync_account(db, user_id=other.id, connection_id=views[0].id)
    with pytest.raises(svc.NotYours):
        svc.start_connect(db, user_id=other.id, platform="youtube", reconnect_connection_id=views[0].id)
    assert db.get(Connection, views[0].id) is not None
