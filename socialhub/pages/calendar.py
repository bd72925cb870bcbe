"""/calendar: scheduled and published posts over time."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import template
from socialhub.components.ui import empty_state, page_header


@template(route="/calendar", title="Calendar")
def calendar() -> rx.Component:
    return rx.vstack(
        page_header("Calendar", "What goes out when, in your time zone."),
        empty_state(
            "calendar_days",
            "Your publishing calendar",
            "Scheduled and published posts will appear here by day and week. Pick a time to "
            "schedule one post to several platforms at once, and see at a glance what failed.",
        ),
        width="100%",
        spacing="0",
    )
