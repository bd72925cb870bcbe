"""overview_status: what the page needs for its empty and error states."""

from __future__ import annotations

from datetime import timedelta

from socialhub.models import SyncRun
from socialhub.services import dashboard_queries as dq
from socialhub.services.dashboard_status import next_metric_sync
from tests.dashboard.conftest import utc


def test_empty_then_reconnect_snapshots_and_syncs(world, db):
    uid = world.user()
    now = utc(2026, 6, 15, 13, 5)
    s = dq.overview_status(db, uid, now)
    assert (s.connections, s.needs_reconnect, s.has_snapshots, s.last_sync_at, s.sync_running) == (
        0,
        [],
        False,
        None,
        False,
    )
    assert s.next_sync_at == utc(2026, 6, 15, 18, 17)  # "17 */6 * * *" in UTC

    ok = world.connection(uid, "youtube", "Tube")
    dead = world.connection(uid, "x", "Bird", status="revoked")
    world.connection(uid, "tiktok", status="expired")
    other = world.user("other@example.com")
    theirs = world.connection(other, "x", status="revoked")
    world.snap(world.post(theirs, utc(2026, 6, 1)), utc(2026, 6, 2), views=1)
    s = dq.overview_status(db, uid, now)
    assert s.connections == 3 and not s.has_snapshots
    assert [(r.platform, r.label) for r in s.needs_reconnect] == [("tiktok", "@tiktok_user"), ("x", "Bird")]
    assert s.needs_reconnect[1].connection_id == dead and s.needs_reconnect[1].platform_label == "X"

    world.snap(world.post(ok, utc(2026, 6, 1)), utc(2026, 6, 2), views=1)
    db.add(SyncRun(status="finished", started_at=utc(2026, 6, 15, 12), finished_at=utc(2026, 6, 15, 12, 20)))
    db.add(
        SyncRun(
            status="finished",
            user_id=other,
            started_at=utc(2026, 6, 15, 13),
            finished_at=utc(2026, 6, 15, 13, 1),
        )
    )
    db.add(SyncRun(status="running", user_id=other, started_at=utc(2026, 6, 15, 13)))
    db.commit()
    s = dq.overview_status(db, uid, now)
    assert s.has_snapshots and s.last_sync_at == utc(2026, 6, 15, 12, 20) and not s.sync_running
    db.add(SyncRun(status="running", user_id=uid, started_at=utc(2026, 6, 15, 13)))
    db.commit()
    assert dq.overview_status(db, uid, now).sync_running


def test_next_sync_follows_the_schedules_cron():
    from rq_scheduler.utils import get_next_scheduled_time

    from socialhub.services.sync_runs import metrics_cron

    now = utc(2026, 6, 15, 13, 5)
    assert next_metric_sync(now, 6) == utc(2026, 6, 15, 18, 17)
    assert next_metric_sync(utc(2026, 6, 15, 18, 17), 6) == utc(2026, 6, 16, 0, 17)
    assert next_metric_sync(now, 24) == utc(2026, 6, 16, 3, 17)
    assert next_metric_sync(now, 1) == utc(2026, 6, 15, 13, 17)
    # The same answer as rq-scheduler's own reading of the cron, from the real clock.
    from socialhub.models import utcnow

    for hours in (1, 4, 6, 8, 12, 24):
        t = utcnow()
        theirs = get_next_scheduled_time(metrics_cron(hours))  # naive UTC
        theirs = theirs.replace(tzinfo=t.tzinfo) if theirs.tzinfo is None else theirs
        assert abs(next_metric_sync(t, hours) - theirs) < timedelta(seconds=1), hours
