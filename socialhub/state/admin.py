"""Admin page state. Every handler starts with `_admin_id()`, which re-checks on the server,
against the database, that the caller is an admin now; anyone else gets `refused` (the page
shows "not allowed") and nothing runs. The services check again (services/admin.py), so a
handler called straight over the websocket cannot act either.

Emails and error texts live here only for admins: for anyone else every list stays empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from socialhub.config import PLATFORMS
from socialhub.db import session_scope
from socialhub.models import utcnow
from socialhub.services import admin as users_svc
from socialhub.services import admin_health as health
from socialhub.services import admin_work as work
from socialhub.services.admin import AdminError
from socialhub.state import admin_views as v
from socialhub.state.auth import current_viewer
from socialhub.state.runner import run

TABS = ("system", "errors", "quotas", "publishing", "jobs", "connections", "users")
SINCE_CHOICES = {"": None, "24h": 24, "7d": 24 * 7, "30d": 24 * 30}


def _redis():
    from socialhub.queue import get_redis

    return get_redis()


def _with_redis(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The job service with Redis looked up in the worker thread, after the admin check."""

    def call(session, **kwargs: Any) -> Any:
        return fn(session, redis=_redis(), **kwargs)

    return call


def _do(fn: Callable[..., Any], after: Callable[[Any], None] | None = None, **kwargs: Any) -> tuple[Any, str]:
    """One admin service call in its own transaction: (result, "") or (None, why not).
    `after` runs once committed (e.g. enqueue a target whose row must exist first)."""
    with session_scope() as s:
        try:
            result = fn(s, **kwargs)
        except AdminError as exc:
            s.rollback()
            return None, str(exc)
    if after is not None:
        after(result)
    return result, ""


