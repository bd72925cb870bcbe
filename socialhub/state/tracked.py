"""Tracked posts page state: paste a URL, import an account's recent posts, "Sync now" with
progress and a summary, the list of tracked posts with their latest numbers.

Only display strings reach the browser. Every handler asks `current_user_id` first; services
check ownership. Slow work runs in background events through `state.runner.run`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import reflex as rx
from sqlmodel import select

from socialhub.config import PLATFORM_LABELS
from socialhub.db import session_scope
from socialhub.models import Connection, utcnow
from socialhub.services import sync_runs, tracking
from socialhub.state.auth import current_user_id
from socialhub.state.connections import _ago, _count, account_label
from socialhub.state.runner import run

POLL_SECONDS = 1.0
POLL_LIMIT = 900  # 15 minutes of progress at most; the run goes on without the page


@dataclass
class TrackedCard:
    id: int = 0
    platform: str = ""
    platform_label: str = ""
    title: str = ""
    url: str = ""
    status: str = ""
    views: str = ""
    likes: str = ""
    comments: str = ""
    shares: str = ""
    published_text: str = ""
    last_sync_text: str = ""


@dataclass
class AccountRow:
    id: int = 0
    label: str = ""
    platform_label: str = ""
    last_sync_text: str = ""
    last_error: str = ""
    needs_reconnect: bool = False


def _num(value: int | None) -> str:
    return "–" if value is None else _count(value)


def _cards(user_id: int) -> tuple[list[TrackedCard], list[AccountRow]]:
    now = utcnow()
    with session_scope() as s:
        rows = tracking.list_tracked(s, user_id=user_id)
        conns = s.exec(
            select(Connection).where(Connection.user_id == user_id).order_by(Connection.platform)
        ).all()
        accounts = [
            AccountRow(
                id=c.id,
                label=account_label(c.platform, c.username, c.display_name),
                platform_label=PLATFORM_LABELS.get(c.platform, c.platform),
                last_sync_text=_ago(c.last_sync_at, now),
                last_error=c.last_error or "",
                needs_reconnect=c.status in ("expired", "revoked"),
            )
            for c in conns
        ]
    cards = [
        TrackedCard(
            id=r.id,
            platform=r.platform,
            platform_label=PLATFORM_LABELS.get(r.platform, r.platform),
            title=r.title or "(no caption)",
            url=r.url or "",
            status=r.status,
            views=_num(r.views),
            likes=_num(r.likes),
            comments=_num(r.comments),
            shares=_num(r.shares),
            published_text=f"{r.published_at:%Y-%m-%d}" if isinstance(r.published_at, datetime) else "",
            last_sync_text=_ago(r.last_synced_at, now) if r.last_synced_at else "waiting for its first sync",
        )
        for r in rows
    ]
    return cards, accounts


def _track(user_id: int, url: str) -> str:
    """The notice for a tracked URL; TrackError's sentence becomes the page's error."""
    post = tracking.track_url(user_id=user_id, url=url)
    return f"Now tracking this {PLATFORM_LABELS.get(post.platform, post.platform)} post."


def _import(user_id: int, connection_id: int) -> str:
    result = tracking.import_recent(user_id=user_id, connection_id=connection_id)
    return f"{result.added} post(s) of the last 90 days added; {result.already} were already tracked."


def _untrack(user_id: int, tracked_id: int, delete_history: bool) -> None:
    with session_scope() as s:
        tracking.untrack(s, user_id=user_id, tracked_id=tracked_id, delete_history=delete_history)


def _run_view(run_id: int) -> sync_runs.RunView | None:
    with session_scope() as s:
        return sync_runs.view(s, run_id)


async def _checked(fn, *args):
    """run() with a TrackError's sentence shown to the creator like any expected error."""
    return await run(_raise_track_errors, fn, *args)


def _raise_track_errors(fn, *args):
    from socialhub.services.access import NotYours

    try:
        return fn(*args)
    except tracking.TrackError as exc:
        raise NotYours(str(exc)) from exc  # run() shows an expected error's own sentence


class TrackedState(rx.State):
    cards: list[TrackedCard] = []
    accounts: list[AccountRow] = []
    url: str = ""
    loading: bool = False
    busy: bool = False
    syncing: bool = False
    progress: str = ""
    notice: str = ""
    error_message: str = ""

    @rx.event
    async def load(self):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        self.loading = True
        yield
        outcome = await run(_cards, user_id)
        self.loading = False
        if outcome.ok:
            self.cards, self.accounts = outcome.value
        else:
            self.error_message = outcome.error

    @rx.event
    def set_url(self, value: str):
        self.url = value[:4096]

    @rx.event(background=True)
    async def track(self, form: dict | None = None):
        async with self:
            user_id = await current_user_id(self)
            if user_id is None or self.busy:
                return
            self.busy, self.notice, self.error_message = True, "", ""
            url = str((form or {}).get("url", self.url))
        outcome = await _checked(_track, user_id, url)
        cards = await run(_cards, user_id)
        async with self:
            self.busy = False
            if outcome.ok:
                self.notice, self.url = outcome.value, ""
            else:
                self.error_message = outcome.error
            if cards.ok:
                self.cards, self.accounts = cards.value

    @rx.event(background=True)
    async def import_recent(self, connection_id: int):
        async with self:
            user_id = await current_user_id(self)
            if user_id is None or self.busy:
                return
            self.busy, self.notice, self.error_message = True, "", ""
        outcome = await _checked(_import, user_id, connection_id)
        cards = await run(_cards, user_id)
        async with self:
            self.busy = False
            self.notice, self.error_message = (outcome.value, "") if outcome.ok else ("", outcome.error)
            if cards.ok:
                self.cards, self.accounts = cards.value

    @rx.event(background=True)
    async def untrack(self, tracked_id: int, delete_history: bool = False):
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                return
        outcome = await _checked(_untrack, user_id, tracked_id, delete_history)
        cards = await run(_cards, user_id)
        async with self:
            if outcome.ok:
                self.notice = (
                    "Untracked; its history was deleted."
                    if delete_history
                    else "Untracked; its history is kept."
                )
            else:
                self.error_message = outcome.error
            if cards.ok:
                self.cards, self.accounts = cards.value

    @rx.event(background=True)
    async def sync_now(self, connection_id: int = 0):
        """Hand a run to the workers and follow its progress to the summary."""
        async with self:
            user_id = await current_user_id(self)
            if user_id is None or self.syncing:
                return
            self.syncing, self.notice, self.error_message, self.progress = True, "", "", "Starting…"
        started = await run(
            sync_runs.sync_now, trigger="manual", user_id=user_id, connection_id=connection_id or None
        )
        view = None
        if started.ok:
            for _ in range(POLL_LIMIT):
                polled = await run(_run_view, started.value)
                view = polled.value if polled.ok else None
                if view is None or view.status == "finished":
                    break
                async with self:
                    self.progress = f"{view.connections_done} of {view.connections_total} accounts, {view.posts} posts so far…"
                await asyncio.sleep(POLL_SECONDS)
        cards = await run(_cards, user_id)
        async with self:
            self.syncing, self.progress = False, ""
            if not started.ok:
                self.error_message = started.error
            elif view is not None and view.status == "finished":
                self.notice = f"Sync finished: {view.summary}."
            else:
                self.notice = "The sync goes on in the background; numbers appear as it finishes."
            if cards.ok:
                self.cards, self.accounts = cards.value
