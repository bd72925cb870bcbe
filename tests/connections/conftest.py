"""Connections tests run the real service against the sandbox over HTTP, a real database
and a real Redis."""

from __future__ import annotations

import pytest

from socialhub import security
from socialhub.models import User


@pytest.fixture
def connect_env(sandbox, db, redis, monkeypatch):
    """Settings pointing providers at the running sandbox; yields the DB session."""
    from socialhub.config import reset_settings_cache

    monkeypatch.setenv("SOCIALHUB_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("SOCIALHUB_PUBLIC_URL", "http://127.0.0.1:3999")
    reset_settings_cache()
    yield db
    reset_settings_cache()


def make_user(db, email: str = "creator@example.com") -> User:
    user = User(
        email=email,
        password_hash=security.hash_password("long enough password"),
        display_name=email.split("@")[0],
        handle=email.split("@")[0].replace(".", "_"),
    )
    db.add(user)
    db.commit()
    return user


# --- the connect flow as the pages run it: each step in its own session ----------------------


def start(user_id: int, platform: str, reconnect_id: int | None = None) -> str:
    from socialhub.db import session_scope
    from socialhub.services import connections as svc

    with session_scope() as s:
        return svc.start_connect(s, user_id=user_id, platform=platform, reconnect_connection_id=reconnect_id)


def finish(user_id: int, platform: str, params: dict):
    from socialhub.services import connections as svc

    return svc.finish_connect(
        user_id=user_id,
        platform=platform,
        state=params.get("state"),
        code=params.get("code"),
        error=params.get("error"),
        error_description=params.get("error_description"),
    )


def connect(user_id: int, platform: str, *, decision: str = "approve", account_id: str | None = None):
    """Start, consent, finish; a multi-account login connects every account offered.
    Returns (list of ConnectionView, callback params)."""
    from socialhub.services import connections as svc
    from tests.oauth_helpers import consent

    params = consent(start(user_id, platform), decision=decision, account_id=account_id)
    result = finish(user_id, platform, params)
    if result.choice_id:
        result = svc.choose_accounts(
            user_id=user_id, choice_id=result.choice_id, account_ids=[c.account_id for c in result.choices]
        )
    return result.connected, params


def connected(db, platform: str, email: str = "creator@example.com"):
    """A user with one connection on `platform`; returns the Connection row."""
    from socialhub.models import Connection

    user = make_user(db, email)
    views, _ = connect(user.id, platform)
    db.expire_all()
    return db.get(Connection, views[0].id)
