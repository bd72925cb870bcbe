"""The metrics dashboard's queries: the one module the dashboard page reads snapshots through.

Plain Python over a Session (never commits); frozen dataclasses out, with plain fields so they
serialise directly. Periods: services/dashboard_periods.py. Views, likes, comments, shares,
saves and reach gained come from the quarter-hour rollup (services/dashboard_rollups.py, where
the gain rules are written); followers from account_snapshots (one index seek per account
and boundary); per-post figures (top posts, a post's detail) from metric_snapshots with
(tracked_post_id, taken_at) seeks (services/dashboard_posts.py).

Scope: only the filter's user's own connections are read. A connection id of another user in
`Filters.connection_ids` is simply not matched (nothing of it is read or shown); an unknown
platform name is a ValueError.
"""

# ruff: noqa: F401, S608  (re-exports: the page imports the whole API from here; the SQL is
# assembled from this module's own names, values are bound)

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import TextClause, bindparam, func, select, text
from sqlmodel import Session

from socialhub.config import PLATFORM_LABELS
from socialhub.models import AccountSnapshot, MetricRollup, TrackedPost
from socialhub.services.dashboard_periods import PERIODS, DayMap, Period, resolve_period, zone
from socialhub.services.dashboard_posts import SORTS, PostDetail, PostPoint, TopPost, post_detail, top_posts
from socialhub.services.dashboard_rollups import METRICS, rebuild_rollups
from socialhub.services.dashboard_scope import Account, Filters, accounts, label_of
from socialhub.services.dashboard_status import ReconnectItem, Status, overview_status

# Engagement rate = (likes + comments + shares + saves) / basis, per platform. Every provider
# returns views (provider fetch_metrics, CONTRACTS.md), so every basis is views; "reach"
# stays a possible basis for a platform that gives reach and no views.
RATE_BASIS: dict[str, str] = {
    "instagram": "views",
    "facebook": "views",
    "tiktok": "views",
    "youtube": "views",
    "linkedin": "views",
    "x": "views",
}
RATE_BASIS_NOTE: dict[str, str] = {
    "instagram": "Instagram: per views. The Graph API's media insights give views (which replaced "
    "impressions and plays in 2025) and reach; views count every showing, like the other platforms.",
    "facebook": "Facebook: per views. Page post insights give post_media_view (views) and "
    "post_total_media_view_unique (reach); views are used, as for the other platforms.",
    "tiktok": "TikTok: per views. The Display API gives view_count and no reach.",
    "youtube": "YouTube: per views. The Data API gives viewCount and no reach.",
    "linkedin": "LinkedIn: per views (impressions from member post analytics). Without the "
    "analytics permission LinkedIn gives only likes and comments, so there is no rate.",
    "x": "X: per views (impression_count). X gives no reach.",
}
RATE_FORMULA = "(likes + comments + shares + saves) / views (or / reach where a platform gives no views)"


@dataclass(frozen=True)
class Metric:
    value: int
    previous: int
    change_pct: float | None  # None when the previous period is 0


@dataclass(frozen=True)
class Headline:
    views: Metric
    engagement: Metric
    followers_gained: Metric
    posts_published: Metric


@dataclass(frozen=True)
class DayValue:
    day: date
    platform: str
    value: int


@dataclass(frozen=True)
class AccountDayValue:
    day: date
    connection_id: int
    label: str
    platform: str
    value: int | None  # followers at the end of the local day; None before the first snapshot


@dataclass(frozen=True)
class RateDay:
    day: date
    platform: str
    rate: float | None  # None when nothing was viewed that day
    basis: str  # views | reach


@dataclass(frozen=True)
class ComparisonRow:
    platform: str
    connection_id: int | None  # None: the platform's row
    label: str
    views: int
    likes: int
    comments: int
    shares: int
    saves: int
    reach: int
    engagement: int
    engagement_rate: float | None
    followers_gained: int
    posts: int  # posts published in the period


def _pct(value: int, previous: int) -> float | None:
    return None if previous == 0 else round((value - previous) * 100.0 / abs(previous), 1)


# --- building blocks ---------------------------------------------------------------------------


def _sums(session: Session, ids: list[int], start: datetime, end: datetime) -> dict[int, list[int]]:
    """connection id -> gains in (start, end], in METRICS order."""
    if not ids:
        return {}
    cols = [func.sum(getattr(MetricRollup, m)) for m in METRICS]
    q = (
        select(MetricRollup.connection_id, *cols)
        .where(MetricRollup.connection_id.in_(ids), MetricRollup.bucket > start, MetricRollup.bucket <= end)  # type: ignore[attr-defined]
        .group_by(MetricRollup.connection_id)
    )
    return {cid: [int(v or 0) for v in vals] for cid, *vals in session.execute(q)}


