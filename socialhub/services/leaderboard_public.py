"""What the public pages read: one board page, a creator's public profile, and a creator's
own leaderboard setting with its preview.

Everything returned here may be shown to anyone: handles, display names, public accounts'
platform names and avatars, public totals, published posts of public accounts. Never an
e-mail, a token, a caption that is not published, or an account its owner did not make
public (tests/leaderboard/test_no_leaks.py scans the pages for them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from socialhub.models import (
    Connection,
    LeaderboardAccount,
    LeaderboardEntry,
    LeaderboardRefresh,
    MetricSnapshot,
    TrackedPost,
    User,
    utcnow,
)
from socialhub.services.leaderboard import (
    ALL_PLATFORMS,
    METRICS,
    PAGE_SIZE,
    REFRESH_EVERY,
    LeaderboardError,
    check_choice,
    withdraw,
)


@dataclass(frozen=True)
class BoardRow:
    rank: int
    prev_rank: int
    handle: str
    display_name: str
    avatar_url: str
    posts: int
    views: int
    engagement: int
    likes: int
    shares: int


@dataclass(frozen=True)
class Board:
    rows: list[BoardRow]
    total: int
    refreshed_at: datetime | None
    next_refresh_at: datetime


def next_refresh(now: datetime) -> datetime:
    """The periodic refresh runs on the quarter hour (worker/schedule.py)."""
    minutes = int(REFRESH_EVERY.total_seconds() // 60)
    base = now.replace(second=0, microsecond=0)
    return base + timedelta(minutes=minutes - base.minute % minutes)


def _avatars(session: Session, user_ids: list[int]) -> dict[int, str]:
    """Each creator's avatar: that of their first public account that has one."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(Connection.user_id, Connection.avatar_url)
        .join(LeaderboardAccount, LeaderboardAccount.connection_id == Connection.id)
        .where(Connection.user_id.in_(user_ids), Connection.avatar_url.is_not(None))  # type: ignore[union-attr]
        .order_by(Connection.id)
    )
    out: dict[int, str] = {}
    for uid, url in rows:
        out.setdefault(uid, url or "")
    return out


def board(
    session: Session,
    *,
    period: str = "7d",
    metric: str = "views",
    platform: str = ALL_PLATFORMS,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    now: datetime | None = None,
) -> Board:
    """One page of a board, read from the pre-aggregated rows (one indexed query)."""
    check_choice(period, metric, platform)
    if not 0 < limit <= 500 or offset < 0:
        raise LeaderboardError("Ask for between 1 and 500 rows from a position of 0 or more.")
    rank_col = getattr(LeaderboardEntry, f"rank_{metric}")
    prev_col = getattr(LeaderboardEntry, f"prev_rank_{metric}")
    where = (LeaderboardEntry.period == period, LeaderboardEntry.platform == platform)
    rows = session.exec(
        select(
            rank_col,
            prev_col,
            User.id,
            User.handle,
            User.display_name,
            LeaderboardEntry.posts,
            LeaderboardEntry.views,
            LeaderboardEntry.engagement,
            LeaderboardEntry.likes,
            LeaderboardEntry.shares,
        )
        .join(User, User.id == LeaderboardEntry.user_id)
        .where(*where)
        .order_by(rank_col, User.handle)
        .offset(offset)
        .limit(limit)
    ).all()
    total = session.exec(select(func.count()).select_from(LeaderboardEntry).where(*where)).one()
    avatars = _avatars(session, [r[2] for r in rows])
    refreshed = session.exec(select(func.max(LeaderboardRefresh.refreshed_at))).one()
    return Board(
        rows=[BoardRow(r[0], r[1], r[3], r[4], avatars.get(r[2], ""), *r[5:]) for r in rows],
        total=total,
        refreshed_at=refreshed,
        next_refresh_at=next_refresh(now or utcnow()),
    )


# --- a creator's public profile --------------------------------------------------------------


@dataclass(frozen=True)
class PublicAccount:
    platform: str
    name: str
    avatar_url: str
    profile_url: str


@dataclass(frozen=True)
class TopPost:
    platform: str
    title: str
    url: str
    views: int
    likes: int


@dataclass
class PublicProfile:
    handle: str
    display_name: str
    accounts: list[PublicAccount] = field(default_factory=list)
    # period -> {metric: value, "posts": n, "rank": rank by views}, every platform together
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    top_posts: list[TopPost] = field(default_factory=list)


def _public_connections(session: Session, user_id: int) -> list[Connection]:
    return list(
        session.exec(
            select(Connection)
            .join(LeaderboardAccount, LeaderboardAccount.connection_id == Connection.id)
            .where(Connection.user_id == user_id)
            .order_by(Connection.platform, Connection.id)
        ).all()
    )


