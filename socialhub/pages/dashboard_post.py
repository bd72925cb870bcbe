"""/dashboard/post/[post_id]: one post's curve since publishing, snapshot by snapshot."""

from __future__ import annotations

import reflex as rx

from socialhub.components.charts import chart, export_buttons
from socialhub.components.platforms import post_thumb
from socialhub.components.shell import template
from socialhub.components.ui import loading_screen, status_badge
from socialhub.state.dashboard import DashboardState
from socialhub.state.dashboard_post import DashboardPostState

S = DashboardPostState


def _back() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("arrow_left", size=16), rx.text("Dashboard", size="2"), align="center", spacing="1"
        ),
        href="/dashboard" + DashboardState.query,  # back to the view the creator came from
        underline="none",
        color_scheme="gray",
        aria_label="Back to the dashboard",
    )


def _header() -> rx.Component:
    return rx.flex(
        post_thumb(S.platform, S.thumbnail, "72px"),
        rx.vstack(
            rx.heading(S.title, size="6", as_="h1", trim="both"),
            rx.flex(
                rx.text(S.platform_label, " · ", S.account, size="2", color_scheme="gray"),
                rx.cond(S.published != "", rx.text("published ", S.published, size="2", color_scheme="gray")),
                status_badge(S.status),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                S.url != "",
                rx.link(
                    rx.hstack(
                        rx.text("Open on ", S.platform_label),
                        rx.icon("external_link", size=14),
                        spacing="1",
                        align="center",
                    ),
                    href=S.url,
                    is_external=True,
                    size="2",
                ),
            ),
            spacing="2",
            min_width="0",
        ),
        spacing="4",
        align="center",
        width="100%",
    )


def _curve() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.heading("Since publishing", size="4", as_="h2"),
                    rx.text(
                        "Totals at each sync: views above; likes, comments, shares and saves below.",
                        size="2",
                        color_scheme="gray",
                    ),
                    spacing="1",
                    flex="1",
                    min_width="0",
                ),
                export_buttons("this post's snapshots", S.download_csv, "post-chart"),
                justify="between",
                align="start",
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            chart("post-chart", S.fig, "socialhub-post", "420px"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _table() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Snapshots", size="4", as_="h2"),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.foreach(
                                S.columns,
                                lambda c: rx.table.column_header_cell(c.capitalize(), white_space="nowrap"),
                            )
                        )
                    ),
                    rx.table.body(
                        rx.foreach(
                            S.rows,
                            lambda row: rx.table.row(
                                rx.foreach(row, lambda c: rx.table.cell(c, white_space="nowrap")),
                                data_testid="snapshot-row",
                            ),
                        )
                    ),
                    size="1",
                    width="100%",
                ),
                max_height="420px",
                overflow="auto",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _missing() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("search_x", size=28, color=rx.color("gray", 10)),
            rx.heading("Post not found", size="5", as_="h1"),
            rx.text(S.error_message, color_scheme="gray", align="center"),
            rx.link(rx.button("Back to the dashboard", variant="soft"), href="/dashboard"),
            align="center",
            spacing="3",
            padding_y="var(--space-6)",
        ),
        width="100%",
    )


@template(route="/dashboard/post/[post_id]", title="Post", on_load=DashboardPostState.load)
def dashboard_post() -> rx.Component:
    return rx.vstack(
        _back(),
        rx.cond(
            ~S.loaded,
            loading_screen("Loading the post…"),
            rx.cond(
                S.error_message != "",
                _missing(),
                rx.vstack(_header(), _curve(), _table(), spacing="4", width="100%"),
            ),
        ),
        spacing="4",
        width="100%",
    )
