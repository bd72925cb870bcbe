"""The dashboard's per-post figures: top posts of a period and one post's detail.

A post's gain in a period follows the rollup's rules (services/dashboard_rollups.py) on the
post alone: value at the end minus value at the start, each its last snapshot at or before
that moment; with no snapshot at the start, from 0 if the post was published inside the
period, else from its first snapshot. Like the leaderboard, a negative gain counts 0 here.
Each post costs three index seeks on (tracked_post_id, taken_at), however long its history.
"""

# ruff: noqa: S608  (the SQL is assembled from this module's own names; values are bound)

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, text
from sqlmodel import Session

from socialhub.models import Connection, MediaFile, MetricSnapshot, Post, PostTarget, TrackedPost
from socialhub.services.access import NotYours
from socialhub.services.dashboard_periods import Period
from socialhub.services.dashboard_rollups import METRICS, ZERO, Values
from socialhub.services.dashboard_scope import Filters, accounts, label_of

SORTS = (*METRICS, "engagement", "total_views", "published_at")


@dataclass(frozen=True)
class TopPost:
    tracked_post_id: int
    platform: str
    connection_id: int
    account_label: str
    title: str
    url: str | None
    thumbnail_url: str | None  # an https URL or a data: URI; None: show the platform icon
    published_at: datetime | None
    status: str  # active | deleted | untracked
    # gained in the period
    views: int
    likes: int
    comments: int
    shares: int
    saves: int
    reach: int
    engagement: int
    # totals at the end of the period (None: no snapshot by then)
    total_views: int | None
    total_likes: int | None
    total_comments: int | None
    total_shares: int | None
    total_saves: int | None
    total_reach: int | None
    total_engagement: int | None


@dataclass(frozen=True)
class PostPoint:
    taken_at: datetime
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    reach: int | None


@dataclass(frozen=True)
class PostDetail:
    tracked_post_id: int
    platform: str
    connection_id: int
    account_label: str
    title: str
    url: str | None
    thumbnail_url: str | None
    published_at: datetime | None
    status: str
    source: str  # published | url
    points: list[PostPoint]


_VALS = ", ".join(f"{{a}}.{m} AS {{a}}_{m}" for m in METRICS)


def _seek(where: str, order: str) -> str:
    return (
        f"(SELECT ms.id FROM metric_snapshots ms WHERE ms.tracked_post_id = tp.id {where} "
        f"ORDER BY ms.taken_at {order}, ms.id {order} LIMIT 1)"
    )


_SQL = f"""
WITH p AS (
  SELECT tp.id AS pid, tp.connection_id, tp.platform, tp.title, tp.url, tp.thumbnail_url,
         tp.published_at, tp.status, tp.post_target_id,
         {_seek("AND ms.taken_at <= :e", "DESC")} AS e_id,
         {_seek("AND ms.taken_at <= :s", "DESC")} AS s_id,
         {_seek("", "ASC")} AS f_id
  FROM tracked_posts tp
  WHERE tp.connection_id IN :ids AND (tp.published_at IS NULL OR tp.published_at <= :e)
)
SELECT p.pid, p.connection_id, p.platform, p.title, p.url, p.thumbnail_url, p.published_at, p.status,
       p.post_target_id, p.e_id, p.s_id, f.taken_at AS f_taken,
       {_VALS.format(a="e")}, {_VALS.format(a="s")}, {_VALS.format(a="f")}
FROM p
  LEFT JOIN metric_snapshots e ON e.id = p.e_id
  LEFT JOIN metric_snapshots s ON s.id = p.s_id
  LEFT JOIN metric_snapshots f ON f.id = p.f_id
WHERE p.f_id IS NOT NULL
"""


def _v(row: tuple, at: int) -> Values:
    return tuple(int(x or 0) for x in row[at : at + 6])  # type: ignore[return-value]


def _eng(v: Values) -> int:
    return v[1] + v[2] + v[3] + v[4]


