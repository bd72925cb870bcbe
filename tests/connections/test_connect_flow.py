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
from tests.connections.conftest import connect, finish, make_user, start
from tests.oauth_helpers import consent


def _connect(db, user, platform: str, decision: str = "approve") -> list:
    return connect(user.id, platform, decision=decision)


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
    view = svc.sync_account(user_id=user.id, connection_id=conn.id)
    assert view.username == conn.username
    # The state cannot be used twice.
    with pytest.raises(svc.ConnectError, match="already used"):
        finish(user.id, platform, params)


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
    params = consent(start(alice.id, "x"))
    # Another user's session cannot finish Alice's flow, and the attempt burns nothing of hers.
    with pytest.raises(svc.ConnectError, match="could not be matched"):
        finish(mallory.id, "x", params)
    # A forged state is refused.
    with pytest.raises(svc.ConnectError, match="could not be matched"):
        finish(alice.id, "x", {**params, "state": "forged"})
    # Wrong platform in the callback path.
    with pytest.raises(svc.ConnectError, match="could not be matched"):
        finish(alice.id, "tiktok", params)
    assert db.exec(select(Connection)).all() == []
    # An expired state is refused.
    row = db.exec(select(OAuthState).where(OAuthState.user_id == alice.id)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.commit()
    with pytest.raises(svc.ConnectError, match="expired"):
        finish(alice.id, "x", params)
    assert db.exec(select(Connection)).all() == []


def test_reused_code_is_refused_by_the_platform(connect_env):
    db = connect_env
    user = make_user(db)
    params = consent(start(user.id, "tiktok"))
    finish(user.id, "tiktok", params)
    # A second flow replaying the first code: the platform says no, nothing new is stored.
    state2 = httpx.URL(start(user.id, "tiktok")).params["state"]
    before = len(db.exec(select(Connection)).all())
    with pytest.raises(svc.ConnectError, match="did not complete"):
        finish(user.id, "tiktok", {**params, "state": state2})
    assert len(db.exec(select(Connection)).all()) == before


def test_pkce_verifier_stays_server_side(connect_env):
    db = connect_env
    user = make_user(db)
    url = start(user.id, "x")
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
        svc.disconnect(user_id=other.id, connection_id=views[0].id)
    with pytest.raises(svc.NotYours):
        svc.sync_account(user_id=other.id, connection_id=views[0].id)
    with pytest.raises(svc.NotYours):
        svc.start_connect(db, user_id=other.id, platform="youtube", reconnect_connection_id=views[0].id)
    assert db.get(Connection, views[0].id) is not None


# --- a login that manages several accounts: the creator picks --------------------------------


def _maya_accounts(platform: str) -> tuple[str, int]:
    """Maya (the sandbox's first Meta person) manages two Pages, one with Instagram."""
    return "100087654321001", 2 if platform == "facebook" else 1


def test_meta_login_with_several_pages_asks_which_to_connect(connect_env):
    db = connect_env
    user, other = make_user(db), make_user(db, "other@example.com")
    params = consent(start(user.id, "facebook"), account_id="100087654321001")
    result = finish(user.id, "facebook", params)
    # Nothing stored until the creator chooses; the choice shows names, never tokens.
    assert result.connected == [] and result.choice_id
    assert len(result.choices) == 2 and not any(c.already_connected for c in result.choices)
    assert db.exec(select(Connection)).all() == []
    row = db.get(OAuthState, result.choice_id)
    assert row.pending_accounts_enc and "access_token" not in row.pending_accounts_enc
    # Someone else cannot make the choice; an account that was not offered is refused.
    with pytest.raises(svc.ConnectError):
        svc.choose_accounts(
            user_id=other.id, choice_id=result.choice_id, account_ids=[result.choices[0].account_id]
        )
    with pytest.raises(svc.ConnectError, match="not part"):
        svc.choose_accounts(user_id=user.id, choice_id=result.choice_id, account_ids=["999"])
    with pytest.raises(svc.ConnectError, match="at least one"):
        svc.choose_accounts(user_id=user.id, choice_id=result.choice_id, account_ids=[])
    picked = result.choices[1].account_id
    done = svc.choose_accounts(user_id=user.id, choice_id=result.choice_id, account_ids=[picked])
    assert [v.account_id for v in done.connected] == [picked]
    stored = db.exec(select(Connection)).all()
    assert [c.account_id for c in stored] == [picked] and stored[0].user_id == user.id
    # The other Page's token is gone with the choice, which cannot be made twice.
    db.expire_all()
    assert db.get(OAuthState, result.choice_id).pending_accounts_enc is None
    with pytest.raises(svc.ConnectError):
        svc.choose_accounts(user_id=user.id, choice_id=result.choice_id, account_ids=[picked])
    # A second login marks what is already connected.
    again = finish(user.id, "facebook", consent(start(user.id, "facebook"), account_id="100087654321001"))
    assert {c.account_id: c.already_connected for c in again.choices}[picked] is True
    svc.cancel_choice(user_id=user.id, choice_id=again.choice_id)
    with pytest.raises(svc.ConnectError, match="no longer open"):
        svc.choose_accounts(user_id=user.id, choice_id=again.choice_id, account_ids=[picked])


def test_start_connect_leaves_committing_to_the_caller(connect_env):
    """The one transaction rule: a service adds to the caller's session and never commits it."""
    from sqlmodel import Session

    from socialhub.db import get_engine

    db = connect_env
    user = make_user(db)
    with Session(get_engine()) as s:
        svc.start_connect(s, user_id=user.id, platform="x")
        s.rollback()
    assert db.exec(select(OAuthState)).all() == []


def test_services_never_manage_the_callers_transaction():
    """Static guard for the rule: no commit, rollback or expire_all on a handed-in session."""
    import pathlib
    import re

    root = pathlib.Path(svc.__file__).parent
    offenders = [
        f"{path.name}:{n}"
        for path in sorted(root.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\b(session|s|db)\.(commit|rollback|expire_all)\(", line)
    ]
    assert offenders == []


def test_linkedin_analytics_scope_is_a_setting(connect_env, monkeypatch):
    from socialhub.config import reset_settings_cache

    db = connect_env
    user = make_user(db)
    assert "r_member_postAnalytics" in httpx.URL(start(user.id, "linkedin")).params["scope"]
    monkeypatch.setenv("SOCIALHUB_LINKEDIN_POST_ANALYTICS", "false")
    reset_settings_cache()
    url = start(user.id, "linkedin")
    assert "r_member_postAnalytics" not in httpx.URL(url).params["scope"]
    views, _ = connect(user.id, "linkedin")
    conn = db.get(Connection, views[0].id)
    posts = svc.access.call(conn.id, lambda p, c: p.list_posts(c, limit=3), job="test").posts
    metrics = svc.access.call(
        conn.id, lambda p, c: p.fetch_metrics(c, [x.post_id for x in posts]), job="test"
    )
    assert metrics and all(
        m.views is None and "r_member_postAnalytics" in m.extra["unavailable"] for m in metrics.values()
    )
