"""Metric sync tests: the real sync against the sandbox over HTTP, a real database and Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import Connection, MetricSnapshot, TrackedPost, User
from tests.connections.conftest import connect, make_user

PLATFORMS = ("instagram", "facebook", "tiktok", "youtube", "linkedin", "x")


@pytest.fixture(scope="package")
def sandbox(tmp_path_factory):
    """Metric tests get a sandbox of their own: they delete and add posts, which other test
    packages must not find in the shared one."""
    from tests.servers import SandboxHandle

    handle = SandboxHandle(tmp_path_factory.mktemp("metrics-sandbox") / "sandbox.db")
    yield handle
    handle.close()


@pytest.fixture
def metrics_env(sandbox, db, redis, monkeypatch):
    """Providers point at the session's sandbox; yields the DB session."""
    from socialhub.config import reset_settings_cache

    monkeypatch.setenv("SOCIALHUB_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("SOCIALHUB_PUBLIC_URL", "http://127.0.0.1:3999")
    reset_settings_cache()
    yield db
    reset_settings_cache()


def user(db, email: str = "creator@example.com") -> User:
    return db.exec(select(User).where(User.email == email)).first() or make_user(db, email)


def connection(
    db, platform: str, email: str = "creator@example.com", account_id: str | None = None
) -> Connection:
    owner = user(db, email)
    views, _ = connect(owner.id, platform, account_id=account_id)
    db.expire_all()
    return db.get(Connection, views[0].id)


def imported(db, platform: str, email: str = "creator@example.com") -> Connection:
    """A connection on `platform` with its last 90 days of posts tracked."""
    from socialhub.services import tracking

    conn = connection(db, platform, email)
    tracking.import_recent(user_id=conn.user_id, connection_id=conn.id)
    return conn


def tracked(connection_id: int) -> list[TrackedPost]:
    with session_scope() as s:
        return list(s.exec(select(TrackedPost).where(TrackedPost.connection_id == connection_id)).all())


def snapshots(run_id: int) -> list[MetricSnapshot]:
    with session_scope() as s:
        return list(s.exec(select(MetricSnapshot).where(MetricSnapshot.sync_run_id == run_id)).all())


def age_app_clock(hours: float) -> None:
    """Move the app's clock forward for the sync: every tracked post was synced `hours` earlier."""
    with session_scope() as s:
        for post in s.exec(select(TrackedPost).where(TrackedPost.last_synced_at.is_not(None))).all():
            post.last_synced_at -= timedelta(hours=hours)
            s.add(post)


def calls(sandbox, platform: str) -> int:
    return sandbox.counters().get(f"calls:{platform}", 0)
