"""heartbeats.scheduler_problem(): the sentence the UI shows when scheduled work would wait."""

from datetime import timedelta

from socialhub.models import Heartbeat, utcnow
from socialhub.services import heartbeats


def _row(db, name: str, kind: str, age: timedelta, now) -> None:
    db.add(Heartbeat(name=name, kind=kind, last_beat_at=now - age, info={}))
    db.commit()


def test_no_scheduler_ever(db):
    now = utcnow()
    _row(db, "worker:w1", "worker", timedelta(seconds=5), now)
    assert heartbeats.scheduler_problem(db, now=now) == (
        "The scheduler has never run: scheduled posts and syncs will wait until it starts."
    )


def test_stale_scheduler_says_for_how_long(db):
    now = utcnow()
    _row(db, "scheduler:old", "scheduler", timedelta(minutes=12, seconds=30), now)
    _row(db, "worker:w1", "worker", timedelta(seconds=5), now)
    assert heartbeats.scheduler_problem(db, now=now) == (
        "The scheduler has not run for 12 minutes: scheduled work is waiting."
    )


def test_newest_scheduler_counts(db):
    """A stale row from a scheduler that moved hosts must not hide the live one."""
    now = utcnow()
    _row(db, "scheduler:old", "scheduler", timedelta(hours=3), now)
    _row(db, "scheduler:new", "scheduler", timedelta(seconds=20), now)
    _row(db, "worker:w1", "worker", timedelta(seconds=5), now)
    assert heartbeats.scheduler_problem(db, now=now) is None


def test_live_scheduler_but_only_dead_workers(db):
    now = utcnow()
    _row(db, "scheduler:s", "scheduler", timedelta(seconds=20), now)
    _row(db, "worker:gone", "worker", timedelta(minutes=5), now)
    assert heartbeats.scheduler_problem(db, now=now) == "No worker is running: queued jobs are waiting."


def test_thresholds_are_the_declared_ones(db):
    """Just inside STALE_AFTER is alive, just past it is not."""
    now = utcnow()
    limit = heartbeats.STALE_AFTER["scheduler"]
    _row(db, "scheduler:s", "scheduler", limit - timedelta(seconds=1), now)
    _row(db, "worker:w", "worker", heartbeats.STALE_AFTER["worker"] - timedelta(seconds=1), now)
    assert heartbeats.scheduler_problem(db, now=now) is None
    later = now + timedelta(seconds=2)
    assert heartbeats.scheduler_problem(db, now=later) == (
        f"The scheduler has not run for {int(limit.total_seconds() // 60)} minutes: scheduled work is waiting."
    )


def test_two_schedulers_are_listed_apart_and_the_stale_one_says_so(db):
    """Each scheduler process beats under its own host and pid (worker/main.py); the admin
    view lists both, with host, pid and passes, and marks the one that stopped beating."""
    from socialhub.state.admin_views import piece

    now = utcnow()
    for host, pid, age in (("web1", 101, timedelta(seconds=5)), ("web2", 202, timedelta(minutes=9))):
        db.add(
            Heartbeat(
                name=f"scheduler:{host}-{pid}",
                kind="scheduler",
                last_beat_at=now - age,
                info={"host": host, "pid": pid, "interval": 10, "passes": 7, "skipped_lock_taken": 1},
            )
        )
    db.commit()
    views = {v.host: v for v in (piece(p, now) for p in heartbeats.status(db, now=now))}
    assert set(views) == {"web1", "web2"}
    assert views["web1"].alive and views["web1"].pid == "101"
    assert not views["web2"].alive and views["web2"].pid == "202"
    assert views["web1"].detail == "7 passes, 1 skipped (lock taken)"
    # The live one is enough: the UI's warning speaks of workers here, not of the scheduler.
    assert heartbeats.scheduler_problem(db, now=now) == "No worker is running: queued jobs are waiting."
