"""A preview per platform in the schedule dialog: the media in the frame the platform uses
(cropped the way it will be) and the caption cut where the platform cuts it."""

from __future__ import annotations

import reflex as rx

from socialhub.components.platforms import platform_icon
from socialhub.state.composer import PlatformPreview


def _media(p: PlatformPreview) -> rx.Component:
    return rx.cond(
        p.media != "",
        rx.box(
            rx.image(src=p.media, alt="", width="100%", height="100%", object_fit=p.fit),
            rx.cond(
                p.is_video,
                rx.center(
                    rx.icon("play", size=22, color="white"),
                    position="absolute",
                    top="50%",
                    left="50%",
                    transform="translate(-50%, -50%)",
                    width="40px",
                    height="40px",
                    border_radius="9999px",
                    background="rgba(0,0,0,0.55)",
                ),  # fmt: skip
            ),
            rx.cond(
                p.extra_media > 0,
                rx.badge("+", p.extra_media, position="absolute", top="6px", right="6px", variant="solid"),
            ),
            position="relative",
            width="100%",
            aspect_ratio=p.aspect,
            overflow="hidden",
            background=rx.cond(p.fit == "contain", "black", rx.color("gray", 3)),
            border_radius="6px",
        ),
    )


def platform_preview(p: PlatformPreview) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                platform_icon(p.platform),
                rx.avatar(src=p.avatar_url, fallback=p.account[:2], size="1", radius="full"),
                rx.text(
                    p.account,
                    size="1",
                    weight="bold",
                    trim="both",
                    overflow="hidden",
                    text_overflow="ellipsis",
                    white_space="nowrap",
                ),  # fmt: skip
                align="center",
                spacing="2",
                width="100%",
            ),
            _media(p),
            rx.text(
                p.text,
                rx.cond(p.truncated, rx.text.span("… more", color_scheme="gray")),
                size="1",
                white_space="pre-wrap",
                word_break="break-word",
            ),
            spacing="2",
            width="100%",
        ),
        size="1",
        width="200px",
        flex_shrink="0",
        role="figure",
        aria_label=p.label + " preview",
    )
