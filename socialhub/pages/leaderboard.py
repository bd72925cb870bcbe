"""/leaderboard: public ranking of creators who opt in (no login needed)."""

from __future__ import annotations

import reflex as rx
from reflex.components.base.meta import Description, Image, Meta

from socialhub.components.shell import template
from socialhub.components.ui import error_callout, page_header
from socialhub.config import get_settings
from socialhub.state.auth import AuthState
from socialhub.state.leaderboard import (
    METRIC_CHOICES,
    PERIOD_CHOICES,
    PLATFORM_CHOICES,
    BoardRowView,
    LeaderboardState,
)

SHARE_TEXT = "Creators on this SocialHub, ranked by what their posts gained. Open to everyone."
PREVIEW_IMAGE = "/leaderboard-card.png"
MEDAL_COLORS = {"gold": "#d4a017", "silver": "#9aa3ad", "bronze": "#b0703c"}


def share_meta(title: str, description: str, path: str) -> list[rx.Component]:
    """Open Graph and Twitter card tags, so a shared link unfurls with a title and a picture."""
    base = get_settings().base_url
    image = f"{base}{PREVIEW_IMAGE}"
    return [
        Description.create(content=description),
        Image.create(content=image),
        Meta.create(property="og:title", content=title),
        Meta.create(property="og:description", content=description),
        Meta.create(property="og:image", content=image),
        Meta.create(property="og:type", content="website"),
        Meta.create(property="og:url", content=f"{base}{path}"),
        Meta.create(name="twitter:card", content="summary_large_image"),
        Meta.create(name="twitter:title", content=title),
        Meta.create(name="twitter:image", content=image),
    ]


def _movement(row: BoardRowView) -> rx.Component:
    return rx.badge(
        row.movement,
        color_scheme=rx.match(row.movement_kind, ("up", "green"), ("down", "red"), ("new", "blue"), "gray"),
        variant="soft",
        radius="full",
        aria_label="Movement since the previous period",
    )


def _stat(label: str, value: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(value, size="2", weight="medium"),
        rx.text(label, size="1", color_scheme="gray"),
        spacing="1",
        align="baseline",
    )


def _row(row: BoardRowView) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.center(
                rx.cond(
                    row.medal != "",
                    rx.box(
                        rx.icon("medal", size=26, color=rx.match(row.medal, *MEDAL_COLORS.items(), "gray")),
                        rx.text(row.rank_text, size="1", weight="bold"),
                        aria_label=row.medal + " medal, rank " + row.rank_text,
                        text_align="center",
                        data_testid="medal",
                    ),
                    rx.text(row.rank_text, size="4", weight="bold"),
                ),
                min_width="2.5em",
            ),
            rx.avatar(src=row.avatar_url, fallback=row.initials, radius="full", size="3"),
            rx.vstack(
                rx.link(row.display_name, href="/creator/" + row.handle, weight="medium", size="3"),
                rx.text("@", row.handle, size="1", color_scheme="gray"),
                rx.flex(
                    _stat("views", row.views),
                    _stat("posts", row.posts),
                    _stat("likes", row.likes),
                    _stat("shares", row.shares),
                    wrap="wrap",
                    column_gap="var(--space-3)",
                ),
                spacing="1",
                min_width="0",
                flex="1",
            ),
            rx.vstack(
                rx.text(row.value, size="5", weight="bold"),
                _movement(row),
                align="end",
                spacing="1",
            ),
            align="center",
            gap="3",
            width="100%",
        ),
        width="100%",
        role="listitem",
        data_testid="leaderboard-row",
    )


def _choice(label: str, value: rx.Var, options: list[tuple[str, str]], on_change) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, min_width="9em"),
        rx.select.content(*[rx.select.item(text, value=key) for key, text in options]),
        value=value,
        on_change=on_change,
    )


def _filters() -> rx.Component:
    return rx.flex(
        rx.segmented_control.root(
            *[rx.segmented_control.item(text, value=key) for key, text in PERIOD_CHOICES],
            value=LeaderboardState.period,
            on_change=LeaderboardState.set_period,
            aria_label="Period",
        ),
        _choice("Ranked by", LeaderboardState.metric, METRIC_CHOICES, LeaderboardState.set_metric),
        _choice("Platform", LeaderboardState.platform, PLATFORM_CHOICES, LeaderboardState.set_platform),
        wrap="wrap",
        gap="3",
        align="center",
        width="100%",
    )


def _freshness() -> rx.Component:
    return rx.hstack(
        rx.icon("clock", size=14, color=rx.color("gray", 10)),
        rx.text(
            "Last updated ",
            LeaderboardState.updated_text,
            " · next sync ",
            LeaderboardState.next_text,
            size="1",
            color_scheme="gray",
            data_testid="leaderboard-freshness",
        ),
        align="center",
        spacing="1",
    )


def _empty() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("trophy", size=28, color=rx.color("accent", 11)),
            rx.heading("No one ranked here yet", size="4", as_="h2"),
            rx.text(
                "Creators appear once they choose to be public in their leaderboard settings, "
                "with the accounts they pick.",
                color_scheme="gray",
                align="center",
                max_width="30em",
            ),
            align="center",
            spacing="2",
            padding_y="var(--space-6)",
        ),
        width="100%",
    )


@template(route="/leaderboard", title="Leaderboard", on_load=LeaderboardState.load, public=True)
def leaderboard() -> rx.Component:
    return rx.vstack(
        *share_meta("SocialHub creator leaderboard", SHARE_TEXT, "/leaderboard"),
        page_header(
            "Leaderboard",
            SHARE_TEXT,
            rx.cond(
                AuthState.is_logged_in,
                rx.link(
                    rx.button("Be on it", variant="soft"),
                    href="/settings",
                    aria_label="Your leaderboard setting",
                ),
            ),
        ),
        rx.vstack(
            _filters(),
            _freshness(),
            error_callout(LeaderboardState.error_message),
            rx.cond(
                LeaderboardState.rows,
                rx.vstack(rx.foreach(LeaderboardState.rows, _row), spacing="2", width="100%", role="list"),
                rx.cond(LeaderboardState.loading, rx.spinner(), _empty()),
            ),
            rx.hstack(
                rx.button(
                    "Previous",
                    on_click=LeaderboardState.previous_page,
                    variant="soft",
                    disabled=~LeaderboardState.has_previous,
                ),
                rx.button(
                    "Next",
                    on_click=LeaderboardState.next_page,
                    variant="soft",
                    disabled=~LeaderboardState.has_next,
                ),
                rx.text(LeaderboardState.total, " creators", size="1", color_scheme="gray"),
                align="center",
                spacing="3",
            ),
            spacing="4",
            width="100%",
        ),
        width="100%",
        spacing="0",
    )
