"""One way to call a platform on a connection: publishing, metrics and the Connections page
all go through `call()`.

    load credentials (short transaction) -> rate gate -> refresh when due -> provider call
    (no transaction open) -> record the outcome once (its own short transaction)

These are *operations*, not services: they take ids, open their own short transactions
with `db.session_scope()` around reads and writes, and never hold one across a platform
call. A failure is written in its own transaction so it is kept whatever the caller does.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import or_, update
from sqlmodel import select

from socialhub import security
from socialhub.config import PLATFORM_LABELS
from socialhub.db import session_scope
from socialhub.models import Connection, ConnectionStatus, SyncError, utcnow
from socialhub.providers import get_provider, provider_class
from socialhub.providers.base import (
    AuthExpired,
    AuthRevoked,
    Credentials,
    OutcomeUnknown,
    Provider,
    ProviderError,
    QuotaReading,
    RateLimited,
    RefreshUnavailable,
    StepPending,
)
from socialhub.services import keys, quotas, rate_gate

log = logging.getLogger(__name__)
T = TypeVar("T")


class NotYours(LookupError):
    """The connection does not exist or belongs to someone else (same answer for both)."""


class RefreshOutcome(enum.StrEnum):
    refreshed = "refreshed"
    fresh = "fresh"  # nothing to do: not due, or another refresher just did it
    busy = "busy"  # another refresher holds the lock and did not finish in time
    gone = "gone"  # the connection was deleted meanwhile
    needs_reconnect = "needs_reconnect"  # the platform gives no way to renew
    revoked = "revoked"
    expired = "expired"
    rate_limited = "rate_limited"
    failed = "failed"  # transient or unexpected: the connection stays due and is tried again


@dataclass(frozen=True)
class RefreshResult:
    outcome: RefreshOutcome
    error: ProviderError | None = None


# --- what a call needs, read in a short transaction -----------------------------------------


@dataclass(frozen=True)
class Account:
    connection_id: int
    user_id: int
    platform: str
    account_id: str
    status: ConnectionStatus
    access_expires_at: datetime | None
    last_error: str | None
    creds: Credentials

    @property
    def label(self) -> str:
        return PLATFORM_LABELS.get(self.platform, self.platform)


def credentials(conn: Connection) -> Credentials:
    return Credentials(
        access_token=security.decrypt(conn.access_token_enc) or "",
        refresh_token=security.decrypt(conn.refresh_token_enc),
        account_id=conn.account_id,
        expires_at=conn.access_expires_at,
        extra=dict(conn.extra or {}),
    )


def load(connection_id: int, *, user_id: int | None = None) -> Account:
    """The connection's credentials; NotYours when it is gone or someone else's."""
    with session_scope() as s:
        conn = s.get(Connection, connection_id)
        if conn is None or (user_id is not None and conn.user_id != user_id):
            raise NotYours("That connection was not found.")
        try:
            creds = credentials(conn)
        except (security.DecryptionError, security.KeyUnavailable):
            unreadable = True
        else:
            unreadable = False
    if unreadable:
        _mark_unreadable(connection_id)
        raise AuthExpired(keys.RECONNECT_NEEDED_MESSAGE, platform=conn.platform, code="undecryptable")
    with session_scope() as s:
        conn = s.get(Connection, connection_id)
        if conn is None:
            raise NotYours("That connection was not found.")
        return Account(
            connection_id=connection_id,
            user_id=conn.user_id,
            platform=conn.platform,
            account_id=conn.account_id,
            status=conn.status,
            access_expires_at=conn.access_expires_at,
            last_error=conn.last_error,
            creds=creds,
        )


def _mark_unreadable(connection_id: int) -> None:
    """No key opens this connection's token: ask for a reconnect (its own transaction)."""
    with session_scope() as s:
        conn = s.get(Connection, connection_id)
        if conn is not None:
            keys.mark_reconnect_needed(conn)
            s.add(conn)


# --- quota readings: collected cheaply during the call, saved once after it ---------------


class QuotaBuffer:
    """A quota sink that only appends; `flush` saves the readings and closes rate gates.
    Recording can never fail the platform call it came from."""

    def __init__(self) -> None:
        self.readings: list[tuple[str, QuotaReading]] = []

    def __call__(self, platform: str, reading: QuotaReading) -> None:
        self.readings.append((platform, reading))

    def flush(self, connection_id: int | None) -> None:
        readings, self.readings = self.readings, []
        if not readings:
            return
        try:
            for platform, reading in readings:
                rate_gate.block_from_reading(platform, reading)
            with session_scope() as s:
                for platform, reading in readings:
                    quotas.record(s, platform, reading, connection_id=connection_id)
        except Exception:
            log.warning("could not save %d quota reading(s)", len(readings), exc_info=True)


