"""The rollup the sync keeps equals one rebuilt from the snapshots, and a redelivered batch
adds nothing."""

from __future__ import annotations

import random
from datetime import timedelta

from socialhub.services import dashboard_queries as dq
from socialhub.services import metrics_sync
from socialhub.services.dashboard_rollups import METRICS, rebuild_rollups
from tests.dashboard.conftest import expected_gains, utc


def test_incremental_rollup_equals_rebuilt(world, db):
    rng = random.Random(7)
    uid = world.user()
    cids = [world.connection(uid, p) for p in ("instagram", "x")]
    posts = []
    for cid in cids:
        posts += [
            world.post(cid, utc(2026, 3, 1) + timedelta(hours=rng.randrange(0, 24 * 60))) for _ in range(5)
        ]
        posts.append(world.post(cid, None, source="url"))
    state = {pid: dict.fromkeys(METRICS, 0) for pid in posts}
    for step in range(30):
        at = utc(2026, 3, 1) + timedelta(hours=47 * step, minutes=rng.randrange(60))
        for pid in posts:
            if rng.random() < 0.3:
                continue
            for m in METRICS:
                state[pid][m] = max(0, state[pid][m] + rng.randrange(-3, 40))  # corrections included
            world.snap(pid, at, **state[pid])
    # An out-of-order write (older than the post's latest) changes its successor's gain too.
    world.snap(posts[0], utc(2026, 3, 20, 3, 3), views=1, likes=1)
    incremental = {cid: world.rollup(cid) for cid in cids}
    for cid in cids:
        assert rebuild_rollups(db, cid) > 0
    db.commit()
    assert {cid: world.rollup(cid) for cid in cids} == incremental
    p = dq.resolve_period(
        "custom",
        now=utc(2026, 6, 1),
        tz="Europe/Paris",
        start=utc(2026, 3, 5).date(),
        end=utc(2026, 4, 20).date(),
    )
    assert (
        dq.headline(db, dq.Filters(uid), p).views.value == expected_gains(db, posts, p.start, p.end)["views"]
    )


def test_a_redelivered_sync_batch_adds_nothing(world, db):
    uid = world.user()
    cid = world.connection(uid, "tiktok")
    pid = world.post(cid, utc(2026, 6, 10))
    run = world.run(utc(2026, 6, 11))
    row = {
        "tracked_post_id": pid,
        "sync_run_id": run,
        "taken_at": utc(2026, 6, 11),
        "views": 50,
        "likes": 5,
        "extra": {},
    }
    assert metrics_sync.save_snapshots(db, [row]) == 1
    db.commit()
    before = world.rollup(cid)
    assert metrics_sync.save_snapshots(db, [row]) == 0  # the same job delivered again
    assert metrics_sync.save_snapshots(db, [dict(row, views=80)]) == 0  # even with other numbers
    db.commit()
    assert world.rollup(cid) == before == {utc(2026, 6, 10): (50, 5, 0, 0, 0, 0)}
    p = dq.resolve_period("7d", now=utc(2026, 6, 15), tz="UTC")
    assert dq.headline(db, dq.Filters(uid), p).views.value == 50


def test_a_publishing_time_learnt_later_moves_the_first_value(world, db):
    from socialhub.models import TrackedPost
    from socialhub.services.dashboard_rollups import set_published_at

    uid = world.user()
    cid = world.connection(uid, "youtube")
    pid = world.post(cid, None, source="url")
    world.snap(pid, utc(2026, 6, 11), views=70)
    world.snap(pid, utc(2026, 6, 12), views=90)
    assert world.rollup(cid) == {utc(2026, 6, 12): (20, 0, 0, 0, 0, 0)}  # counted from its first snapshot
    set_published_at(db, db.get(TrackedPost, pid), utc(2026, 6, 10, 8, 1))
    db.commit()
    assert world.rollup(cid) == {
        utc(2026, 6, 10, 8, 15): (70, 0, 0, 0, 0, 0),
        utc(2026, 6, 12): (20, 0, 0, 0, 0, 0),
    }
    kept = world.rollup(cid)
    rebuild_rollups(db, cid)
    db.commit()
    assert world.rollup(cid) == kept
