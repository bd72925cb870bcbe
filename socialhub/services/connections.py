"""Connecting platform accounts: OAuth start and callback, choosing among several accounts
of one login, listing and disconnecting.

`start_connect` and `list_connections` are services: they take the caller's session and
never commit it. `finish_connect`, `choose_accounts`, `disconnect` and `sync_account` talk to a
platform, so they are operations: they take ids and open their own short transactions around
the platform call (see services/access.py). Tokens are decrypted only in services and the
provider call that needs them; results are typed, the pages put them into words.
"""

from __future__ import annotations

import enum
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from socialhub import security
from socialhub.config import PLATFORM_LABELS, PLATFORMS, Settings, get_settings
from socialhub.db import session_scope
from socialhub.models import AccountSnapshot, Connection, ConnectionStatus, OAuthState, utcnow
from socialhub.providers.base import (
    AccountInfo,
    AuthExpired,
    AuthRevoked,
    ConnectedAccount,
    ProviderError,
    TokenSet,
)
from socialhub.services import access, publishing, rate_gate
from socialhub.services.access import NotYours, apply_tokens, credentials

log = logging.getLogger(__name__)

__all__ = ["NotYours", "credentials"]  # re-exported: pages and tests import them from here

# Shown as "expiring soon" when access ends within this and no refresh is possible.
EXPIRING_WINDOW = timedelta(days=7)


class ConnectError(Exception):
    """The connect flow ended without a connection; the message is for the creator."""


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


def get_view(session: Session, *, user_id: int, connection_id: int) -> ConnectionView:
    return to_view(get_owned(session, user_id=user_id, connection_id=connection_id))


def get_owned(session: Session, *, user_id: int, connection_id: int) -> Connection:
    conn = session.get(Connection, connection_id)
    if conn is None or conn.user_id != user_id:
        raise NotYours("That connection was not found.")
    return conn


# --- OAuth: start and finish ----------------------------------------------------------------


