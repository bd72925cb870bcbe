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
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, select

from socialhub.config import PLATFORMS
from socialhub.db import session_scope
from socialhub.models import (
    Connection,
    LeaderboardAccount,
    LeaderboardEntry,
    LeaderboardRefresh,
    User,
    utcnow,
)
from socialhub.services.leaderboard_sql import gains_by_creator

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


def _public_accounts(session: Session) -> set[tuple[int, str]]:
    """(creator, platform) of every public account of everyone on the boards: opted in, not
    disabled (with figures or not: an account that counts for someone else shows 0)."""
    return set(
        session.exec(
            select(LeaderboardAccount.user_id, Connection.platform)
            .join(Connection, Connection.id == LeaderboardAccount.connection_id)
            .join(User, User.id == LeaderboardAccount.user_id)
            .where(User.public_on_leaderboard, User.is_disabled == False)  # noqa: E712
            .distinct()
        ).all()
    )


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
    public = _public_accounts(session)
    creators = {uid for uid, _ in public}
    sums = gains_by_creator(session, now)
    # (period, platform, user) -> [posts, 4 current values, 4 previous values]
    acc: dict[tuple[str, str, int], list[int]] = {}
    for period in PERIODS:
        for uid, platform in public:
            acc[(period, ALL_PLATFORMS, uid)] = [0] * 9
            acc[(period, platform, uid)] = [0] * 9
    for (uid, platform), numbers in sums.items():
        for i, period in enumerate(PERIODS):
            part = numbers[9 * i : 9 * i + 9]
            acc[(period, platform, uid)] = list(part)
            total = acc.setdefault((period, ALL_PLATFORMS, uid), [0] * 9)
            for j in range(9):
                total[j] += part[j]
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
    if records:  # executemany: far cheaper than one statement with 60,000 VALUES groups
        session.connection().execute(LeaderboardEntry.__table__.insert(), records)
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
