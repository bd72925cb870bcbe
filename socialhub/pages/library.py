"""/library: upload images and videos, keep titles, captions and tags with them, publish or
schedule each item from its card."""

from __future__ import annotations

import reflex as rx

from socialhub.components.heartbeat_banner import heartbeat_banner
from socialhub.components.platforms import platform_icon, status_color
from socialhub.components.publish_menu import publish_menu
from socialhub.components.schedule_dialog import schedule_dialog
from socialhub.components.shell import template
from socialhub.components.ui import error_callout, page_header
from socialhub.components.uploader import uploader
from socialhub.config import PLATFORM_LABELS, PLATFORMS
from socialhub.state.heartbeat import HeartbeatState
from socialhub.state.library import (
    LibraryCard,
    LibraryState,
    MediaThumb,
    PlacementBadge,
)


def _filter(which: str, label: str, options: list[tuple[str, str]]) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, min_width="130px"),
        rx.select.content(*[rx.select.item(text, value=value) for value, text in options]),
        value=getattr(LibraryState, which),
        on_change=lambda v: LibraryState.set_filter(which, v),
        size="2",
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            placeholder="Search titles, captions, tags",
            value=LibraryState.search,
            on_change=LibraryState.set_search.debounce(300),
            aria_label="Search",
            width="280px",
        ),
        _filter(
            "kind_filter",
            "Type",
            [("all", "All types"), ("image", "Images"), ("video", "Videos"), ("carousel", "Carousels")],
        ),
        _filter("used_filter", "Used", [("all", "Used or not"), ("yes", "Used"), ("no", "Not used yet")]),
        _filter(
            "platform_filter",
            "Platform",
            [("all", "Any platform"), *[(p, PLATFORM_LABELS[p]) for p in PLATFORMS]],
        ),
        gap="8px",
        wrap="wrap",
        margin_bottom="4",
        width="100%",
    )


def _placement(p: PlacementBadge) -> rx.Component:
    badge = rx.badge(
        platform_icon(p.platform, size=11, box="16px"),
        p.status_label,
        color_scheme=status_color(p.status),
        variant="soft",
        title=p.label + " @" + p.account + " · " + p.when,
    )
    return rx.cond(p.url != "", rx.link(badge, href=p.url, is_external=True), badge)


def _thumb(preview, is_video, height: str = "180px") -> rx.Component:
    return rx.box(
        rx.cond(
            preview != "",
            rx.image(src=preview, alt="", width="100%", height="100%", object_fit="cover"),
            rx.center(rx.icon("file_text", size=32, color=rx.color("gray", 8)), height="100%"),
        ),
        rx.cond(
            is_video,
            rx.center(
                rx.icon("play", size=18, color="white"),
                position="absolute",
                bottom="8px",
                left="8px",
                width="30px",
                height="30px",
                border_radius="9999px",
                background="rgba(0,0,0,0.6)",
            ),  # fmt: skip
        ),
        position="relative",
        width="100%",
        height=height,
        overflow="hidden",
        background=rx.color("gray", 3),
        border_radius="8px",
    )


def _card(card: LibraryCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            _thumb(card.preview, card.is_video),
            rx.hstack(
                rx.heading(
                    card.title,
                    size="3",
                    as_="h3",
                    trim="both",
                    overflow="hidden",
                    text_overflow="ellipsis",
                    white_space="nowrap",
                ),
                rx.spacer(),
                rx.cond(
                    card.media_count > 1,
                    rx.badge(rx.icon("layers", size=11), card.media_count, variant="outline"),
                ),
                width="100%",
                align="center",
            ),
            rx.text(card.kind_label, size="1", color_scheme="gray"),
            rx.text(
                card.caption,
                size="2",
                style={
                    "display": "-webkit-box",
                    "-webkit-line-clamp": "2",
                    "-webkit-box-orient": "vertical",
                    "overflow": "hidden",
                },
            ),
            rx.flex(
                rx.foreach(
                    card.tags, lambda t: rx.badge("#", t, variant="surface", color_scheme="gray", size="1")
                ),
                gap="4px",
                wrap="wrap",
            ),
            rx.flex(rx.foreach(card.placements, _placement), gap="4px", wrap="wrap", min_height="22px"),
            rx.hstack(
                publish_menu(card.id, card.title),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("pencil", size=14),
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    aria_label="Edit " + card.title,
                    on_click=LibraryState.start_edit(card.id),
                ),
                rx.icon_button(
                    rx.icon("trash_2", size=14),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    aria_label="Delete " + card.title,
                    on_click=LibraryState.ask_delete(card.id),
                ),
                width="100%",
                align="center",
            ),
            spacing="2",
            width="100%",
        ),
        role="article",
        aria_label=card.title,
        width="100%",
    )


