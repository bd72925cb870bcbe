"""Leaderboard and public profile states: public pages, no login.

Only what the services in services/leaderboard_public.py return reaches these states, and
only display strings reach the browser (BoardRowView, ProfileView...): handles, public
names, public totals. Choices from the browser are checked against the allowed values
before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import reflex as rx

from socialhub.config import PLATFORM_LABELS, PLATFORMS
from socialhub.db import session_scope
from socialhub.models import utcnow
from socialhub.services import leaderboard_public as pub
from socialhub.services.leaderboard import ALL_PLATFORMS, METRIC_LABELS, METRICS, PERIOD_LABELS, PERIODS
from socialhub.state.runner import run

MEDALS = {1: "gold", 2: "silver", 3: "bronze"}


def compact(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.1f}K"
    return f"{n:,}"


def when_text(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "not yet"
    seconds = int((now - when).total_seconds())
    if seconds < 0:
        minutes = max(1, -seconds // 60)
        return f"in {minutes} min"
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


@dataclass
class BoardRowView:
    rank: int = 0
    rank_text: str = ""
    medal: str = ""  # gold | silver | bronze for the top three
    handle: str = ""
    display_name: str = ""
    initials: str = ""
    avatar_url: str = ""
    value: str = ""
    views: str = ""
    posts: str = ""
    likes: str = ""
    shares: str = ""
    movement: str = ""  # "▲ 2", "▼ 1", "new", "–"
    movement_kind: str = "same"  # up | down | new | same


def _row_view(row: pub.BoardRow, metric: str) -> BoardRowView:
    if row.prev_rank == 0:
        movement, kind = "new", "new"
    elif row.prev_rank > row.rank:
        movement, kind = f"▲ {row.prev_rank - row.rank}", "up"
    elif row.prev_rank < row.rank:
        movement, kind = f"▼ {row.rank - row.prev_rank}", "down"
    else:
        movement, kind = "–", "same"
    parts = row.display_name.split()
    return BoardRowView(
        rank=row.rank,
        rank_text=str(row.rank),
        medal=MEDALS.get(row.rank, ""),
        handle=row.handle,
        display_name=row.display_name,
        initials="".join(p[0] for p in parts[:2]).upper() or "?",
        avatar_url=row.avatar_url,
        value=compact(getattr(row, metric)),
        views=compact(row.views),
        posts=compact(row.posts),
        likes=compact(row.likes),
        shares=compact(row.shares),
        movement=movement,
        movement_kind=kind,
    )


def _board(period: str, metric: str, platform: str, offset: int) -> pub.Board:
    with session_scope() as s:
        return pub.board(s, period=period, metric=metric, platform=platform, offset=offset)


class LeaderboardState(rx.State):
    period: str = "7d"
    metric: str = "views"
    platform: str = ALL_PLATFORMS
    offset: int = 0
    total: int = 0
    rows: list[BoardRowView] = []
    updated_text: str = ""
    next_text: str = ""
    loading: bool = False
    error_message: str = ""

    @rx.var
    def metric_label(self) -> str:
        return METRIC_LABELS.get(self.metric, "Views")

    @rx.var
    def has_previous(self) -> bool:
        return self.offset > 0

    @rx.var
    def has_next(self) -> bool:
        return self.offset + pub.PAGE_SIZE < self.total

    async def _reload(self):
        self.loading = True
        self.error_message = ""
        outcome = await run(_board, self.period, self.metric, self.platform, self.offset)
        self.loading = False
        if not outcome.ok or outcome.value is None:
            self.error_message = outcome.error
            return
        now = utcnow()
        board = outcome.value
        self.total = board.total
        self.rows = [_row_view(r, self.metric) for r in board.rows]
        self.updated_text = when_text(board.refreshed_at, now)
        self.next_text = when_text(board.next_refresh_at, now)

    @rx.event
    async def load(self):
        await self._reload()

    @rx.event
    async def set_period(self, value: str | list[str]):
        if isinstance(value, str) and value in PERIODS:
            self.period, self.offset = value, 0
            await self._reload()

    @rx.event
    async def set_metric(self, value: str):
        if value in METRICS:
            self.metric, self.offset = value, 0
            await self._reload()

    @rx.event
    async def set_platform(self, value: str):
        if value == ALL_PLATFORMS or value in PLATFORMS:
            self.platform, self.offset = value, 0
            await self._reload()

    @rx.event
    async def next_page(self):
        if self.offset + pub.PAGE_SIZE < self.total:
            self.offset += pub.PAGE_SIZE
            await self._reload()

    @rx.event
    async def previous_page(self):
        if self.offset > 0:
            self.offset = max(0, self.offset - pub.PAGE_SIZE)
            await self._reload()


PERIOD_CHOICES = [(k, v) for k, v in PERIOD_LABELS.items()]
METRIC_CHOICES = [(k, v) for k, v in METRIC_LABELS.items()]
PLATFORM_CHOICES = [(ALL_PLATFORMS, "All platforms")] + [(p, PLATFORM_LABELS[p]) for p in PLATFORMS]


# --- public profile ------------------------------------------------------------------------


@dataclass
class AccountView:
    platform: str = ""
    platform_label: str = ""
    name: str = ""
    avatar_url: str = ""
    profile_url: str = ""


@dataclass
class TotalView:
    period: str = ""
    label: str = ""
    views: str = "0"
    engagement: str = "0"
    likes: str = "0"
    shares: str = "0"
    posts: str = "0"
    rank: str = ""


@dataclass
class TopPostView:
    platform_label: str = ""
    title: str = ""
    url: str = ""
    views: str = ""
    likes: str = ""


def _profile(handle: str) -> pub.PublicProfile | None:
    with session_scope() as s:
        return pub.public_profile(s, handle)


class ProfileState(rx.State):
    found: bool = False
    loaded: bool = False
    handle: str = ""
    display_name: str = ""
    initials: str = ""
    accounts: list[AccountView] = []
    totals: list[TotalView] = []
    top_posts: list[TopPostView] = []
    error_message: str = ""

    @rx.event
    async def load(self):
        handle = str(self.router.page.params.get("creator", "") or "")
        self.loaded = False
        outcome = await run(_profile, handle)
        self.error_message = outcome.error
        profile = outcome.value
        self.found = profile is not None
        self.loaded = True
        if profile is None:
            self.handle = self.display_name = self.initials = ""
            self.accounts, self.totals, self.top_posts = [], [], []
            return
        self.handle = profile.handle
        self.display_name = profile.display_name
        parts = profile.display_name.split()
        self.initials = "".join(p[0] for p in parts[:2]).upper() or "?"
        self.accounts = [
            AccountView(
                a.platform, PLATFORM_LABELS.get(a.platform, a.platform), a.name, a.avatar_url, a.profile_url
            )
            for a in profile.accounts
        ]
        self.totals = [
            TotalView(
                period=p,
                label=PERIOD_LABELS[p],
                views=compact(t["views"]),
                engagement=compact(t["engagement"]),
                likes=compact(t["likes"]),
                shares=compact(t["shares"]),
                posts=compact(t["posts"]),
                rank=f"#{t['rank']}" if t["rank"] else "",
            )
            for p in PERIODS
            if (t := profile.totals.get(p))
        ]
        self.top_posts = [
            TopPostView(
                PLATFORM_LABELS.get(p.platform, p.platform),
                p.title or "Untitled post",
                p.url,
                compact(p.views),
                compact(p.likes),
            )
            for p in profile.top_posts
        ]
