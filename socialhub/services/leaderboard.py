"""The public leaderboard: pre-aggregated from metric snapshots, read with one indexed query.

`refresh_leaderboard()` rebuilds `leaderboard_entries` from the snapshots (the metric sync
calls it after each run; a periodic job runs it every 15 minutes as well). Page views only
read the pre-aggregated rows, so their cost does not grow with the snapshot history.

Rules (docs/ARCHITECTURE.md, "Leaderboard"):
- Only creators who opted in, are not disabled, and only the accounts they made public.
- A period's gain for one post is its value at the period's end minus its value at the
  start, each the last snapshot at or before that moment. A post with no snapshot at the
  start counts from 0 when it was published inside the period, else from its first
  snapshot. "All time" starts when SocialHub began tracking: posts published through
  SocialHub count from 0, posts added by URL from their first snapshot. Gains below zero
  (a platform correcting its counts) count as 0.
- The previous period is the same length just before (7d: days 14-7 ago); for "all time"
  it is all time as of 7 days ago. Movement compares the rank in each.
- An account connected by several users counts once, for the user who connected it first
  (earliest connection; lower id on a tie), and only if that user made it public.
- Engagement = likes + comments + shares + saves. Posts = posts that gained in the period.
- Ties share a rank (1, 1, 3); equal ranks are listed by handle.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, update
from sqlmodel import Session, select

from socialhub.config import PLATFORMS
from socialhub.db import session_scope
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

PERIODS: dict[str, timedelta | None] = {"7d": timedelta(days=7), "30d": timedelta(days=30), "all": None}
PERIOD_LABELS = {"7d": "Last 7 days", "30d": "Last 30 days", "all": "All time"}
METRICS = ("views", "engagement", "likes", "shares")
METRIC_LABELS = {"views": "Views", "engagement": "Engagement", "likes": "Likes", "shares": "Shares"}
ALL_PLATFORMS = "all"
# "All time" movement compares with all time as it stood this long ago.
ALL_TIME_COMPARISON = timedelta(days=7)
REFRESH_EVERY = timedelta(minutes=15)
PAGE_SIZE = 50


class LeaderboardError(ValueError):
    """A request the leaderboard cannot answer (unknown period, metric or platform)."""


def check_choice(period: str, metric: str, platform: str) -> None:
    if period not in PERIODS:
        raise LeaderboardError(f"Unknown period {period!r}: choose 7d, 30d or all.")
    if metric not in METRICS:
        raise LeaderboardError(f"Unknown metric {metric!r}: choose {', '.join(METRICS)}.")
    if platform != ALL_PLATFORMS and platform not in PLATFORMS:
        raise LeaderboardError(f"Unknown platform {platform!r}.")


# --- refresh -------------------------------------------------------------------------------

# A post's figures: views, engagement, likes, shares.
Vec = tuple[int, int, int, int]
ZERO: Vec = (0, 0, 0, 0)


def _vec(views, likes, comments, shares, saves) -> Vec:
    likes, shares = likes or 0, shares or 0
    return (views or 0, likes + (comments or 0) + shares + (saves or 0), likes, shares)


def _gain(end: Vec | None, start: Vec) -> Vec:
    if end is None:
        return ZERO
    return tuple(max(0, e - s) for e, s in zip(end, start, strict=True))  # type: ignore[return-value]


@dataclass
class _Post:
    user_id: int
    platform: str
    from_zero_all_time: bool
    published_at: datetime | None
    times: list[datetime] = field(default_factory=list)
    values: list[Vec] = field(default_factory=list)

    def at(self, when: datetime) -> Vec | None:
        """The last reading at or before `when`, None when there is none yet."""
        i = bisect.bisect_right(self.times, when) - 1
        return self.values[i] if i >= 0 else None

    def gain(self, start: datetime | None, end: datetime) -> Vec:
        end_value = self.at(end)
        if end_value is None:
            return ZERO
        if start is None:  # all time
            return _gain(end_value, ZERO if self.from_zero_all_time else self.values[0])
        start_value = self.at(start)
        if start_value is None:
            inside = self.published_at is not None and self.published_at >= start
            start_value = ZERO if inside else self.values[0]
        return _gain(end_value, start_value)


def _owning_connections(session: Session) -> tuple[dict[int, tuple[int, str]], set[int]]:
    """Connection id -> (user id, platform) for every public account that counts (the first
    connection to each platform account), and every creator on the boards (opted in, not
    disabled, with at least one public account)."""
    first: dict[tuple[str, str], tuple[datetime, int, int]] = {}
    rows = session.exec(
        select(
            Connection.id,
            Connection.user_id,
            Connection.platform,
            Connection.account_id,
            Connection.created_at,
        )
    )
    for cid, uid, platform, account_id, created in rows:
        key = (platform, account_id)
        if key not in first or (created, cid) < first[key][:2]:
            first[key] = (created, cid, uid)
    owners = {cid for _, cid, _ in first.values()}
    public = session.exec(
        select(LeaderboardAccount.connection_id, Connection.user_id, Connection.platform)
        .join(Connection, Connection.id == LeaderboardAccount.connection_id)
        .join(User, User.id == Connection.user_id)
        .where(User.public_on_leaderboard, User.is_disabled == False)  # noqa: E712
    )
    public = list(public)
    counted = {cid: (uid, platform) for cid, uid, platform in public if cid in owners}
    return counted, {uid for _, uid, _ in public}


def _load_posts(session: Session, counted: dict[int, tuple[int, str]], now: datetime) -> dict[int, _Post]:
    posts: dict[int, _Post] = {}
    rows = session.exec(
        select(TrackedPost.id, TrackedPost.connection_id, TrackedPost.source, TrackedPost.published_at).join(
            LeaderboardAccount, LeaderboardAccount.connection_id == TrackedPost.connection_id
        )
    )
    for pid, cid, source, published_at in rows:
        if cid in counted:
            uid, platform = counted[cid]
            posts[pid] = _Post(uid, platform, source == "published", published_at)
    snaps = session.exec(
        select(
            MetricSnapshot.tracked_post_id,
            MetricSnapshot.taken_at,
            MetricSnapshot.views,
            MetricSnapshot.likes,
            MetricSnapshot.comments,
            MetricSnapshot.shares,
            MetricSnapshot.saves,
        )
        .join(TrackedPost, TrackedPost.id == MetricSnapshot.tracked_post_id)
        .join(LeaderboardAccount, LeaderboardAccount.connection_id == TrackedPost.connection_id)
        .where(MetricSnapshot.taken_at <= now)
        .order_by(MetricSnapshot.tracked_post_id, MetricSnapshot.taken_at)
        .execution_options(yield_per=20_000)
    )
    for pid, taken_at, views, likes, comments, shares, saves in snaps:
        post = posts.get(pid)
        if post is not None:
            post.times.append(taken_at)
            post.values.append(_vec(views, likes, comments, shares, saves))
    return posts


def _windows(
    now: datetime,
) -> dict[str, tuple[tuple[datetime | None, datetime], tuple[datetime | None, datetime]]]:
    """period -> ((start, end) now, (start, end) of the period before)."""
    out = {}
    for period, length in PERIODS.items():
        if length is None:
            out[period] = ((None, now), (None, now - ALL_TIME_COMPARISON))
        else:
            out[period] = ((now - length, now), (now - 2 * length, now - length))
    return out


def _rank_table(values: dict[int, int], *, unranked_zero: bool = False) -> dict[int, int]:
    """user -> 1 + how many have strictly more (ties share a rank); 0 = not ranked."""
    negated = sorted(-v for v in values.values())
    return {
        uid: 0 if unranked_zero and v == 0 else bisect.bisect_left(negated, -v) + 1
        for uid, v in values.items()
    }


@dataclass(frozen=True)
class RefreshResult:
    creators: int
    rows: int
    seconds: float


def rebuild(session: Session, *, now: datetime | None = None) -> RefreshResult:
    """Recompute every leaderboard row from the snapshots (the caller commits)."""
    started = time.perf_counter()
    now = now or utcnow()
    counted, creators = _owning_connections(session)
    posts = _load_posts(session, counted, now)
    windows = _windows(now)
    # (period, platform, user) -> [posts, 4 current values, 4 previous values]
    acc: dict[tuple[str, str, int], list[int]] = {}
    for period in PERIODS:
        for uid in creators:
            acc[(period, ALL_PLATFORMS, uid)] = [0] * 9
    for uid, platform in counted.values():
        for period in PERIODS:
            acc.setdefault((period, platform, uid), [0] * 9)
    for post in posts.values():
        for period, (cur, prev) in windows.items():
            g = post.gain(*cur)
            p = post.gain(*prev)
            for key in ((period, ALL_PLATFORMS, post.user_id), (period, post.platform, post.user_id)):
                row = acc[key]
                if any(g):
                    row[0] += 1
                for i in range(4):
                    row[1 + i] += g[i]
                    row[5 + i] += p[i]
    # Rank within each (period, platform) board, by each metric, now and in the period before.
    boards: dict[tuple[str, str], list[int]] = defaultdict(list)
    for period, platform, uid in acc:
        boards[(period, platform)].append(uid)
    records = []
    for (period, platform), uids in boards.items():
        ranks = {}
        for i, metric in enumerate(METRICS):
            ranks[metric] = _rank_table({u: acc[(period, platform, u)][1 + i] for u in uids})
            ranks["prev_" + metric] = _rank_table(
                {u: acc[(period, platform, u)][5 + i] for u in uids}, unranked_zero=True
            )
        for uid in uids:
            row = acc[(period, platform, uid)]
            rec = {
                "period": period,
                "platform": platform,
                "user_id": uid,
                "posts": row[0],
                "refreshed_at": now,
            }
            for i, metric in enumerate(METRICS):
                rec[metric] = row[1 + i]
                rec["prev_" + metric] = row[5 + i]
                rec["rank_" + metric] = ranks[metric][uid]
                rec["prev_rank_" + metric] = ranks["prev_" + metric][uid]
            records.append(rec)
    session.exec(delete(LeaderboardEntry))  # type: ignore[call-overload]
    for i in range(0, len(records), 5000):
        session.exec(insert(LeaderboardEntry).values(records[i : i + 5000]))  # type: ignore[call-overload]
    seconds = time.perf_counter() - started
    session.add(LeaderboardRefresh(refreshed_at=now, creators=len(creators), seconds=seconds))
    session.flush()
    return RefreshResult(creators=len(creators), rows=len(records), seconds=seconds)


def refresh_leaderboard(*, now: datetime | None = None) -> RefreshResult:
    """Rebuild the leaderboard in its own transaction: what the metric sync calls after each
    run, and what the periodic job runs. Readers keep seeing the old rows until it commits."""
    with session_scope() as session:
        return rebuild(session, now=now)


def withdraw(session: Session, user_id: int) -> None:
    """Take a creator off every board at once (opt-out, an account made private, disabled),
    closing the gap in the ranks: everyone ranked below moves up one, as a rebuild would."""
    rows = session.exec(select(LeaderboardEntry).where(LeaderboardEntry.user_id == user_id)).all()
    for row in rows:
        board = (LeaderboardEntry.period == row.period, LeaderboardEntry.platform == row.platform)
        for metric in METRICS:
            for col in (f"rank_{metric}", f"prev_rank_{metric}"):
                rank = getattr(row, col)
                if rank > 0:
                    column = getattr(LeaderboardEntry, col)
                    session.exec(
                        update(LeaderboardEntry).where(*board, column > rank).values({col: column - 1})  # type: ignore[call-overload]
                    )
        session.delete(row)
    session.flush()
