"""Admin: publishing that needs someone (across all users) and the job queues.

Publishing actions are the creators' own (services/publishing.py), taken on the owner's
behalf: the same state checks and races apply. Job actions work on RQ's registries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from sqlmodel import Session, select

from socialhub.models import Connection, Post, PostTarget, User
from socialhub.models import TargetStatus as S
from socialhub.services import publishing
from socialhub.services.admin import AdminError, require_admin

ATTENTION = (S.retrying, S.unconfirmed, S.missed, S.failed, S.needs_reconnect)
# status -> (what the way out is, the actions an admin can take on the owner's behalf)
WAYS_OUT: dict[S, tuple[str, tuple[str, ...]]] = {
    S.retrying: ("Retries on its own; publish now to skip the wait, or cancel.", ("publish_now", "cancel")),
    S.unconfirmed: (
        "Check the account: mark it published with its link, or publish again.",
        ("confirm", "publish_again"),
    ),
    S.missed: ("Its time passed while nothing could run: publish now or cancel.", ("publish_now", "cancel")),
    S.failed: ("Fix the reason, then retry; or cancel.", ("publish_now", "cancel")),
    S.needs_reconnect: ("The owner reconnects the account; it then goes out on its own.", ("cancel",)),
}
ACTIONS = ("publish_now", "cancel", "confirm", "publish_again")


@dataclass(frozen=True)
class TargetRow:
    id: int
    status: str
    owner: str
    platform: str
    account: str
    caption: str
    reason: str
    error_code: str
    attempts: int
    due_at: datetime | None
    updated_at: datetime
    way_out: str
    actions: tuple[str, ...] = field(default_factory=tuple)


def publishing_attention(
    session: Session, *, actor_id: int, status: str = "", limit: int = 200
) -> list[TargetRow]:
    require_admin(session, actor_id)
    statuses = [s.value for s in ATTENTION]
    if status:
        if status not in statuses:
            raise AdminError(f"Choose one of: {', '.join(statuses)}.")
        statuses = [status]
    rows = session.exec(
        select(PostTarget, Connection.platform, Connection.username, Connection.display_name, User.handle)
        .join(Connection, Connection.id == PostTarget.connection_id)
        .join(Post, Post.id == PostTarget.post_id)
        .join(User, User.id == Post.user_id)
        .where(PostTarget.status.in_(statuses))
        .order_by(PostTarget.updated_at.desc())
        .limit(limit)
    ).all()
    out = []
    for t, platform, username, name, handle in rows:
        way_out, actions = WAYS_OUT[S(t.status)]
        out.append(
            TargetRow(
                t.id,
                S(t.status).value,
                handle,
                platform,
                username or name or "",
                (t.caption or "")[:120],
                t.last_error or "",
                t.error_code or "",
                t.attempts,
                t.due_at,
                t.updated_at,
                way_out,
                actions,
            )
        )
    return out


def act_on_target(
    session: Session, *, actor_id: int, target_id: int, action: str, published_url: str | None = None
) -> None:
    """Take a creator's way out on their behalf. The caller commits, then `enqueue`s the
    target for actions that send it (publish_now, publish_again)."""
    require_admin(session, actor_id)
    if action not in ACTIONS:
        raise AdminError(f"Unknown action {action!r}.")
    target = (
        session.get(PostTarget, target_id, populate_existing=True) if isinstance(target_id, int) else None
    )
    post = target and session.get(Post, target.post_id)
    if target is None or post is None:
        raise AdminError("That post was not found.")
    if S(target.status) not in ATTENTION or action not in WAYS_OUT[S(target.status)][1]:
        raise AdminError(
            f"A post that is {S(target.status).value.replace('_', ' ')} cannot be handled that way."
        )
    owner = post.user_id
    try:
        if action == "publish_now":
            publishing.publish_now(session, user_id=owner, target_id=target_id)
        elif action == "cancel":
            publishing.cancel(session, user_id=owner, target_id=target_id)
        elif action == "publish_again":
            publishing.resolve_unconfirmed(session, user_id=owner, target_id=target_id)
        else:
            if not published_url or not isinstance(published_url, str):
                raise AdminError("Paste the link of the published post.")
            publishing.resolve_unconfirmed(
                session, user_id=owner, target_id=target_id, published_url=published_url.strip()
            )
    except (publishing.NotAllowed, publishing.PostInvalid, publishing.NotFoundForUser) as exc:
        raise AdminError(str(exc)) from exc


# --- jobs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    function: str
    error: str
    ended_at: datetime | None


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    function: str
    queue: str
    next_run: datetime | None
    repeat: str


def _last_line(text: str | None) -> str:
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1][:500] if lines else ""


def failed_jobs(session: Session, *, actor_id: int, redis, limit: int = 200) -> list[FailedJob]:
    from rq import Queue
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    from socialhub.queue import QUEUES

    require_admin(session, actor_id)
    out: list[FailedJob] = []
    for name in QUEUES:
        registry = FailedJobRegistry(queue=Queue(name, connection=redis))
        ids = registry.get_job_ids(0, limit - 1)
        for job in Job.fetch_many(ids, connection=redis):
            if job is None:
                continue
            result = job.latest_result()
            error = _last_line(result.exc_string if result is not None else "")
            out.append(FailedJob(job.id, name, job.func_name or "", error, job.ended_at))
    return sorted(out, key=lambda j: j.ended_at.timestamp() if j.ended_at else 0.0, reverse=True)[:limit]


def _failed_job(redis, job_id: str):
    from rq import Queue
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    from socialhub.queue import QUEUES

    if not isinstance(job_id, str) or not job_id or len(job_id) > 200:
        raise AdminError("That job was not found.")
    for name in QUEUES:
        registry = FailedJobRegistry(queue=Queue(name, connection=redis))
        if job_id in registry:
            return registry, Job.fetch(job_id, connection=redis)
    raise AdminError("That job is not among the failed jobs (retried or deleted meanwhile?).")


def retry_job(session: Session, *, actor_id: int, redis, job_id: str) -> None:
    require_admin(session, actor_id)
    registry, job = _failed_job(redis, job_id)
    registry.requeue(job)


def delete_job(session: Session, *, actor_id: int, redis, job_id: str) -> None:
    require_admin(session, actor_id)
    registry, job = _failed_job(redis, job_id)
    registry.remove(job, delete_job=True)


def scheduled_jobs(session: Session, *, actor_id: int, redis, limit: int = 200) -> list[ScheduledJob]:
    """What rq-scheduler will start, soonest first: periodic jobs and timed publishes."""
    from rq_scheduler import Scheduler

    require_admin(session, actor_id)
    out = []
    for job, when in islice(Scheduler(connection=redis).get_jobs(with_times=True), limit):
        cron = job.meta.get("cron_string") or ""
        out.append(
            ScheduledJob(
                job.id, job.func_name or "", job.origin or "", when, f"cron {cron}" if cron else "once"
            )
        )
    return out
