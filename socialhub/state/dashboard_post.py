"""One tracked post's detail (/dashboard/post/[post_id]): its curve since publishing, the
snapshot table under it, CSV and PNG. Another user's post gets the same "not found" as a
missing one (dashboard_queries.post_detail refuses it)."""

from __future__ import annotations

import plotly.graph_objects as go
import reflex as rx

from socialhub.config import PLATFORM_LABELS
from socialhub.services import dashboard_tables as tables
from socialhub.services.dashboard_tables import Table
from socialhub.state import dashboard_figures as figures
from socialhub.state.auth import current_user_id
from socialhub.state.dashboard import css_image, number
from socialhub.state.dashboard_data import load_post
from socialhub.state.runner import run


class DashboardPostState(rx.State):
    loaded: bool = False
    loading: bool = False
    error_message: str = ""
    post_id: int = 0
    title: str = ""
    platform: str = ""
    platform_label: str = ""
    account: str = ""
    url: str = ""
    thumbnail: str = ""
    published: str = ""
    status: str = ""
    fig: go.Figure = go.Figure()
    rows: list[list[str]] = []
    columns: list[str] = list(tables.POINT_COLUMNS)
    _table: Table | None = None

    @rx.event(background=True)
    async def load(self):
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                return
            raw = str(self.router.page.params.get("post_id", "") or "")
            self.loading, self.loaded, self.error_message = True, False, ""
        if not raw.isdigit() or len(raw) > 18:
            async with self:
                self.loading, self.loaded = False, True
                self.error_message = "There is no such post among yours."
            return
        outcome = await run(load_post, user_id, int(raw))
        async with self:
            self.loading, self.loaded = False, True
            if not outcome.ok or outcome.value is None:
                self.error_message = outcome.error
                self._table, self.rows, self.fig = None, [], go.Figure()
                return
            data = outcome.value
            d = data.detail
            self.post_id = d.tracked_post_id
            self.title = d.title or "(no caption)"
            self.platform = d.platform
            self.platform_label = PLATFORM_LABELS.get(d.platform, d.platform)
            self.account = d.account_label
            self.url = d.url or ""
            self.thumbnail = css_image(d.thumbnail_url)
            self.published = tables.local_day(d.published_at, data.tz)
            self.status = d.status
            self._table = data.table
            self.rows = [[str(r[0]), *(number(c) for c in r[1:])] for r in data.table.rows]
            self.fig = figures.post_figure(data.table)

    @rx.event
    async def download_csv(self):
        if await current_user_id(self) is None or self._table is None:
            return None
        return rx.download(data=tables.to_csv(self._table), filename=f"socialhub-post-{self.post_id}.csv")
