"""What two `socialhub scheduler` processes really do (README "Scale out").

    .venv/bin/python bench/schedulers.py [--interval 10] [--jobs 40]

Three phases, each timing how late delayed jobs (rq-scheduler `enqueue_at`, due one per
second) reach their queue, i.e. RQ's `enqueued_at` minus the due time:

1. one scheduler;
2. two schedulers, the second started half an interval after the first: if a second one
   only waited on the lock, lateness would stay as in 1; if both run passes, it halves;
3. two schedulers, right after the lock was left behind as a scheduler SIGKILLed inside its
   pass leaves it (`rq:scheduler_lock` with its full expiry, interval + 10 s): how late work
   gets while nobody can take it.

Also counts "Lock already taken - skipping run" lines in the schedulers' logs. Last line:
one_max_s=.. two_max_s=.. stuck_lock_max_s=.. skips=..
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import stack  # noqa: E402


def _lateness(redis, due: list[tuple[str, datetime]], timeout: float) -> list[float]:
    from rq.job import Job

    deadline = time.monotonic() + timeout
    out: dict[str, float] = {}
    while len(out) < len(due) and time.monotonic() < deadline:
        for job_id, at in due:
            if job_id in out:
                continue
            job = Job.fetch(job_id, connection=redis)
            if job.enqueued_at is not None:
                out[job_id] = (job.enqueued_at.replace(tzinfo=UTC) - at).total_seconds()
        time.sleep(0.2)
    if len(out) < len(due):
        raise RuntimeError(f"{len(due) - len(out)} job(s) never reached their queue")
    return sorted(out.values())


def _schedule(redis, prefix: str, jobs: int, start_in: float) -> list[tuple[str, datetime]]:
    from rq_scheduler import Scheduler

    from socialhub.queue import get_queue

    sched = Scheduler(queue=get_queue("default"), connection=redis)
    now = datetime.now(UTC)
    due = []
    for i in range(jobs):
        at = (now + timedelta(seconds=start_in + i)).replace(microsecond=0)
        job_id = f"{prefix}-{i}"
        sched.enqueue_at(at, "worker.jobs.ping", job_id, job_id=job_id)
        due.append((job_id, at))
    return due


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=40)
    args = parser.parse_args()
    i, n = args.interval, args.jobs
    with stack("schedulers") as st:
        from socialhub.queue import get_redis

        redis = get_redis()
        wait = n + 3 * i + 30

        first = st.spawn("scheduler", "--interval", str(i), log="scheduler-1")
        time.sleep(2)
        one = _lateness(redis, _schedule(redis, "one", n, 1), wait)

        time.sleep(i / 2)
        second = st.spawn("scheduler", "--interval", str(i), log="scheduler-2")
        time.sleep(2)
        two = _lateness(redis, _schedule(redis, "two", n, 1), wait)

        # A holder SIGKILLed inside its pass: the lock stays for its whole expiry.
        redis.set("rq:scheduler_lock", time.time(), ex=i + 10)
        stuck = _lateness(redis, _schedule(redis, "stuck", min(n, i + 10), 0), wait)

        for proc in (first, second):
            proc.send_signal(signal.SIGTERM)
        skips = sum(
            (st.data_dir / f"scheduler-{k}.log").read_text().count("Lock already taken") for k in (1, 2)
        )
        for name, values in (("one scheduler", one), ("two schedulers", two), ("lock left by a kill", stuck)):
            print(
                f"{name}: lateness min {values[0]:.1f} s, median {values[len(values) // 2]:.1f} s, max {values[-1]:.1f} s"
            )
        print(
            f"one_max_s={one[-1]:.1f} two_max_s={two[-1]:.1f} stuck_lock_max_s={stuck[-1]:.1f} skips={skips}"
        )


if __name__ == "__main__":
    main()