def public_profile(session: Session, handle: str, *, top: int = 5) -> PublicProfile | None:
    """A creator's public face, or None when there is no such public creator."""
    if not isinstance(handle, str) or not handle or len(handle) > 40:
        return None
    user = session.exec(select(User).where(User.handle == handle.lower().lstrip("@"))).first()
    if user is None or not user.public_on_leaderboard or user.is_disabled:
        return None
    conns = _public_connections(session, user.id)
    profile = PublicProfile(
        handle=user.handle,
        display_name=user.display_name,
        accounts=[
            PublicAccount(c.platform, c.username or c.display_name, c.avatar_url or "", c.profile_url or "")
            for c in conns
        ],
    )
    entries = session.exec(
        select(LeaderboardEntry).where(
            LeaderboardEntry.user_id == user.id, LeaderboardEntry.platform == ALL_PLATFORMS
        )
    ).all()
    for e in entries:
        profile.totals[e.period] = {m: getattr(e, m) for m in METRICS} | {
            "posts": e.posts,
            "rank": e.rank_views,
        }
    profile.top_posts = _top_posts(session, [c.id for c in conns], top)
    return profile


def _top_posts(session: Session, connection_ids: list[int], top: int) -> list[TopPost]:
    if not connection_ids:
        return []
    latest = (
        select(MetricSnapshot.tracked_post_id, func.max(MetricSnapshot.taken_at).label("taken_at"))
        .join(TrackedPost, TrackedPost.id == MetricSnapshot.tracked_post_id)
        .where(TrackedPost.connection_id.in_(connection_ids))  # type: ignore[attr-defined]
        .group_by(MetricSnapshot.tracked_post_id)
        .subquery()
    )
    rows = session.exec(
        select(
            TrackedPost.platform,
            TrackedPost.title,
            TrackedPost.url,
            MetricSnapshot.views,
            MetricSnapshot.likes,
        )
        .join(latest, latest.c.tracked_post_id == TrackedPost.id)
        .join(
            MetricSnapshot,
            (MetricSnapshot.tracked_post_id == latest.c.tracked_post_id)
            & (MetricSnapshot.taken_at == latest.c.taken_at),
        )
        .order_by(func.coalesce(MetricSnapshot.views, 0).desc(), TrackedPost.id)
        .limit(top)
    ).all()
    return [TopPost(p, t or "", u or "", v or 0, lk or 0) for p, t, u, v, lk in rows]


# --- a creator's own setting -----------------------------------------------------------------


@dataclass(frozen=True)
class AccountChoice:
    connection_id: int
    platform: str
    name: str
    public: bool


@dataclass(frozen=True)
class LeaderboardSetting:
    public: bool
    handle: str
    display_name: str
    accounts: list[AccountChoice]


def setting(session: Session, *, user_id: int) -> LeaderboardSetting:
    user = session.get(User, user_id)
    if user is None:
        raise LeaderboardError("That account no longer exists.")
    public_ids = set(
        session.exec(
            select(LeaderboardAccount.connection_id).where(LeaderboardAccount.user_id == user_id)
        ).all()
    )
    conns = session.exec(
        select(Connection).where(Connection.user_id == user_id).order_by(Connection.platform)
    ).all()
    return LeaderboardSetting(
        public=user.public_on_leaderboard,
        handle=user.handle,
        display_name=user.display_name,
        accounts=[
            AccountChoice(c.id, c.platform, c.username or c.display_name, c.id in public_ids) for c in conns
        ],
    )


def set_visibility(session: Session, *, user_id: int, public: bool, connection_ids: list[int]) -> None:
    """Opt in with the accounts to show, or out. Whatever changes leaves the boards at once
    (the next refresh puts a creator back with the new figures)."""
    if not isinstance(public, bool) or not isinstance(connection_ids, list):
        raise LeaderboardError("Say whether to be public, and which accounts to show.")
    if any(not isinstance(i, int) or isinstance(i, bool) for i in connection_ids):
        raise LeaderboardError("Choose accounts from your own connections.")
    user = session.get(User, user_id)
    if user is None:
        raise LeaderboardError("That account no longer exists.")
    wanted = set(connection_ids) if public else set()
    own = set(session.exec(select(Connection.id).where(Connection.user_id == user_id)).all())
    if not wanted <= own:
        raise LeaderboardError("Choose accounts from your own connections.")
    if public and not wanted:
        raise LeaderboardError("Choose at least one account to show, or stay private.")
    current = {
        row.connection_id: row
        for row in session.exec(select(LeaderboardAccount).where(LeaderboardAccount.user_id == user_id)).all()
    }
    for cid, row in current.items():
        if cid not in wanted:
            session.delete(row)
    for cid in wanted - current.keys():
        session.add(LeaderboardAccount(connection_id=cid, user_id=user_id))
    changed = user.public_on_leaderboard != public or wanted != set(current)
    user.public_on_leaderboard = public
    session.add(user)
    session.flush()
    if changed:
        withdraw(session, user_id)