def top_posts(
    session: Session,
    f: Filters,
    period: Period,
    *,
    sort: str = "views",
    descending: bool = True,
    limit: int = 50,
) -> list[TopPost]:
    """Posts by what they gained in the period (any measure of SORTS), with their totals."""
    if sort not in SORTS:
        raise ValueError(f"Unknown sort {sort!r}: choose one of {', '.join(SORTS)}.")
    if limit < 1:
        raise ValueError("limit must be at least 1.")
    scope = {a.connection_id: a for a in accounts(session, f)}
    if not scope:
        return []
    taken = MetricSnapshot.__table__.c.taken_at.type  # type: ignore[attr-defined]
    stmt = (
        text(_SQL)
        .columns(published_at=taken, f_taken=taken)
        .bindparams(
            bindparam("e", period.end, type_=taken),
            bindparam("s", period.start, type_=taken),
            bindparam("ids", list(scope), expanding=True),
        )
    )
    posts: list[tuple[TopPost, int | None]] = []
    for row in session.execute(stmt):
        pid, cid, platform, title, url, thumb, published, status, target_id, e_id, s_id, f_taken = row[:12]
        end_v, start_v, first_v = _v(row, 12), _v(row, 18), _v(row, 24)
        attributed = min(published, f_taken) if published is not None else None
        born_inside = attributed is not None and period.start < attributed <= period.end
        if e_id is None:  # its first snapshot came after the period's end
            if not born_inside:
                continue
            gain, engagement, totals = first_v, _eng(first_v), (None,) * 7
        else:
            base = start_v if s_id is not None else (ZERO if born_inside else first_v)
            gain = tuple(max(0, a - b) for a, b in zip(end_v, base, strict=True))  # type: ignore[assignment]
            engagement = max(0, _eng(end_v) - _eng(base))
            totals = (*end_v, _eng(end_v))
        top = TopPost(
            pid,
            platform,
            cid,
            scope[cid].label,
            title,
            url,
            thumb,
            published,
            status,
            *gain,
            engagement,
            *totals,
        )
        posts.append((top, target_id))
    posts.sort(key=lambda p: p[0].tracked_post_id)
    present = [p for p in posts if getattr(p[0], sort) is not None]
    missing = [p for p in posts if getattr(p[0], sort) is None]
    present.sort(key=lambda p: getattr(p[0], sort), reverse=descending)  # stable: ties by id
    chosen = (present + missing)[:limit]
    return [_with_thumbnail(session, top, target_id) for top, target_id in chosen]


def _with_thumbnail(session: Session, top: TopPost, target_id: int | None) -> TopPost:
    if top.thumbnail_url or target_id is None:
        return top
    preview = library_preview(session, target_id)
    if not preview:
        return top
    from dataclasses import replace

    return replace(top, thumbnail_url=preview)


def library_preview(session: Session, target_id: int) -> str | None:
    """The preview of the first media file of the post a target published (a data: URI)."""
    from socialhub.services import media

    target = session.get(PostTarget, target_id)
    post = session.get(Post, target.post_id) if target else None
    if post is None or not post.media_ids:
        return None
    first = session.get(MediaFile, post.media_ids[0])
    return (media.preview_data_uri(first) or None) if first else None


def post_detail(session: Session, user_id: int, tracked_post_id: int) -> PostDetail:
    """One post and every snapshot of it, oldest first. Another user's post (or none) raises
    access.NotYours, the same answer for both."""
    post = session.get(TrackedPost, tracked_post_id)
    if post is None or post.user_id != user_id:
        raise NotYours("That post was not found among your tracked posts.")
    conn = session.get(Connection, post.connection_id)
    label = label_of(conn.display_name, conn.username, conn.account_id) if conn else ""
    cols = [getattr(MetricSnapshot, m) for m in METRICS]
    rows = session.execute(
        select(MetricSnapshot.taken_at, *cols)
        .where(MetricSnapshot.tracked_post_id == tracked_post_id)
        .order_by(MetricSnapshot.taken_at, MetricSnapshot.id)
    ).all()
    thumb = post.thumbnail_url or (
        library_preview(session, post.post_target_id) if post.post_target_id else None
    )
    return PostDetail(
        post.id or 0, post.platform, post.connection_id, label, post.title, post.url, thumb,
        post.published_at, post.status, post.source, [PostPoint(*r) for r in rows],
    )  # fmt: skip
