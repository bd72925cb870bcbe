"""Connecting platform accounts: OAuth start and callback, listing, disconnecting,
token refresh, and noticing expired or revoked access on use.

Tokens are decrypted only inside this module and the provider call that needs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, select

from socialhub import security
from socialhub.config import PLATFORM_LABELS, PLATFORMS, Settings, get_settings
from socialhub.db import session_scope
from socialhub.models import AccountSnapshot, Connection, ConnectionStatus, OAuthState, SyncError, utcnow
from socialhub.providers import get_provider
from socialhub.providers.base import (
    AccountInfo,
    AuthExpired,
    AuthRevoked,
    ConnectedAccount,
    Credentials,
    Provider,
    ProviderError,
    RefreshUnavailable,
    TokenSet,
)
from socialhub.services import quotas

log = logging.getLogger(__name__)
T = TypeVar("T")

# Shown as "expiring soon" when access ends within this and no refresh is possible.
EXPIRING_WINDOW = timedelta(days=7)


class ConnectError(Exception):
    """The connect flow ended without a connection; the message is for the creator."""


class NotYours(LookupError):
    """The connection does not exist or belongs to someone else (same answer for both)."""


# --- views the UI may show (no tokens) ------------------------------------------------------


@dataclass
class ConnectionView:
    id: int
    platform: str
    platform_label: str
    account_id: str
    username: str
    display_name: str
    avatar_url: str | None
    profile_url: str | None
    followers: int | None
    status: str
    token_expires_at: datetime | None
    last_sync_at: datetime | None
    last_error: str | None
    is_sandbox: bool
    renews: bool  # SocialHub renews access before it expires


def can_renew(conn: Connection) -> bool:
    from socialhub.providers import provider_class

    return bool(conn.refresh_token_enc) or provider_class(conn.platform).RENEWS_WITHOUT_REFRESH_TOKEN


def display_status(conn: Connection, now: datetime | None = None) -> str:
    """What the creator sees: stored problems first, then expiry that nothing will renew."""
    now = now or utcnow()
    if conn.status in (ConnectionStatus.revoked, ConnectionStatus.expired, ConnectionStatus.error):
        return conn.status.value
    expires = conn.access_expires_at
    if expires is not None and not can_renew(conn):
        if expires <= now:
            return ConnectionStatus.expired.value
        if expires - now <= EXPIRING_WINDOW:
            return ConnectionStatus.expiring.value
    if expires is not None and expires <= now:
        return ConnectionStatus.expiring.value  # renewable; the refresh job is due
    return conn.status.value


def to_view(conn: Connection) -> ConnectionView:
    return ConnectionView(
        id=conn.id or 0,
        platform=conn.platform,
        platform_label=PLATFORM_LABELS.get(conn.platform, conn.platform),
        account_id=conn.account_id,
        username=conn.username,
        display_name=conn.display_name,
        avatar_url=conn.avatar_url,
        profile_url=conn.profile_url,
        followers=conn.followers,
        status=display_status(conn),
        token_expires_at=conn.access_expires_at,
        last_sync_at=conn.last_sync_at,
        last_error=conn.last_error,
        is_sandbox=conn.is_sandbox,
        renews=can_renew(conn),
    )


def list_connections(session: Session, *, user_id: int) -> list[ConnectionView]:
    rows = session.exec(
        select(Connection).where(Connection.user_id == user_id).order_by(Connection.platform, Connection.id)
    ).all()
    return [to_view(c) for c in rows]


def get_owned(session: Session, *, user_id: int, connection_id: int) -> Connection:
    conn = session.get(Connection, connection_id)
    if conn is None or conn.user_id != user_id:
        raise NotYours("That connection was not found.")
    return conn


# --- OAuth: start and finish ----------------------------------------------------------------


def callback_url(platform: str, settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return f"{settings.base_url}/oauth/{platform}/callback"


def provider_for(
    platform: str, *, connection_id: int | None = None, settings: Settings | None = None
) -> Provider:
    return get_provider(platform, settings, quota_sink=quotas.sink(connection_id))


def start_connect(
    session: Session,
    *,
    user_id: int,
    platform: str,
    reconnect_connection_id: int | None = None,
    settings: Settings | None = None,
) -> str:
    """Create a single-use OAuth state for this user and return the platform's authorize URL."""
    settings = settings or get_settings()
    if platform not in PLATFORMS:
        raise ConnectError(f"Unknown platform {platform!r}.")
    if reconnect_connection_id is not None:
        get_owned(session, user_id=user_id, connection_id=reconnect_connection_id)
    provider = provider_for(platform, settings=settings)
    state = security.new_oauth_state()
    verifier = security.new_code_verifier() if provider.USE_PKCE else None
    redirect_uri = callback_url(platform, settings)
    session.add(
        OAuthState(
            state_hash=security.token_digest(state),
            user_id=user_id,
            platform=platform,
            code_verifier_enc=security.encrypt(verifier),
            redirect_uri=redirect_uri,
            reconnect_connection_id=reconnect_connection_id,
            expires_at=utcnow() + timedelta(minutes=settings.oauth_state_ttl_minutes),
        )
    )
    session.commit()
    try:
        return provider.authorization_url(state=state, redirect_uri=redirect_uri, code_verifier=verifier)
    finally:
        provider.close()