_SUMS = ", ".join(f"SUM(r.{m})" for m in METRICS)
_PER_DAY = (
    "SELECT d.idx, r.connection_id, " + _SUMS + " FROM d CROSS JOIN metric_rollups r{hint} "
    "WHERE r.connection_id IN :ids AND r.bucket > d.lo AND r.bucket <= d.hi "
    "GROUP BY d.idx, r.connection_id"
)
_FOLLOWERS_PER_DAY = (
    ", c(cid) AS (SELECT id FROM connections WHERE id IN :ids) "
    "SELECT d.idx, c.cid, (SELECT a.followers FROM account_snapshots a WHERE a.connection_id = c.cid "
    "AND a.followers IS NOT NULL AND a.taken_at <= d.hi ORDER BY a.taken_at DESC, a.id DESC LIMIT 1) "
    "FROM d CROSS JOIN c"
)


# SQLite, given one account, would rather build a temporary index on connection_id alone and
# scan it for every day (~5x slower); the primary key's own index serves each day's range.
_HINTS = {"sqlite": " INDEXED BY sqlite_autoindex_metric_rollups_1"}


@lru_cache(maxsize=64)
def _by_day(query: str, n: int, dialect: str) -> TextClause:
    """`query` after a CTE d(idx, lo, hi) of n days, its bounds bound as :lo<i>, :hi<i> (built
    once per shape: a year is 730 parameters)."""
    query = query.replace("{hint}", _HINTS.get(dialect, ""))
    bucket = MetricRollup.__table__.c.bucket.type  # type: ignore[attr-defined]
    rows = ", ".join(f"({i}, :lo{i}, :hi{i})" for i in range(n))
    sep = "" if query.startswith(",") else " "
    params = [bindparam("ids", expanding=True)]
    for i in range(n):
        params += [bindparam(f"lo{i}", type_=bucket), bindparam(f"hi{i}", type_=bucket)]
    return text(f"WITH d(idx, lo, hi) AS (VALUES {rows}){sep}{query}").bindparams(*params)


def _day_bounds(days: DayMap, end: datetime) -> dict[str, datetime]:
    """Each local day of the period as its (lo, hi] in UTC."""
    out, low = {}, days.start
    for i, high in enumerate(days.ends):
        high = min(high, end)
        out[f"lo{i}"], out[f"hi{i}"] = low, high
        low = high
    return out


def _per_day(session: Session, ids: list[int], days: DayMap, end: datetime) -> list[tuple]:
    """(day index, connection id, gains in METRICS order) for every local day with any: the
    database sums each day's buckets (one index range per day and account), so a year comes
    back as at most 365 rows per account."""
    if not ids:
        return []
    stmt = _by_day(_PER_DAY, len(days.days), session.get_bind().dialect.name)
    return list(session.execute(stmt, {"ids": ids, **_day_bounds(days, end)}))


def _followers_per_day(session: Session, ids: list[int], days: DayMap, end: datetime) -> dict:
    """(day index, connection id) -> followers in the account's last snapshot at or before the
    day's end: one index seek per day and account."""
    if not ids:
        return {}
    stmt = _by_day(_FOLLOWERS_PER_DAY, len(days.days), session.get_bind().dialect.name)
    rows = session.execute(stmt, {"ids": ids, **_day_bounds(days, end)})
    return {(idx, cid): n for idx, cid, n in rows}


def _followers_at(session: Session, cid: int, at: datetime, *, after: datetime | None = None) -> int | None:
    """Followers in the account's last snapshot at or before `at` (with `after`: its first in
    (after, at] instead)."""
    q = select(AccountSnapshot.followers).where(
        AccountSnapshot.connection_id == cid,
        AccountSnapshot.followers.is_not(None),  # type: ignore[union-attr]
        AccountSnapshot.taken_at <= at,
    )
    if after is None:
        q = q.order_by(AccountSnapshot.taken_at.desc(), AccountSnapshot.id.desc())  # type: ignore[attr-defined]
    else:
        q = q.where(AccountSnapshot.taken_at > after).order_by(AccountSnapshot.taken_at, AccountSnapshot.id)
    return session.execute(q.limit(1)).scalar()


def _followers_gained(session: Session, cid: int, start: datetime, end: datetime) -> int:
    """Followers at the end minus at the start; an account first seen inside the period (added
    mid-period) counts from its first snapshot. Losses count (negative)."""
    last = _followers_at(session, cid, end)
    if last is None:
        return 0
    first = _followers_at(session, cid, start)
    if first is None:
        first = _followers_at(session, cid, end, after=start)
    return last - (first if first is not None else last)


def _posts_published(session: Session, ids: list[int], start: datetime, end: datetime) -> dict[int, int]:
    if not ids:
        return {}
    q = (
        select(TrackedPost.connection_id, func.count())
        .where(
            TrackedPost.connection_id.in_(ids),  # type: ignore[attr-defined]
            TrackedPost.published_at > start,  # type: ignore[operator]
            TrackedPost.published_at <= end,  # type: ignore[operator]
        )
        .group_by(TrackedPost.connection_id)
    )
    return {cid: int(n) for cid, n in session.execute(q)}


def _engagement(v: list[int] | tuple[int, ...]) -> int:
    return v[1] + v[2] + v[3] + v[4]


