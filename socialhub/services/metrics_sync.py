"""The metric sync of one connection: an account snapshot and a snapshot per due tracked post,
at the fewest calls the platform allows, within its budget.

    lock (Redis, per connection) -> plan (due posts, newest first; calls allowed) ->
    account read -> one call per batch of MAX_IDS_PER_CALL ids, each through access.call ->
    snapshots written per batch in a short transaction (unique per run and post)

Every platform call goes through `access.call` (rate gate, token refresh, failures recorded
once in sync_errors). No transaction is open during a call. A failure stops this connection
only; what was not synced stays due and is picked up by the resume job or the next run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session

from socialhub.db import session_scope
from socialhub.models import (
    AccountSnapshot,
    Connection,
    ConnectionStatus,
    MetricSnapshot,
    SyncError,
    SyncRun,
    TrackedPost,
    utcnow,
)
from socialhub.providers import provider_class
from socialhub.providers.base import (
    AccountInfo,
    AuthExpired,
    AuthRevoked,
    PostMetrics,
    Provider,
    ProviderError,
    RateLimited,
    RefreshUnavailable,
    TransientError,
)
from socialhub.services import access, dashboard_rollups, metric_budget

log = logging.getLogger(__name__)
T = TypeVar("T")

JOB = "sync_metrics"
LOCK_SECONDS = 900
# A transient failure is retried in the job this many times, after these pauses (seconds);
# then the connection stops and its resume job comes back at RESUME_AFTER.
TRANSIENT_RETRIES = (0.5, 2.0)
RESUME_AFTER = timedelta(minutes=2)
SYNCABLE = (ConnectionStatus.active, ConnectionStatus.expiring, ConnectionStatus.error)
# A creator's "Sync now" (page or command line) syncs every tracked post, not only the due ones.
MANUAL_TRIGGERS = ("manual", "cli")


@dataclass
class Outcome:
    """What one connection's sync did; added to its run with one UPDATE."""

    connection_id: int
    posts: int = 0
    accounts: int = 0
    calls: int = 0
    errors: int = 0
    deferred: int = 0
    deleted: int = 0
    minimum: int = 0  # the fewest calls the contract allows for what was synced
    skipped: str | None = None  # busy | needs_reconnect | gone
    retry_at: datetime | None = None
    messages: list[str] = field(default_factory=list)


class CallCounter:
    """Counts every HTTP request a provider sends (an httpx event hook), so the sync reports
    the calls it really made, retries after a token refresh included."""

    def __init__(self) -> None:
        self.n = 0
        self._lock = threading.Lock()

    def _hook(self, request: Any) -> None:
        with self._lock:
            self.n += 1

    def wrap(self, fn: Callable[[Provider, Any], T]) -> Callable[[Provider, Any], T]:
        def run(provider: Provider, creds: Any) -> T:
            if not getattr(provider, "_sync_counted", False):
                hooks = provider.http.event_hooks
                hooks["request"] = [*hooks.get("request", []), self._hook]
                provider.http.event_hooks = hooks
                provider._sync_counted = True  # type: ignore[attr-defined]
            return fn(provider, creds)

        return run


