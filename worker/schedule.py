"""Periodic jobs, declared as data and registered idempotently with rq-scheduler."""

from __future__ import annotations

import hashlib
import json
import logging

from rq_scheduler import Scheduler

log = logging.getLogger(__name__)

# id -> (cron, dotted function, queue). Changing a definition changes its registered id.
PERIODIC_JOBS: dict[str, tuple[str, str, str]] = {
    "refresh_tokens": ("7 * * * *", "worker.jobs.refresh_tokens", "default"),
    "dispatch_publishing": ("* * * * *", "worker.jobs.dispatch_publishing", "publish"),
    # The metric sync refreshes after each run too; this keeps "next sync" honest without it.
    "refresh_leaderboard": ("*/15 * * * *", "worker.jobs.refresh_leaderboard", "default"),
}


def _add_metric_sync() -> None:
    from socialhub.config import get_settings
    from socialhub.services.sync_runs import metrics_cron

    hours = get_settings().metrics_sync_hours
    PERIODIC_JOBS["sync_metrics"] = (metrics_cron(hours), "worker.jobs.sync_metrics", "sync")


_add_metric_sync()


def _job_id(name: str, definition: tuple[str, str, str]) -> str:
    digest = hashlib.sha256(json.dumps([name, *definition]).encode()).hexdigest()[:10]
    return f"periodic-{name}-{digest}"


def register_periodic_jobs(scheduler: Scheduler) -> list[str]:
    """Schedule what is declared, drop what is not (or was declared differently)."""
    wanted = {_job_id(n, d): (n, d) for n, d in PERIODIC_JOBS.items()}
    for job in scheduler.get_jobs():
        if job.id.startswith("periodic-") and job.id not in wanted:
            scheduler.cancel(job)
            log.info("unscheduled stale periodic job %s", job.id)
    present = {job.id for job in scheduler.get_jobs()}
    for job_id, (name, (cron, func, queue)) in wanted.items():
        if job_id in present:
            continue
        scheduler.cron(cron, func=func, id=job_id, queue_name=queue, repeat=None, description=name)
        log.info("scheduled %s (%s)", name, cron)
    return sorted(wanted)
