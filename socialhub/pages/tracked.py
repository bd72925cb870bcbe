"""/tracked: paste a post's link to track it, import an account's recent posts, sync now with
progress and a summary, and every tracked post with its latest numbers and last sync."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import template
from socialhub.components.ui import error_callout, loading_screen, page_header
from socialhub.state.tracked import AccountRow, TrackedCard, TrackedState


def _track_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="url",
                value=TrackedState.url,
                on_change=TrackedState.set_url,
                placeholder="https://www.instagram.com/p/… , youtu.be/… , x.com/…/status/…",
                aria_label="Link of a post to track",
                max_length=4096,
                width="100%",
                size="3",
            ),
            rx.button(rx.icon("plus", size=16), "Track", type="submit", loading=TrackedState.busy, size="3"),
            width="100%",
            spacing="2",
        ),
        on_submit=TrackedState.track,
        reset_on_submit=False,
        width="100%",
    )


def _account(row: AccountRow) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(row.label, weight="bold"),
                rx.text(row.platform_label, " · synced ", row.last_sync_text, size="2", color_scheme="gray"),
                rx.cond(
                    row.last_error != "",
                    rx.text(row.last_error, size="2", color_scheme="red", role="status"),
                ),
                spacing="1",
            ),
            rx.hstack(
                rx.cond(
                    row.needs_reconnect,
                    rx.link(rx.button("Reconnect", size="1", color_scheme="orange"), href="/connections"),
                ),
                rx.button(
                    "Import recent posts",
                    size="1",
                    variant="soft",
                    on_click=TrackedState.import_recent(row.id),
                    disabled=TrackedState.busy,
                ),
                rx.button(
                    "Sync now",
                    size="1",
                    variant="soft",
                    on_click=TrackedState.sync_now(row.id),
                    disabled=TrackedState.syncing,
                ),
                spacing="2",
            ),
            justify="between",
            align="center",
            wrap="wrap",
            gap="3",
        ),
        width="100%",
    )


def _row(card: TrackedCard) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.badge(card.platform_label, variant="soft")),
        rx.table.cell(
            rx.vstack(
                rx.cond(
                    card.url != "",
                    rx.link(card.title, href=card.url, is_external=True, size="2"),
                    rx.text(card.title, size="2"),
                ),
                rx.cond(
                    card.status == "deleted",
                    rx.badge("Deleted on the platform", color_scheme="red", variant="soft"),
                ),
                spacing="1",
            ),
            max_width="28em",
        ),
        rx.table.cell(card.views),
        rx.table.cell(card.likes),
        rx.table.cell(card.comments),
        rx.table.cell(card.shares),
        rx.table.cell(rx.text(card.last_sync_text, size="2", color_scheme="gray")),
        rx.table.cell(
            rx.menu.root(
                rx.menu.trigger(
                    rx.icon_button(rx.icon("ellipsis", size=16), variant="ghost", aria_label="More")
                ),
                rx.menu.content(
                    rx.menu.item("Untrack (keep history)", on_click=TrackedState.untrack(card.id, False)),
                    rx.menu.item(
                        "Untrack and delete history",
                        color="red",
                        on_click=TrackedState.untrack(card.id, True),
                    ),
                ),
            )
        ),
    )


def _table() -> rx.Component:
    return rx.cond(
        TrackedState.cards.length() > 0,  # type: ignore[attr-defined]
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *(
                        rx.table.column_header_cell(h)
                        for h in ("Platform", "Post", "Views", "Likes", "Comments", "Shares", "Last sync", "")
                    )
                )
            ),
            rx.table.body(rx.foreach(TrackedState.cards, _row)),
            width="100%",
            variant="surface",
        ),
        rx.text(
            "No tracked posts yet. Paste a post's link above, or import an account's recent posts.",
            color_scheme="gray",
        ),
    )


@template(route="/tracked", title="Tracked posts", on_load=TrackedState.load)
def tracked() -> rx.Component:
    return rx.vstack(
        page_header(
            "Tracked posts",
            "Posts whose numbers SocialHub follows: published here, imported, or pasted by link.",
            rx.button(
                rx.icon("refresh_cw", size=16),
                "Sync all now",
                on_click=TrackedState.sync_now(0),
                loading=TrackedState.syncing,
            ),
        ),
        error_callout(TrackedState.error_message),
        rx.cond(
            TrackedState.notice != "",
            rx.callout(TrackedState.notice, icon="info", role="status", width="100%"),
        ),
        rx.cond(
            TrackedState.progress != "",
            rx.hstack(rx.spinner(size="2"), rx.text(TrackedState.progress, role="status"), spacing="2"),
        ),
        _track_form(),
        rx.cond(
            TrackedState.loading,
            loading_screen(),
            rx.vstack(
                rx.heading("Accounts", size="4", as_="h2"),
                rx.foreach(TrackedState.accounts, _account),
                rx.heading("Posts", size="4", as_="h2", margin_top="var(--space-4)"),
                _table(),
                width="100%",
                spacing="3",
            ),
        ),
        width="100%",
        spacing="4",
    )