_platform_slots: dict[str, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def platform_slot(platform: str) -> threading.BoundedSemaphore:
    """At most settings.metrics_per_platform connections of one platform sync at once in a
    process (each account is one at a time: the lock)."""
    from socialhub.config import get_settings

    with _slots_lock:
        if platform not in _platform_slots:
            _platform_slots[platform] = threading.BoundedSemaphore(get_settings().metrics_per_platform)
        return _platform_slots[platform]


# --- the run of one connection ----------------------------------------------------------------


def sync_connection(connection_id: int, run_id: int, *, now: datetime | None = None) -> Outcome:
    """Sync one connection for a run. Safe to call twice at once (the second returns "busy")
    and twice in a row (the run's snapshots are not written again)."""
    from socialhub.queue import get_redis

    out = Outcome(connection_id)
    lock = get_redis().lock(f"socialhub:lock:sync:{connection_id}", timeout=LOCK_SECONDS, blocking=False)
    if not lock.acquire():
        out.skipped = "busy"
        return out
    try:
        with session_scope() as s:
            conn = s.get(Connection, connection_id)
            platform = conn.platform if conn else ""
        if not platform:
            out.skipped = "gone"
            return out
        with platform_slot(platform):
            _run(out, connection_id, run_id, now or utcnow())
    finally:
        try:
            lock.release()
        except Exception:  # expired meanwhile: nothing to release
            log.warning("sync lock for connection %s expired before release", connection_id)
    return out


def _run(out: Outcome, connection_id: int, run_id: int, now: datetime) -> None:
    with session_scope() as s:
        conn = s.get(Connection, connection_id)
        if conn is None:
            out.skipped = "gone"
            return
        if conn.status not in SYNCABLE:
            out.skipped = "needs_reconnect"
            out.messages.append(conn.last_error or "Reconnect this account to sync its numbers.")
            return
        platform, account_id = conn.platform, conn.account_id
        run = s.get(SyncRun, run_id)
        manual = run is not None and run.trigger in MANUAL_TRIGGERS
        posts = metric_budget.due_posts(s, connection_id, now=now, run_id=run_id, everything=manual)
        need_account = not _has_account_snapshot(s, run_id, connection_id)
        budget = metric_budget.calls_allowed(s, platform, account_id)
        ids = [(p.id, p.platform_post_id) for p in posts]
    provider = provider_class(platform)
    probe = _probe(platform)
    per_call = provider.MAX_IDS_PER_CALL
    account_calls = provider.ACCOUNT_CALLS if need_account else 0
    extra = getattr(probe, "ANALYTICS_QUERIES", 0) if probe.metric_calls(1) > 1 else 0
    take = metric_budget.posts_within(budget, per_call, account_calls, extra)
    chosen = ids[:take]
    out.deferred = len(ids)  # counted down as batches land: whatever is left waits
    if budget < account_calls or (ids and not chosen):
        out.retry_at = now + RESUME_AFTER
        return
    counter = CallCounter()
    try:
        if need_account:
            info = _attempt(out, connection_id, counter.wrap(lambda p, c: p.get_account(c)))
            _save_account(run_id, connection_id, info, now)
            out.accounts += 1
            out.minimum += provider.ACCOUNT_CALLS
        for start in range(0, len(chosen), per_call):
            batch = chosen[start : start + per_call]
            post_ids = [pid for _, pid in batch]
            metrics = _attempt(
                out, connection_id, counter.wrap(lambda p, c, ids=post_ids: p.fetch_metrics(c, ids))
            )
            written, gone = _save_posts(run_id, batch, metrics, now)
            out.posts += written
            out.deferred -= len(batch)
            out.minimum += probe.metric_calls(len(batch) - len(gone))
            if gone:
                out.deleted += len(gone)
                _mark_deleted(connection_id, gone)
    except _Stop:
        pass
    finally:
        out.calls = counter.n
    if out.posts or out.accounts:
        _touch_connection(connection_id, now)


_probes: dict[tuple[str, int], Provider] = {}


def _probe(platform: str) -> Provider:
    """A provider instance for its settings-dependent attributes (LinkedIn's analytics scope),
    made once per platform and settings object; it never sends."""
    from socialhub.config import get_settings

    key = (platform, id(get_settings()))
    if key not in _probes:
        probe = access.provider_for(platform)
        probe.close()
        _probes[key] = probe
    return _probes[key]


class _Stop(Exception):
    """This connection can do no more now (recorded already)."""


def _attempt(out: Outcome, connection_id: int, fn: Callable[[Provider, Any], T]) -> T:
    """One platform call with in-job backoff for transient trouble. A rate limit, a dead login
    or any other refusal stops this connection (access.call has recorded it)."""
    for pause in (*TRANSIENT_RETRIES, None):
        try:
            return access.call(connection_id, fn, job=JOB)
        except TransientError as exc:
            if pause is None:
                out.errors += 1
                out.messages.append(exc.message)
                out.retry_at = utcnow() + RESUME_AFTER
                raise _Stop from exc
            time.sleep(pause)
        except RateLimited as exc:
            out.errors += 1
            out.messages.append(exc.message)
            out.retry_at = exc.retry_at or utcnow() + RESUME_AFTER
            raise _Stop from exc
        except (AuthExpired, AuthRevoked) as exc:
            out.errors += 1
            out.messages.append(exc.message)
            if isinstance(exc, RefreshUnavailable):
                _log_error(connection_id, exc)  # the refresh marked the connection, but logs nothing
            raise _Stop from exc
        except ProviderError as exc:
            out.errors += 1
            out.messages.append(exc.message)
            raise _Stop from exc
        except access.NotYours as exc:
            out.skipped = "gone"
            raise _Stop from exc
    raise AssertionError("unreachable")


# --- writes (each its own short transaction) ---------------------------------------------------


def insert_ignore(session: Session, model: type, rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING: a row the run already wrote is skipped, not doubled."""
    return len(insert_ignore_ids(session, model, rows))


def insert_ignore_ids(session: Session, model: type, rows: list[dict[str, Any]]) -> list[int]:
    """insert_ignore, returning the ids of the rows really inserted."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__  # type: ignore[attr-defined]
    # Count what was really inserted from RETURNING: an executemany's rowcount is not
    # reliable across drivers (psycopg reports none for batched inserts).
    stmt = insert(table).on_conflict_do_nothing().returning(table.c.id)
    result = session.execute(stmt, rows)  # type: ignore[call-overload]
    return [r[0] for r in result.all()]


def _has_account_snapshot(session: Session, run_id: int, connection_id: int) -> bool:
    from sqlmodel import select

    return (
        session.exec(
            select(AccountSnapshot.id).where(
                AccountSnapshot.sync_run_id == run_id, AccountSnapshot.connection_id == connection_id
            )
        ).first()
        is not None
    )


def _save_account(run_id: int, connection_id: int, info: AccountInfo, now: datetime) -> None:
    extra = {
        k: v for k, v in (info.extra or {}).items() if isinstance(v, str | int | float | bool) or v is None
    }
    with session_scope() as s:
        insert_ignore(
            s,
            AccountSnapshot,
            [
                {
                    "connection_id": connection_id,
                    "sync_run_id": run_id,
                    "taken_at": now,
                    "followers": info.followers,
                    "following": info.following,
                    "posts_count": info.posts_count,
                    "views": info.views,
                    "extra": extra,
                }
            ],
        )
        if info.followers is not None:
            s.exec(update(Connection).where(Connection.id == connection_id).values(followers=info.followers))  # type: ignore[call-overload]


def _save_posts(
    run_id: int, batch: list[tuple[int, str]], metrics: dict[str, PostMetrics], now: datetime
) -> tuple[int, list[int]]:
    rows, synced, gone = [], [], []
    for tracked_id, post_id in batch:
        m = metrics.get(post_id)
        if m is None:
            gone.append(tracked_id)
            continue
        synced.append(tracked_id)
        rows.append(
            {
                "tracked_post_id": tracked_id,
                "sync_run_id": run_id,
                "taken_at": now,
                "views": m.views,
                "likes": m.likes,
                "comments": m.comments,
                "shares": m.shares,
                "saves": m.saves,
                "reach": m.reach,
                "extra": dict(m.extra or {}),
            }
        )
    with session_scope() as s:
        written = save_snapshots(s, rows)
        if synced:
            s.exec(update(TrackedPost).where(TrackedPost.id.in_(synced)).values(last_synced_at=now))  # type: ignore[call-overload, union-attr]
    return written, gone


def save_snapshots(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert metric snapshots (a run's second copy is skipped) and add what the inserted ones
    gained to the dashboard's rollup, in the caller's transaction. Returns the rows inserted."""
    ids = insert_ignore_ids(session, MetricSnapshot, rows)
    dashboard_rollups.add_snapshots(session, ids)
    return len(ids)


def _mark_deleted(connection_id: int, tracked_ids: list[int]) -> None:
    """The platform no longer has these posts: keep their history, stop asking for them."""
    with session_scope() as s:
        conn = s.get(Connection, connection_id)
        label = access.PLATFORM_LABELS.get(conn.platform, conn.platform) if conn else ""
        for tracked_id in tracked_ids:
            row = s.get(TrackedPost, tracked_id)
            if row is None or row.status != "active":
                continue
            row.status, row.removed_at = "deleted", utcnow()
            s.add(row)
            s.add(
                SyncError(
                    user_id=row.user_id,
                    connection_id=connection_id,
                    platform=row.platform,
                    job=JOB,
                    kind="not_found",
                    message=f"{label} no longer has the post {row.url or row.platform_post_id}; "
                    "it was deleted there. Its history is kept.",
                )
            )


def _log_error(connection_id: int, exc: ProviderError) -> None:
    with session_scope() as s:
        conn = s.get(Connection, connection_id)
        if conn is not None:
            s.add(
                SyncError(
                    user_id=conn.user_id,
                    connection_id=connection_id,
                    platform=conn.platform,
                    job=JOB,
                    kind=exc.kind,
                    message=exc.message,
                )
            )


def _touch_connection(connection_id: int, now: datetime) -> None:
    with session_scope() as s:
        s.exec(update(Connection).where(Connection.id == connection_id).values(last_sync_at=now))  # type: ignore[call-overload]