def _edit_thumb(m: MediaThumb) -> rx.Component:
    return rx.vstack(
        rx.box(_thumb(m.preview, m.is_video, height="80px"), width="100px"),
        rx.text(m.detail, size="1", color_scheme="gray", max_width="100px"),
        rx.button(
            "Remove", size="1", variant="ghost", color_scheme="red", on_click=LibraryState.remove_media(m.id)
        ),
        spacing="1",
    )


def _edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Edit item"),
            rx.vstack(
                rx.text("Title", size="2", weight="bold"),
                rx.input(
                    value=LibraryState.edit_title,
                    on_change=LibraryState.set_edit_title,
                    aria_label="Title",
                    width="100%",
                ),
                rx.text("Caption", size="2", weight="bold"),
                rx.text_area(
                    value=LibraryState.edit_caption,
                    on_change=LibraryState.set_edit_caption,
                    rows="5",
                    aria_label="Caption",
                    width="100%",
                ),
                rx.text("Tags", size="2", weight="bold"),
                rx.input(
                    value=LibraryState.edit_tags,
                    on_change=LibraryState.set_edit_tags,
                    placeholder="travel, food",
                    aria_label="Tags",
                    width="100%",
                ),
                rx.flex(rx.foreach(LibraryState.edit_media, _edit_thumb), gap="12px", wrap="wrap"),
                error_callout(LibraryState.edit_error),
                rx.hstack(
                    rx.button(
                        "Cancel", variant="soft", color_scheme="gray", on_click=LibraryState.close_edit
                    ),
                    rx.button("Save", on_click=LibraryState.save_edit),
                    justify="end",
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
            max_width="560px",
        ),
        open=LibraryState.editing_id != 0,
        on_open_change=lambda o: rx.cond(o, rx.noop(), LibraryState.close_edit()),  # type: ignore[arg-type]
    )


def _delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this item?"),
            rx.cond(
                LibraryState.delete_error != "",
                rx.callout(LibraryState.delete_error, icon="calendar_x", color_scheme="amber", role="alert"),
                rx.alert_dialog.description(
                    "Its files are removed from SocialHub. Posts already published stay on the platforms.",
                    size="2",
                ),
            ),
            rx.hstack(
                rx.button("Keep it", variant="soft", color_scheme="gray", on_click=LibraryState.close_delete),
                rx.button(
                    "Delete",
                    color_scheme="red",
                    on_click=LibraryState.confirm_delete,
                    disabled=LibraryState.delete_error != "",
                ),
                justify="end",
                spacing="3",
                margin_top="4",
            ),
        ),
        open=LibraryState.deleting_id != 0,
    )


@template(route="/library", title="Library", on_load=[LibraryState.load, HeartbeatState.check])
def library() -> rx.Component:
    return rx.vstack(
        heartbeat_banner(),
        page_header("Library", "Your media and captions, ready to post."),
        uploader(),
        rx.cond(
            LibraryState.notice != "",
            rx.callout(LibraryState.notice, icon="info", role="status", width="100%", margin_bottom="3"),
        ),
        error_callout(LibraryState.error_message),
        _toolbar(),
        rx.cond(
            LibraryState.card_count == 0,
            rx.center(
                rx.text(
                    rx.cond(
                        LibraryState.filtered,
                        "Nothing matches these filters.",
                        "Nothing here yet: drop your first images or videos above.",
                    ),
                    color_scheme="gray",
                ),
                width="100%",
                padding="6",
            ),
            rx.grid(
                rx.foreach(LibraryState.cards, _card),
                columns=rx.breakpoints(initial="1", sm="2", lg="3", xl="4"),
                gap="16px",
                width="100%",
            ),
        ),
        # Short polling: badges turn "Published" while the worker publishes.
        rx.moment(interval=5000, on_change=LibraryState.poll, display="none"),
        schedule_dialog(),
        _edit_dialog(),
        _delete_dialog(),
        width="100%",
        spacing="0",
    )