def provider_for(platform: str, sink: QuotaBuffer | None = None) -> Provider:
    return get_provider(platform, quota_sink=sink)


# --- recording outcomes (each in its own transaction) ---------------------------------------

_STATUS_FOR_ERROR: dict[type[ProviderError], ConnectionStatus] = {
    AuthRevoked: ConnectionStatus.revoked,
    AuthExpired: ConnectionStatus.expired,
}


def record_failure(connection_id: int, exc: ProviderError, *, job: str) -> None:
    """Keep what went wrong on the connection and in the sync error log. A revoked or expired
    login changes the status; anything else leaves the connection as it was."""
    if isinstance(exc, RateLimited) and exc.closes_gate:
        rate_gate.block_from_error(exc, _account_key(connection_id))
    with session_scope() as s:
        conn = s.get(Connection, connection_id)
        if conn is None:
            return
        for cls, status in _STATUS_FOR_ERROR.items():
            if isinstance(exc, cls):
                conn.status = status
                break
        conn.last_error = exc.message
        conn.last_error_at = utcnow()
        s.add(conn)
        s.add(
            SyncError(
                user_id=conn.user_id,
                connection_id=conn.id,
                platform=conn.platform,
                job=job,
                kind=exc.kind,
                message=exc.message,
            )
        )


def _account_key(connection_id: int) -> str:
    with session_scope() as s:
        conn = s.get(Connection, connection_id)
        return conn.account_id if conn else ""


def record_success(connection_id: int) -> None:
    """A call worked: clear a stale error. One conditional UPDATE, nothing when all is well."""
    with session_scope() as s:
        s.exec(  # type: ignore[call-overload]
            update(Connection)
            .where(
                Connection.id == connection_id,
                Connection.status.in_([ConnectionStatus.active, ConnectionStatus.error]),
                or_(Connection.last_error.is_not(None), Connection.status == ConnectionStatus.error),
            )
            .values(status=ConnectionStatus.active, last_error=None, last_error_at=None)
        )


# --- the call ---------------------------------------------------------------------------------


def _refuse_without_io(acct: Account) -> None:
    """A connection known to be dead, or an account behind a closed gate, costs no call."""
    if acct.status == ConnectionStatus.revoked:
        raise AuthRevoked(
            acct.last_error or f"{acct.label} access was revoked. Please reconnect.", platform=acct.platform
        )
    if acct.status == ConnectionStatus.expired:
        raise AuthExpired(
            acct.last_error or f"{acct.label} access has expired. Please reconnect.", platform=acct.platform
        )
    rate_gate.check(acct.platform, acct.account_id, label=acct.label)


def _due(acct: Account) -> bool:
    if acct.access_expires_at is None:
        return False
    return acct.access_expires_at - utcnow() <= provider_class(acct.platform).REFRESH_MARGIN


def call(
    connection_id: int,
    fn: Callable[[Provider, Credentials], T],
    *,
    job: str,
    user_id: int | None = None,
) -> T:
    """Run one provider call for a connection. A token that is due is refreshed first; one the
    platform calls expired is refreshed once and the call retried. Every failure is recorded
    once, and a rate limit closes the gate so the next caller spends no call."""
    acct = load(connection_id, user_id=user_id)
    _refuse_without_io(acct)
    if _due(acct) and refresh_connection(connection_id).outcome == RefreshOutcome.refreshed:
        acct = load(connection_id)
    sink = QuotaBuffer()
    provider = provider_for(acct.platform, sink)
    try:
        try:
            result = fn(provider, acct.creds)
        except RefreshUnavailable:
            raise
        except AuthExpired as first:
            refreshed = refresh_connection(connection_id, force=True)
            if refreshed.outcome != RefreshOutcome.refreshed:
                # The refresh recorded its own outcome; the caller gets its reason, not the 401.
                raise (refreshed.error or first) from first
            acct = load(connection_id)
            result = fn(provider, acct.creds)
    except (StepPending, OutcomeUnknown):
        raise  # not failures of the connection: the publishing engine keeps its own log
    except ProviderError as exc:
        if not getattr(exc, "_recorded", False):
            record_failure(connection_id, exc, job=job)
        raise
    finally:
        provider.close()
        sink.flush(connection_id)
    record_success(connection_id)
    return result


# --- token refresh ----------------------------------------------------------------------------


