"""The publishing engine: claim a due target, run its provider's resumable publish through
the one access path, and move it to its next state. Operations, not services: each step opens
its own short transaction; no transaction is open while a platform is called.

    scheduled/retrying (due) --claim--> publishing --publish()--> published
                                            | StepPending   -> publishing, lease released, due at T
                                            | OutcomeUnknown-> reconcile: find_published
                                            |                  found -> published; window over -> unconfirmed
                                            | RateLimited   -> retrying at the platform's time
                                            | Auth*         -> needs_reconnect
                                            | Transient     -> retrying (backoff + jitter) or failed
                                            | refused       -> failed

The database is the source of truth: a claim is one conditional UPDATE (status, due time and
lease), so two workers or two dispatchers never run the same target. Redis only carries jobs;
the dispatcher (every minute) re-enqueues whatever is due, so a flushed Redis loses nothing.
"""

from __future__ import annotations

import copy
import enum
import logging
import os
import random
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import select

from socialhub.config import PLATFORM_LABELS, get_settings
from socialhub.db import session_scope
from socialhub.models import Connection, MediaFile, Post, PostTarget, TrackedPost, utcnow
from socialhub.models import TargetStatus as S
from socialhub.providers import provider_class
from socialhub.providers.base import (
    AuthExpired,
    AuthRevoked,
    MediaRef,
    OutcomeUnknown,
    ProviderError,
    PublishRequest,
    PublishResult,
    RateLimited,
    RemotePost,
    StepPending,
    TransientError,
)
from socialhub.services import access, media, media_store
from socialhub.services.publish_queue import enqueue
from socialhub.services.publish_states import Conflict, log_event, transition

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=30)
RECONCILE_EVERY = timedelta(minutes=1)


class RunOutcome(enum.StrEnum):
    published = "published"
    scheduled_natively = "scheduled_natively"
    pending = "pending"
    reconciling = "reconciling"
    retrying = "retrying"
    needs_reconnect = "needs_reconnect"
    unconfirmed = "unconfirmed"
    failed = "failed"
    missed = "missed"
    not_claimed = "not_claimed"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


# --- claiming -----------------------------------------------------------------------------


def _claimable(now: datetime):
    """Due and not held: scheduled or retrying at their time, or a publishing target whose
    lease was released (a pending step) or ran out (its worker died)."""
    return and_(
        PostTarget.due_at <= now,
        or_(
            PostTarget.status.in_([S.scheduled.value, S.retrying.value]),
            and_(
                PostTarget.status == S.publishing.value,
                or_(PostTarget.lease_owner.is_(None), PostTarget.lease_expires_at < now),
            ),
        ),
    )


def claim(target_id: int, owner: str, now: datetime | None = None) -> bool:
    now = now or utcnow()
    lease = timedelta(seconds=get_settings().publish_lease_seconds)
    with session_scope() as s:
        before = s.exec(select(PostTarget.status).where(PostTarget.id == target_id)).first()
        result = s.exec(  # type: ignore[call-overload]
            update(PostTarget)
            .where(PostTarget.id == target_id, PostTarget.native_schedule.is_(False), _claimable(now))
            .values(
                status=S.publishing.value,
                lease_owner=owner,
                lease_expires_at=now + lease,
                attempts=PostTarget.attempts + 1,
                updated_at=now,
            )
        )
        if result.rowcount != 1:
            return False
        attempts = s.exec(select(PostTarget.attempts).where(PostTarget.id == target_id)).one()
        log_event(s, target_id, step="claimed", frm=str(before), to=S.publishing.value, attempt=attempts)
    return True


# --- what a run needs, read in one short transaction -----------------------------------------


@dataclass
class Job:
    target_id: int
    connection_id: int
    platform: str
    attempts: int
    steps: dict[str, Any]
    request: PublishRequest
    user_id: int
    media_keys: list[str] = field(default_factory=list)  # in the media store, one per request.media


