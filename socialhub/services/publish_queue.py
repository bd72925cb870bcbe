"""Putting a target's run on the publish queue: now, or at a time through rq-scheduler.

Redis only carries jobs; the database says what is due. Losing a job (Redis flushed) loses
no post: the dispatcher enqueues every due target again within a minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from socialhub.models import utcnow


def _job_id(target_id: int) -> str:
    return f"publish-{target_id}"


def enqueue(target_id: int, *, at: datetime | None = None) -> None:
    """Put the target's run on the publish queue now, or with rq-scheduler at `at`. Losing
    this (Redis flushed) loses nothing: the dispatcher finds every due target again."""
    from rq.job import Job as RQJob
    from rq.job import JobStatus

    from socialhub.queue import get_queue, get_redis

    queue = get_queue("publish")
    if at is not None and at > utcnow() + timedelta(seconds=1):
        from rq_scheduler import Scheduler

        Scheduler(queue=queue, connection=get_redis()).enqueue_at(
            at,
            "worker.jobs.publish_target",
            target_id,
            job_id=f"{_job_id(target_id)}-at-{int(at.timestamp())}",
        )
        return
    from rq.exceptions import NoSuchJobError

    try:
        existing = RQJob.fetch(_job_id(target_id), connection=get_redis())
    except NoSuchJobError:
        existing = None
    if existing is not None and existing.get_status(refresh=True) in (JobStatus.QUEUED, JobStatus.STARTED):
        return  # already on its way
    queue.enqueue("worker.jobs.publish_target", target_id, job_id=_job_id(target_id), result_ttl=300)