def _mark_recorded(exc: ProviderError) -> ProviderError:
    exc._recorded = True  # type: ignore[attr-defined]  # call() must not record it again
    return exc


def refresh_connection(connection_id: int, *, force: bool = False, lock_timeout: int = 60) -> RefreshResult:
    """Refresh one connection's tokens. Safe to run concurrently: a Redis lock per connection
    lets one refresher through, and the row is re-read after taking it, so a token refreshed by
    someone else a moment ago is not refreshed again (rotating refresh tokens would break).
    A transient failure changes no status: the connection stays due and the next run retries."""
    from socialhub.queue import get_redis

    lock = get_redis().lock(
        f"socialhub:lock:refresh:{connection_id}", timeout=lock_timeout, blocking_timeout=lock_timeout
    )
    if not lock.acquire():
        return RefreshResult(RefreshOutcome.busy)
    try:
        try:
            acct = load(connection_id)
        except NotYours:
            return RefreshResult(RefreshOutcome.gone)
        if not force and not _due(acct):
            return RefreshResult(RefreshOutcome.fresh)
        sink = QuotaBuffer()
        provider = provider_for(acct.platform, sink)
        try:
            tokens = provider.refresh(acct.creds)
        except RefreshUnavailable as exc:
            _store_refresh_unavailable(connection_id, exc)
            return RefreshResult(RefreshOutcome.needs_reconnect, _mark_recorded(exc))
        except ProviderError as exc:
            record_failure(connection_id, exc, job="refresh_tokens")
            return RefreshResult(_outcome_for(exc), _mark_recorded(exc))
        finally:
            provider.close()
            sink.flush(connection_id)
        with session_scope() as s:
            conn = s.get(Connection, connection_id)
            if conn is None:
                return RefreshResult(RefreshOutcome.gone)
            apply_tokens(conn, tokens)
            conn.status = ConnectionStatus.active
            conn.last_refresh_at = utcnow()
            conn.last_error = None
            conn.last_error_at = None
            s.add(conn)
        return RefreshResult(RefreshOutcome.refreshed)
    finally:
        try:
            lock.release()
        except Exception:  # the lock expired meanwhile; nothing to release
            log.warning("refresh lock for connection %s expired before release", connection_id)


def _outcome_for(exc: ProviderError) -> RefreshOutcome:
    if isinstance(exc, AuthRevoked):
        return RefreshOutcome.revoked
    if isinstance(exc, AuthExpired):
        return RefreshOutcome.expired
    if isinstance(exc, RateLimited):
        return RefreshOutcome.rate_limited
    return RefreshOutcome.failed


def _store_refresh_unavailable(connection_id: int, exc: RefreshUnavailable) -> None:
    """Still usable until it expires: say so, and when, instead of calling it dead."""
    with session_scope() as s:
        conn = s.get(Connection, connection_id)
        if conn is None:
            return
        still_valid = conn.access_expires_at is not None and conn.access_expires_at > utcnow()
        conn.status = ConnectionStatus.expiring if still_valid else ConnectionStatus.expired
        conn.last_error = exc.message
        conn.last_error_at = utcnow()
        s.add(conn)


def apply_tokens(conn: Connection, tokens) -> None:
    conn.access_token_enc = security.encrypt(tokens.access_token)
    if tokens.refresh_token is not None:
        conn.refresh_token_enc = security.encrypt(tokens.refresh_token)
    conn.access_expires_at = tokens.expires_at
    conn.refresh_expires_at = tokens.refresh_expires_at or conn.refresh_expires_at
    if tokens.scopes:
        conn.scopes = " ".join(tokens.scopes)
    conn.updated_at = utcnow()


def needs_refresh(conn: Connection, now: datetime | None = None) -> bool:
    """Due for the refresh job: renewable statuses only, within the platform's margin."""
    now = now or utcnow()
    if conn.status not in (ConnectionStatus.active, ConnectionStatus.expiring, ConnectionStatus.error):
        return False
    if conn.access_expires_at is None:
        return False
    return conn.access_expires_at - now <= provider_class(conn.platform).REFRESH_MARGIN


def refresh_expiring_tokens(now: datetime | None = None) -> dict[str, int]:
    """The hourly job: refresh every connection whose access ends within its platform's margin."""
    with session_scope() as s:
        ids = [
            c.id
            for c in s.exec(select(Connection).where(Connection.access_expires_at.is_not(None))).all()
            if needs_refresh(c, now)
        ]
    results: dict[str, int] = {}
    for cid in ids:
        outcome = refresh_connection(cid).outcome.value
        results[outcome] = results.get(outcome, 0) + 1
    return results
