"""Admin: who may act as one, and the users section (list, admin rights, disable/enable).

Every admin service takes the acting user's id and checks it here first (`require_admin`),
whatever the page already hid: a handler called directly over the websocket gets
`NotAdmin` and nothing changes. Services never commit; the event handler does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from socialhub.models import Connection, Post, PostEvent, PostTarget, User, UserSession, utcnow
from socialhub.models import TargetStatus as S
from socialhub.services.publish_states import Conflict, transition

# The step that marks a target held because its owner was disabled (enabling looks for it).
PAUSED_STEP = "paused_user_disabled"


class AdminError(ValueError):
    """An admin action that cannot be carried out; str() is shown to the admin."""


class NotAdmin(AdminError):
    def __init__(self) -> None:
        super().__init__("Not allowed: this is for admins only.")


def require_admin(session: Session, actor_id: int | None) -> User:
    """The acting admin, checked against the database now (rights may have just changed)."""
    actor = session.get(User, actor_id, populate_existing=True) if actor_id else None
    if actor is None or not actor.is_admin or actor.is_disabled:
        raise NotAdmin()
    return actor


# --- users ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    display_name: str
    handle: str
    is_admin: bool
    is_disabled: bool
    public_on_leaderboard: bool
    connections: int
    created_at: datetime


def list_users(session: Session, *, actor_id: int, search: str = "", limit: int = 200) -> list[UserRow]:
    require_admin(session, actor_id)
    counts = select(Connection.user_id, func.count().label("n")).group_by(Connection.user_id).subquery()
    query = select(User, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.user_id == User.id)
    search = (search or "").strip().lower()[:100]
    if search:
        like = f"%{search}%"
        query = query.where(func.lower(User.email).like(like) | func.lower(User.handle).like(like))
    rows = session.exec(query.order_by(User.id).limit(limit)).all()
    return [
        UserRow(
            u.id,
            u.email,
            u.display_name,
            u.handle,
            u.is_admin,
            u.is_disabled,
            u.public_on_leaderboard,
            n,
            u.created_at,
        )
        for u, n in rows
    ]


def _active_admins(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(User).where(User.is_admin, User.is_disabled == False)  # noqa: E712
    ).one()


def _user(session: Session, user_id: object) -> User:
    user = session.get(User, user_id, populate_existing=True) if isinstance(user_id, int) else None
    if user is None:
        raise AdminError("That user was not found.")
    return user


def set_admin(session: Session, *, actor_id: int, user_id: int, admin: bool) -> User:
    """Give or take admin rights; the last admin who can log in keeps them."""
    require_admin(session, actor_id)
    if not isinstance(admin, bool):
        raise AdminError("Say whether the user should be an admin.")
    user = _user(session, user_id)
    if not admin and user.is_admin and not user.is_disabled and _active_admins(session) <= 1:
        raise AdminError("This is the last admin: make someone else an admin first.")
    user.is_admin = admin
    session.add(user)
    session.flush()
    return user


def set_disabled(
    session: Session, *, actor_id: int, user_id: int, disabled: bool, now: datetime | None = None
) -> dict[str, int]:
    """Disable a user (sessions end, scheduled posts wait, off the leaderboard) or enable
    them again (posts whose time has not come are scheduled again, the rest are missed)."""
    from socialhub.services.leaderboard import withdraw

    actor = require_admin(session, actor_id)
    if not isinstance(disabled, bool):
        raise AdminError("Say whether the user should be disabled.")
    user = _user(session, user_id)
    if disabled and user.id == actor.id:
        raise AdminError("You cannot disable your own account.")
    if disabled and user.is_admin and not user.is_disabled and _active_admins(session) <= 1:
        raise AdminError("This is the last admin: make someone else an admin first.")
    if user.is_disabled == disabled:
        return {"sessions": 0, "posts": 0}
    user.is_disabled = disabled
    session.add(user)
    session.flush()
    if disabled:
        sessions = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
        for row in sessions:
            session.delete(row)
        withdraw(session, user.id)
        return {"sessions": len(sessions), "posts": _pause_posts(session, user.id)}
    return {"sessions": 0, "posts": _resume_posts(session, user.id, now or utcnow())}


def _targets_of(session: Session, user_id: int, statuses: tuple[S, ...]) -> list[PostTarget]:
    return list(
        session.exec(
            select(PostTarget)
            .join(Post, Post.id == PostTarget.post_id)
            .where(Post.user_id == user_id, PostTarget.status.in_([s.value for s in statuses]))
        ).all()
    )


def _pause_posts(session: Session, user_id: int) -> int:
    """Scheduled and retrying targets stay scheduled with no due time: the dispatcher never
    picks them. (A Facebook post handed to its native scheduling is the platform's to send.)"""
    paused = 0
    for target in _targets_of(session, user_id, (S.scheduled, S.retrying)):
        if target.native_schedule:
            continue
        try:
            transition(
                session,
                target.id,
                frm=S(target.status),
                to=S.scheduled,
                step=PAUSED_STEP,
                message="Paused: an admin disabled this account.",
                due_at=None,
            )
            paused += 1
        except Conflict:
            continue  # it started publishing meanwhile
    return paused


def _resume_posts(session: Session, user_id: int, now: datetime) -> int:
    resumed = 0
    for target in _targets_of(session, user_id, (S.scheduled,)):
        if target.due_at is not None:
            continue
        last = session.exec(
            select(PostEvent.step).where(PostEvent.target_id == target.id).order_by(PostEvent.id.desc())
        ).first()
        if last != PAUSED_STEP:
            continue
        when = session.get(Post, target.post_id).scheduled_for
        if when is not None and when > now:
            transition(
                session,
                target.id,
                frm=S.scheduled,
                to=S.scheduled,
                step="resumed",
                message="The account was enabled again.",
                due_at=when,
            )
        else:
            transition(
                session,
                target.id,
                frm=S.scheduled,
                to=S.missed,
                step="missed",
                message="Its time passed while the account was disabled: publish it now or cancel.",
                due_at=None,
            )
        resumed += 1
    return resumed
