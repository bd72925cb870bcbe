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

from sqlalchemy import bindparam, delete, select, text
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


_NEW_SQL = """
SELECT n.id, tp.connection_id, tp.published_at, n.taken_at, {cols},
  (SELECT p.id FROM metric_snapshots p WHERE p.tracked_post_id = n.tracked_post_id
     AND (p.taken_at < n.taken_at OR (p.taken_at = n.taken_at AND p.id < n.id))
     ORDER BY p.taken_at DESC, p.id DESC LIMIT 1) AS prev_id,
  CASE WHEN EXISTS (SELECT 1 FROM metric_snapshots l WHERE l.tracked_post_id = n.tracked_post_id
     AND (l.taken_at > n.taken_at OR (l.taken_at = n.taken_at AND l.id > n.id))) THEN 1 ELSE 0 END AS later
FROM metric_snapshots n JOIN tracked_posts tp ON tp.id = n.tracked_post_id
WHERE n.id IN :ids
""".format(cols=", ".join(f"n.{m}" for m in METRICS))  # noqa: S608 (our column names)


def add_snapshots(session: Session, snapshot_ids: list[int]) -> None:
    """Add what freshly inserted snapshots gained (two queries per batch: the new rows with
    their predecessors' ids, then those predecessors). A snapshot older than the post's latest
    (an out-of-order write) changes its successor's gain too: that connection is rebuilt."""
    if not snapshot_ids:
        return
    taken = MetricSnapshot.__table__.c.taken_at.type  # type: ignore[attr-defined]
    stmt = text(_NEW_SQL).columns(published_at=taken, taken_at=taken)
    new = session.execute(stmt.bindparams(bindparam("ids", list(snapshot_ids), expanding=True))).all()
    prev_ids = [r[-2] for r in new if r[-2] is not None]
    previous: dict[int, Values] = {}
    if prev_ids:
        rows = session.execute(
            select(MetricSnapshot.id, *_SNAP_COLS).where(MetricSnapshot.id.in_(prev_ids))  # type: ignore[union-attr]
        )
        previous = {pid: _values(vals) for pid, *vals in rows}
    rebuild = {r[1] for r in new if r[-1]}
    sums: dict[tuple[int, datetime], list[int]] = defaultdict(lambda: [0] * 6)
    for _id, cid, published_at, taken_at, *rest in new:
        if cid in rebuild:
            continue
        values, prev_id = _values(rest[:6]), rest[6]
        c = contribution(published_at, taken_at, values, previous[prev_id] if prev_id is not None else None)
        if c is not None:
            _add(sums, cid, c)
    _upsert(session, sums)
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