def _claim_state(session: Session, *, user_id: int, platform: str, state: str) -> OAuthState:
    """Burn the state (exactly once) after checking it belongs to this user and flow."""
    row = session.exec(
        select(OAuthState).where(OAuthState.state_hash == security.token_digest(state or ""))
    ).first()
    label = PLATFORM_LABELS.get(platform, platform)
    if row is None or row.user_id != user_id or row.platform != platform:
        raise ConnectError(
            f"This {label} sign-in could not be matched to your request. Please start connecting again."
        )
    if row.used_at is not None:
        raise ConnectError(f"This {label} sign-in link was already used. Please start connecting again.")
    if row.expires_at < utcnow():
        raise ConnectError(f"The {label} sign-in took too long and expired. Please start connecting again.")
    claimed = session.exec(  # type: ignore[call-overload]
        update(OAuthState)
        .where(OAuthState.id == row.id, OAuthState.used_at.is_(None))
        .values(used_at=utcnow())
    )
    session.commit()
    if claimed.rowcount != 1:  # a concurrent callback won
        raise ConnectError(f"This {label} sign-in link was already used. Please start connecting again.")
    return row


def finish_connect(
    session: Session,
    *,
    user_id: int,
    platform: str,
    state: str | None,
    code: str | None,
    error: str | None = None,
    error_description: str | None = None,
    settings: Settings | None = None,
) -> list[ConnectionView]:
    """Handle the callback: check the state, exchange the code, store the account(s)."""
    settings = settings or get_settings()
    label = PLATFORM_LABELS.get(platform, platform)
    if platform not in PLATFORMS:
        raise ConnectError("Unknown platform in the callback address.")
    row = _claim_state(session, user_id=user_id, platform=platform, state=state or "")
    if error:
        reason = (error_description or error).replace("+", " ")
        if error in {"access_denied", "user_cancelled_login", "user_cancelled_authorize", "user_denied"}:
            raise ConnectError(f"{label} access was not granted ({reason}). Nothing was connected.")
        raise ConnectError(f"{label} reported an error: {reason}. Nothing was connected.")
    if not code:
        raise ConnectError(f"{label} sent no authorization code. Please try again.")
    provider = provider_for(platform, settings=settings)
    try:
        accounts = provider.connect(
            code=code, redirect_uri=row.redirect_uri, code_verifier=security.decrypt(row.code_verifier_enc)
        )
    except ProviderError as exc:
        raise ConnectError(f"{label} did not complete the connection: {exc.message}") from exc
    finally:
        provider.close()
    if not accounts:
        raise ConnectError(f"{label} gave access to no account that SocialHub can use.")
    stored = [
        _store_account(session, user_id=user_id, platform=platform, item=a, sandbox=provider.is_sandbox)
        for a in accounts
    ]
    session.commit()
    return [to_view(c) for c in stored]


def _store_account(
    session: Session, *, user_id: int, platform: str, item: ConnectedAccount, sandbox: bool
) -> Connection:
    account = item.account
    conn = session.exec(
        select(Connection).where(
            Connection.user_id == user_id,
            Connection.platform == platform,
            Connection.account_id == account.account_id,
        )
    ).first()
    if conn is None:
        conn = Connection(user_id=user_id, platform=platform, account_id=account.account_id)
    _apply_account(conn, account)
    _apply_tokens(conn, item.tokens)
    conn.is_sandbox = sandbox
    conn.status = ConnectionStatus.active
    conn.last_error = None
    conn.last_error_at = None
    conn.last_sync_at = utcnow()
    session.add(conn)
    session.flush()
    session.add(
        AccountSnapshot(
            connection_id=conn.id,
            followers=account.followers,
            following=account.following,
            posts_count=account.posts_count,
            views=account.views,
        )
    )
    return conn


