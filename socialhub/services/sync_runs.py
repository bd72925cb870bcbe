"""Sync runs: start one (everything, one creator's, or one connection), fan it out as jobs on
the "sync" queue, add each connection's outcome to the run with one UPDATE, and say how it
ended ("312 posts, 2 accounts, 14 API calls, 1 error").

A run's counters live in its row, so its progress is the same whichever worker or page reads
it. A connection job delivered twice finds its lock taken or its snapshots written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from socialhub.config import get_settings
from socialhub.db import session_scope
from socialhub.models import Connection, SyncRun, utcnow
from socialhub.services.metrics_sync import SYNCABLE, Outcome, sync_connection


def metrics_cron(hours: int) -> str:
    """The periodic metric sync's cron (worker/schedule.py registers it): every `hours` hours
    (a divisor of 24 keeps the spacing even), or 03:17 UTC daily."""
    return f"17 */{hours} * * *" if hours < 24 else "17 3 * * *"


def next_metric_sync(now: datetime, hours: int) -> datetime:
    """When that cron fires next after `now`, read by rq-scheduler's own cron library."""
    from crontab import CronTab

    return CronTab(metrics_cron(hours)).next(now=now, default_utc=True, return_datetime=True)


log = logging.getLogger(__name__)

QUEUE = "sync"
# Connections per job: one job runs its connections in a bounded thread pool (platform calls
# wait on the network), and several jobs spread a large run over every sync worker.
CHUNK = 50
MAX_RESUMES = 5


@dataclass(frozen=True)
class RunView:
    id: int
    status: str
    connections_total: int
    connections_done: int
    posts: int
    accounts: int
    calls: int
    errors: int
    deferred: int
    summary: str


def summary(run: SyncRun) -> str:
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    parts = [
        n(run.posts, "post"),
        n(run.accounts, "account"),
        n(run.calls, "API call"),
        n(run.errors, "error"),
    ]
    if run.deferred:
        parts.append(f"{run.deferred} waiting for the next window")
    return ", ".join(parts)


def view(session: Session, run_id: int) -> RunView | None:
    run = session.get(SyncRun, run_id)
    if run is None:
        return None
    return RunView(
        id=run.id,
        status=run.status,
        connections_total=run.connections_total,
        connections_done=run.connections_done,
        posts=run.posts,
        accounts=run.accounts,
        calls=run.calls,
        errors=run.errors,
        deferred=run.deferred,
        summary=summary(run),
    )


def connections_to_sync(
    session: Session, *, user_id: int | None = None, connection_id: int | None = None
) -> list[int]:
    query = select(Connection.id).where(Connection.status.in_(SYNCABLE))  # type: ignore[attr-defined]
    if user_id is not None:
        query = query.where(Connection.user_id == user_id)
    if connection_id is not None:
        query = query.where(Connection.id == connection_id)
    return list(session.exec(query.order_by(Connection.id)).all())


def start_run(
    *, trigger: str, user_id: int | None = None, connection_id: int | None = None
) -> tuple[int, list[int]]:
    """Create the run (its own transaction) and return it with the connections it covers."""
    with session_scope() as s:
        ids = connections_to_sync(s, user_id=user_id, connection_id=connection_id)
        run = SyncRun(
            scope="connection" if connection_id is not None else "all",
            trigger=trigger,
            user_id=user_id,
            connection_id=connection_id,
            connections_total=len(ids),
            status="running" if ids else "finished",
            finished_at=None if ids else utcnow(),
        )
        s.add(run)
        s.flush()
        return run.id, ids


def add_outcome(run_id: int, out: Outcome, *, first: bool = True, prev_deferred: int = 0) -> None:
    """Add one connection's numbers to its run; the last connection finishes the run."""
    done = 1 if first else 0
    with session_scope() as s:
        s.exec(  # type: ignore[call-overload]
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(
                posts=SyncRun.posts + out.posts,
                accounts=SyncRun.accounts + out.accounts,
                calls=SyncRun.calls + out.calls,
                errors=SyncRun.errors + out.errors,
                deferred=SyncRun.deferred + out.deferred - prev_deferred,
                connections_done=SyncRun.connections_done + done,
            )
        )
        s.exec(  # type: ignore[call-overload]
            update(SyncRun)
            .where(
                SyncRun.id == run_id,
                SyncRun.status == "running",
                SyncRun.connections_done >= SyncRun.connections_total,
            )
            .values(status="finished", finished_at=utcnow())
        )
        finished = s.exec(select(SyncRun.status).where(SyncRun.id == run_id)).first() == "finished"
    if finished and done:
        _refresh_leaderboard_soon()


