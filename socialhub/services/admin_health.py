"""Admin: the system's health (pieces, queues, periodic jobs, Redis, database), sync errors,
API quotas and connections needing attention. Each function checks the actor is an admin."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from socialhub.config import PLATFORMS, get_settings
from socialhub.models import Connection, ConnectionStatus, JobRun, QuotaUsage, SyncError, User, utcnow
from socialhub.services import heartbeats
from socialhub.services.admin import AdminError, require_admin

log = logging.getLogger(__name__)

# A quota this far used is flagged before the platform starts refusing calls.
QUOTA_WARNING_PERCENT = 80.0
ERROR_KINDS_LIMIT = 500


# --- system --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueInfo:
    name: str
    queued: int
    failed: int
    scheduled: int


@dataclass(frozen=True)
class JobInfo:
    name: str
    status: str  # started | finished | failed | never
    started_at: datetime | None
    finished_at: datetime | None
    error: str


@dataclass(frozen=True)
class SystemStatus:
    pieces: list[heartbeats.PieceStatus]
    problem: str | None
    queues: list[QueueInfo]
    redis: str
    redis_error: str
    database: str
    jobs: list[JobInfo]


def describe_database(url: str) -> str:
    """The database in use, without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite (embedded) at {parsed.database}"
    return f"PostgreSQL at {parsed.host}:{parsed.port or 5432}/{parsed.database}"


def describe_redis(redis, data_dir: Path) -> str:
    """Embedded (started by `socialhub up` from the data directory) or external, and where."""
    info = redis.info("server")
    kwargs = redis.connection_pool.connection_kwargs
    where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
    config_file = info.get("config_file") or ""
    embedded = bool(config_file) and Path(config_file).resolve().is_relative_to(data_dir.resolve())
    kind = "embedded" if embedded else "external"
    return f"Redis {info.get('redis_version', '?')} ({kind}) at {where}"


def _queues(redis) -> list[QueueInfo]:
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry

    from socialhub.queue import QUEUES

    out = []
    for name in QUEUES:
        q = Queue(name, connection=redis)
        out.append(
            QueueInfo(
                name,
                q.count,
                FailedJobRegistry(queue=q).count,
                ScheduledJobRegistry(queue=q).count,
            )
        )
    return out


def last_job_runs(session: Session) -> list[JobInfo]:
    """The last run of each periodic job (and any other job that ran), newest outcome first."""
    from worker.schedule import PERIODIC_JOBS

    newest = select(JobRun.name, func.max(JobRun.id).label("id")).group_by(JobRun.name).subquery()
    rows = {r.name: r for r in session.exec(select(JobRun).join(newest, newest.c.id == JobRun.id)).all()}
    names = list(PERIODIC_JOBS) + sorted(n for n in rows if n not in PERIODIC_JOBS)
    out = []
    for name in names:
        r = rows.get(name)
        if r is None:
            out.append(JobInfo(name, "never", None, None, ""))
        else:
            out.append(JobInfo(name, r.status, r.started_at, r.finished_at, r.error or ""))
    return out


def system_status(session: Session, *, actor_id: int, redis=None) -> SystemStatus:
    require_admin(session, actor_id)
    settings = get_settings()
    queues: list[QueueInfo] = []
    redis_text, redis_error = "", ""
    try:
        if redis is None:
            from socialhub.queue import get_redis

            redis = get_redis()
        redis_text = describe_redis(redis, settings.data_dir)
        queues = _queues(redis)
    except Exception as exc:  # the page still shows the rest when Redis is down
        log.warning("admin: Redis unreachable: %s", type(exc).__name__)
        redis_error = f"Redis is not reachable ({type(exc).__name__}): queued jobs cannot run."
    return SystemStatus(
        pieces=heartbeats.status(session),
        problem=heartbeats.scheduler_problem(session),
        queues=queues,
        redis=redis_text,
        redis_error=redis_error,
        database=describe_database(settings.db_url),
        jobs=last_job_runs(session),
    )


# --- sync errors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncErrorRow:
    id: int
    platform: str
    account: str
    owner: str
    job: str
    kind: str
    message: str
    occurred_at: datetime
    resolved_at: datetime | None
    connection_id: int | None


