"""Dashboard page state: the view (period, platform, account, sort) lives in the URL; the
numbers come from one background load (state/dashboard_data.load in a thread).

Only display strings and figures reach the browser; the tables behind them stay in
backend vars (`_tables`) for the CSV export, so a CSV is exactly what the page drew. A view
change while a load runs bumps `_generation`: the older load's answer is dropped.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import reflex as rx

from socialhub.config import PLATFORM_LABELS, PLATFORMS
from socialhub.models import utcnow
from socialhub.services import dashboard_queries as dq
from socialhub.services import dashboard_tables as tables
from socialhub.services import sync_runs
from socialhub.services.dashboard_tables import Table
from socialhub.state import dashboard_figures as figures
from socialhub.state.auth import current_user_id
from socialhub.state.dashboard_data import Loaded, load
from socialhub.state.dashboard_params import PERIOD_NAMES, Params, parse, to_query
from socialhub.state.runner import run

RATE_FORMULA = dq.RATE_FORMULA
SYNC_POLL_SECONDS = 1.0
SYNC_POLL_LIMIT = 600


@dataclass
class HeadlineCard:
    key: str = ""
    label: str = ""
    value: str = ""
    previous: str = ""
    change: str = ""
    kind: str = "same"  # up | down | same | new


@dataclass
class AccountChoice:
    value: str = ""
    label: str = ""


@dataclass
class ComparisonView:
    platform: str = ""
    platform_label: str = ""
    label: str = ""
    is_total: bool = False
    cells: list[str] = None  # type: ignore[assignment]


@dataclass
class TopPostView:
    id: int = 0
    platform: str = ""
    platform_label: str = ""
    account: str = ""
    title: str = ""
    url: str = ""
    thumbnail: str = ""
    published: str = ""
    status: str = ""
    cells: list[str] = None  # type: ignore[assignment]


def number(value: int | float | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}"


def _change(metric) -> tuple[str, str]:
    if metric.change_pct is None:
        return ("new", "new") if metric.value else ("–", "same")
    pct = metric.change_pct
    if abs(pct) < 0.05:
        return "0%", "same"
    return (f"▲ {pct:,.1f}%", "up") if pct > 0 else (f"▼ {abs(pct):,.1f}%", "down")


HEADLINE = (
    ("views", "Views"),
    ("engagement", "Engagement"),
    ("followers_gained", "Followers gained"),
    ("posts_published", "Posts published"),
)


def headline_cards(head) -> list[HeadlineCard]:
    cards = []
    for key, label in HEADLINE:
        metric = getattr(head, key)
        change, kind = _change(metric)
        cards.append(HeadlineCard(key, label, number(metric.value), number(metric.previous), change, kind))
    return cards


def comparison_views(table: Table) -> list[ComparisonView]:
    keys = {v: k for k, v in PLATFORM_LABELS.items()}
    return [
        ComparisonView(
            platform=keys.get(str(row[0]), ""),
            platform_label=str(row[0]),
            label=str(row[1]),
            is_total=row[1] == "All accounts",
            cells=[number(c) for c in row[2:]],
        )
        for row in table.rows
    ]


def top_views(table: Table, top) -> list[TopPostView]:
    return [
        TopPostView(
            id=post.tracked_post_id,
            platform=post.platform,
            platform_label=str(row[1]),
            account=str(row[2]),
            title=str(row[0]),
            url=str(row[12]),
            thumbnail=css_image(post.thumbnail_url),
            published=str(row[3]),
            status=post.status,
            cells=[number(c) for c in row[4:12]],
        )
        for row, post in zip(table.rows, top, strict=True)
    ]


def compare_text(period) -> str:
    """ "previous 30 days (Oct 3 – Nov 1)": the period the changes are measured against."""
    zone = ZoneInfo(period.tz)
    first = period.prev_start.astimezone(zone).date()
    last = (period.prev_end - timedelta(seconds=1)).astimezone(zone).date()
    days = (last - first).days + 1
    return f"previous {days} day{'s' if days != 1 else ''} ({first:%b %-d} – {last:%b %-d, %Y})"


def css_image(url: str | None) -> str:
    """`url("...")` for a web or data: image, quoted so the URL cannot end the value; else ""."""
    if not url or len(url) > 200_000 or not url.startswith(("https://", "http://", "data:image/")):
        return ""
    quoted = "".join(f"\\{ord(c):x} " if c in '"\\\n\r()' or ord(c) < 32 else c for c in url)
    return f'url("{quoted}")'


def _when(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(tz))
    return (
        f"{local:%H:%M}"
        if local.date() == utcnow().astimezone(ZoneInfo(tz)).date()
        else f"{local:%b %-d, %H:%M}"
    )


class DashboardState(rx.State):
    # the view (mirrors the URL)
    period: str = "30d"
    platform: str = "all"
    account: str = "all"
    start: str = ""
    end: str = ""
    sort: str = "views"
    descending: bool = True
    query: str = ""  # the view as "?period=...", for links back to it
    notes: list[str] = []
    # what is shown
    loaded: bool = False
    loading: bool = False
    error_message: str = ""
    period_label: str = ""
    compare_label: str = ""
    tz: str = "UTC"
    accounts: list[AccountChoice] = []
    connections: int = 0
    reconnect: list[str] = []
    has_snapshots: bool = False
    next_sync: str = ""
    last_sync: str = ""
    sync_running: bool = False
    syncing: bool = False
    sync_notice: str = ""
    cards: list[HeadlineCard] = []
    views_fig: go.Figure = go.Figure()
    followers_fig: go.Figure = go.Figure()
    rate_fig: go.Figure = go.Figure()
    basis: list[str] = []
    comparison: list[ComparisonView] = []
    top: list[TopPostView] = []
    _tables: dict[str, Table] = {}
    _generation: int = 0

    def _params(self) -> Params:
        return Params(
            period=self.period,
            platform="" if self.platform == "all" else self.platform,
            account=int(self.account) if self.account.isdigit() else 0,
            start=self.start,
            end=self.end,
            sort=self.sort,
            descending=self.descending,
        )

    def _set_params(self, p: Params) -> None:
        self.period, self.start, self.end = p.period, p.start, p.end
        self.platform = p.platform or "all"
        self.account = str(p.account) if p.account else "all"
        self.sort, self.descending = p.sort, p.descending
        self.query = to_query(p)

    @rx.event
    async def load(self):
        """on_load: read the view from the URL, then load it."""
        if await current_user_id(self) is None:
            return
        params, notes = parse(dict(self.router.url.query_parameters))
        self._set_params(params)
        self.notes = notes
        return DashboardState.refresh

    @rx.event(background=True)
    async def refresh(self):
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                return
            self._generation += 1
            generation = self._generation
            params = self._params()
            self.loading, self.error_message = True, ""
        outcome = await run(load, user_id, params, utcnow())
        async with self:
            if generation != self._generation:
                return  # the creator changed the view meanwhile: a newer load is coming
            self.loading = False
            if not outcome.ok or outcome.value is None:
                self.error_message = outcome.error or "The dashboard could not be loaded."
                return
            self._apply(outcome.value)
            shown = outcome.value.params
        if shown != params:  # an ignored value left the URL
            yield rx.call_script(f"window.history.replaceState(null, '', {to_query(shown)!r})")

    def _apply(self, data: Loaded) -> None:
        self._set_params(data.params)
        self.notes = [*self.notes, *data.notes] if data.notes else self.notes
        self.tz = data.tz
        self.accounts = [AccountChoice("all", "All accounts")] + [
            AccountChoice(str(a.id), f"{a.label} · {PLATFORM_LABELS.get(a.platform, a.platform)}")
            for a in data.accounts
            if not data.params.platform or a.platform == data.params.platform
        ]
        status = data.status
        self.connections = status.connections
        self.reconnect = [f"{item.platform_label} ({item.label})" for item in status.needs_reconnect]
        self.has_snapshots = status.has_snapshots
        self.next_sync = _when(status.next_sync_at, data.tz)
        self.last_sync = _when(status.last_sync_at, data.tz)
        self.sync_running = status.sync_running
        self.period_label = data.period.label if data.period else ""
        self.compare_label = compare_text(data.period) if data.period else ""
        self._tables = data.tables
        self.basis = list(data.basis)
        if data.headline is None:
            self.cards, self.comparison, self.top = [], [], []
            self.views_fig = self.followers_fig = self.rate_fig = go.Figure()
        else:
            self.cards = headline_cards(data.headline)
            self.views_fig = figures.views_figure(data.tables["views"])
            self.followers_fig = figures.lines_figure(data.tables["followers"], y_title="Followers")
            self.rate_fig = figures.lines_figure(data.tables["rate"], y_title="Engagement rate", percent=True)
            self.comparison = comparison_views(data.tables["comparison"])
            self.top = top_views(data.tables["top"], data.top)
        self.loaded = True

    def _changed(self, p: Params):
        self._set_params(p)
        self.notes = []
        return [
            rx.call_script(f"window.history.replaceState(null, '', {to_query(p)!r})"),
            DashboardState.refresh,
        ]

    @rx.event
    async def set_period(self, value: str | list[str]):
        if await current_user_id(self) is None:
            return None
        if not isinstance(value, str) or value not in PERIOD_NAMES:
            return None
        if value == "custom":  # the dates come from the form; keep showing the current view
            self.period = "custom"
            return None
        return self._changed(replace(self._params(), period=value, start="", end=""))

    @rx.event
    async def apply_custom(self, form: dict):
        if await current_user_id(self) is None:
            return None
        start, end = str(form.get("from", ""))[:10], str(form.get("to", ""))[:10]
        params, notes = parse({"period": "custom", "from": start, "to": end})
        if notes or params.period != "custom":
            self.notes = ["Pick a start and an end date for a custom period."]
            return None
        return self._changed(replace(self._params(), period="custom", start=params.start, end=params.end))

    @rx.event
    async def set_platform(self, value: str):
        if await current_user_id(self) is None:
            return None
        if value != "all" and value not in PLATFORMS:
            return None
        return self._changed(replace(self._params(), platform="" if value == "all" else value, account=0))

    @rx.event
    async def set_account(self, value: str):
        if await current_user_id(self) is None:
            return None
        if value != "all" and not value.isdigit():
            return None
        return self._changed(replace(self._params(), account=0 if value == "all" else int(value)))

    @rx.event
    async def sort_by(self, column: str):
        if await current_user_id(self) is None:
            return None
        if column not in tables.SORTABLE:
            return None
        descending = not self.descending if column == self.sort else True
        return self._changed(replace(self._params(), sort=column, descending=descending))

    @rx.event
    async def retry(self):
        if await current_user_id(self) is None:
            return None
        return DashboardState.refresh

    @rx.event
    async def download_csv(self, name: str):
        if await current_user_id(self) is None:
            return None
        table = self._tables.get(name)
        if table is None:
            return rx.toast.error("Nothing to export yet.")
        return rx.download(data=tables.to_csv(table), filename=tables.csv_filename(table, self.period_label))

    @rx.event(background=True)
    async def sync_now(self):
        """Start a sync of every account now, wait for it, then show the new numbers."""
        async with self:
            user_id = await current_user_id(self)
            if user_id is None or self.syncing:
                return
            self.syncing, self.sync_notice = True, "Syncing your accounts…"
        started = await run(sync_runs.sync_now, trigger="manual", user_id=user_id)
        if started.ok:
            for _ in range(SYNC_POLL_LIMIT):
                polled = await run(_run_status, started.value)
                if not polled.ok or polled.value in (None, "finished"):
                    break
                await asyncio.sleep(SYNC_POLL_SECONDS)
        async with self:
            self.syncing = False
            self.sync_notice = "" if started.ok else started.error
        yield DashboardState.refresh


def _run_status(run_id: int) -> str | None:
    from socialhub.db import session_scope

    with session_scope() as s:
        view = sync_runs.view(s, run_id)
        return view.status if view else None
