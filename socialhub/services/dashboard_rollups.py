"""The dashboard's rollup (`metric_rollups`): per connection and quarter hour, the summed
per-post GAINS of the snapshots taken in it, so a year's chart reads ~35,000 small rows per
account at most (one per sync) instead of every post's 1,460 snapshots.

Gain rules (the leaderboard's, services/leaderboard.py, made additive so that days and
periods sum):
- a snapshot adds its value minus the same post's previous snapshot (None counts 0); a
  decrease (a platform correcting counts) adds a negative amount, so a period's total is the
  sum over posts of (value at end - value at start);
- a post's FIRST snapshot adds its whole value at the moment the post was published
  (`published_at`, or the snapshot's own time if earlier), i.e. counts from 0 in the period
  the post was published in; a post with no publishing time counts from its first snapshot
  (adds nothing). The leaderboard counts a post "from 0 if published inside the period, else
  from its first snapshot" too; the two differ only for a period that ended between the
  publishing and the first snapshot (the leaderboard counts those views in no period).

Maintenance: the metric sync calls `add_snapshots` with the ids its INSERT really returned,
in the same transaction, so a redelivered job (which inserts nothing) adds nothing.
`remove_post` subtracts a post's contribution before its history is deleted.
`rebuild_rollups` recomputes a connection from its snapshots (bench data, checks, repairs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session

from socialhub.models import MetricRollup, MetricSnapshot, TrackedPost
from socialhub.services.dashboard_periods import slot_end

METRICS = ("views", "likes", "comments", "shares", "saves", "reach")
Values = tuple[int, int, int, int, int, int]
ZERO: Values = (0, 0, 0, 0, 0, 0)
_SNAP_COLS = [getattr(MetricSnapshot, m) for m in METRICS]


def _values(row: Iterable[int | None]) -> Values:
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def contribution(
    published_at: datetime | None, taken_at: datetime, values: Values, previous: Values | None
) -> tuple[datetime, Values] | None:
    """What one snapshot adds, and to which bucket (None: nothing)."""
    if previous is not None:
        return slot_end(taken_at), tuple(v - p for v, p in zip(values, previous, strict=True))  # type: ignore[return-value]
    if published_at is None:
        return None
    return slot_end(min(published_at, taken_at)), values


def post_contributions(
    published_at: datetime | None, snapshots: Iterable[tuple[datetime, Values]]
) -> list[tuple[datetime, Values]]:
    """Every contribution of one post, its snapshots in (taken_at, id) order."""
    out, previous = [], None
    for taken_at, values in snapshots:
        c = contribution(published_at, taken_at, values, previous)
        if c is not None:
            out.append(c)
        previous = values
    return out


def _upsert(session: Session, sums: dict[tuple[int, datetime], list[int]], sign: int = 1) -> None:
    if not sums:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = MetricRollup.__table__  # type: ignore[attr-defined]
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["connection_id", "bucket"],
        set_={m: table.c[m] + stmt.excluded[m] for m in METRICS},
    )
    rows = [
        {"connection_id": cid, "bucket": bucket, **{m: sign * v for m, v in zip(METRICS, vals, strict=True)}}
        for (cid, bucket), vals in sorted(sums.items())  # a fixed order: no deadlock between writers
    ]
    session.execute(stmt, rows)


def _add(sums: dict[tuple[int, datetime], list[int]], cid: int, c: tuple[datetime, Values]) -> None:
    acc = sums[(cid, c[0])]
    for i, v in enumerate(c[1]):
        acc[i] += v


def add_snapshots(session: Session, snapshot_ids: list[int]) -> None:
    """Add what freshly inserted snapshots gained. A snapshot older than the post's latest (an
    out-of-order write) changes its successor's gain too: that connection is rebuilt."""
    if not snapshot_ids:
        return
    new = session.execute(
        select(
            MetricSnapshot.id,
            MetricSnapshot.tracked_post_id,
            TrackedPost.connection_id,
            TrackedPost.published_at,
        )
        .join(TrackedPost, TrackedPost.id == MetricSnapshot.tracked_post_id)
        .where(MetricSnapshot.id.in_(snapshot_ids))  # type: ignore[attr-defined]
    ).all()
    sums: dict[tuple[int, datetime], list[int]] = defaultdict(lambda: [0] * 6)
    rebuild: set[int] = set()
    for snap_id, post_id, cid, published_at in new:
        if cid in rebuild:
            continue
        last_two = session.execute(
            select(MetricSnapshot.id, MetricSnapshot.taken_at, *_SNAP_COLS)
            .where(MetricSnapshot.tracked_post_id == post_id)
            .order_by(MetricSnapshot.taken_at.desc(), MetricSnapshot.id.desc())  # type: ignore[attr-defined]
            .limit(2)
        ).all()
        if not last_two or last_two[0][0] != snap_id:
            rebuild.add(cid)
            continue
        previous = _values(last_two[1][2:]) if len(last_two) > 1 else None
        c = contribution(published_at, last_two[0][1], _values(last_two[0][2:]), previous)
        if c is not None:
            _add(sums, cid, c)
    _upsert(session, {k: v for k, v in sums.items() if k[0] not in rebuild})
    for cid in sorted(rebuild):
        rebuild_rollups(session, cid)