def _apply_account(conn: Connection, account: AccountInfo) -> None:
    conn.username = account.username or conn.username
    conn.display_name = account.display_name or account.username or conn.display_name
    conn.avatar_url = account.avatar_url
    conn.profile_url = account.profile_url
    conn.followers = account.followers
    conn.extra = {**(conn.extra or {}), **account.extra}
    conn.updated_at = utcnow()


def _apply_tokens(conn: Connection, tokens: TokenSet) -> None:
    conn.access_token_enc = security.encrypt(tokens.access_token)
    if tokens.refresh_token is not None:
        conn.refresh_token_enc = security.encrypt(tokens.refresh_token)
    conn.access_expires_at = tokens.expires_at
    conn.refresh_expires_at = tokens.refresh_expires_at or conn.refresh_expires_at
    if tokens.scopes:
        conn.scopes = " ".join(tokens.scopes)
    conn.updated_at = utcnow()


def credentials(conn: Connection) -> Credentials:
    return Credentials(
        access_token=security.decrypt(conn.access_token_enc) or "",
        refresh_token=security.decrypt(conn.refresh_token_enc),
        account_id=conn.account_id,
        expires_at=conn.access_expires_at,
        extra=dict(conn.extra or {}),
    )


# --- disconnect -------------------------------------------------------------------------------


def disconnect(session: Session, *, user_id: int, connection_id: int) -> str:
    """Revoke at the platform where it can, delete the tokens and the connection."""
    conn = get_owned(session, user_id=user_id, connection_id=connection_id)
    label = PLATFORM_LABELS.get(conn.platform, conn.platform)
    message = f"{label} account @{conn.username} disconnected."
    try:
        shared = _shares_token_with_others(session, conn)
    except (security.DecryptionError, security.KeyUnavailable):
        shared = None  # no key opens the stored token: nothing to revoke with, delete anyway
    if shared is None:
        message += f" Its stored access could not be read, so remove SocialHub in {label}'s app settings too."
    elif shared:
        # One Meta login covers every Page / Instagram account of that person: revoking it
        # would cut off the other connections too.
        message += f" Access stays granted for your other {label} account(s) that use the same login."
    elif conn.access_token_enc:
        provider = provider_for(conn.platform, connection_id=conn.id)
        try:
            if provider.revoke(credentials(conn)):
                message += f" Access was revoked at {label}."
            else:
                message += f" {label} offers no way to revoke access from here; remove SocialHub in its app settings."
        except (AuthExpired, AuthRevoked):
            message += " Its access had already ended."
        except ProviderError as exc:
            message += (
                f" {label} could not revoke access right now ({exc.message}); tokens were deleted anyway."
            )
        finally:
            provider.close()
    conn.access_token_enc = None
    conn.refresh_token_enc = None
    session.add(conn)
    session.flush()
    session.delete(conn)
    session.commit()
    return message


def _shares_token_with_others(session: Session, conn: Connection) -> bool:
    if not conn.access_token_enc:
        return False
    mine = security.decrypt(conn.access_token_enc)
    others = session.exec(
        select(Connection).where(
            Connection.user_id == conn.user_id, Connection.platform == conn.platform, Connection.id != conn.id
        )
    ).all()
    return any(o.access_token_enc and security.decrypt(o.access_token_enc) == mine for o in others)


# --- using a connection: errors mark it -----------------------------------------------------


def record_failure(session: Session, conn: Connection, exc: ProviderError, *, job: str) -> None:
    """Keep what went wrong on the connection and in the sync error log."""
    if isinstance(exc, AuthRevoked):
        conn.status = ConnectionStatus.revoked
    elif isinstance(exc, AuthExpired):
        conn.status = ConnectionStatus.expired
    conn.last_error = exc.message
    conn.last_error_at = utcnow()
    session.add(conn)
    session.add(
        SyncError(
            user_id=conn.user_id,
            connection_id=conn.id,
            platform=conn.platform,
            job=job,
            kind=exc.kind,
            message=exc.message,
        )
    )
    session.commit()


