"""Dashboard query tests: known snapshots written through the sync's own write path
(metrics_sync.save_snapshots, which keeps the rollup), read back through the query module."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from socialhub.models import AccountSnapshot, Connection, MetricRollup, MetricSnapshot, SyncRun, TrackedPost
from socialhub.services import metrics_sync
from socialhub.services.dashboard_rollups import METRICS
from tests.connections.conftest import make_user

_ids = itertools.count(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class World:
    """Builds users, connections, posts and snapshots in the test's database."""

    def __init__(self, db) -> None:
        self.db = db

    def user(self, email: str = "creator@example.com") -> int:
        return make_user(self.db, email).id

    def connection(self, user_id: int, platform: str, name: str = "", *, status: str = "active") -> int:
        conn = Connection(
            user_id=user_id,
            platform=platform,
            account_id=f"acct-{next(_ids)}",
            username=name or f"{platform}_user",
            display_name=name,
            status=status,
        )
        self.db.add(conn)
        self.db.commit()
        return conn.id

    def post(
        self, connection_id: int, published_at: datetime | None, *, title: str = "", source: str = "published"
    ) -> int:
        conn = self.db.get(Connection, connection_id)
        post = TrackedPost(
            user_id=conn.user_id,
            connection_id=connection_id,
            platform=conn.platform,
            platform_post_id=f"p{next(_ids)}",
            url=f"https://example.com/{next(_ids)}",
            title=title,
            published_at=published_at,
            source=source,
        )
        self.db.add(post)
        self.db.commit()
        return post.id

    def run(self, at: datetime | None = None) -> int:
        run = SyncRun(status="finished", started_at=at or utc(2026, 1, 1), finished_at=at)
        self.db.add(run)
        self.db.commit()
        return run.id

    def snap(self, post_id: int, at: datetime, run_id: int | None = None, **values: int | None) -> int:
        """One snapshot through the sync's write path; returns how many rows it inserted."""
        row = {"tracked_post_id": post_id, "sync_run_id": run_id, "taken_at": at, "extra": {}}
        row.update({m: values.get(m) for m in METRICS})
        written = metrics_sync.save_snapshots(self.db, [row])
        self.db.commit()
        return written

    def account(self, connection_id: int, at: datetime, followers: int | None) -> None:
        self.db.add(AccountSnapshot(connection_id=connection_id, taken_at=at, followers=followers))
        self.db.commit()

    def rollup(self, connection_id: int) -> dict:
        rows = self.db.exec(select(MetricRollup).where(MetricRollup.connection_id == connection_id)).all()
        return {
            r.bucket: tuple(getattr(r, m) for m in METRICS)
            for r in rows
            if any(getattr(r, m) for m in METRICS)
        }


@pytest.fixture
def world(db) -> World:
    return World(db)


# --- an oracle written from the rules' period form, independent of the rollup ------------------


def expected_gains(db, post_ids, start: datetime, end: datetime) -> dict[str, int]:
    """Summed (signed) gains over posts in (start, end]: value at the end minus value at the
    start, each the last snapshot at or before; with none at the start, from 0 when published
    in (start, end] (its first snapshot if that came later than the end), else from the first."""
    totals = dict.fromkeys(METRICS, 0)
    for pid in post_ids:
        post = db.get(TrackedPost, pid)
        snaps = db.exec(
            select(MetricSnapshot)
            .where(MetricSnapshot.tracked_post_id == pid)
            .order_by(MetricSnapshot.taken_at, MetricSnapshot.id)
        ).all()
        if not snaps:
            continue
        at_end = [s for s in snaps if s.taken_at <= end]
        at_start = [s for s in snaps if s.taken_at <= start]
        first = snaps[0]
        published = min(post.published_at, first.taken_at) if post.published_at else None
        born_inside = published is not None and start < published <= end
        for m in METRICS:
            val = lambda s, m=m: getattr(s, m) or 0  # noqa: E731
            if not at_end:
                gain = val(first) if born_inside else 0
            elif at_start:
                gain = val(at_end[-1]) - val(at_start[-1])
            else:
                gain = val(at_end[-1]) - (0 if born_inside else val(first))
            totals[m] += gain
    return totals
