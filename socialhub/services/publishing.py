"""What creators do with posts: create one for several accounts (checked against every
platform's rules first), publish now or schedule, reschedule, cancel, retry, and settle an
unconfirmed outcome. Services: they take the caller's session and never commit; the caller
commits and then calls `enqueue_post` (never enqueue a job for rows not yet committed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from socialhub.config import PLATFORM_LABELS
from socialhub.models import (
    Connection,
    ConnectionStatus,
    LibraryItem,
    MediaFile,
    Post,
    PostEvent,
    PostTarget,
    utcnow,
)
from socialhub.models import TargetStatus as S
from socialhub.providers import provider_class
from socialhub.providers.base import InvalidPostUrl, MediaRef, PublishRequest
from socialhub.services import media as media_svc
from socialhub.services.publish_queue import enqueue
from socialhub.services.publish_states import EDITABLE, Conflict, log_event, transition

# Facebook schedules natively between these bounds (its own rule); outside, SocialHub does.
FACEBOOK_NATIVE_MIN = timedelta(minutes=10)
FACEBOOK_NATIVE_MAX = timedelta(days=30)


class PostInvalid(ValueError):
    """The post cannot be queued; `problems` lists every reason, each naming its platform."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


class NotAllowed(ValueError):
    """The action does not fit the target's state; the message says why."""


class NotFoundForUser(LookupError):
    """No such post or target for this user (same answer whether it exists or not)."""


@dataclass
class TargetView:
    id: int
    connection_id: int
    platform: str
    account: str
    status: str
    due_at: datetime | None
    attempts: int
    platform_post_id: str | None
    platform_url: str | None
    last_error: str | None
    native_schedule: bool


@dataclass
class PostView:
    id: int
    caption: str
    scheduled_for: datetime | None
    timezone: str
    created_at: datetime
    targets: list[TargetView] = field(default_factory=list)


def _timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PostInvalid([f"{name!r} is not a time zone (use a name like Europe/Paris)."]) from exc


def _request_for(caption: str, files: list[MediaFile], when: datetime | None) -> PublishRequest:
    refs = [
        MediaRef(
            kind=f.kind,
            mime_type=f.mime_type,
            size_bytes=f.size_bytes,
            duration_seconds=f.duration_seconds,
            width=f.width,
            height=f.height,
        )
        for f in files
    ]
    return PublishRequest(caption=caption, media=refs, scheduled_for=when)


def create_post(
    session: Session,
    *,
    user_id: int,
    caption: str,
    connection_ids: list[int],
    media_ids: list[int] | None = None,
    at: datetime | None = None,
    timezone: str = "UTC",
    captions: dict[int, str] | None = None,
    now: datetime | None = None,
) -> Post:
    """A post with one target per account, published now (`at` None) or at `at` (aware, or
    naive in `timezone`). Every problem is listed at once; nothing is stored when there is one."""
    now = now or utcnow()
    problems: list[str] = []
    tz = _timezone(timezone)
    when = None
    if at is not None:
        when = (at if at.tzinfo else at.replace(tzinfo=tz)).astimezone(UTC)
        if when < now - timedelta(seconds=30):
            problems.append(f"{when.astimezone(tz):%Y-%m-%d %H:%M} ({timezone}) is in the past.")
    if not connection_ids:
        problems.append("Choose at least one account to publish to.")
    files = []
    for mid in media_ids or []:
        f = session.get(MediaFile, mid)
        item = f and session.get(LibraryItem, f.library_item_id)
        if f is None or item is None or item.user_id != user_id:
            problems.append(f"Media file {mid} was not found.")
        else:
            files.append(f)
    conns: list[Connection] = []
    for cid in dict.fromkeys(connection_ids):
        conn = session.get(Connection, cid)
        if conn is None or conn.user_id != user_id:
            problems.append(f"Account {cid} was not found among your connections.")
            continue
        label = PLATFORM_LABELS[conn.platform]
        if conn.status in (ConnectionStatus.revoked, ConnectionStatus.expired):
            problems.append(f"{label} @{conn.username}: access has ended; reconnect it first.")
        text = (captions or {}).get(cid, caption)
        provider = provider_class(conn.platform)
        checker = provider.__new__(provider)  # validate() needs only class attributes
        for problem in checker.validate(_request_for(text, files, when)):
            problems.append(problem if problem.startswith(label) else f"{label}: {problem}")
        conns.append(conn)
    if problems:
        raise PostInvalid(problems)
    post = Post(
        user_id=user_id,
        caption=caption,
        media_ids=[f.id for f in files],
        scheduled_for=when,
        timezone=timezone,
    )
    session.add(post)
    session.flush()
    for conn in conns:
        native = (
            conn.platform == "facebook"
            and when is not None
            and FACEBOOK_NATIVE_MIN <= when - now <= FACEBOOK_NATIVE_MAX
        )
        target = PostTarget(
            post_id=post.id,
            connection_id=conn.id,
            caption=(captions or {}).get(conn.id, ""),
            status=S.scheduled,
            # Facebook's native scheduling is set up right away; the platform publishes later.
            due_at=now if (when is None or native) else when,
            # Facebook: the engine runs it now with scheduled_publish_time; Facebook publishes.
            steps={"native_schedule": True} if native else {},
        )
        session.add(target)
        session.flush()
        log_event(
            session,
            target.id,
            step="created",
            to=S.scheduled.value,
            message=(
                "Will be handed to Facebook's own scheduling now."
                if native
                else ("Publishing now." if when is None else f"Scheduled for {when:%Y-%m-%d %H:%M} UTC.")
            ),
        )
    return post


