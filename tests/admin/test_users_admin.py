"""Users section: admin rights (never the last admin), disabling and enabling a user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from socialhub.models import UserSession, utcnow
from socialhub.services import admin as svc
from socialhub.services import users
from socialhub.services.leaderboard import rebuild
from socialhub.services.leaderboard_public import board
from tests.leaderboard.seed import account, creator, post, scheduled_post


def test_list_users_with_search(db, admin, member):
    rows = svc.list_users(db, actor_id=admin.id)
    assert [r.handle for r in rows] == ["root_admin", "plain_member"]
    assert [r.handle for r in svc.list_users(db, actor_id=admin.id, search="MEMBER")] == ["plain_member"]


def test_make_and_remove_admin_but_never_the_last(db, admin, member):
    with pytest.raises(svc.AdminError, match="last admin"):
        svc.set_admin(db, actor_id=admin.id, user_id=admin.id, admin=False)
    svc.set_admin(db, actor_id=admin.id, user_id=member.id, admin=True)
    svc.set_admin(db, actor_id=member.id, user_id=admin.id, admin=False)
    db.commit()
    assert db.get(type(admin), admin.id).is_admin is False
    with pytest.raises(svc.AdminError, match="last admin"):
        svc.set_admin(db, actor_id=member.id, user_id=member.id, admin=False)


def test_a_disabled_admin_does_not_count_as_the_remaining_admin(db, admin, member):
    svc.set_admin(db, actor_id=admin.id, user_id=member.id, admin=True)
    svc.set_disabled(db, actor_id=admin.id, user_id=member.id, disabled=True)
    with pytest.raises(svc.AdminError, match="last admin"):
        svc.set_admin(db, actor_id=admin.id, user_id=admin.id, admin=False)


def test_disabling_ends_sessions_pauses_posts_and_refuses_login(db, admin, member):
    member.password_hash = __import__("socialhub.security", fromlist=["x"]).hash_password("long enough pw")
    db.add(member)
    token = users.create_session(db, member)
    conn = account(db, member, public=False)
    target = scheduled_post(db, conn, "not yet out", at=utcnow() + timedelta(hours=3))
    soon = scheduled_post(db, conn, "due while disabled", at=utcnow() + timedelta(seconds=5))
    db.commit()
    assert users.user_for_session(db, token) is not None

    result = svc.set_disabled(db, actor_id=admin.id, user_id=member.id, disabled=True)
    db.commit()
    assert result == {"sessions": 1, "posts": 2}
    assert users.user_for_session(db, token) is None
    assert db.exec(select(UserSession).where(UserSession.user_id == member.id)).all() == []
    for t in (target, soon):
        db.refresh(t)
        assert (t.status, t.due_at) == ("scheduled", None)  # the dispatcher never picks it
    with pytest.raises(users.UserError, match="disabled"):
        users.authenticate(db, member.email, "long enough pw")
    with pytest.raises(users.InvalidCredentials):  # a wrong password learns nothing more
        users.authenticate(db, member.email, "wrong password!!")

    later = utcnow() + timedelta(minutes=1)
    assert svc.set_disabled(db, actor_id=admin.id, user_id=member.id, disabled=False, now=later)["posts"] == 2
    db.commit()
    db.refresh(target)
    db.refresh(soon)
    assert target.status == "scheduled" and target.due_at is not None
    assert soon.status == "missed"  # its time passed while disabled: the creator decides
    assert users.authenticate(db, member.email, "long enough pw").id == member.id


def test_a_live_session_of_a_user_disabled_elsewhere_stops_at_once(db, member):
    token = users.create_session(db, member)
    member.is_disabled = True
    db.add(member)
    db.commit()
    assert users.user_for_session(db, token) is None


def test_cannot_disable_yourself_or_the_last_admin(db, admin, member):
    with pytest.raises(svc.AdminError, match="your own"):
        svc.set_disabled(db, actor_id=admin.id, user_id=admin.id, disabled=True)
    with pytest.raises(svc.AdminError, match="not found"):
        svc.set_disabled(db, actor_id=admin.id, user_id=99999, disabled=True)


def test_a_disabled_creator_leaves_the_leaderboard_at_once(db, admin):
    star = creator(db, "star")
    post(db, account(db, star), [(utcnow() - timedelta(days=3), 0), (utcnow(), 10)])
    rebuild(db)
    assert [r.handle for r in board(db).rows] == ["star"]
    svc.set_disabled(db, actor_id=admin.id, user_id=star.id, disabled=True)
    assert board(db).rows == []
