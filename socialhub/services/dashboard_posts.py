"""The dashboard's per-post figures: top posts of a period and one post's detail.

A post's gain in a period follows the rollup's rules (services/dashboard_rollups.py) on the
post alone: value at the end minus value at the start, each its last snapshot at or before
that moment; with no snapshot at the start, from 0 if the post was published inside the
period, else from its first snapshot. Like the leaderboard, a negative gain counts 0 here.
Each post costs three index seeks on (tracked_post_id, taken_at), however long its history.
"""

# ruff: noqa: S608  (the SQL is assembled from this module's own names; values are bound)

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlmodel import Session

from socialhub.models import Connection, MediaFile, MetricSnapshot, Post, PostTarget, TrackedPost
from socialhub.services.access import NotYours
from socialhub.services.dashboard_periods import Period
from socialhub.services.dashboard_rollups import METRICS
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
         {_seek("AND ms.taken_at <= :s", "DESC")} AS s_id
  FROM tracked_posts tp
  WHERE tp.connection_id IN :ids AND (tp.published_at IS NULL OR tp.published_at <= :e)
),
pf AS (
  SELECT p.*, CASE WHEN p.s_id IS NULL THEN {_seek("", "ASC").replace("tp.id", "p.pid")} END AS f_id
  FROM p
)
SELECT pf.pid, pf.connection_id, pf.platform, pf.title, pf.url, pf.thumbnail_url, pf.published_at,
       pf.status, pf.post_target_id, pf.e_id, pf.s_id, f.taken_at AS f_taken,
       {_VALS.format(a="e")}, {_VALS.format(a="s")}, {_VALS.format(a="f")}
FROM pf
  LEFT JOIN metric_snapshots e ON e.id = pf.e_id
  LEFT JOIN metric_snapshots s ON s.id = pf.s_id
  LEFT JOIN metric_snapshots f ON f.id = pf.f_id
WHERE pf.e_id IS NOT NULL OR pf.f_id IS NOT NULL
"""


def _eng(v: Sequence[int]) -> int:
    return v[1] + v[2] + v[3] + v[4]


# How to read each sort measure from (row, gains + engagement, totals + total engagement).
_KEYS: dict[str, Callable[[tuple], Any]] = {
    m: (lambda x, i=i: x[1][i]) for i, m in enumerate((*METRICS, "engagement"))
}
_KEYS["total_views"] = lambda x: x[2][0]
_KEYS["published_at"] = lambda x: x[0][6]


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
    # Gains first, as plain tuples; TopPost rows only for the ones returned.
    found: list[tuple] = []
    start, end = period.start, period.end
    for row in session.execute(stmt):
        published, e_id, s_id, f_taken = row[6], row[9], row[10], row[11]
        end_v = [x or 0 for x in row[12:18]]
        if s_id is not None:
            base = [x or 0 for x in row[18:24]]
        else:
            first_v = [x or 0 for x in row[24:30]]
            attributed = min(published, f_taken) if published is not None and f_taken is not None else None
            born_inside = attributed is not None and start < attributed <= end
            if e_id is None:  # its first snapshot came after the period's end
                if not born_inside:
                    continue
                gain = (*first_v, _eng(first_v))
                found.append((row, gain, (None,) * 7))
                continue
            base = [0] * 6 if born_inside else first_v
        gain = (
            *(a - b if a > b else 0 for a, b in zip(end_v, base, strict=True)),
            max(0, _eng(end_v) - _eng(base)),
        )
        found.append((row, gain, (*end_v, _eng(end_v))))
    key = _KEYS[sort]
    found.sort(key=lambda x: x[0][0])  # ties by post id
    present = [x for x in found if key(x) is not None]
    missing = [x for x in found if key(x) is None]
    present.sort(key=key, reverse=descending)  # stable: ties stay by post id
    chosen = []
    for row, gain, totals in (present + missing)[:limit]:
        pid, cid, platform, title, url, thumb, published, status, target_id = row[:9]
        top = TopPost(
            pid, platform, cid, scope[cid].label, title, url, thumb, published, status, *gain, *totals
        )  # fmt: skip
        chosen.append((top, target_id))
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