def _post_snapshots(session: Session, post_ids: list[int]) -> Iterable[tuple[int, datetime, Values]]:
    rows = session.execute(
        select(MetricSnapshot.tracked_post_id, MetricSnapshot.taken_at, *_SNAP_COLS)
        .where(MetricSnapshot.tracked_post_id.in_(post_ids))  # type: ignore[attr-defined]
        .order_by(MetricSnapshot.tracked_post_id, MetricSnapshot.taken_at, MetricSnapshot.id)
        .execution_options(yield_per=20_000)
    )
    for post_id, taken_at, *vals in rows:
        yield post_id, taken_at, _values(vals)


def _contributions_of(session: Session, posts: dict[int, datetime | None]) -> list[tuple[datetime, Values]]:
    out: list[tuple[datetime, Values]] = []
    ids = sorted(posts)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        current, previous = None, None
        for post_id, taken_at, values in _post_snapshots(session, chunk):
            if post_id != current:
                current, previous = post_id, None
            c = contribution(posts[post_id], taken_at, values, previous)
            if c is not None:
                out.append(c)
            previous = values
    return out


def _apply_post(session: Session, post: TrackedPost, sign: int) -> None:
    sums: dict[tuple[int, datetime], list[int]] = defaultdict(lambda: [0] * 6)
    for c in _contributions_of(session, {post.id: post.published_at}):  # type: ignore[dict-item]
        _add(sums, post.connection_id, c)
    _upsert(session, sums, sign=sign)


def remove_post(session: Session, tracked_post_id: int) -> None:
    """Subtract a post's whole contribution (call before deleting its history)."""
    post = session.get(TrackedPost, tracked_post_id)
    if post is not None:
        _apply_post(session, post, -1)


def set_published_at(session: Session, post: TrackedPost, when: datetime | None) -> None:
    """Change a tracked post's publishing time: its first snapshot's value moves with it."""
    if post.published_at == when:
        return
    if post.id is not None:
        _apply_post(session, post, -1)
    post.published_at = when
    session.add(post)
    if post.id is not None:
        _apply_post(session, post, +1)


def rebuild_rollups(session: Session, connection_id: int) -> int:
    """Recompute one connection's rollup from its snapshots; returns the buckets written."""
    session.execute(delete(MetricRollup).where(MetricRollup.connection_id == connection_id))  # type: ignore[arg-type]
    posts = dict(
        session.execute(
            select(TrackedPost.id, TrackedPost.published_at).where(TrackedPost.connection_id == connection_id)
        ).all()
    )
    sums: dict[tuple[int, datetime], list[int]] = defaultdict(lambda: [0] * 6)
    for c in _contributions_of(session, posts):
        _add(sums, connection_id, c)
    _upsert(session, sums)
    return len(sums)
