""" "Retry now" on a sync error: the account's access is renewed against the sandbox over
HTTP, and the error is resolved only when that works."""

from __future__ import annotations

import pytest

from socialhub.models import SyncError
from socialhub.services import admin_health as health
from socialhub.services.admin import AdminError
from tests.connections.conftest import connect, make_user


def test_retry_now_renews_access_and_resolves(connect_env, admin):
    db = connect_env
    user = make_user(db, "synced@example.com")
    views, _ = connect(user.id, "youtube")
    error = SyncError(
        user_id=user.id,
        connection_id=views[0].id,
        platform="youtube",
        job="sync_metrics",
        kind="auth",
        message="Invalid Credentials",
    )
    db.add(error)
    db.commit()
    said = health.retry_sync_error(db, actor_id=admin.id, error_id=error.id)
    db.commit()
    db.refresh(error)
    assert "works again" in said and error.resolved_at is not None


def test_retry_now_needs_an_account(db, admin):
    error = SyncError(platform="x", job="sync_metrics", kind="server", message="Over capacity")
    db.add(error)
    db.commit()
    with pytest.raises(AdminError, match="not about one account"):
        health.retry_sync_error(db, actor_id=admin.id, error_id=error.id)
