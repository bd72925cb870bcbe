"""Display rows for the admin page: strings only, built from the admin services' results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from socialhub.config import PLATFORM_LABELS
from socialhub.services import admin as users_svc
from socialhub.services import admin_health as health
from socialhub.services import admin_work as work
from socialhub.state.leaderboard import when_text

ACTION_LABELS = {
    "publish_now": "Publish now",
    "cancel": "Cancel",
    "confirm": "Mark published",
    "publish_again": "Publish again",
}


def stamp(when: datetime | None) -> str:
    if when is None:
        return "—"
    if when.tzinfo is None:  # rq-scheduler hands back naive UTC
        when = when.replace(tzinfo=UTC)
    return f"{when:%Y-%m-%d %H:%M} UTC"


def _label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform or "—")


@dataclass
class PieceView:
    name: str = ""
    kind: str = ""
    alive: bool = False
    last_beat: str = ""
    host: str = ""
    pid: str = ""
    detail: str = ""


@dataclass
class QueueView:
    name: str = ""
    queued: int = 0
    failed: int = 0
    scheduled: int = 0


@dataclass
class JobRunView:
    name: str = ""
    status: str = ""
    started: str = ""
    error: str = ""


@dataclass
class SyncErrorView:
    id: int = 0
    platform: str = ""
    account: str = ""
    owner: str = ""
    kind: str = ""
    message: str = ""
    occurred: str = ""
    resolved: bool = False
    can_retry: bool = False


@dataclass
class QuotaView:
    platform: str = ""
    account: str = ""
    bucket: str = ""
    used: str = ""
    percent: float = 0.0
    percent_text: str = ""
    resets: str = ""
    blocked: str = ""
    warning: bool = False


@dataclass
class TargetView:
    id: int = 0
    status: str = ""
    owner: str = ""
    platform: str = ""
    account: str = ""
    caption: str = ""
    reason: str = ""
    way_out: str = ""
    updated: str = ""
    actions: list[str] = field(default_factory=list)


@dataclass
class FailedJobView:
    id: str = ""
    queue: str = ""
    function: str = ""
    error: str = ""
    ended: str = ""


@dataclass
class ScheduledJobView:
    id: str = ""
    function: str = ""
    queue: str = ""
    next_run: str = ""
    repeat: str = ""


@dataclass
class ConnectionView:
    id: int = 0
    platform: str = ""
    account: str = ""
    owner: str = ""
    owner_email: str = ""
    status: str = ""
    expires: str = ""
    last_error: str = ""


@dataclass
class UserView:
    id: int = 0
    email: str = ""
    display_name: str = ""
    handle: str = ""
    is_admin: bool = False
    is_disabled: bool = False
    public: bool = False
    connections: int = 0
    joined: str = ""


def piece(p, now: datetime) -> PieceView:
    """One worker or scheduler process (each beats under its own host and pid)."""
    info = p.info or {}
    detail = ""
    if p.kind == "scheduler" and "passes" in info:
        detail = f"{info['passes']} passes, {info.get('skipped_lock_taken', 0)} skipped (lock taken)"
    elif p.kind == "worker" and info.get("queues"):
        detail = "queues " + ", ".join(info["queues"])
    return PieceView(
        p.name,
        p.kind,
        p.alive,
        when_text(p.last_beat_at, now),
        str(info.get("host", "")),
        str(info.get("pid", "")),
        detail,
    )


def queue(q: health.QueueInfo) -> QueueView:
    return QueueView(q.name, q.queued, q.failed, q.scheduled)


def job_run(j: health.JobInfo, now: datetime) -> JobRunView:
    return JobRunView(
        j.name, j.status, when_text(j.started_at, now) if j.started_at else "never", j.error[:300]
    )


def sync_error(e: health.SyncErrorRow) -> SyncErrorView:
    return SyncErrorView(
        e.id,
        _label(e.platform),
        e.account,
        e.owner,
        e.kind,
        e.message[:500],
        stamp(e.occurred_at),
        e.resolved_at is not None,
        e.connection_id is not None and e.resolved_at is None,
    )


def _number(x: float | None) -> str:
    return "?" if x is None else f"{x:,.0f}"


def quota(q: health.QuotaRow) -> QuotaView:
    percent = q.percent or 0.0
    return QuotaView(
        _label(q.platform),
        q.account,
        q.bucket,
        f"{_number(q.used)} / {_number(q.limit)}",
        min(100.0, percent),
        "—" if q.percent is None else f"{q.percent:.0f}%",
        stamp(q.resets_at),
        stamp(q.blocked_until) if q.blocked_until else "",
        q.warning,
    )


def target(t: work.TargetRow) -> TargetView:
    return TargetView(
        t.id,
        t.status,
        t.owner,
        _label(t.platform),
        t.account,
        t.caption,
        t.reason or "—",
        t.way_out,
        stamp(t.updated_at),
        list(t.actions),
    )


def failed_job(j: work.FailedJob) -> FailedJobView:
    return FailedJobView(j.id, j.queue, j.function, j.error, stamp(j.ended_at))


def scheduled_job(j: work.ScheduledJob) -> ScheduledJobView:
    return ScheduledJobView(j.id, j.function, j.queue, stamp(j.next_run), j.repeat)


def connection(c: health.ConnectionRow) -> ConnectionView:
    return ConnectionView(
        c.id,
        _label(c.platform),
        c.account,
        c.owner,
        c.owner_email,
        c.status,
        stamp(c.expires_at),
        c.last_error,
    )


def user(u: users_svc.UserRow) -> UserView:
    return UserView(
        u.id,
        u.email,
        u.display_name,
        u.handle,
        u.is_admin,
        u.is_disabled,
        u.public_on_leaderboard,
        u.connections,
        stamp(u.created_at),
    )
