"""What the Calendar shows: every post target of a creator in a time window, where it sits
in time (published: when it went out; otherwise when it is due), and one target's detail
with its event log. Reading only: actions go through services/publishing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from socialhub.config import PLATFORM_LABELS
from socialhub.models import Connection, LibraryItem, Post, PostEvent, PostTarget
from socialhub.models import TargetStatus as S
from socialhub.services import publishing
from socialhub.services.publish_states import EDITABLE

# Targets that sit on the calendar (a draft or cancelled one does not).
SHOWN = [s.value for s in S if s not in (S.draft, S.cancelled)]


@dataclass
class Entry:
    target_id: int
    post_id: int
    platform: str
    connection_id: int
    account: str
    status: str
    at: datetime
    caption: str
    title: str
    url: str | None
    native_schedule: bool

    @property
    def movable(self) -> bool:
        return S(self.status) in EDITABLE and not self.native_schedule


@dataclass
class Detail:
    entry: Entry
    timezone: str
    last_error: str | None
    events: list[PostEvent] = field(default_factory=list)
    siblings: list[Entry] = field(default_factory=list)  # the post's other targets


def when_of(target: PostTarget, post: Post) -> datetime:
    """Published: when it went out. Facebook-native: the time Facebook holds. Otherwise the
    target's own due time (a reschedule moves the target, not the post)."""
    if target.published_at:
        return target.published_at
    if target.native_schedule and post.scheduled_for:
        return post.scheduled_for
    return target.due_at or post.scheduled_for or post.created_at


def _entry(target: PostTarget, post: Post, conn: Connection | None, item: LibraryItem | None) -> Entry:
    return Entry(
        target_id=target.id,
        post_id=post.id,
        platform=conn.platform if conn else "",
        connection_id=target.connection_id,
        account=conn.username if conn else "",
        status=S(target.status).value,
        at=when_of(target, post),
        caption=target.caption or post.caption,
        title=(item.title if item else "") or (post.caption.split("\n", 1)[0][:60] if post.caption else ""),
        url=target.platform_url,
        native_schedule=target.native_schedule,
    )


def entries(
    session: Session,
    *,
    user_id: int,
    start: datetime,
    end: datetime,
    platforms: list[str] | None = None,
    connection_ids: list[int] | None = None,
) -> list[Entry]:
    """Targets whose time falls in [start, end), oldest first, optionally filtered."""
    rows = session.exec(
        select(PostTarget, Post, Connection)
        .join(Post, col(Post.id) == PostTarget.post_id)
        .join(Connection, col(Connection.id) == PostTarget.connection_id)
        .where(Post.user_id == user_id, col(PostTarget.status).in_(SHOWN))
        .order_by(col(PostTarget.id))
    ).all()
    out = []
    items: dict[int, LibraryItem | None] = {}
    for target, post, conn in rows:
        if platforms and conn.platform not in platforms:
            continue
        if connection_ids and conn.id not in connection_ids:
            continue
        if post.library_item_id and post.library_item_id not in items:
            items[post.library_item_id] = session.get(LibraryItem, post.library_item_id)
        entry = _entry(target, post, conn, items.get(post.library_item_id or 0))
        if start <= entry.at < end:
            out.append(entry)
    return sorted(out, key=lambda e: (e.at, e.target_id))


def detail(session: Session, *, user_id: int, target_id: int) -> Detail:
    events = publishing.events(session, user_id=user_id, target_id=target_id)  # checks ownership
    target = session.get(PostTarget, target_id, populate_existing=True)
    post = session.get(Post, target.post_id)
    item = session.get(LibraryItem, post.library_item_id) if post.library_item_id else None
    siblings = session.exec(
        select(PostTarget).where(PostTarget.post_id == post.id).order_by(col(PostTarget.id))
    ).all()
    return Detail(
        entry=_entry(target, post, session.get(Connection, target.connection_id), item),
        timezone=post.timezone,
        last_error=target.last_error,
        events=events,
        siblings=[_entry(t, post, session.get(Connection, t.connection_id), item) for t in siblings],
    )


def platform_label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform)


def edit_caption(session: Session, *, user_id: int, target_id: int, caption: str) -> None:
    """Change one target's caption while nothing is in flight (checked against its platform)."""
    from sqlalchemy import update

    publishing.events(session, user_id=user_id, target_id=target_id)  # ownership
    target = session.get(PostTarget, target_id, populate_existing=True)
    conn = session.get(Connection, target.connection_id)
    if S(target.status) not in EDITABLE or target.native_schedule:
        raise publishing.NotAllowed(
            "Its caption can no longer change: it is "
            + (
                "already handed to Facebook's own scheduling."
                if target.native_schedule
                else f"{target.status}."
            )
        )
    from socialhub.services.composer import count

    counted = count(conn.platform, caption)
    if counted.over:
        raise publishing.PostInvalid(
            [f"{counted.label} allows {counted.limit} {counted.unit}; this caption has {counted.used}."]
        )
    result = session.exec(
        update(PostTarget)
        .where(col(PostTarget.id) == target_id, col(PostTarget.status).in_([s.value for s in EDITABLE]))
        .values(caption=caption)
    )  # type: ignore[call-overload]
    if result.rowcount != 1:
        raise publishing.NotAllowed("It changed meanwhile (it may be publishing now); reload and try again.")
    publishing.log_event(session, target_id, step="caption_edited", message="Caption edited.")