def _rate(platform: str, v: list[int] | tuple[int, ...]) -> float | None:
    basis = v[5] if RATE_BASIS.get(platform, "views") == "reach" else v[0]
    return None if basis <= 0 else round(_engagement(v) / basis, 6)


# --- the API -----------------------------------------------------------------------------------


def headline(session: Session, f: Filters, period: Period) -> Headline:
    scope = accounts(session, f)
    ids = [a.connection_id for a in scope]
    figures = []
    for start, end in ((period.start, period.end), (period.prev_start, period.prev_end)):
        sums = _sums(session, ids, start, end).values()
        views = sum(v[0] for v in sums)
        engagement = sum(_engagement(v) for v in sums)
        followers = sum(_followers_gained(session, cid, start, end) for cid in ids)
        posts = sum(_posts_published(session, ids, start, end).values())
        figures.append((views, engagement, followers, posts))
    (cur, prev) = figures
    m = [Metric(c, p, _pct(c, p)) for c, p in zip(cur, prev, strict=True)]
    return Headline(*m)


def _daily(session: Session, f: Filters, period: Period) -> tuple[list[date], list[str], dict]:
    """(days, platforms in scope, (day, platform) -> gains)."""
    scope = accounts(session, f)
    platform_of = {a.connection_id: a.platform for a in scope}
    days = DayMap(period.start, period.end, period.tz)
    per: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0] * 6)
    for idx, cid, *vals in _per_day(session, list(platform_of), days, period.end):
        acc = per[(days.days[idx], platform_of[cid])]
        for i, v in enumerate(vals):
            acc[i] += int(v or 0)
    return days.days, sorted(set(platform_of.values())), per


def views_over_time(session: Session, f: Filters, period: Period) -> list[DayValue]:
    """Views gained per local day and platform; every day of the period, zeros included."""
    days, platforms, per = _daily(session, f, period)
    return [DayValue(d, p, per[(d, p)][0] if (d, p) in per else 0) for d in days for p in platforms]


def engagement_rate_over_time(session: Session, f: Filters, period: Period) -> list[RateDay]:
    """Per local day and platform: engagement gained / views (or reach) gained that day."""
    days, platforms, per = _daily(session, f, period)
    zero = [0] * 6
    return [
        RateDay(d, p, _rate(p, per.get((d, p), zero)), RATE_BASIS.get(p, "views"))
        for d in days
        for p in platforms
    ]


def followers_over_time(session: Session, f: Filters, period: Period) -> list[AccountDayValue]:
    """Per account, its followers at the end of each local day (None before its first snapshot)."""
    days = DayMap(period.start, period.end, period.tz)
    scope = accounts(session, f)
    values = _followers_per_day(session, [a.connection_id for a in scope], days, period.end)
    return [
        AccountDayValue(d, a.connection_id, a.label, a.platform, values.get((i, a.connection_id)))
        for a in scope
        for i, d in enumerate(days.days)
    ]


def comparison(session: Session, f: Filters, period: Period) -> list[ComparisonRow]:
    """The same measures per platform (connection_id None) and per account, platforms first."""
    scope = accounts(session, f)
    ids = [a.connection_id for a in scope]
    sums = _sums(session, ids, period.start, period.end)
    posts = _posts_published(session, ids, period.start, period.end)
    per_platform: dict[str, list[int]] = defaultdict(lambda: [0] * 8)
    rows: list[ComparisonRow] = []
    for a in scope:
        v = sums.get(a.connection_id, [0] * 6)
        gained = _followers_gained(session, a.connection_id, period.start, period.end)
        n = posts.get(a.connection_id, 0)
        rows.append(_row(a.platform, a.connection_id, a.label, v, gained, n))
        acc = per_platform[a.platform]
        for i, x in enumerate([*v, gained, n]):
            acc[i] += x
    platform_rows = [
        _row(p, None, PLATFORM_LABELS.get(p, p), acc[:6], acc[6], acc[7])
        for p, acc in sorted(per_platform.items())
    ]
    return platform_rows + rows


def _row(platform: str, cid: int | None, label: str, v: list[int], gained: int, posts: int) -> ComparisonRow:
    return ComparisonRow(
        platform,
        cid,
        label,
        *v,
        engagement=_engagement(v),
        engagement_rate=_rate(platform, v),
        followers_gained=gained,
        posts=posts,
    )


__all__ = [
    "PERIODS",
    "RATE_BASIS",
    "RATE_BASIS_NOTE",
    "RATE_FORMULA",
    "SORTS",
    "Account",
    "AccountDayValue",
    "ComparisonRow",
    "DayValue",
    "Filters",
    "Headline",
    "Metric",
    "Period",
    "PostDetail",
    "PostPoint",
    "RateDay",
    "ReconnectItem",
    "Status",
    "TopPost",
    "accounts",
    "comparison",
    "engagement_rate_over_time",
    "followers_over_time",
    "headline",
    "overview_status",
    "post_detail",
    "rebuild_rollups",
    "resolve_period",
    "top_posts",
    "views_over_time",
]
