"""The creator's own settings page: whether to be public on the leaderboard, with which
accounts, and a preview of exactly what becomes public. Every handler asks who is logged in
first; the service checks the accounts are the creator's own."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from socialhub.config import PLATFORM_LABELS
from socialhub.db import session_scope
from socialhub.services import leaderboard_public as pub
from socialhub.state.auth import current_user_id
from socialhub.state.runner import run


@dataclass
class AccountToggle:
    id: int = 0
    platform_label: str = ""
    name: str = ""
    checked: bool = False


def _load(user_id: int) -> pub.LeaderboardSetting:
    with session_scope() as s:
        return pub.setting(s, user_id=user_id)


def _save(user_id: int, public: bool, ids: list[int]) -> str:
    """The service's refusal as a sentence ("" when saved), for the page."""
    with session_scope() as s:
        try:
            pub.set_visibility(s, user_id=user_id, public=public, connection_ids=ids)
        except pub.LeaderboardError as exc:
            s.rollback()
            return str(exc)
    return ""


class SettingsState(rx.State):
    public: bool = False
    saved_public: bool = False
    handle: str = ""
    display_name: str = ""
    accounts: list[AccountToggle] = []
    error_message: str = ""
    saving: bool = False

    @rx.var
    def preview_accounts(self) -> list[str]:
        return [f"{a.platform_label}: {a.name}" for a in self.accounts if a.checked] if self.public else []

    @rx.event
    async def load(self):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        outcome = await run(_load, user_id)
        if not outcome.ok or outcome.value is None:
            self.error_message = outcome.error
            return
        setting = outcome.value
        self.public = self.saved_public = setting.public
        self.handle, self.display_name = setting.handle, setting.display_name
        self.accounts = [
            AccountToggle(
                a.connection_id,
                PLATFORM_LABELS.get(a.platform, a.platform),
                a.name,
                a.public or not setting.public,
            )
            for a in setting.accounts
        ]
        self.error_message = ""

    @rx.event
    def set_public(self, value: bool):
        self.public = bool(value)

    @rx.event
    def toggle_account(self, connection_id: int, checked: bool):
        self.accounts = [
            AccountToggle(
                a.id, a.platform_label, a.name, bool(checked) if a.id == connection_id else a.checked
            )
            for a in self.accounts
        ]

    @rx.event
    async def save(self):
        user_id = await current_user_id(self)
        if user_id is None:
            self.error_message = "Log in again to change your settings."
            return
        self.saving = True
        yield
        ids = [a.id for a in self.accounts if a.checked] if self.public else []
        outcome = await run(_save, user_id, self.public, ids)
        self.saving = False
        self.error_message = outcome.error or (outcome.value or "")
        if not self.error_message:
            self.saved_public = self.public
            yield rx.toast.success(
                "You are on the leaderboard from its next refresh." if self.public else "You are private now."
            )
