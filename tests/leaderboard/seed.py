"""Writing creators, accounts, posts and snapshots straight into the tables (the metric
sync's output), so the leaderboard is tested against known numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from socialhub.models import (
    Connection,
    LeaderboardAccount,
    MetricSnapshot,
    Post,
    PostTarget,
    TrackedPost,
    User,
    utcnow,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=utcnow().tzinfo)


def creator(
    db: Session, handle: str, *, public: bool = True, email: str | None = None, admin: bool = False
) -> User:
    user = User(
        email=email or f"{handle}@private-mail.example",
        password_hash="$argon2id$not-a-real-hash",
        display_name=handle.replace("_", " ").title(),
        handle=handle,
        public_on_leaderboard=public,
        is_admin=admin,
    )
    db.add(user)
    db.flush()
    return user


def account(
    db: Session,
    user: User,
    platform: str = "youtube",
    account_id: str | None = None,
    *,
    public: bool = True,
    created_at: datetime | None = None,
    username: str | None = None,
) -> Connection:
    conn = Connection(
        user_id=user.id,
        platform=platform,
        account_id=account_id or f"{platform}-{user.handle}",
        username=username or f"{user.handle}_on_{platform}",
        display_name=user.display_name,
        avatar_url=f"https://cdn.example/{user.handle}.png",
        access_token_enc="gAAAAA-secret-token-" + user.handle,
        refresh_token_enc="gAAAAA-secret-refresh-" + user.handle,
        created_at=created_at or NOW - timedelta(days=400),
    )
    db.add(conn)
    db.flush()
    if public:
        db.add(LeaderboardAccount(connection_id=conn.id, user_id=user.id))
        db.flush()
    return conn


def post(
    db: Session,
    conn: Connection,
    snapshots: list[tuple[datetime, int]] | list[tuple[datetime, dict]],
    *,
    published_at: datetime | None = None,
    post_id: str | None = None,
    source: str = "published",
    title: str = "",
) -> TrackedPost:
    """A tracked post with snapshots: (when, views) or (when, {views:.., likes:..})."""
    tp = TrackedPost(
        user_id=conn.user_id,
        connection_id=conn.id,
        platform=conn.platform,
        platform_post_id=post_id or f"p{conn.id}-{len(snapshots)}-{id(snapshots)}",
        source=source,
        title=title,
        url=f"https://{conn.platform}.example/{post_id or 'x'}",
        published_at=published_at,
    )
    db.add(tp)
    db.flush()
    for when, value in snapshots:
        fields = value if isinstance(value, dict) else {"views": value}
        db.add(MetricSnapshot(tracked_post_id=tp.id, taken_at=when, **fields))
    db.flush()
    return tp


def scheduled_post(
    db: Session, conn: Connection, caption: str, *, at: datetime | None = None, status: str = "scheduled"
) -> PostTarget:
    """A post still waiting to go out (content that must never show publicly)."""
    at = at or utcnow() + timedelta(days=2)
    p = Post(user_id=conn.user_id, caption=caption, scheduled_for=at)
    db.add(p)
    db.flush()
    target = PostTarget(post_id=p.id, connection_id=conn.id, caption=caption, status=status, due_at=at)
    db.add(target)
    db.flush()
    return target


def days(n: float) -> datetime:
    return NOW - timedelta(days=n)