def call(session: Session, conn: Connection, fn: Callable[[Provider, Credentials], T], *, job: str) -> T:
    """Run a provider call for a connection. An expired token is refreshed once and the call
    retried; a revoked one marks the connection so the creator sees Reconnect."""
    provider = provider_for(conn.platform, connection_id=conn.id)
    try:
        try:
            return fn(provider, credentials(conn))
        except AuthExpired:
            # The provider knows whether its platform can renew (refresh token or Meta's
            # long-lived exchange); when it cannot, the refresh records why.
            refresh_connection(session, conn.id, force=True)
            session.refresh(conn)
            if conn.status != ConnectionStatus.active:
                raise
            return fn(provider, credentials(conn))
    except ProviderError as exc:
        record_failure(session, conn, exc, job=job)
        raise
    finally:
        provider.close()


def sync_account(session: Session, *, user_id: int, connection_id: int) -> ConnectionView:
    """Re-read the account (followers, avatar) now; used by the Refresh button."""
    conn = get_owned(session, user_id=user_id, connection_id=connection_id)
    account = call(session, conn, lambda p, c: p.get_account(c), job="sync_account")
    _apply_account(conn, account)
    conn.last_sync_at = utcnow()
    conn.status = ConnectionStatus.active
    conn.last_error = None
    session.add(conn)
    session.add(
        AccountSnapshot(
            connection_id=conn.id,
            followers=account.followers,
            following=account.following,
            posts_count=account.posts_count,
            views=account.views,
        )
    )
    session.commit()
    return to_view(conn)


# --- token refresh ----------------------------------------------------------------------------


def needs_refresh(conn: Connection, provider_cls: type[Provider], now: datetime | None = None) -> bool:
    now = now or utcnow()
    if conn.status not in (ConnectionStatus.active, ConnectionStatus.expiring, ConnectionStatus.error):
        return False
    if conn.access_expires_at is None:
        return False
    return conn.access_expires_at - now <= provider_cls.REFRESH_MARGIN


def refresh_connection(
    session: Session, connection_id: int, *, force: bool = False, lock_timeout: int = 60
) -> str:
    """Refresh one connection's tokens. Safe to run concurrently: a Redis lock per connection
    lets one refresher through, and the row is re-read after taking it, so a token refreshed by
    someone else a moment ago is not refreshed again (rotating refresh tokens would break)."""
    from socialhub.providers import provider_class
    from socialhub.queue import get_redis

    lock = get_redis().lock(
        f"socialhub:lock:refresh:{connection_id}", timeout=lock_timeout, blocking_timeout=lock_timeout
    )
    if not lock.acquire():
        return "busy"
    try:
        session.expire_all()
        conn = session.get(Connection, connection_id)
        if conn is None:
            return "gone"
        if not force and not needs_refresh(conn, provider_class(conn.platform)):
            return "fresh"
        provider = provider_for(conn.platform, connection_id=conn.id)
        try:
            tokens = provider.refresh(credentials(conn))
        except RefreshUnavailable as exc:
            # Still usable until it expires: say so, and when, instead of calling it dead.
            still_valid = conn.access_expires_at is not None and conn.access_expires_at > utcnow()
            conn.status = ConnectionStatus.expiring if still_valid else ConnectionStatus.expired
            conn.last_error = exc.message
            conn.last_error_at = utcnow()
            session.add(conn)
            session.commit()
            return "needs_reconnect"
        except ProviderError as exc:
            if not isinstance(exc, (AuthExpired, AuthRevoked)):
                conn.status = ConnectionStatus.error
            record_failure(session, conn, exc, job="refresh_tokens")
            return exc.kind
        finally:
            provider.close()
        _apply_tokens(conn, tokens)
        conn.status = ConnectionStatus.active
        conn.last_refresh_at = utcnow()
        conn.last_error = None
        session.add(conn)
        session.commit()
        return "refreshed"
    finally:
        try:
            lock.release()
        except Exception:  # lock expired meanwhile; nothing to release
            log.warning("refresh lock for connection %s expired before release", connection_id)


def refresh_expiring_tokens(now: datetime | None = None) -> dict[str, Any]:
    """The hourly job: refresh every connection whose access ends within its platform's margin."""
    from socialhub.providers import provider_class

    results: dict[str, int] = {}
    with session_scope() as s:
        ids = [
            c.id
            for c in s.exec(select(Connection).where(Connection.access_expires_at.is_not(None))).all()
            if needs_refresh(c, provider_class(c.platform), now)
        ]
    for cid in ids:
        with session_scope() as s:
            outcome = refresh_connection(s, cid)
        results[outcome] = results.get(outcome, 0) + 1
    return results
