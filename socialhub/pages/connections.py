"""/connections: a card per platform, its connected accounts, connect/reconnect/disconnect;
and /oauth/[platform]/callback, where platforms send the browser back."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import template
from socialhub.components.ui import error_callout, loading_screen, page_header, status_badge
from socialhub.state.connections import (
    ChoiceCard,
    ConnectionCard,
    ConnectionsState,
    OAuthCallbackState,
    PlatformGroup,
)

# Lucide ships no brand logos; each platform gets a plain symbol and its colour.
PLATFORM_ICONS = (
    ("instagram", rx.icon("camera", size=20)),
    ("facebook", rx.icon("thumbs_up", size=20)),
    ("tiktok", rx.icon("music_2", size=20)),
    ("youtube", rx.icon("circle_play", size=20)),
    ("linkedin", rx.icon("briefcase_business", size=20)),
    ("x", rx.icon("at_sign", size=20)),
)
PLATFORM_COLORS = (
    ("instagram", "pink"),
    ("facebook", "blue"),
    ("tiktok", "gray"),
    ("youtube", "red"),
    ("linkedin", "indigo"),
    ("x", "gray"),
)


def _platform_icon(platform) -> rx.Component:
    return rx.center(
        rx.match(platform, *PLATFORM_ICONS, rx.icon("globe", size=20)),
        width="40px",
        height="40px",
        border_radius="12px",
        background=rx.color(rx.match(platform, *PLATFORM_COLORS, "gray"), 4),  # type: ignore[arg-type]
        color=rx.color(rx.match(platform, *PLATFORM_COLORS, "gray"), 11),  # type: ignore[arg-type]
        flex_shrink="0",
    )


def _disconnect_dialog(card: ConnectionCard) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Disconnect",
                size="1",
                variant="soft",
                color_scheme="red",
                loading=ConnectionsState.busy_connection == card.id,
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Disconnect ", card.account_label, "?"),
            rx.alert_dialog.description(
                "SocialHub revokes its access at the platform where the platform allows it and deletes "
                "the stored tokens. You can connect the account again at any time.",
                size="2",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Disconnect", color_scheme="red", on_click=ConnectionsState.disconnect(card.id))
                ),
                spacing="3",
                justify="end",
                margin_top="4",
            ),
        ),
    )


def _account_row(card: ConnectionCard) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.avatar(src=card.avatar_url, fallback=card.username[:2].upper(), size="3", radius="full"),
            rx.vstack(
                rx.hstack(
                    rx.text(card.display_name, weight="bold", size="2", trim="both"),
                    status_badge(card.status),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.text(
                    card.account_label, " · ", card.followers, " followers", size="1", color_scheme="gray"
                ),
                rx.text(card.expires_text, " · synced ", card.last_sync_text, size="1", color_scheme="gray"),
                spacing="1",
                min_width="0",
            ),
            align="center",
            spacing="3",
            width="100%",
        ),
        rx.cond(
            card.last_error != "",
            rx.text(card.last_error, size="1", color_scheme="red", margin_top="2"),
        ),
        rx.hstack(
            rx.cond(
                card.needs_reconnect,
                rx.button(
                    rx.icon("refresh_cw", size=14),
                    "Reconnect",
                    size="1",
                    on_click=ConnectionsState.reconnect(card.id),
                ),
                rx.button(
                    rx.icon("rotate_cw", size=14),
                    "Refresh",
                    size="1",
                    variant="soft",
                    color_scheme="gray",
                    on_click=ConnectionsState.sync(card.id),
                    loading=ConnectionsState.busy_connection == card.id,
                ),
            ),
            _disconnect_dialog(card),
            spacing="2",
            margin_top="3",
        ),
        padding="12px",
        border_radius="var(--radius-3)",
        border=f"1px solid {rx.color('gray', 5)}",
        width="100%",
    )


def _platform_card(group: PlatformGroup) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                _platform_icon(group.platform),
                rx.vstack(
                    rx.heading(group.label, size="4", as_="h2"),
                    rx.cond(
                        group.is_sandbox,
                        rx.tooltip(
                            rx.badge("Sandbox", color_scheme="amber", variant="soft", radius="full"),
                            content="No app keys are configured for this platform, so it connects to the "
                            "built-in platform sandbox. See the README to add real keys.",
                        ),
                        rx.badge("Live", color_scheme="green", variant="soft", radius="full"),
                    ),
                    spacing="1",
                ),
                rx.spacer(),
                rx.button(
                    rx.icon("plus", size=16),
                    rx.cond(group.accounts.length() > 0, "Add account", "Connect"),
                    on_click=ConnectionsState.connect(group.platform),
                    loading=ConnectionsState.busy_platform == group.platform,
                    aria_label="Connect " + group.label,
                ),
                align="center",
                width="100%",
            ),
            rx.cond(
                group.accounts.length() > 0,
                rx.vstack(rx.foreach(group.accounts, _account_row), spacing="2", width="100%"),
                rx.text("No account connected yet.", size="2", color_scheme="gray"),
            ),
            spacing="4",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def _notice() -> rx.Component:
    return rx.cond(
        ConnectionsState.notice != "",
        rx.callout(
            rx.hstack(
                rx.text(ConnectionsState.notice),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("x", size=14),
                    size="1",
                    variant="ghost",
                    color_scheme="green",
                    on_click=ConnectionsState.dismiss,
                    aria_label="Dismiss",
                ),
                width="100%",
                align="center",
            ),
            icon="circle_check",
            color_scheme="green",
            role="status",
            width="100%",
        ),
    )


def _choice_row(choice: ChoiceCard) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=ConnectionsState.chosen.contains(choice.account_id),
                on_change=lambda checked: ConnectionsState.toggle_choice(choice.account_id, checked),
            ),
            rx.avatar(src=choice.avatar_url, fallback=choice.name[:2].upper(), size="2", radius="full"),
            rx.vstack(
                rx.text(choice.name, weight="bold", size="2"),
                rx.text(choice.detail, size="1", color_scheme="gray"),
                spacing="0",
            ),
            align="center",
            spacing="3",
        ),
        padding="8px",
        border_radius="var(--radius-3)",
        border=f"1px solid {rx.color('gray', 5)}",
        cursor="pointer",
        width="100%",
    )


def _choice_dialog() -> rx.Component:
    """After a login that manages several Pages or Instagram accounts: pick which to connect."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Choose ", ConnectionsState.choice_platform, " accounts to connect"),
            rx.dialog.description(
                "This login manages several accounts. SocialHub connects only the ones you tick.",
                size="2",
                margin_bottom="3",
            ),
            rx.vstack(rx.foreach(ConnectionsState.choices, _choice_row), spacing="2", width="100%"),
            rx.hstack(
                rx.button(
                    "Cancel", variant="soft", color_scheme="gray", on_click=ConnectionsState.cancel_choice
                ),
                rx.button(
                    "Connect ",
                    ConnectionsState.chosen.length(),
                    " selected",
                    on_click=ConnectionsState.confirm_choice,
                    disabled=ConnectionsState.chosen.length() == 0,
                    loading=ConnectionsState.busy_platform == "choice",
                ),
                spacing="3",
                justify="end",
                margin_top="4",
            ),
        ),
        open=ConnectionsState.choosing,
    )


@template(route="/connections", title="Connections", on_load=ConnectionsState.load)
def connections() -> rx.Component:
    return rx.vstack(
        page_header(
            "Connections",
            "Connect the accounts you publish to and track. Several accounts per platform are fine.",
        ),
        _notice(),
        error_callout(ConnectionsState.error_message),
        _choice_dialog(),
        rx.cond(
            ConnectionsState.loading & (ConnectionsState.groups.length() == 0),
            loading_screen("Loading your connections…"),
            rx.grid(
                rx.foreach(ConnectionsState.groups, _platform_card),
                columns=rx.breakpoints(initial="1", md="2", xl="3"),
                spacing="4",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )


@template(route="/oauth/[platform]/callback", title="Connecting", on_load=OAuthCallbackState.finish)
def oauth_callback() -> rx.Component:
    return loading_screen("Finishing the connection…")
