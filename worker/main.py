"""Entry points: `socialhub worker` and `socialhub scheduler`."""

from __future__ import annotations

import logging
import os
import socket
import time

from rq import Worker
from rq_scheduler import Scheduler

from socialhub.db import session_scope
from socialhub.queue import QUEUES, get_queue, get_redis
from socialhub.services import heartbeats
from worker.schedule import register_periodic_jobs

log = logging.getLogger("socialhub.worker")
BEAT_EVERY = 30.0


class HeartbeatWorker(Worker):
    """An RQ worker that also records its liveness in the database."""

    _last_db_beat = 0.0

    def heartbeat(self, *args, **kwargs):
        result = super().heartbeat(*args, **kwargs)
        self._db_beat()
        return result

    def _db_beat(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_db_beat < BEAT_EVERY:
            return
        self._last_db_beat = now
        try:
            with session_scope() as s:
                heartbeats.beat(
                    s,
                    name=f"worker:{self.name}",
                    kind="worker",
                    info={"queues": self.queue_names(), "host": socket.gethostname(), "pid": os.getpid()},
                )
        except Exception:  # liveness must never kill the worker
            log.warning("could not record worker heartbeat", exc_info=True)


class HeartbeatScheduler(Scheduler):
    """rq-scheduler that records its liveness in the database, one row per process
    (`scheduler:<host>-<pid>`, so the admin view tells two schedulers apart), and keeps the
    periodic jobs registered: a Redis that restarted empty (or was flushed) gets them back on
    the next pass, without waiting for the scheduler itself to restart.

    What two schedulers do (rq-scheduler 0.14, `Scheduler.run`): each wakes every `interval`
    seconds and takes `rq:scheduler_lock` (SET NX, expiring after interval + 10 s) only for
    its pass (milliseconds), then deletes it. Both keep running passes; the lock only stops
    two passes at the same moment. A scheduler SIGKILLed inside its pass leaves the lock
    until it expires, so the other skips passes for up to interval + 10 s."""

    _last_db_beat = 0.0
    passes = 0
    skipped = 0

    @property
    def beat_name(self) -> str:
        return f"scheduler:{socket.gethostname()}-{os.getpid()}"

    def heartbeat(self):
        # Called at the top of every loop, whether or not this process gets the lock.
        result = super().heartbeat()
        self._db_beat()
        return result

    def acquire_lock(self):
        got = super().acquire_lock()
        if not got:
            self.skipped += 1
        return got

    def enqueue_jobs(self):
        try:
            register_periodic_jobs(self)
        except Exception:
            log.warning("could not re-register periodic jobs", exc_info=True)
        jobs = super().enqueue_jobs()
        self.passes += 1
        return jobs

    def _db_beat(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and self._last_db_beat and now - self._last_db_beat < BEAT_EVERY:
            return
        self._last_db_beat = now
        info = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "interval": self._interval,
            "passes": self.passes,
            "skipped_lock_taken": self.skipped,
        }
        try:
            with session_scope() as s:
                heartbeats.beat(s, name=self.beat_name, kind="scheduler", info=info)
        except Exception:
            log.warning("could not record scheduler heartbeat", exc_info=True)


def _preload() -> None:
    """Import what jobs use before forking: RQ runs each job in a fresh fork of this process,
    so anything imported here is already loaded in every job (seconds saved per job)."""
    import worker.jobs  # noqa: F401
    from socialhub.config import PLATFORMS
    from socialhub.providers import provider_class
    from socialhub.services import dispatch, engine  # noqa: F401

    for platform in PLATFORMS:
        provider_class(platform)


def run_worker(queues: list[str] | None = None, *, burst: bool = False, name: str | None = None) -> None:
    from socialhub.services.media_store import StoreError, check_store

    try:  # a worker on another machine reads media from S3: say now when it cannot
        check_store()
    except StoreError as exc:
        raise SystemExit(f"The worker cannot start: {exc}") from exc
    _preload()
    names = queues or list(QUEUES)
    worker = HeartbeatWorker(
        [get_queue(q) for q in names],
        connection=get_redis(),
        name=name or f"{socket.gethostname()}-{os.getpid()}",
    )
    worker._db_beat(force=True)
    try:
        worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
    finally:
        with session_scope() as s:
            heartbeats.forget(s, name=f"worker:{worker.name}")


def run_scheduler(interval: int = 10, *, burst: bool = False) -> None:
    scheduler = HeartbeatScheduler(queue=get_queue("default"), connection=get_redis(), interval=interval)
    # Idempotent: the ids hash the definitions, so schedulers starting together add each once.
    register_periodic_jobs(scheduler)
    try:
        scheduler.run(burst=burst)
    finally:
        if burst:  # a one-pass run leaves its row: it shows when the last pass happened
            scheduler._db_beat(force=True)
        else:
            with session_scope() as s:
                heartbeats.forget(s, name=scheduler.beat_name)
