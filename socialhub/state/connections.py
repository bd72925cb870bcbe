"""Connections page state: the user's connected accounts and the connect/disconnect events.

Only display-ready strings reach the browser (ConnectionCard); tokens never leave the
service layer. Every handler asks `current_user_id` first and the service checks ownership.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

import reflex as rx

from socialhub.config import PLATFORM_LABELS, PLATFORMS, get_settings
from socialhub.db import session_scope
from socialhub.models import utcnow
from socialhub.providers.base import ProviderError
from socialhub.services import connections as svc
from socialhub.state.auth import current_user_id

log = logging.getLogger(__name__)

STATUS_LABELS = {
    "active": "Active",
    "expiring": "Expiring soon",
    "expired": "Expired",
    "revoked": "Revoked",
    "error": "Error",
}


@dataclass
class ConnectionCard:
    id: int = 0
    platform: str = ""
    username: str = ""
    display_name: str = ""
    avatar_url: str = ""
    profile_url: str = ""
    followers: str = ""
    status: str = "active"
    status_label: str = ""
    expires_text: str = ""
    last_sync_text: str = ""
    last_error: str = ""
    is_sandbox: bool = False
    needs_reconnect: bool = False


@dataclass
class PlatformGroup:
    platform: str = ""
    label: str = ""
    is_sandbox: bool = True
    accounts: list[ConnectionCard] = field(default_factory=list)


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = int((now - when).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def _expiry(when: datetime | None, now: datetime, renews: bool) -> str:
    if when is None:
        return "Access does not expire"
    seconds = int((when - now).total_seconds())
    if renews:
        return "Access renews automatically"
    if seconds <= 0:
        return "Access expired: reconnect"
    if seconds < 86400:
        return f"Access ends in {max(1, seconds // 3600)} h: reconnect"
    return f"Access ends in {seconds // 86400} days"


def _count(n: int | None) -> str:
    if n is None:
        return "—"
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.1f}K"
    return f"{n:,}"


def _card(view: svc.ConnectionView, now: datetime) -> ConnectionCard:
    return ConnectionCard(
        id=view.id,
        platform=view.platform,
        username=view.username,
        display_name=view.display_name or view.username,
        avatar_url=view.avatar_url or "",
        profile_url=view.profile_url or "",
        followers=_count(view.followers),
        status=view.status,
        status_label=STATUS_LABELS.get(view.status, view.status.title()),
        expires_text=_expiry(view.token_expires_at, now, view.renews),
        last_sync_text=_ago(view.last_sync_at, now),
        last_error=view.last_error or "",
        is_sandbox=view.is_sandbox,
        needs_reconnect=view.status in ("expired", "revoked", "error", "expiring"),
    )


def _groups(user_id: int) -> list[PlatformGroup]:
    settings = get_settings()
    with session_scope() as s:
        views = svc.list_connections(s, user_id=user_id)
    now = utcnow()
    return [
        PlatformGroup(
            platform=p,
            label=PLATFORM_LABELS[p],
            is_sandbox=settings.is_sandbox(p),
            accounts=[_card(v, now) for v in views if v.platform == p],
        )
        for p in PLATFORMS
    ]


def _start(user_id: int, platform: str, reconnect_id: int | None) -> str:
    with session_scope() as s:
        return svc.start_connect(s, user_id=user_id, platform=platform, reconnect_connection_id=reconnect_id)


def _disconnect(user_id: int, connection_id: int) -> str:
    with session_scope() as s:
        return svc.disconnect(s, user_id=user_id, connection_id=connection_id)


def _sync(user_id: int, connection_id: int) -> str:
    with session_scope() as s:
        view = svc.sync_account(s, user_id=user_id, connection_id=connection_id)
        return f"@{view.username} is up to date: {_count(view.followers)} followers."


def _finish(user_id: int, platform: str, params: dict[str, str]) -> str:
    with session_scope() as s:
        views = svc.finish_connect(
            s,
            user_id=user_id,
            platform=platform,
            state=params.get("state"),
            code=params.get("code"),
            error=params.get("error"),
            error_description=params.get("error_description") or params.get("error_message"),
        )
    names = ", ".join(f"@{v.username}" for v in views)
    return f"Connected {PLATFORM_LABELS[platform]}: {names}."


class ConnectionsState(rx.State):
    groups: list[PlatformGroup] = []
    loading: bool = False
    busy_platform: str = ""
    busy_connection: int = 0
    notice: str = ""
    error_message: str = ""
    # Set by the OAuth callback so its message survives exactly one page load.
    _flash: bool = False

    @rx.var
    def connected_count(self) -> int:
        return sum(len(g.accounts) for g in self.groups)

    @rx.event
    async def load(self):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        if not self._flash:
            self.notice = self.error_message = ""
        self._flash = False
        self.loading = True
        yield
        try:
            self.groups = await asyncio.to_thread(_groups, user_id)
        finally:
            self.loading = False

    @rx.event
    def dismiss(self):
        self.notice = ""
        self.error_message = ""

    @rx.event
    async def connect(self, platform: str):
        async for event in self._begin(platform, None):
            yield event

    @rx.event
    async def reconnect(self, connection_id: int):
        platform = next((c.platform for g in self.groups for c in g.accounts if c.id == connection_id), "")
        async for event in self._begin(platform, connection_id):
            yield event

    async def _begin(self, platform: str, reconnect_id: int | None):
        user_id = await current_user_id(self)
        if user_id is None or platform not in PLATFORMS:
            return
        self.error_message = ""
        self.busy_platform = platform
        yield
        try:
            url = await asyncio.to_thread(_start, user_id, platform, reconnect_id)
        except (svc.ConnectError, svc.NotYours, ProviderError) as exc:
            self.busy_platform = ""
            self.error_message = str(exc)
            return
        yield rx.redirect(url, is_external=False)

    @rx.event
    async def disconnect(self, connection_id: int):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        self.busy_connection = connection_id
        yield
        try:
            message = await asyncio.to_thread(_disconnect, user_id, connection_id)
        except svc.NotYours as exc:
            self.error_message = str(exc)
            return
        finally:
            self.busy_connection = 0
        self.notice = message
        self.groups = await asyncio.to_thread(_groups, user_id)

    @rx.event
    async def sync(self, connection_id: int):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        self.busy_connection = connection_id
        self.error_message = ""
        yield
        try:
            self.notice = await asyncio.to_thread(_sync, user_id, connection_id)
        except svc.NotYours as exc:
            self.error_message = str(exc)
        except ProviderError as exc:
            self.error_message = exc.message
        finally:
            self.busy_connection = 0
        self.groups = await asyncio.to_thread(_groups, user_id)


class OAuthCallbackState(rx.State):
    """/oauth/[platform]/callback: finish the flow, then back to Connections with a message."""

    @rx.event
    async def finish(self):
        user_id = await current_user_id(self)
        page = await self.get_state(ConnectionsState)
        params = dict(self.router.url.query_parameters)
        parts = self.router.url.path.strip("/").split("/")  # oauth/<platform>/callback
        platform = parts[1] if len(parts) == 3 else ""
        if user_id is None:
            return rx.redirect("/login", replace=True)
        page.notice = ""
        page.error_message = ""
        try:
            page.notice = await asyncio.to_thread(_finish, user_id, platform, params)
        except svc.ConnectError as exc:
            page.error_message = str(exc)
        except Exception:
            log.exception("OAuth callback for %s failed", platform)
            page.error_message = (
                "Something went wrong while finishing the connection. Nothing was stored; please try again."
            )
        page.busy_platform = ""
        page._flash = True
        return rx.redirect("/connections", replace=True)