def _load(target_id: int) -> Job:
    with session_scope() as s:
        target = s.get(PostTarget, target_id)
        post = s.get(Post, target.post_id)
        conn = s.get(Connection, target.connection_id)
        files = [f for f in (s.get(MediaFile, mid) for mid in (post.media_ids or [])) if f is not None]
        refs = [
            MediaRef(
                kind=f.kind,
                mime_type=f.mime_type,
                size_bytes=f.size_bytes,
                url=media.grant(s, media=f, target_id=target_id),
                path=None,  # a local file, given by _local_media once the transaction is closed
                duration_seconds=f.duration_seconds,
                width=f.width,
                height=f.height,
            )
            for f in files
        ]
        return Job(
            target_id=target_id,
            connection_id=target.connection_id,
            platform=conn.platform,
            attempts=target.attempts,
            steps=copy.deepcopy(target.steps or {}),
            request=PublishRequest(
                caption=target.caption or post.caption,
                media=refs,
                scheduled_for=post.scheduled_for if (target.steps or {}).get("native_schedule") else None,
                title=(post.caption or "").split("\n", 1)[0][:100] or None,
            ),
            user_id=post.user_id,
            media_keys=[f.path for f in files],
        )


def _local_media(job: Job) -> None:
    """Give providers that upload files a file on this machine in `MediaRef.path`: the
    stored file itself (local store), or a copy downloaded from S3 into the media cache and
    checked against its SHA-256. Platforms that pull by URL need none from S3."""
    store = media_store.get_store()
    wanted = store.kind == "local" or provider_class(job.platform).MEDIA_FROM_FILE
    if not wanted:
        return
    for ref, key in zip(job.request.media, job.media_keys, strict=True):
        ref.path = str(media.local_copy(key))


class LeaseLost(Exception):
    """Another worker took the target over (this one's lease ran out): stop at once."""


def _saver(target_id: int, owner: str):
    """Save the steps in their own transaction before the provider takes the next one. Only
    while this worker still holds the lease; a copy, because providers keep mutating them."""

    def save(steps: dict[str, Any]) -> None:
        snapshot = copy.deepcopy(steps)
        with session_scope() as s:
            result = s.exec(  # type: ignore[call-overload]
                update(PostTarget)
                .where(PostTarget.id == target_id, PostTarget.lease_owner == owner)
                .values(steps=snapshot, updated_at=utcnow())
            )
            if result.rowcount != 1:
                raise LeaseLost(f"target {target_id} is no longer held by {owner}")

    return save


# --- running one target ---------------------------------------------------------------------


def run_target(target_id: int, *, owner: str | None = None) -> RunOutcome:
    """The job body: claim, publish (resumably), record the outcome."""
    owner = owner or worker_name()
    if mark_missed_if_late(target_id):
        return RunOutcome.missed
    if not claim(target_id, owner):
        return RunOutcome.not_claimed
    job = _load(target_id)
    try:
        _local_media(job)
    except media_store.MediaMissing as exc:
        return _finish_failed(job, owner, str(exc), code="media_missing")
    except media_store.StoreError as exc:  # a damaged copy, the store unreachable: try again later
        log.warning("target %s: media not available: %s", target_id, exc)
        return _failed_call(job, owner, TransientError(f"The media file could not be fetched: {exc}"))
    save = _saver(target_id, owner)
    try:
        result = access.call(
            job.connection_id,
            lambda p, c: p.publish(c, job.request, job.steps, save),
            job="publish",
        )
    except StepPending as exc:
        return _wait(job, owner, exc)
    except OutcomeUnknown as exc:
        return reconcile(job, owner, reason=exc.message)
    except ProviderError as exc:
        return _failed_call(job, owner, exc)
    except access.NotYours:
        return _finish_failed(job, owner, "The account was disconnected.", code="disconnected")
    except LeaseLost:
        log.warning("target %s: lease lost mid-run; another worker continues", target_id)
        return RunOutcome.not_claimed
    return _published(job, owner, result)


def _held(owner: str):
    return PostTarget.lease_owner == owner


def _published(
    job: Job, owner: str, result: PublishResult | RemotePost, *, step: str = "published"
) -> RunOutcome:
    native = isinstance(result, PublishResult) and result.status == "scheduled"
    with session_scope() as s:
        transition(
            s,
            job.target_id,
            frm=S.publishing,
            to=S.scheduled if native else S.published,
            step="scheduled_on_platform" if native else step,
            message=(
                f"Handed to {PLATFORM_LABELS[job.platform]}'s own scheduling."
                if native
                else f"Published on {PLATFORM_LABELS[job.platform]}."
            ),
            extra_where=_held(owner),
            platform_post_id=result.post_id,
            platform_url=result.url,
            published_at=None if native else utcnow(),
            native_schedule=native,
            lease_owner=None,
            lease_expires_at=None,
            due_at=job.request.scheduled_for if native else None,
            last_error=None,
            error_code=None,
        )
        if not native:
            media.revoke_grants(s, target_id=job.target_id)
            track_published(s, job.target_id)
    return RunOutcome.scheduled_natively if native else RunOutcome.published


