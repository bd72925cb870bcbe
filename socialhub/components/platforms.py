"""Platform marks for cards, badges and the calendar (Lucide has no brand logos: a symbol
and the platform's colour)."""

from __future__ import annotations

import reflex as rx

ICONS = {
    "instagram": "camera",
    "facebook": "thumbs_up",
    "tiktok": "music_2",
    "youtube": "circle_play",
    "linkedin": "briefcase_business",
    "x": "at_sign",
}
COLORS = {
    "instagram": "pink",
    "facebook": "blue",
    "tiktok": "gray",
    "youtube": "red",
    "linkedin": "indigo",
    "x": "gray",
}
# Post statuses -> colour on the calendar and in badges.
STATUS_COLORS = {
    "scheduled": "blue",
    "publishing": "cyan",
    "retrying": "amber",
    "published": "green",
    "failed": "red",
    "unconfirmed": "orange",
    "missed": "purple",
    "needs_reconnect": "amber",
    "cancelled": "gray",
}


def platform_icon(platform, size: int = 14, box: str = "22px") -> rx.Component:
    color = rx.match(platform, *COLORS.items(), "gray")
    return rx.center(
        rx.match(
            platform, *[(p, rx.icon(i, size=size)) for p, i in ICONS.items()], rx.icon("globe", size=size)
        ),
        width=box,
        height=box,
        border_radius="6px",
        background=rx.color(color, 4),  # type: ignore[arg-type]
        color=rx.color(color, 11),  # type: ignore[arg-type]
        flex_shrink="0",
    )


def status_color(status):
    return rx.match(status, *STATUS_COLORS.items(), "gray")


def post_thumb(platform, css_image, box: str = "40px") -> rx.Component:
    """A post's picture over its platform mark. `css_image` is a quoted CSS `url("...")` (or
    ""): as a background, a picture that fails to load simply leaves the mark visible."""
    return rx.box(
        platform_icon(platform, size=18, box=box),
        rx.cond(
            css_image != "",
            rx.box(
                position="absolute",
                inset="0",
                border_radius="6px",
                background_image=css_image,
                background_size="cover",
                background_position="center",
            ),
        ),
        position="relative",
        width=box,
        height=box,
        flex_shrink="0",
    )
