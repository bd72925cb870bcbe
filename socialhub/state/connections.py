"""Connections page state: the user's connected accounts and the connect/disconnect events.

Only display-ready strings reach the browser (ConnectionCard); tokens never leave the
service layer. Every handler asks `current_user_id` first and the service checks ownership.
Handlers that wait on a platform are background events: the page stays responsive and other
clicks are not queued behind a slow HTTP call. Services run through `state.runner.run`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import reflex as rx

from socialhub.config import PLATFORM_LABELS, PLATFORMS, get_settings
from socialhub.db import session_scope
from socialhub.models import utcnow
from socialhub.providers import provider_class
from socialhub.services import connections as svc
from socialhub.services.connections import RevokeOutcome
from socialhub.state.auth import current_user_id
from socialhub.state.runner import run

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
    # "@handle" where the platform has handles, the member's name where it has none (LinkedIn).
    account_label: str = ""
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


def account_label(platform: str, username: str, display_name: str) -> str:
    if provider_class(platform).HAS_HANDLES and username:
        return f"@{username}"
    return display_name or username


@dataclass
class ChoiceCard:
    account_id: str = ""
    name: str = ""
    detail: str = ""
    avatar_url: str = ""


def _card(view: svc.ConnectionView, now: datetime) -> ConnectionCard:
    return ConnectionCard(
        id=view.id,
        platform=view.platform,
        username=view.username,
        account_label=account_label(view.platform, view.username, view.display_name),
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
    with session_scope() as s:  # the boundary: commits the new OAuth state
        return svc.start_connect(s, user_id=user_id, platform=platform, reconnect_connection_id=reconnect_id)


# --- typed results into words ------------------------------------------------------------------

_REVOKE_WORDS = {
    RevokeOutcome.revoked: "Access was revoked at {label}.",
    RevokeOutcome.shared_login: "Access stays granted for your other {label} account(s) that use the same login.",
    RevokeOutcome.unsupported: "{label} offers no way to revoke access from here; remove SocialHub in its app settings.",
    RevokeOutcome.already_ended: "Its access had already ended.",
    RevokeOutcome.failed: "{label} could not revoke access right now ({detail}); the tokens were deleted anyway.",
    RevokeOutcome.no_token: "",
    RevokeOutcome.unreadable: "Its stored access could not be read, so remove SocialHub in {label}'s app settings too.",
}


def disconnect_message(result: svc.DisconnectResult) -> str:
    label = PLATFORM_LABELS.get(result.platform, result.platform)
    who = account_label(result.platform, result.username, result.username)
    tail = _REVOKE_WORDS[result.revoke].format(label=label, detail=result.detail or "")
    return f"{label} account {who} disconnected. {tail}".strip()


def connected_message(result: svc.ConnectResult) -> str:
    names = ", ".join(account_label(v.platform, v.username, v.display_name) for v in result.connected)
    return f"Connected {PLATFORM_LABELS[result.platform]}: {names}."


def _choice_cards(result: svc.ConnectResult) -> list[ChoiceCard]:
    def detail(c: svc.AccountChoice) -> str:
        parts = [account_label(result.platform, c.username, c.display_name)]
        if c.followers is not None:
            parts.append(f"{_count(c.followers)} followers")
        if c.already_connected:
            parts.append("already connected")
        return " · ".join(parts)

    return [ChoiceCard(c.account_id, c.display_name, detail(c), c.avatar_url or "") for c in result.choices]


class ConnectionsState(rx.State):
    groups: list[PlatformGroup] = []
    loading: bool = False
    busy_platform: str = ""
    busy_connection: int = 0
    notice: str = ""
    error_message: str = ""
    # After a login that manages several accounts: which ones to connect.
    choice_id: int = 0
    choice_platform: str = ""
    choices: list[ChoiceCard] = []
    chosen: list[str] = []
    # Set by the OAuth callback so its message survives exactly one page load.
    _flash: bool = False

    @rx.var
    def connected_count(self) -> int:
        return sum(len(g.accounts) for g in self.groups)

    @rx.var
    def choosing(self) -> bool:
        return self.choice_id != 0

    @rx.event
    async def load(self):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        if not self._flash:
            self.notice = self.error_message = ""
            self._clear_choice()
        self._flash = False
        self.loading = True
        yield
        outcome = await run(_groups, user_id)
        self.loading = False
        if outcome.ok:
            self.groups = outcome.value
        else:
            self.error_message = outcome.error

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
        outcome = await run(_start, user_id, platform, reconnect_id)
        if not outcome.ok:
            self.busy_platform = ""
            self.error_message = outcome.error
            return
        yield rx.redirect(outcome.value, is_external=False)

    @rx.event(background=True)
    async def disconnect(self, connection_id: int):
        async with self:
            user_id = await current_user_id(self)
            if user_id is None or self.busy_connection:
                return
            self.busy_connection = connection_id
            self.error_message = ""
        outcome = await run(svc.disconnect, user_id=user_id, connection_id=connection_id)
        groups = await run(_groups, user_id)
        async with self:
            self.busy_connection = 0
            if outcome.ok:
                self.notice = disconnect_message(outcome.value)
            else:
                self.error_message = outcome.error
            if groups.ok:
                self.groups = groups.value

    @rx.event(background=True)
    async def sync(self, connection_id: int):
        async with self:
            user_id = await current_user_id(self)
            if user_id is None or self.busy_connection:
                return
            self.busy_connection = connection_id
            self.error_message = ""
        outcome = await run(svc.sync_account, user_id=user_id, connection_id=connection_id)
        groups = await run(_groups, user_id)
        async with self:
            self.busy_connection = 0
            if outcome.ok:
                view = outcome.value
                who = account_label(view.platform, view.username, view.display_name)
                self.notice = f"{who} is up to date: {_count(view.followers)} followers."
            else:
                self.error_message = outcome.error
            if groups.ok:
                self.groups = groups.value

    # --- choosing among the accounts of one login ---------------------------------------------

    def _clear_choice(self) -> None:
        self.choice_id = 0
        self.choice_platform = ""
        self.choices = []
        self.chosen = []

    def _offer(self, result: svc.ConnectResult) -> None:
        self.choice_id = result.choice_id or 0
        self.choice_platform = PLATFORM_LABELS[result.platform]
        self.choices = _choice_cards(result)
        self.chosen = [c.account_id for c in result.choices if c.already_connected] or [
            c.account_id for c in result.choices
        ]

    @rx.event
    def toggle_choice(self, account_id: str, checked: bool):
        if checked and account_id not in self.chosen:
            self.chosen = [*self.chosen, account_id]
        elif not checked:
            self.chosen = [a for a in self.chosen if a != account_id]

    @rx.event(background=True)
    async def confirm_choice(self):
        async with self:
            user_id = await current_user_id(self)
            if user_id is None or not self.choice_id:
                return
            choice_id, chosen = self.choice_id, list(self.chosen)
            self.busy_platform = "choice"
        outcome = await run(svc.choose_accounts, user_id=user_id, choice_id=choice_id, account_ids=chosen)
        groups = await run(_groups, user_id)
        async with self:
            self.busy_platform = ""
            if outcome.ok:
                self._clear_choice()
                self.notice = connected_message(outcome.value)
            else:
                self.error_message = outcome.error
                if "no longer open" in outcome.error or "already made" in outcome.error:
                    self._clear_choice()
            if groups.ok:
                self.groups = groups.value

    @rx.event
    async def cancel_choice(self):
        user_id = await current_user_id(self)
        choice_id = self.choice_id
        self._clear_choice()
        if user_id is not None and choice_id:
            await run(svc.cancel_choice, user_id=user_id, choice_id=choice_id)
            self.notice = "Nothing was connected."


class OAuthCallbackState(rx.State):
    """/oauth/[platform]/callback: finish the flow, then back to Connections with a message
    (or with the list of accounts to choose from)."""

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
        page._clear_choice()
        outcome = await run(
            svc.finish_connect,
            user_id=user_id,
            platform=platform,
            state=params.get("state"),
            code=params.get("code"),
            error=params.get("error"),
            error_description=params.get("error_description") or params.get("error_message"),
        )
        if not outcome.ok:
            page.error_message = outcome.error
        elif outcome.value.choice_id:
            page._offer(outcome.value)
        else:
            page.notice = connected_message(outcome.value)
        page.busy_platform = ""
        page._flash = True
        return rx.redirect("/connections", replace=True)
