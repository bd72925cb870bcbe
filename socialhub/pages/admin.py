"""/admin: the health of this SocialHub, for admins only."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import template
from socialhub.components.ui import empty_state, page_header


@template(route="/admin", title="Admin", admin_only=True)
def admin() -> rx.Component:
    return rx.vstack(
        page_header("Admin", "The health of this SocialHub."),
        empty_state(
            "shield_check",
            "System health",
            "Sync errors, API quota use per platform, failed jobs and unhealthy connections will be "
            "listed here, with whether the worker and the scheduler are running.",
        ),
        width="100%",
        spacing="0",
    )
