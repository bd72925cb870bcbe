"""Job round trips through a real Redis and real worker and scheduler processes."""

import subprocess
import sys
from datetime import timedelta

from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq_scheduler import Scheduler
from sqlmodel import select

from socialhub.models import Heartbeat, JobRun
from tests.servers import process_env
from worker.schedule import PERIODIC_JOBS, register_periodic_jobs


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "socialhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=process_env(),
    )


def test_worker_process_runs_enqueued_job(db, redis):
    q = Queue("default", connection=redis)
    job = q.enqueue("worker.jobs.ping", "hello", job_id="ping-test-1")
    done = _cli("worker", "default", "--burst")
    assert done.returncode == 0, done.stderr[-2000:]
    job = Job.fetch("ping-test-1", connection=redis)
    assert job.get_status() == "finished"
    assert job.return_value() == {"echo": "hello", "db": 1}
    runs = db.exec(select(JobRun).where(JobRun.job_id == "ping-test-1")).all()
    assert [r.status for r in runs] == ["finished"]


def test_failed_job_is_audited_and_kept(db, redis):
    q = Queue("default", connection=redis)
    q.enqueue("tests.foundation.failing_job.explode", "boom", job_id="explode-1")
    done = _cli("worker", "default", "--burst")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "explode-1" in FailedJobRegistry(queue=q).get_job_ids()
    run = db.exec(select(JobRun).where(JobRun.job_id == "explode-1")).one()
    assert run.status == "failed" and "ValueError: boom" in run.error


def test_scheduled_job_fires_through_rq_scheduler(db, redis):
    q = Queue("default", connection=redis)
    scheduler = Scheduler(queue=q, connection=redis)
    scheduler.enqueue_in(timedelta(seconds=0), "worker.jobs.ping", "later", job_id="sched-1")
    assert q.count == 0  # waiting in the scheduler, not yet queued
    passed = _cli("scheduler", "--burst")
    assert passed.returncode == 0, passed.stderr[-2000:]
    assert q.count == 1
    assert _cli("worker", "default", "--burst").returncode == 0
    assert Job.fetch("sched-1", connection=redis).return_value() == {"echo": "later", "db": 1}
    beats = db.exec(select(Heartbeat).where(Heartbeat.kind == "scheduler")).all()
    assert len(beats) == 1
    # One row per process: host and pid, and the pass it ran.
    info = beats[0].info
    assert beats[0].name == f"scheduler:{info['host']}-{info['pid']}"
    assert info["passes"] == 1 and info["interval"] == 10


def test_periodic_jobs_register_once(redis):
    scheduler = Scheduler(queue=Queue("default", connection=redis), connection=redis)
    first = register_periodic_jobs(scheduler)
    second = register_periodic_jobs(scheduler)
    assert first == second
    ids = [j.id for j in scheduler.get_jobs()]
    assert sorted(ids) == first and len(ids) == len(PERIODIC_JOBS)


def test_scheduler_pass_restores_periodic_jobs_lost_with_redis(db, redis):
    """A Redis that restarts empty loses the cron entries; the running scheduler puts them
    back on its next pass instead of waiting for its own restart."""
    from worker.main import HeartbeatScheduler

    scheduler = HeartbeatScheduler(queue=Queue("default", connection=redis), connection=redis, interval=1)
    wanted = register_periodic_jobs(scheduler)
    redis.flushdb()  # what a restarted, empty Redis looks like
    assert list(scheduler.get_jobs()) == []
    scheduler.enqueue_jobs()
    assert sorted(j.id for j in scheduler.get_jobs()) == wanted
