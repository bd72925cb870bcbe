"""The dashboard's boxed sections: a titled card with CSV/PNG export, the platform
comparison table and the sortable top-posts table (pages/dashboard.py lays them out)."""

from __future__ import annotations

import reflex as rx

from socialhub.components.charts import export_buttons
from socialhub.components.platforms import platform_icon, post_thumb
from socialhub.state.dashboard import ComparisonView, DashboardState, TopPostView

S = DashboardState
# Ten measures side by side: smaller type and padding, so the table fits the page's width.
TIGHT = {"font_size": "var(--font-size-1)", "padding_x": "var(--space-2)"}
COMPARISON_HEAD = (
    "Views",
    "Likes",
    "Comments",
    "Shares",
    "Saves",
    "Reach",
    "Engagement",
    "Rate %",
    "Followers +",
    "Posts",
)
TOP_HEAD = (
    ("views", "Views"),
    ("likes", "Likes"),
    ("comments", "Comments"),
    ("shares", "Shares"),
    ("saves", "Saves"),
    ("reach", "Reach"),
    ("engagement", "Engagement"),
    ("total_views", "Total views"),
)


def section(title: str, text: str, csv, body: rx.Component, testid: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.heading(title, size="4", as_="h2"),
                    rx.text(text, size="2", color_scheme="gray"),
                    spacing="1",
                    flex="1",
                    min_width="0",
                ),
                export_buttons(title, csv),
                justify="between",
                align="start",
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            rx.box(body, width="100%", overflow_x="auto"),
            spacing="3",
            width="100%",
        ),
        width="100%",
        data_testid=testid,
    )


def _comparison_row(row: ComparisonView) -> rx.Component:
    weight = rx.cond(row.is_total, "bold", "regular")
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                platform_icon(row.platform),
                rx.text(rx.cond(row.is_total, row.platform_label, row.label), weight=weight, size="2"),
                align="center",
                spacing="2",
                padding_left=rx.cond(row.is_total, "0", "var(--space-4)"),
            ),
            white_space="nowrap",
        ),
        rx.foreach(row.cells, lambda c: rx.table.cell(c, text_align="right", white_space="nowrap", **TIGHT)),
        background=rx.cond(row.is_total, rx.color("gray", 2), "transparent"),
    )


def comparison() -> rx.Component:
    return section(
        "Platform comparison",
        "The same measures side by side: each platform's total, then its accounts.",
        S.download_csv("comparison"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Platform / account"),
                    *[
                        rx.table.column_header_cell(h, text_align="right", white_space="nowrap", **TIGHT)
                        for h in COMPARISON_HEAD
                    ],
                )
            ),
            rx.table.body(rx.foreach(S.comparison, _comparison_row)),
            size="1",
            width="100%",
        ),
        "comparison-card",
    )


def _sort_head(key: str, label: str) -> rx.Component:
    arrow = rx.cond(S.sort == key, rx.cond(S.descending, " ↓", " ↑"), "")
    return rx.table.column_header_cell(
        rx.button(
            label,
            arrow,
            variant="ghost",
            size="1",
            color_scheme=rx.cond(S.sort == key, "violet", "gray"),
            on_click=S.sort_by(key),
            aria_label=f"Sort by {label.lower()}",
        ),
        text_align="right",
        white_space="nowrap",
        aria_sort=rx.cond(S.sort == key, rx.cond(S.descending, "descending", "ascending"), "none"),
    )


def _thumb(post: TopPostView) -> rx.Component:
    return post_thumb(post.platform, post.thumbnail, "40px")


def _top_row(post: TopPostView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                _thumb(post),
                rx.vstack(
                    rx.link(
                        post.title,
                        href="/dashboard/post/" + post.id.to_string(),
                        weight="medium",
                        size="2",
                        max_width="22em",
                        overflow="hidden",
                        text_overflow="ellipsis",
                        white_space="nowrap",
                        display="block",
                        data_testid="top-post-title",
                    ),
                    rx.text(
                        post.platform_label,
                        " · ",
                        post.account,
                        " · ",
                        post.published,
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="0",
                    min_width="0",
                ),
                align="center",
                spacing="3",
            ),
        ),
        rx.foreach(post.cells, lambda c: rx.table.cell(c, text_align="right", white_space="nowrap")),
        rx.table.cell(
            rx.cond(
                post.url != "",
                rx.link(
                    rx.icon("external_link", size=16),
                    href=post.url,
                    is_external=True,
                    aria_label="Open the post on " + post.platform_label,
                ),
            )
        ),
        align="center",
        data_testid="top-post-row",
    )


def top_posts() -> rx.Component:
    return section(
        "Top posts",
        "What each post gained in the period; click a title for its curve since publishing.",
        S.download_csv("top"),
        rx.cond(
            S.top,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Post"),
                        *[_sort_head(k, label) for k, label in TOP_HEAD],
                        rx.table.column_header_cell("", aria_label="Link to the post"),
                    )
                ),
                rx.table.body(rx.foreach(S.top, _top_row)),
                size="1",
                width="100%",
            ),
            rx.text("No post gained anything in this period.", size="2", color_scheme="gray"),
        ),
        "top-posts-card",
    )
