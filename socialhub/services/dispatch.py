"""The every-minute dispatcher and the lease sweeper: what makes scheduled posts go out even
when a job was lost, a worker died, or the machine was off for a while."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from socialhub.config import get_settings
from socialhub.db import session_scope
from socialhub.models import PostTarget, utcnow
from socialhub.models import TargetStatus as S
from socialhub.services.engine import _claimable, mark_missed_if_late, track_published
from socialhub.services.publish_queue import enqueue
from socialhub.services.publish_states import Conflict, transition

DISPATCH_BATCH = 2000


def dispatch_due(now: datetime | None = None) -> dict[str, int]:
    """The every-minute dispatcher: mark what is missed, hand leases of dead workers to
    reconciliation, and enqueue everything that is due and not held."""
    now = now or utcnow()
    grace = timedelta(minutes=get_settings().publish_missed_grace_minutes)
    with session_scope() as s:
        late = s.exec(
            select(PostTarget.id).where(
                PostTarget.status.in_([S.scheduled.value, S.retrying.value]),
                PostTarget.native_schedule.is_(False),
                PostTarget.due_at < now - grace,
            )
        ).all()
    missed = sum(1 for tid in late if mark_missed_if_late(tid, now))
    swept = sweep_expired_leases(now)
    natively = _confirm_native(now)
    with session_scope() as s:
        due = s.exec(
            select(PostTarget.id)
            .where(PostTarget.native_schedule.is_(False), _claimable(now))
            .order_by(PostTarget.due_at)
            .limit(DISPATCH_BATCH)
        ).all()
    for tid in due:
        enqueue(tid)
    return {"due": len(due), "missed": missed, "swept": swept, "native": natively}


def sweep_expired_leases(now: datetime | None = None) -> int:
    """A worker that died mid-publish leaves an expired lease: release it so the next run
    resumes from the saved steps (and reconciles if the create call had started)."""
    now = now or utcnow()
    with session_scope() as s:
        ids = s.exec(
            select(PostTarget.id).where(
                PostTarget.status == S.publishing.value,
                PostTarget.lease_owner.is_not(None),
                PostTarget.lease_expires_at < now,
            )
        ).all()
        for tid in ids:
            try:
                transition(
                    s,
                    tid,
                    frm=S.publishing,
                    to=S.publishing,
                    step="worker_lost",
                    message="The worker stopped mid-publish; resuming from the last saved step.",
                    extra_where=PostTarget.lease_expires_at < now,
                    lease_owner=None,
                    lease_expires_at=None,
                    due_at=now,
                )
            except Conflict:
                continue
    return len(ids)


def _confirm_native(now: datetime) -> int:
    """Facebook posts handed to its own scheduling count as published once their time came."""
    with session_scope() as s:
        ids = s.exec(
            select(PostTarget.id).where(
                PostTarget.status == S.scheduled.value,
                PostTarget.native_schedule.is_(True),
                PostTarget.due_at <= now,
            )
        ).all()
        for tid in ids:
            try:
                transition(
                    s,
                    tid,
                    frm=S.scheduled,
                    to=S.published,
                    step="published",
                    message="Published by Facebook's own scheduling.",
                    published_at=now,
                )
                track_published(s, tid)
            except Conflict:
                continue
    return len(ids)
