"""The publish dropdown on each library card."""

from __future__ import annotations

import reflex as rx

from socialhub.state.composer import ComposerState


def publish_menu(item_id, title) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("send", size=14),
                "Publish",
                rx.icon("chevron_down", size=14),
                size="1",
                aria_label=rx.Var.create("Publish ") + title,
            ),  # fmt: skip
        ),
        rx.menu.content(
            rx.menu.item(
                rx.icon("zap", size=14), "Publish now…", on_click=ComposerState.open_for(item_id, "now")
            ),
            rx.menu.item(
                rx.icon("calendar_clock", size=14),
                "Schedule…",
                on_click=ComposerState.open_for(item_id, "later"),
            ),
        ),
    )
