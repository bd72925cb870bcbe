"""Calendar page state: month and week views, filters, drag to reschedule, a post's detail
with the actions the engine allows, and short polling (every few seconds while the page is
open) so statuses change without a reload, also when the worker publishes meanwhile.
"""

from __future__ import annotations

from datetime import date, timedelta

import reflex as rx

from socialhub.models import utcnow
from socialhub.state.auth import current_user_id
from socialhub.state.calendar_view import CalRow, DetailView, Option, _act, _detail, _load, _local_to_utc
from socialhub.state.heartbeat import HeartbeatState, current_problem
from socialhub.state.runner import run

POLL_MS = 3000


class CalendarState(rx.State):
    view: str = "month"
    anchor: str = ""
    timezone: str = "UTC"
    rows: list[CalRow] = []
    accounts: list[Option] = []
    platform_filter: str = "all"
    account_filter: str = "all"
    notice: str = ""
    error_message: str = ""
    dragging: int = 0
    detail: DetailView = DetailView()
    detail_open: bool = False
    move_day: str = ""
    move_clock: str = ""
    edit_caption: str = ""
    resolve_url: str = ""
    detail_error: str = ""
    _signature: str = ""

    @rx.var
    def heading(self) -> str:
        if not self.anchor:
            return ""
        d = date.fromisoformat(self.anchor)
        if self.view == "month":
            return f"{d:%B %Y}"
        start = d - timedelta(days=d.weekday())
        end = start + timedelta(days=6)
        return f"{start:%d %b} – {end:%d %b %Y}"

    @rx.var
    def day_names(self) -> list[str]:
        if self.view == "month" or not self.anchor:
            return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        start = date.fromisoformat(self.anchor) - timedelta(days=date.fromisoformat(self.anchor).weekday())
        return [f"{start + timedelta(days=i):%a %d}" for i in range(7)]

    async def _reload(self, user_id: int, *, force: bool = True) -> None:
        outcome = await run(_load, user_id, self.view, self.anchor, self.platform_filter, self.account_filter)
        if not outcome.ok:
            self.error_message = outcome.error
            return
        loaded = outcome.value
        if force or loaded.signature != self._signature:
            self.rows, self.accounts, self.timezone = loaded.rows, loaded.accounts, loaded.timezone
            self._signature = loaded.signature
            if self.detail_open and self.detail.target_id:
                fresh = await run(_detail, user_id, self.detail.target_id)
                if fresh.ok:
                    self.detail = fresh.value

    @rx.event
    async def load(self):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        if not self.anchor:
            self.anchor = f"{utcnow():%Y-%m-%d}"
        self.detail_open = False
        await self._reload(user_id)

    @rx.event
    async def poll(self, _tick: str = ""):
        user_id = await current_user_id(self)
        if user_id is None or self.dragging:
            return
        await self._reload(user_id, force=False)
        problem = await run(current_problem)
        heartbeat = await self.get_state(HeartbeatState)
        heartbeat.problem = problem.value if problem.ok else ""

    @rx.event
    async def set_view(self, value: str | list[str]):
        self.view = "week" if value in ("week", ["week"]) else "month"
        await self.load()

    @rx.event
    async def shift(self, step: int):
        d = date.fromisoformat(self.anchor)
        if self.view == "week":
            d += timedelta(days=7 * step)
        else:
            d = (d.replace(day=15) + timedelta(days=31 * step)).replace(day=1)
        self.anchor = f"{d}"
        await self.load()

    @rx.event
    async def today(self):
        self.anchor = f"{utcnow():%Y-%m-%d}"
        await self.load()

    @rx.event
    async def set_filter(self, which: str, value: str):
        if which in ("platform_filter", "account_filter"):
            setattr(self, which, value)
        await self.load()

    # --- drag and drop ----------------------------------------------------------------------

    @rx.event
    def start_drag(self, target_id: int):
        self.dragging = target_id

    @rx.event
    def end_drag(self):
        self.dragging = 0

    @rx.event
    async def drop_on(self, key: str):
        """Month: keep the time of day, change the day. Week: the day and the hour."""
        user_id = await current_user_id(self)
        target_id, self.dragging = self.dragging, 0
        if user_id is None or not target_id:
            return
        entry = next(
            (e for r in self.rows for c in r.cells for e in c.posts if e.target_id == target_id), None
        )
        if entry is None:
            return
        if not entry.movable:
            self.error_message = "This post cannot move now: " + (
                "it is being published."
                if entry.status == "publishing"
                else f"it is {entry.status_label.lower()}."
            )
            return
        day, _, hour = key.partition("T")
        clock = f"{hour}:{entry.clock[3:]}" if hour else entry.clock
        await self._move(user_id, target_id, day, clock)

    async def _move(self, user_id: int, target_id: int, day: str, clock: str) -> None:
        when = await run(_local_to_utc, user_id, day, clock)
        outcome = when if not when.ok else await run(_act, user_id, "reschedule", target_id, at=when.value)
        if outcome.ok:
            self.notice, self.error_message = f"Moved to {day} {clock}.", ""
        else:
            self.error_message = outcome.error
        await self._reload(user_id)

    # --- detail -------------------------------------------------------------------------------

    @rx.event
    async def open_detail(self, target_id: int):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        outcome = await run(_detail, user_id, target_id)
        if not outcome.ok:
            self.error_message = outcome.error
            return
        self.detail, self.detail_open, self.detail_error, self.notice = outcome.value, True, "", ""
        self.edit_caption, self.resolve_url = outcome.value.caption, ""
        self.move_day, self.move_clock = outcome.value.day, outcome.value.clock

    @rx.event
    def set_detail_open(self, value: bool):
        self.detail_open = value

    @rx.event
    def set_move_day(self, v: str):
        self.move_day = v

    @rx.event
    def set_move_clock(self, v: str):
        self.move_clock = v

    @rx.event
    def set_edit_caption(self, v: str):
        self.edit_caption = v

    @rx.event
    def set_resolve_url(self, v: str):
        self.resolve_url = v

    @rx.event
    async def act(self, action: str):
        user_id = await current_user_id(self)
        tid = self.detail.target_id
        if user_id is None or not tid:
            return
        if action == "reschedule":
            when = await run(_local_to_utc, user_id, self.move_day, self.move_clock)
            outcome = when if not when.ok else await run(_act, user_id, "reschedule", tid, at=when.value)
        elif action == "caption":
            outcome = await run(_act, user_id, "caption", tid, caption=self.edit_caption)
        elif action == "published":
            if not self.resolve_url.strip():
                self.detail_error = "Paste the link of the post on the platform first."
                return
            outcome = await run(_act, user_id, "resolve", tid, url=self.resolve_url.strip())
        elif action == "again":
            outcome = await run(_act, user_id, "resolve", tid)
        else:  # cancel, now
            outcome = await run(_act, user_id, action, tid)
        self.detail_error = "" if outcome.ok else outcome.error
        if outcome.ok:
            self.notice = {
                "cancel": "Cancelled.", "now": "Publishing now.", "caption": "Caption saved.",
                "reschedule": "Rescheduled.", "published": "Marked as published.", "again": "Publishing again.",
            }.get(action, "Done.")  # fmt: skip
        await self._reload(user_id)
        fresh = await run(_detail, user_id, tid)
        if fresh.ok:
            self.detail = fresh.value
