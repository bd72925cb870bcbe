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