def track_published(session, target_id: int) -> None:
    """Every post the engine publishes becomes a tracked post for the metric sync."""
    target = session.get(PostTarget, target_id)
    conn = session.get(Connection, target.connection_id)
    post = session.get(Post, target.post_id)
    exists = session.exec(
        select(TrackedPost).where(
            TrackedPost.connection_id == conn.id, TrackedPost.platform_post_id == target.platform_post_id
        )
    ).first()
    if exists is None:
        session.add(
            TrackedPost(
                user_id=post.user_id,
                connection_id=conn.id,
                platform=conn.platform,
                platform_post_id=target.platform_post_id,
                url=target.platform_url,
                post_target_id=target.id,
                source="published",
                title=(target.caption or post.caption)[:200],
                published_at=target.published_at,
            )
        )


def _release(
    job: Job, owner: str, *, to: S, step: str, message: str, when: datetime | None = None, **values
) -> None:
    """Move a target this worker holds out of its run: release the lease, book the next look
    (`when`, re-enqueued for then) or none; `values` are more columns to set."""
    with session_scope() as s:
        transition(
            s,
            job.target_id,
            frm=S.publishing,
            to=to,
            step=step,
            message=message,
            extra_where=_held(owner),
            lease_owner=None,
            lease_expires_at=None,
            due_at=when,
            **values,
        )
    if when is not None:
        enqueue(job.target_id, at=when)


def _wait(job: Job, owner: str, exc: StepPending) -> RunOutcome:
    """A step must wait on the platform: release the lease and come back at its time."""
    when = exc.retry_at or utcnow() + timedelta(seconds=30)
    _release(
        job,
        owner,
        to=S.publishing,
        step="waiting",
        message=f"{exc.message} Checking again at {when:%H:%M:%S} UTC.",
        when=when,
        attempts=PostTarget.attempts - 1,  # waiting is not a failed attempt
    )
    return RunOutcome.pending


def reconcile(job: Job, owner: str, *, reason: str) -> RunOutcome:
    """The create call may have happened: look for the post instead of sending it again."""
    marker = job.steps.get("creating_at")
    since = datetime.fromisoformat(marker) if marker else utcnow() - timedelta(hours=1)
    try:
        found = access.call(
            job.connection_id,
            lambda p, c: p.find_published(c, job.request, since, job.steps),
            job="publish",
        )
    except StepPending as exc:
        # The platform may still be processing a post it accepted: it cannot tell yet.
        found, settle = None, exc.retry_at or utcnow() + RECONCILE_EVERY
    except ProviderError as exc:
        found, settle, reason = None, None, f"{reason} Looking it up failed too: {exc.message}"
    else:
        settle = None
    if found is not None:
        return _published(job, owner, found, step="found_on_platform")
    window = timedelta(minutes=get_settings().publish_reconcile_minutes)
    if settle is not None or utcnow() < since + window:
        when = settle or utcnow() + RECONCILE_EVERY
        _release(
            job,
            owner,
            to=S.publishing,
            step="reconciling",
            message=f"{reason} Not found on the platform yet; looking again at {when:%H:%M} UTC.",
            when=when,
            attempts=PostTarget.attempts - 1,
        )
        return RunOutcome.reconciling
    _release(
        job,
        owner,
        to=S.unconfirmed,
        step="unconfirmed",
        message=(
            f"{reason} SocialHub could not find the post on {PLATFORM_LABELS[job.platform]}. "
            "If it is there, paste its link; otherwise choose Publish again."
        ),
        error_code="unconfirmed",
        last_error="The platform did not confirm this post.",
    )
    return RunOutcome.unconfirmed