def callback_url(platform: str, settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return f"{settings.base_url}/oauth/{platform}/callback"


def start_connect(
    session: Session,
    *,
    user_id: int,
    platform: str,
    reconnect_connection_id: int | None = None,
    settings: Settings | None = None,
) -> str:
    """Create a single-use OAuth state for this user and return the platform's authorize URL.
    A service: it adds the state to the caller's session, which the caller commits."""
    settings = settings or get_settings()
    if platform not in PLATFORMS:
        raise ConnectError(f"Unknown platform {platform!r}.")
    if reconnect_connection_id is not None:
        get_owned(session, user_id=user_id, connection_id=reconnect_connection_id)
    provider = access.provider_for(platform)
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
    session.flush()
    try:
        return provider.authorization_url(state=state, redirect_uri=redirect_uri, code_verifier=verifier)
    finally:
        provider.close()


@dataclass(frozen=True)
class _Claimed:
    id: int
    redirect_uri: str
    code_verifier: str | None


def _claim_state(*, user_id: int, platform: str, state: str) -> _Claimed:
    """Burn the state (exactly once) after checking it belongs to this user and flow. Its own
    transaction: a used state stays used even when the exchange that follows fails."""
    label = PLATFORM_LABELS.get(platform, platform)
    with session_scope() as s:
        row = s.exec(
            select(OAuthState).where(OAuthState.state_hash == security.token_digest(state or ""))
        ).first()
        if row is None or row.user_id != user_id or row.platform != platform:
            raise ConnectError(
                f"This {label} sign-in could not be matched to your request. Please start connecting again."
            )
        if row.used_at is not None:
            raise ConnectError(f"This {label} sign-in link was already used. Please start connecting again.")
        if row.expires_at < utcnow():
            raise ConnectError(
                f"The {label} sign-in took too long and expired. Please start connecting again."
            )
        claimed = s.exec(  # type: ignore[call-overload]
            update(OAuthState)
            .where(OAuthState.id == row.id, OAuthState.used_at.is_(None))
            .values(used_at=utcnow())
        )
        if claimed.rowcount != 1:  # a concurrent callback won
            raise ConnectError(f"This {label} sign-in link was already used. Please start connecting again.")
        return _Claimed(row.id, row.redirect_uri, security.decrypt(row.code_verifier_enc))


@dataclass
class AccountChoice:
    """One account a multi-account login offers; display data only."""

    account_id: str
    username: str
    display_name: str
    avatar_url: str | None
    followers: int | None
    already_connected: bool


@dataclass
class ConnectResult:
    """Either the connections stored, or a choice the creator must make first."""

    platform: str
    connected: list[ConnectionView] = field(default_factory=list)
    choice_id: int | None = None  # set when the creator must pick accounts
    choices: list[AccountChoice] = field(default_factory=list)


def finish_connect(
    *,
    user_id: int,
    platform: str,
    state: str | None,
    code: str | None,
    error: str | None = None,
    error_description: str | None = None,
) -> ConnectResult:
    """Handle the callback: burn the state, exchange the code (no transaction open), then
    store the account, or keep several for the creator to choose from."""
    label = PLATFORM_LABELS.get(platform, platform)
    if platform not in PLATFORMS:
        raise ConnectError("Unknown platform in the callback address.")
    claimed = _claim_state(user_id=user_id, platform=platform, state=state or "")
    if error:
        reason = (error_description or error).replace("+", " ")
        if error in {"access_denied", "user_cancelled_login", "user_cancelled_authorize", "user_denied"}:
            raise ConnectError(f"{label} access was not granted ({reason}). Nothing was connected.")
        raise ConnectError(f"{label} reported an error: {reason}. Nothing was connected.")
    if not code:
        raise ConnectError(f"{label} sent no authorization code. Please try again.")
    sink = access.QuotaBuffer()
    provider = access.provider_for(platform, sink)
    try:
        accounts = provider.connect(
            code=code, redirect_uri=claimed.redirect_uri, code_verifier=claimed.code_verifier
        )
    except ProviderError as exc:
        raise ConnectError(f"{label} did not complete the connection: {exc.message}") from exc
    finally:
        provider.close()
        sink.flush(None)
    if not accounts:
        raise ConnectError(f"{label} gave access to no account that SocialHub can use.")
    if len(accounts) == 1:
        with session_scope() as s:
            stored = _store_account(s, user_id=user_id, platform=platform, item=accounts[0])
            return ConnectResult(platform, connected=[to_view(stored)])
    with session_scope() as s:
        row = s.get(OAuthState, claimed.id)
        row.pending_accounts_enc = security.encrypt(json.dumps([_dump(a) for a in accounts]))
        s.add(row)
        mine = set(
            s.exec(
                select(Connection.account_id).where(
                    Connection.user_id == user_id, Connection.platform == platform
                )
            ).all()
        )
    choices = [
        AccountChoice(
            account_id=a.account.account_id,
            username=a.account.username,
            display_name=a.account.display_name or a.account.username,
            avatar_url=a.account.avatar_url,
            followers=a.account.followers,
            already_connected=a.account.account_id in mine,
        )
        for a in accounts
    ]
    return ConnectResult(platform, choice_id=claimed.id, choices=choices)


def choose_accounts(*, user_id: int, choice_id: int, account_ids: list[str]) -> ConnectResult:
    """Store the accounts the creator picked from a multi-account login; the rest are
    forgotten with their tokens. A choice can be made once, and only by its user."""
    with session_scope() as s:
        row = s.get(OAuthState, choice_id)
        if row is None or row.user_id != user_id or not row.pending_accounts_enc:
            raise ConnectError("This choice is no longer open. Please start connecting again.")
        if row.expires_at + timedelta(minutes=30) < utcnow():
            raise ConnectError("This choice took too long and expired. Please start connecting again.")
        if not account_ids:
            raise ConnectError("Choose at least one account, or cancel.")
        offered = [_load(d) for d in json.loads(security.decrypt(row.pending_accounts_enc) or "[]")]
        picked = [a for a in offered if a.account.account_id in set(account_ids)]
        if len(picked) != len(set(account_ids)):
            raise ConnectError("One of the chosen accounts was not part of this sign-in.")
        claimed = s.exec(  # type: ignore[call-overload]
            update(OAuthState)
            .where(OAuthState.id == choice_id, OAuthState.pending_accounts_enc.is_not(None))
            .values(pending_accounts_enc=None)
        )
        if claimed.rowcount != 1:
            raise ConnectError("This choice was already made.")
        platform = row.platform
        stored = [_store_account(s, user_id=user_id, platform=platform, item=a) for a in picked]
        return ConnectResult(platform, connected=[to_view(c) for c in stored])


def cancel_choice(*, user_id: int, choice_id: int) -> None:
    """Forget a pending multi-account login (its tokens too)."""
    with session_scope() as s:
        s.exec(  # type: ignore[call-overload]
            update(OAuthState)
            .where(OAuthState.id == choice_id, OAuthState.user_id == user_id)
            .values(pending_accounts_enc=None)
        )


def _dump(item: ConnectedAccount) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(item), default=lambda v: v.isoformat()))