class AdminState(rx.State):
    refused: bool = False
    tab: str = "system"
    message: str = ""
    error_message: str = ""
    # system
    pieces: list[v.PieceView] = []
    queues: list[v.QueueView] = []
    job_runs: list[v.JobRunView] = []
    system_problem: str = ""
    redis_text: str = ""
    redis_error: str = ""
    database_text: str = ""
    # sync errors
    errors: list[v.SyncErrorView] = []
    error_kinds: list[str] = []
    error_platform: str = ""
    error_kind: str = ""
    error_since: str = ""
    show_resolved: bool = False
    # quotas, publishing, jobs, connections, users
    quotas: list[v.QuotaView] = []
    targets: list[v.TargetView] = []
    target_status: str = ""
    failed_jobs: list[v.FailedJobView] = []
    scheduled: list[v.ScheduledJobView] = []
    connections: list[v.ConnectionView] = []
    users: list[v.UserView] = []
    user_search: str = ""

    async def _admin_id(self) -> int | None:
        viewer = await current_viewer(self)
        if viewer is None or not viewer.is_admin:
            self.refused = True
            self._forget()
            return None
        self.refused = False
        return viewer.id

    def _forget(self) -> None:
        self.pieces, self.queues, self.job_runs, self.errors, self.quotas = [], [], [], [], []
        self.targets, self.failed_jobs, self.scheduled, self.connections, self.users = [], [], [], [], []

    async def _call(
        self, fn: Callable[..., Any], after: Callable[[Any], None] | None = None, **kw: Any
    ) -> Any:
        outcome = await run(_do, fn, after, **kw)
        result, refusal = outcome.value if outcome.ok else (None, outcome.error)
        if refusal:  # kept until the next action, so a reload after it does not wipe it
            self.error_message = refusal
        return result

    # --- loading ----------------------------------------------------------------------

    async def _load_tab(self, actor: int) -> None:
        now = utcnow()
        if self.tab == "system":
            status = await self._call(health.system_status, actor_id=actor)
            if status is not None:
                self.pieces = [v.piece(p, now) for p in status.pieces]
                self.queues = [v.queue(q) for q in status.queues]
                self.job_runs = [v.job_run(j, now) for j in status.jobs]
                self.system_problem = status.problem or ""
                self.redis_text, self.redis_error = status.redis, status.redis_error
                self.database_text = status.database
        elif self.tab == "errors":
            rows = await self._call(
                health.sync_errors,
                actor_id=actor,
                platform=self.error_platform,
                kind=self.error_kind,
                since_hours=SINCE_CHOICES.get(self.error_since),
                include_resolved=self.show_resolved,
            )
            self.errors = [v.sync_error(e) for e in rows or []]
            self.error_kinds = await self._call(health.error_kinds, actor_id=actor) or []
        elif self.tab == "quotas":
            self.quotas = [v.quota(q) for q in await self._call(health.quotas, actor_id=actor) or []]
        elif self.tab == "publishing":
            rows = await self._call(work.publishing_attention, actor_id=actor, status=self.target_status)
            self.targets = [v.target(t) for t in rows or []]
        elif self.tab == "jobs":
            redis = _redis()
            self.failed_jobs = [
                v.failed_job(j) for j in await self._call(work.failed_jobs, actor_id=actor, redis=redis) or []
            ]
            self.scheduled = [
                v.scheduled_job(j)
                for j in await self._call(work.scheduled_jobs, actor_id=actor, redis=redis) or []
            ]
        elif self.tab == "connections":
            rows = await self._call(health.connections_needing_attention, actor_id=actor)
            self.connections = [v.connection(c) for c in rows or []]
        elif self.tab == "users":
            rows = await self._call(users_svc.list_users, actor_id=actor, search=self.user_search)
            self.users = [v.user(u) for u in rows or []]

    @rx.event
    async def load(self):
        self.message = self.error_message = ""
        actor = await self._admin_id()
        if actor is not None:
            await self._load_tab(actor)

    @rx.event
    async def set_tab(self, tab: str):
        actor = await self._admin_id()
        if actor is None or tab not in TABS:
            return
        self.tab, self.message, self.error_message = tab, "", ""
        await self._load_tab(actor)

    @rx.event
    async def set_error_filter(self, field: str, value: str):
        actor = await self._admin_id()
        if actor is None:
            return
        value = value if isinstance(value, str) else ""
        value = "" if value == "any" else value
        if field == "platform" and (value == "" or value in PLATFORMS):
            self.error_platform = value
        elif field == "kind" and len(value) <= 40:
            self.error_kind = value
        elif field == "since" and value in SINCE_CHOICES:
            self.error_since = value
        elif field == "resolved":
            self.show_resolved = value == "yes"
        await self._load_tab(actor)

    @rx.event
    async def set_target_status(self, value: str):
        actor = await self._admin_id()
        if actor is None:
            return
        value = "" if value == "any" else value
        if value == "" or value in [s.value for s in work.ATTENTION]:
            self.target_status = value
        await self._load_tab(actor)

    @rx.event
    async def search_users(self, value: str):
        actor = await self._admin_id()
        if actor is None:
            return
        self.user_search = value[:100] if isinstance(value, str) else ""
        await self._load_tab(actor)

    # --- actions ----------------------------------------------------------------------

    async def _act(self, done: str, fn: Callable[..., Any], after: Callable[[Any], None] | None = None, **kw):
        actor = await self._admin_id()
        if actor is None:
            return
        self.message = self.error_message = ""
        result = await self._call(fn, after, actor_id=actor, **kw)
        if not self.error_message:
            self.message = result if isinstance(result, str) and result else done
        await self._load_tab(actor)

    @rx.event
    async def resolve_error(self, error_id: int):
        await self._act("Marked resolved.", health.resolve_sync_error, error_id=error_id)

    @rx.event
    async def retry_error(self, error_id: int):
        await self._act("Retried.", health.retry_sync_error, error_id=error_id)

    @rx.event
    async def target_action(self, target_id: int, action: str):
        await self._target_action(target_id, action, "")

    async def _target_action(self, target_id: int, action: str, url: str) -> None:
        def enqueue(_: Any) -> None:
            if action in ("publish_now", "publish_again"):
                from socialhub.services.publish_queue import enqueue as put

                put(target_id)

        await self._act(
            "Done.",
            work.act_on_target,
            enqueue,
            target_id=target_id,
            action=action,
            published_url=url or None,
        )

    @rx.event
    async def confirm_target(self, target_id: int, form: dict):
        url = form.get("url", "") if isinstance(form, dict) else ""
        await self._target_action(target_id, "confirm", url if isinstance(url, str) else "")

    @rx.event
    async def retry_job(self, job_id: str):
        await self._act("Job put back on its queue.", _with_redis(work.retry_job), job_id=job_id)

    @rx.event
    async def delete_job(self, job_id: str):
        await self._act("Job deleted.", _with_redis(work.delete_job), job_id=job_id)

    @rx.event
    async def set_admin(self, user_id: int, admin: bool):
        await self._act("Admin rights changed.", users_svc.set_admin, user_id=user_id, admin=admin)

    @rx.event
    async def set_disabled(self, user_id: int, disabled: bool):
        done = "User disabled: sessions ended, scheduled posts paused." if disabled else "User enabled."
        await self._act(done, users_svc.set_disabled, user_id=user_id, disabled=disabled)
