"""Small reusable pieces: page header, empty-state card, status badge, wordmark."""

from __future__ import annotations

import reflex as rx

# Connection and post statuses -> badge colour (anything else is grey).
STATUS_COLORS = {
    "active": "green",
    "published": "green",
    "expiring": "amber",
    "scheduled": "blue",
    "publishing": "blue",
    "draft": "gray",
    "unconfirmed": "orange",
    "expired": "red",
    "revoked": "red",
    "error": "red",
    "failed": "red",
}


def wordmark(size: str = "5") -> rx.Component:
    """The SocialHub logo: an icon tile and the name."""
    return rx.hstack(
        rx.image(src="/logo.svg", alt="", width="32px", height="32px", flex_shrink="0"),
        rx.heading("SocialHub", size=size, weight="bold", trim="both"),
        align="center",
        spacing="2",
    )


def page_header(title: str, subtitle: str | None = None, *actions: rx.Component) -> rx.Component:
    """Page title with an optional one-line explanation and actions on the right."""
    return rx.flex(
        rx.vstack(
            rx.heading(title, size="7", weight="bold", as_="h1"),
            *([rx.text(subtitle, color_scheme="gray", size="3")] if subtitle else []),
            spacing="1",
        ),
        rx.hstack(*actions, spacing="2"),
        justify="between",
        align="end",
        width="100%",
        spacing="4",
        wrap="wrap",
        margin_bottom="var(--space-6)",
    )


def empty_state(icon: str, title: str, description, *children: rx.Component, **props) -> rx.Component:
    """A card for a page with nothing to show yet: an icon, what is missing in one or two
    sentences, and the action that fixes it."""
    return rx.card(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=28, color=rx.color("accent", 11)),
                background=rx.color("accent", 3),
                border_radius="9999px",
                width="56px",
                height="56px",
            ),
            rx.heading(title, size="5", as_="h2", align="center"),
            rx.text(description, color_scheme="gray", size="3", align="center", max_width="34em"),
            *children,
            align="center",
            spacing="3",
            padding_y="var(--space-7)",
            padding_x="var(--space-5)",
        ),
        size="3",
        width="100%",
        **props,
    )


def status_badge(status: rx.Var[str] | str) -> rx.Component:
    """A coloured pill for a connection or post status."""
    if isinstance(status, str):
        return rx.badge(status.capitalize(), color_scheme=STATUS_COLORS.get(status, "gray"), variant="soft")
    return rx.badge(
        status,
        color_scheme=rx.match(status, *STATUS_COLORS.items(), "gray"),
        variant="soft",
        text_transform="capitalize",
    )


def error_callout(message: rx.Var[str]) -> rx.Component:
    """A red callout shown only while `message` is non-empty (announced to screen readers)."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def loading_screen(label: str = "Loading…") -> rx.Component:
    return rx.center(
        rx.hstack(rx.spinner(size="3"), rx.text(label, color_scheme="gray"), align="center", spacing="3"),
        width="100%",
        min_height="40vh",
    )