def _refresh_leaderboard_soon() -> None:
    """A run just finished: rebuild the leaderboard from the new snapshots (a job, so the
    sync's worker moves on). Losing it costs only the wait for the 15-minute refresh."""
    try:
        from socialhub.queue import get_queue

        get_queue("default").enqueue(
            "worker.jobs.refresh_leaderboard", job_id="refresh-leaderboard-after-sync", result_ttl=60
        )
    except Exception:
        log.warning("could not queue the leaderboard refresh after a sync", exc_info=True)


def run_connections(
    run_id: int, connection_ids: Iterable[int], *, now: datetime | None = None, resume: bool = True
) -> list[Outcome]:
    """Sync these connections of a run, several at once (bounded), each isolated from the
    others; a connection cut short is resumed later by its own job."""
    ids = list(connection_ids)
    workers = max(1, min(get_settings().metrics_concurrency, len(ids)))

    def one(cid: int) -> Outcome:
        try:
            out = sync_connection(cid, run_id, now=now)
        except Exception:  # a bug must not stop the other accounts; it is logged and counted
            log.exception("metric sync of connection %s failed", cid)
            out = Outcome(cid, errors=1)
        add_outcome(run_id, out)
        if resume and out.deferred and out.retry_at is not None:
            schedule_resume(run_id, cid, out.retry_at, out.deferred, attempt=1)
        return out

    if workers == 1:
        return [one(cid) for cid in ids]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync") as pool:
        return list(pool.map(one, ids))


def resume_connection(run_id: int, connection_id: int, prev_deferred: int, attempt: int) -> Outcome:
    """Pick up what a connection's sync left (after a rate limit or an outage), same run."""
    try:
        out = sync_connection(connection_id, run_id)
    except Exception:
        log.exception("metric sync resume of connection %s failed", connection_id)
        out = Outcome(connection_id, errors=1, deferred=prev_deferred)
    if out.skipped == "busy":
        out.deferred = prev_deferred
    add_outcome(run_id, out, first=False, prev_deferred=prev_deferred)
    if out.deferred and out.retry_at is not None and attempt < MAX_RESUMES:
        schedule_resume(run_id, connection_id, out.retry_at, out.deferred, attempt=attempt + 1)
    return out


def schedule_resume(run_id: int, connection_id: int, at: datetime, deferred: int, *, attempt: int) -> None:
    """Come back at `at` (rq-scheduler). Losing this loses nothing: the posts stay due."""
    try:
        from rq_scheduler import Scheduler

        from socialhub.queue import get_queue, get_redis

        Scheduler(queue=get_queue(QUEUE), connection=get_redis()).enqueue_at(
            at,
            "worker.jobs.resume_connection_sync",
            run_id,
            connection_id,
            deferred,
            attempt,
            job_id=f"sync-resume-{run_id}-{connection_id}-{attempt}",
        )
    except Exception:
        log.warning("could not schedule the resume of connection %s", connection_id, exc_info=True)


def fan_out(run_id: int, connection_ids: list[int]) -> int:
    """Put the run's connections on the sync queue in chunks; returns the number of jobs."""
    from socialhub.queue import get_queue

    queue = get_queue(QUEUE)
    jobs = 0
    for start in range(0, len(connection_ids), CHUNK):
        chunk = connection_ids[start : start + CHUNK]
        queue.enqueue(
            "worker.jobs.sync_connections",
            run_id,
            chunk,
            job_id=f"sync-{run_id}-{start // CHUNK}",
            result_ttl=600,
            job_timeout=3600,
        )
        jobs += 1
    return jobs


def sync_now(
    *, trigger: str, user_id: int | None = None, connection_id: int | None = None, inline: bool = False
) -> int:
    """Start a run and hand it to the workers (or run it here with inline=True)."""
    run_id, ids = start_run(trigger=trigger, user_id=user_id, connection_id=connection_id)
    if inline:
        run_connections(run_id, ids)
    elif ids:
        fan_out(run_id, ids)
    return run_id