def sync_errors(
    session: Session,
    *,
    actor_id: int,
    platform: str = "",
    connection_id: int | None = None,
    kind: str = "",
    since_hours: int | None = None,
    include_resolved: bool = False,
    limit: int = 200,
) -> list[SyncErrorRow]:
    require_admin(session, actor_id)
    if platform and platform not in PLATFORMS:
        raise AdminError(f"Unknown platform {platform!r}.")
    query = (
        select(SyncError, Connection.username, Connection.display_name, User.handle)
        .outerjoin(Connection, Connection.id == SyncError.connection_id)
        .outerjoin(User, User.id == SyncError.user_id)
    )
    if platform:
        query = query.where(SyncError.platform == platform)
    if connection_id:
        query = query.where(SyncError.connection_id == connection_id)
    if kind:
        query = query.where(SyncError.kind == kind[:40])
    if since_hours:
        query = query.where(SyncError.occurred_at >= utcnow() - timedelta(hours=since_hours))
    if not include_resolved:
        query = query.where(SyncError.resolved_at.is_(None))
    rows = session.exec(query.order_by(SyncError.occurred_at.desc()).limit(limit)).all()
    return [
        SyncErrorRow(
            e.id,
            e.platform,
            username or name or "",
            handle or "",
            e.job,
            e.kind,
            e.message,
            e.occurred_at,
            e.resolved_at,
            e.connection_id,
        )
        for e, username, name, handle in rows
    ]


def error_kinds(session: Session, *, actor_id: int) -> list[str]:
    require_admin(session, actor_id)
    return list(
        session.exec(select(SyncError.kind).distinct().order_by(SyncError.kind).limit(ERROR_KINDS_LIMIT))
    )


def resolve_sync_error(session: Session, *, actor_id: int, error_id: int) -> None:
    require_admin(session, actor_id)
    row = session.get(SyncError, error_id) if isinstance(error_id, int) else None
    if row is None:
        raise AdminError("That sync error was not found.")
    if row.resolved_at is None:
        row.resolved_at = utcnow()
        session.add(row)
        session.flush()


def retry_sync_error(session: Session, *, actor_id: int, error_id: int) -> str:
    """Retry now: renew the account's access (what every sync of it starts with) outside this
    session, and mark the error resolved when that works. Returns what happened."""
    from socialhub.services import access

    require_admin(session, actor_id)
    row = session.get(SyncError, error_id) if isinstance(error_id, int) else None
    if row is None:
        raise AdminError("That sync error was not found.")
    if row.connection_id is None:
        raise AdminError("This error is not about one account; the next run retries it.")
    result = access.refresh_connection(row.connection_id, force=True)
    if result.outcome in (access.RefreshOutcome.refreshed, access.RefreshOutcome.fresh):
        row.resolved_at = utcnow()
        session.add(row)
        session.flush()
        return "Retried: the account's access works again; the error is resolved."
    detail = f" ({result.error.message})" if result.error is not None else ""
    return f"Retried: still failing, {result.outcome.value.replace('_', ' ')}{detail}."


# --- quotas --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaRow:
    platform: str
    account: str
    bucket: str
    used: float | None
    limit: float | None
    percent: float | None
    resets_at: datetime | None
    blocked_until: datetime | None
    warning: bool
    recorded_at: datetime


def quotas(session: Session, *, actor_id: int, now: datetime | None = None) -> list[QuotaRow]:
    require_admin(session, actor_id)
    now = now or utcnow()
    rows = session.exec(
        select(QuotaUsage, Connection.username)
        .outerjoin(Connection, Connection.id == QuotaUsage.connection_id)
        .order_by(QuotaUsage.platform, QuotaUsage.account_key, QuotaUsage.bucket)
    ).all()
    out = []
    for q, username in rows:
        percent = q.percent
        if percent is None and q.used is not None and q.limit:
            percent = 100.0 * q.used / q.limit
        blocked = q.blocked_until is not None and q.blocked_until > now
        out.append(
            QuotaRow(
                q.platform,
                username or q.account_key or "app-wide",
                q.bucket,
                q.used,
                q.limit,
                percent,
                q.resets_at,
                q.blocked_until if blocked else None,
                blocked or (percent is not None and percent >= QUOTA_WARNING_PERCENT),
                q.recorded_at,
            )
        )
    return out


# --- connections needing attention ---------------------------------------------------------


@dataclass(frozen=True)
class ConnectionRow:
    id: int
    platform: str
    account: str
    owner: str
    owner_email: str
    status: str
    expires_at: datetime | None
    last_error: str
    last_error_at: datetime | None


def connections_needing_attention(session: Session, *, actor_id: int) -> list[ConnectionRow]:
    require_admin(session, actor_id)
    bad = [
        s.value
        for s in (
            ConnectionStatus.expiring,
            ConnectionStatus.expired,
            ConnectionStatus.revoked,
            ConnectionStatus.error,
        )
    ]
    rows = session.exec(
        select(Connection, User.handle, User.email)
        .join(User, User.id == Connection.user_id)
        .where(Connection.status.in_(bad) | Connection.last_error.is_not(None))  # type: ignore[union-attr]
        .order_by(Connection.status, Connection.platform, Connection.id)
    ).all()
    return [
        ConnectionRow(
            c.id,
            c.platform,
            c.username or c.display_name,
            handle,
            email,
            getattr(c.status, "value", c.status),
            c.access_expires_at,
            c.last_error or "",
            c.last_error_at,
        )
        for c, handle, email in rows
    ]