def _failed_call(job: Job, owner: str, exc: ProviderError) -> RunOutcome:
    settings = get_settings()
    label = PLATFORM_LABELS[job.platform]
    common = {
        "last_error": exc.message,
        "error_code": str(exc.code or exc.kind)[:60],
        "platform_status": exc.status,
    }
    if isinstance(exc, RateLimited):
        when = exc.retry_at or utcnow() + BACKOFF_BASE
        _release(
            job,
            owner,
            to=S.retrying,
            step="rate_limited",
            message=f"{exc.message} Rescheduled for {when:%Y-%m-%d %H:%M} UTC.",
            when=when,
            attempts=PostTarget.attempts - 1,  # the platform's limit is not our failure
            **common,
        )
        return RunOutcome.retrying
    if isinstance(exc, AuthExpired | AuthRevoked):
        _release(
            job,
            owner,
            to=S.needs_reconnect,
            step="needs_reconnect",
            message=f"{exc.message} It will be published after you reconnect {label}.",
            **common,
        )
        return RunOutcome.needs_reconnect
    if isinstance(exc, TransientError) and job.attempts < settings.publish_max_attempts:
        delay = min(BACKOFF_BASE * (2 ** (job.attempts - 1)), BACKOFF_MAX)
        when = utcnow() + delay * random.uniform(0.8, 1.2)
        _release(
            job,
            owner,
            to=S.retrying,
            step="retrying",
            message=f"{exc.message} Attempt {job.attempts + 1} at {when:%H:%M:%S} UTC.",
            when=when,
            **common,
        )
        return RunOutcome.retrying
    message = exc.message
    if isinstance(exc, TransientError):
        message = f"{exc.message} Gave up after {job.attempts} attempts."
    return _finish_failed(job, owner, message, code=str(exc.code or exc.kind), status=exc.status)


def _finish_failed(job: Job, owner: str, message: str, *, code: str, status: int | None = None) -> RunOutcome:
    with session_scope() as s:
        transition(
            s,
            job.target_id,
            frm=S.publishing,
            to=S.failed,
            step="failed",
            message=message,
            error_code=code[:60],
            platform_status=status,
            extra_where=_held(owner),
            lease_owner=None,
            lease_expires_at=None,
            due_at=None,
            last_error=message,
        )
        media.revoke_grants(s, target_id=job.target_id)
    return RunOutcome.failed


def mark_missed_if_late(target_id: int, now: datetime | None = None) -> bool:
    """A scheduled post whose time passed by more than the grace is not published late
    without asking: it becomes `missed` and waits for the creator."""
    now = now or utcnow()
    grace = timedelta(minutes=get_settings().publish_missed_grace_minutes)
    with session_scope() as s:
        try:
            transition(
                s,
                target_id,
                frm=(S.scheduled, S.retrying),
                to=S.missed,
                step="missed",
                message=(
                    "Its time passed while SocialHub could not run it. Publish it now, reschedule it, "
                    "or cancel it."
                ),
                extra_where=and_(PostTarget.due_at < now - grace, PostTarget.native_schedule.is_(False)),
                due_at=None,
            )
        except Conflict:
            return False
    return True


# --- running due targets side by side ------------------------------------------------------


def run_due_batch(first_id: int | None = None, now: datetime | None = None) -> dict[str, int]:
    """Run `first_id` and whatever else is due, side by side: publishing waits on the network,
    so one worker process keeps many calls in flight (SOCIALHUB_PUBLISH_CONCURRENCY), at most
    SOCIALHUB_PUBLISH_PER_ACCOUNT per connected account. Each target is still claimed on its
    own, so batches of two workers never overlap and a target's own job later finds nothing."""
    from concurrent.futures import ThreadPoolExecutor

    settings = get_settings()
    now = now or utcnow()
    with session_scope() as s:
        rows = s.exec(
            select(PostTarget.id, PostTarget.connection_id)
            .where(PostTarget.native_schedule.is_(False), _claimable(now))
            .order_by(PostTarget.due_at)
            .limit(settings.publish_concurrency * 4)
        ).all()
    per_account: dict[int, int] = {}
    chosen: list[int] = [first_id] if first_id is not None else []
    for tid, cid in rows:
        if tid == first_id or len(chosen) >= settings.publish_concurrency * 4:
            continue
        if per_account.get(cid, 0) >= settings.publish_per_account:
            continue
        per_account[cid] = per_account.get(cid, 0) + 1
        chosen.append(tid)
    counts: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=max(1, settings.publish_concurrency)) as pool:
        for outcome in pool.map(_run_quietly, chosen):
            counts[outcome.value] = counts.get(outcome.value, 0) + 1
    return counts


def _run_quietly(target_id: int) -> RunOutcome:
    """One target of a batch: its failure is its own and never stops the others."""
    try:
        return run_target(target_id)
    except Exception:
        log.exception("publishing target %s failed unexpectedly", target_id)
        return RunOutcome.not_claimed
