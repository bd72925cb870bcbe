"""The "is anything running?" banner shown at the top of the Library and Calendar."""

from __future__ import annotations

import reflex as rx

from socialhub.db import session_scope
from socialhub.services import heartbeats
from socialhub.state.auth import current_user_id
from socialhub.state.runner import run


def current_problem() -> str:
    with session_scope() as s:
        return heartbeats.scheduler_problem(s) or ""


class HeartbeatState(rx.State):
    problem: str = ""

    @rx.event
    async def check(self):
        if await current_user_id(self) is None:
            return
        outcome = await run(current_problem)
        self.problem = outcome.value if outcome.ok else ""