def enqueue_post(session: Session, post_id: int) -> None:
    """After the caller committed: queue what is due now, schedule the rest with rq-scheduler."""
    for target in session.exec(select(PostTarget).where(PostTarget.post_id == post_id)).all():
        if target.status == S.scheduled and target.due_at is not None:
            enqueue(target.id, at=target.due_at)


# --- creator actions -------------------------------------------------------------------------


def _owned_target(session: Session, user_id: int, target_id: int) -> PostTarget:
    # Always the row as it is now: a worker may have moved it since this session last looked.
    target = session.get(PostTarget, target_id, populate_existing=True)
    post = target and session.get(Post, target.post_id)
    if target is None or post is None or post.user_id != user_id:
        raise NotFoundForUser("That post was not found.")
    return target


def cancel(session: Session, *, user_id: int, target_id: int) -> None:
    target = _owned_target(session, user_id, target_id)
    if S(target.status) not in EDITABLE:
        raise NotAllowed(_why_not(S(target.status), "cancelled"))
    try:
        transition(
            session,
            target_id,
            frm=S(target.status),
            to=S.cancelled,
            step="cancelled",
            message="Cancelled.",
            due_at=None,
        )
    except Conflict as exc:
        raise NotAllowed(
            "It changed meanwhile (it may be publishing right now); reload and try again."
        ) from exc
    media_svc.revoke_grants(session, target_id=target_id)


def reschedule(
    session: Session, *, user_id: int, target_id: int, at: datetime, now: datetime | None = None
) -> None:
    now = now or utcnow()
    target = _owned_target(session, user_id, target_id)
    if at.tzinfo is None:
        raise PostInvalid(["Give the new time with its time zone."])
    if at < now:
        raise PostInvalid([f"{at:%Y-%m-%d %H:%M} UTC is in the past."])
    if S(target.status) not in EDITABLE or target.native_schedule:
        raise NotAllowed(_why_not(S(target.status), "rescheduled"))
    try:
        transition(
            session,
            target_id,
            frm=S(target.status),
            to=S.scheduled,
            step="rescheduled",
            message=f"Rescheduled for {at:%Y-%m-%d %H:%M} UTC.",
            due_at=at,
        )
    except Conflict as exc:
        raise NotAllowed("It changed meanwhile; reload and try again.") from exc


def publish_now(session: Session, *, user_id: int, target_id: int, now: datetime | None = None) -> None:
    """Retry a failed target, publish a missed one now, or resume one waiting for a reconnect."""
    now = now or utcnow()
    target = _owned_target(session, user_id, target_id)
    status = S(target.status)
    if status not in {S.failed, S.missed, S.needs_reconnect, S.scheduled, S.retrying}:
        raise NotAllowed(_why_not(status, "published now"))
    try:
        transition(
            session,
            target_id,
            frm=status,
            to=S.scheduled,
            step="publish_now",
            message="Publishing now, as asked.",
            due_at=now,
            attempts=0,
        )
    except Conflict as exc:
        raise NotAllowed("It changed meanwhile; reload and try again.") from exc


