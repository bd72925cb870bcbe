"""/dashboard: metrics across the creator's connected accounts."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import template
from socialhub.components.ui import empty_state, page_header


@template(route="/dashboard", title="Dashboard")
def dashboard() -> rx.Component:
    return rx.vstack(
        page_header("Dashboard", "How your posts and accounts are doing."),
        empty_state(
            "chart_line",
            "Your metrics dashboard",
            "Views, likes, comments, shares, saves, reach and follower growth across your connected "
            "accounts will be charted here after the first metrics sync.",
            rx.link(rx.button(rx.icon("plug", size=16), "Connect an account"), href="/connections"),
        ),
        width="100%",
        spacing="0",
    )
