"""/creator/[creator]: a creator's public profile (public totals and top posts only)."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import template
from socialhub.components.ui import loading_screen
from socialhub.pages.leaderboard import share_meta
from socialhub.state.leaderboard import AccountView, ProfileState, TopPostView, TotalView


def _account(a: AccountView) -> rx.Component:
    return rx.badge(
        rx.avatar(src=a.avatar_url, fallback=a.platform_label[:1], size="1", radius="full"),
        rx.text(a.platform_label, ": ", a.name),
        variant="surface",
        radius="full",
        size="2",
    )


def _total(t: TotalView) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(t.label, size="2", color_scheme="gray"),
                rx.text(t.rank, size="2", weight="bold"),
                justify="between",
                width="100%",
            ),
            rx.heading(t.views, size="6"),
            rx.text("views gained", size="1", color_scheme="gray"),
            rx.flex(
                rx.text(t.likes, " likes", size="1"),
                rx.text(t.shares, " shares", size="1"),
                rx.text(t.engagement, " engagement", size="1"),
                rx.text(t.posts, " posts", size="1"),
                wrap="wrap",
                column_gap="var(--space-3)",
            ),
            spacing="1",
        ),
        flex="1 1 14em",
    )


def _top_post(p: TopPostView) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.link(p.title, href=p.url, is_external=True, weight="medium"),
                rx.text(p.platform_label, size="1", color_scheme="gray"),
                spacing="1",
                min_width="0",
                flex="1",
            ),
            rx.vstack(
                rx.text(p.views, " views", weight="bold", size="2"),
                rx.text(p.likes, " likes", size="1"),
                align="end",
                spacing="1",
            ),
            gap="3",
            align="center",
            width="100%",
        ),
        width="100%",
    )


def _not_found() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("No public creator here", size="5", as_="h1"),
            rx.text("This creator is not on the leaderboard, or chose to stay private.", color_scheme="gray"),
            rx.link(rx.button("See the leaderboard", variant="soft"), href="/leaderboard"),
            align="center",
            spacing="3",
        ),
        padding_top="10vh",
        width="100%",
    )


def _profile() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.avatar(fallback=ProfileState.initials, size="6", radius="full"),
            rx.vstack(
                rx.heading(ProfileState.display_name, size="7", as_="h1"),
                rx.text("@", ProfileState.handle, color_scheme="gray"),
                spacing="1",
            ),
            align="center",
            spacing="4",
        ),
        rx.flex(rx.foreach(ProfileState.accounts, _account), wrap="wrap", gap="2"),
        rx.flex(rx.foreach(ProfileState.totals, _total), wrap="wrap", gap="3", width="100%"),
        rx.heading("Top posts", size="4", as_="h2", margin_top="var(--space-4)"),
        rx.cond(
            ProfileState.top_posts,
            rx.vstack(rx.foreach(ProfileState.top_posts, _top_post), spacing="2", width="100%"),
            rx.text("No posts with figures yet.", color_scheme="gray"),
        ),
        rx.link("← Back to the leaderboard", href="/leaderboard", size="2"),
        spacing="4",
        width="100%",
    )


@template(route="/creator/[creator]", title="Creator", on_load=ProfileState.load, public=True)
def creator_profile() -> rx.Component:
    return rx.box(
        *share_meta(
            "A creator on SocialHub", "Public totals and top posts of a SocialHub creator.", "/leaderboard"
        ),
        rx.cond(
            ProfileState.loaded,
            rx.cond(ProfileState.found, _profile(), _not_found()),
            loading_screen("Loading the profile…"),
        ),
        width="100%",
    )