def resolve_unconfirmed(
    session: Session,
    *,
    user_id: int,
    target_id: int,
    published_url: str | None = None,
    now: datetime | None = None,
) -> None:
    """The creator settles an unknown outcome: "it is published" (with its link), or, with
    no link, "publish again" — the only way a post whose outcome was unknown is sent twice."""
    now = now or utcnow()
    target = _owned_target(session, user_id, target_id)
    if S(target.status) != S.unconfirmed:
        raise NotAllowed("Only a post whose outcome is unconfirmed can be settled this way.")
    conn = session.get(Connection, target.connection_id)
    if published_url:
        try:
            ref = provider_class(conn.platform).parse_post_url(published_url)
        except InvalidPostUrl as exc:
            raise PostInvalid([str(exc)]) from exc
        transition(
            session,
            target_id,
            frm=S.unconfirmed,
            to=S.published,
            step="confirmed_by_creator",
            message="Marked as published by you.",
            platform_post_id=ref.key,
            platform_url=published_url,
            published_at=now,
            last_error=None,
            error_code=None,
        )
        from socialhub.services.engine import track_published

        track_published(session, target_id)
        return
    transition(
        session,
        target_id,
        frm=S.unconfirmed,
        to=S.scheduled,
        step="publish_again",
        message="Publishing again, as you asked.",
        steps={},
        due_at=now,
        attempts=0,
        last_error=None,
        error_code=None,
    )


def resume_after_reconnect(session: Session, *, connection_id: int, now: datetime | None = None) -> int:
    """Targets that waited for this account's reconnection go out now."""
    now = now or utcnow()
    ids = session.exec(
        select(PostTarget.id).where(
            PostTarget.connection_id == connection_id, PostTarget.status == S.needs_reconnect.value
        )
    ).all()
    for tid in ids:
        transition(
            session,
            tid,
            frm=S.needs_reconnect,
            to=S.scheduled,
            step="reconnected",
            message="The account was reconnected.",
            due_at=now,
        )
    return len(ids)


def _why_not(status: S, action: str) -> str:
    reasons = {
        S.publishing: f"It is being published right now and cannot be {action}.",
        S.published: f"It is already published and cannot be {action}.",
        S.cancelled: f"It was cancelled and cannot be {action}.",
        S.unconfirmed: "Its outcome is unconfirmed: say whether it is published, or publish it again.",
    }
    return reasons.get(status, f"A post that is {status.value.replace('_', ' ')} cannot be {action}.")


# --- reading -----------------------------------------------------------------------------------


def list_posts(session: Session, *, user_id: int, limit: int = 50) -> list[PostView]:
    posts = session.exec(
        select(Post).where(Post.user_id == user_id).order_by(Post.created_at.desc()).limit(limit)
    ).all()
    return [_view(session, p) for p in posts]


def get_post(session: Session, *, user_id: int, post_id: int) -> PostView:
    post = session.get(Post, post_id)
    if post is None or post.user_id != user_id:
        raise NotFoundForUser("That post was not found.")
    return _view(session, post)


def events(session: Session, *, user_id: int, target_id: int) -> list[PostEvent]:
    _owned_target(session, user_id, target_id)
    return list(
        session.exec(select(PostEvent).where(PostEvent.target_id == target_id).order_by(PostEvent.id)).all()
    )


def _view(session: Session, post: Post) -> PostView:
    rows = session.exec(select(PostTarget).where(PostTarget.post_id == post.id).order_by(PostTarget.id)).all()
    targets = []
    for t in rows:
        conn = session.get(Connection, t.connection_id)
        targets.append(
            TargetView(
                id=t.id,
                connection_id=t.connection_id,
                platform=conn.platform if conn else "",
                account=conn.username if conn else "",
                status=S(t.status).value,
                due_at=t.due_at,
                attempts=t.attempts,
                platform_post_id=t.platform_post_id,
                platform_url=t.platform_url,
                last_error=t.last_error,
                native_schedule=t.native_schedule,
            )
        )
    return PostView(post.id, post.caption, post.scheduled_for, post.timezone, post.created_at, targets)