def _load(data: dict[str, Any]) -> ConnectedAccount:
    tokens = dict(data["tokens"])
    for key in ("expires_at", "refresh_expires_at"):
        if tokens.get(key):
            tokens[key] = datetime.fromisoformat(tokens[key])
    return ConnectedAccount(account=AccountInfo(**data["account"]), tokens=TokenSet(**tokens))


def _store_account(session: Session, *, user_id: int, platform: str, item: ConnectedAccount) -> Connection:
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
    apply_tokens(conn, item.tokens)
    conn.is_sandbox = get_settings().is_sandbox(platform)
    conn.status = ConnectionStatus.active
    conn.last_error = None
    conn.last_error_at = None
    conn.last_sync_at = utcnow()
    session.add(conn)
    session.flush()
    session.add(_snapshot(conn.id, account))
    rate_gate.clear(platform, account.account_id)
    # Posts that waited for this account to be reconnected go out now.
    publishing.resume_after_reconnect(session, connection_id=conn.id)
    return conn


def _snapshot(connection_id: int | None, account: AccountInfo) -> AccountSnapshot:
    return AccountSnapshot(
        connection_id=connection_id,
        followers=account.followers,
        following=account.following,
        posts_count=account.posts_count,
        views=account.views,
    )


def _apply_account(conn: Connection, account: AccountInfo) -> None:
    conn.username = account.username or conn.username
    conn.display_name = account.display_name or account.username or conn.display_name
    conn.avatar_url = account.avatar_url
    conn.profile_url = account.profile_url
    conn.followers = account.followers
    conn.extra = {**(conn.extra or {}), **account.extra}
    conn.updated_at = utcnow()


# --- disconnect -------------------------------------------------------------------------------


class RevokeOutcome(enum.StrEnum):
    revoked = "revoked"  # the platform confirmed
    shared_login = "shared_login"  # another connection uses the same login: kept granted
    unsupported = "unsupported"  # the platform has no revoke endpoint
    already_ended = "already_ended"
    failed = "failed"  # the platform could not be reached or refused; tokens deleted anyway
    no_token = "no_token"  # nothing usable was stored
    unreadable = "unreadable"  # no key opens the stored token: nothing to revoke with


@dataclass(frozen=True)
class DisconnectResult:
    platform: str
    username: str
    revoke: RevokeOutcome
    detail: str | None = None  # the platform's words when revoking failed


def disconnect(*, user_id: int, connection_id: int) -> DisconnectResult:
    """Revoke at the platform where it can (no transaction open), then delete the tokens and
    the connection whatever the platform said, and even when its token cannot be read."""
    with session_scope() as s:
        conn = get_owned(s, user_id=user_id, connection_id=connection_id)
        platform, username = conn.platform, conn.username
        try:
            shared = _shares_token_with_others(s, conn)
            creds = credentials(conn) if conn.access_token_enc else None
        except (security.DecryptionError, security.KeyUnavailable):
            shared, creds = None, None
    outcome, detail = RevokeOutcome.no_token, None
    if shared is None:
        outcome = RevokeOutcome.unreadable
    elif shared:
        # One Meta login covers every Page / Instagram account of that person: revoking it
        # would cut off the other connections too.
        outcome = RevokeOutcome.shared_login
    elif creds is not None and creds.access_token:
        outcome, detail = _revoke(platform, creds)
    with session_scope() as s:
        conn = s.get(Connection, connection_id)
        if conn is not None:
            s.delete(conn)
    return DisconnectResult(platform, username, outcome, detail)


def _revoke(platform: str, creds) -> tuple[RevokeOutcome, str | None]:
    sink = access.QuotaBuffer()
    provider = access.provider_for(platform, sink)
    try:
        return (RevokeOutcome.revoked if provider.revoke(creds) else RevokeOutcome.unsupported), None
    except (AuthExpired, AuthRevoked):
        return RevokeOutcome.already_ended, None
    except ProviderError as exc:
        return RevokeOutcome.failed, exc.message
    finally:
        provider.close()
        sink.flush(None)


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


# --- re-reading an account --------------------------------------------------------------------


def sync_account(*, user_id: int, connection_id: int) -> ConnectionView:
    """Re-read the account (followers, avatar) now; used by the Refresh button."""
    account = access.call(connection_id, lambda p, c: p.get_account(c), job="sync_account", user_id=user_id)
    with session_scope() as s:
        conn = get_owned(s, user_id=user_id, connection_id=connection_id)
        _apply_account(conn, account)
        conn.last_sync_at = utcnow()
        s.add(conn)
        s.add(_snapshot(conn.id, account))
        s.flush()
        return to_view(conn)
