"""Every admin service refuses a caller who is not an admin (or no longer one), and
changes nothing. The websocket-level test is tests/browser/test_leaderboard_admin.py."""

from __future__ import annotations

import pytest
from sqlmodel import select

from socialhub.models import PostTarget, SyncError, User
from socialhub.services import admin as users_svc
from socialhub.services import admin_health as health
from socialhub.services import admin_work as work
from socialhub.services.admin import NotAdmin
from tests.leaderboard.seed import account, scheduled_post


def _calls(member_id: int, admin_id: int, target_id: int, error_id: int, redis):
    return [
        lambda s: users_svc.list_users(s, actor_id=member_id),
        lambda s: users_svc.set_admin(s, actor_id=member_id, user_id=member_id, admin=True),
        lambda s: users_svc.set_disabled(s, actor_id=member_id, user_id=admin_id, disabled=True),
        lambda s: health.system_status(s, actor_id=member_id, redis=redis),
        lambda s: health.sync_errors(s, actor_id=member_id),
        lambda s: health.error_kinds(s, actor_id=member_id),
        lambda s: health.resolve_sync_error(s, actor_id=member_id, error_id=error_id),
        lambda s: health.retry_sync_error(s, actor_id=member_id, error_id=error_id),
        lambda s: health.quotas(s, actor_id=member_id),
        lambda s: health.connections_needing_attention(s, actor_id=member_id),
        lambda s: work.publishing_attention(s, actor_id=member_id),
        lambda s: work.act_on_target(s, actor_id=member_id, target_id=target_id, action="cancel"),
        lambda s: work.failed_jobs(s, actor_id=member_id, redis=redis),
        lambda s: work.retry_job(s, actor_id=member_id, redis=redis, job_id="x"),
        lambda s: work.delete_job(s, actor_id=member_id, redis=redis, job_id="x"),
        lambda s: work.scheduled_jobs(s, actor_id=member_id, redis=redis),
    ]


def _snapshot(db):
    db.expire_all()
    return (
        [(u.id, u.is_admin, u.is_disabled) for u in db.exec(select(User).order_by(User.id))],
        [(t.id, t.status) for t in db.exec(select(PostTarget))],
        [(e.id, e.resolved_at) for e in db.exec(select(SyncError))],
    )


@pytest.mark.parametrize("index", range(16))
def test_a_member_is_refused_and_nothing_changes(db, admin, member, redis, index):
    conn = account(db, member, "x", public=False)
    target = scheduled_post(db, conn, "failed one", status="failed")
    error = SyncError(platform="x", job="sync", kind="auth", message="m", connection_id=conn.id)
    db.add(error)
    db.commit()
    before = _snapshot(db)
    call = _calls(member.id, admin.id, target.id, error.id, redis)[index]
    with pytest.raises(NotAdmin):
        call(db)
    db.rollback()
    assert _snapshot(db) == before


def test_an_admin_who_was_demoted_or_disabled_is_refused_at_once(db, admin, member):
    users_svc.set_admin(db, actor_id=admin.id, user_id=member.id, admin=True)
    db.commit()
    users_svc.set_admin(db, actor_id=admin.id, user_id=member.id, admin=False)
    db.commit()
    with pytest.raises(NotAdmin):
        users_svc.list_users(db, actor_id=member.id)
    with pytest.raises(NotAdmin):
        users_svc.list_users(db, actor_id=None)  # type: ignore[arg-type]


def test_the_websocket_test_calls_every_admin_handler():
    """tests/browser/test_leaderboard_admin.py sends each handler over the websocket as a
    member; a handler added later without being listed there fails here."""
    from socialhub.state.admin import AdminState
    from tests.browser.test_leaderboard_admin import _admin_calls

    called = {name for name, _ in _admin_calls({"target_id": 1, "member_id": 2, "admin_id": 3}, "job")}
    assert set(AdminState.event_handlers) - {"setvar"} == called - {"setvar"}
    assert "setvar" in called  # Reflex's own setter: a member may set their own view, nothing else
