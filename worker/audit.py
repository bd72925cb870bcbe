"""Job audit: every job run leaves a JobRun row (started, finished or failed)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rq import get_current_job

from socialhub.db import session_scope
from socialhub.models import JobRun, utcnow

log = logging.getLogger("socialhub.jobs")
F = TypeVar("F", bound=Callable[..., Any])


def audited(name: str) -> Callable[[F], F]:
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            job = get_current_job()
            job_id = job.id if job else "inline"
            with session_scope() as s:
                row = JobRun(job_id=job_id, name=name, status="started")
                s.add(row)
                s.flush()
                run_id = row.id
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                with session_scope() as s:
                    row = s.get(JobRun, run_id)
                    row.status, row.finished_at, row.error = (
                        "failed",
                        utcnow(),
                        f"{type(exc).__name__}: {exc}",
                    )
                log.exception("job %s (%s) failed", name, job_id)
                raise
            with session_scope() as s:
                row = s.get(JobRun, run_id)
                row.status, row.finished_at = "finished", utcnow()
            return result

        return run  # type: ignore[return-value]

    return wrap
