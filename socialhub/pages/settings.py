"""/settings: the creator's own settings (the leaderboard opt-in, with a preview)."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import template
from socialhub.components.ui import error_callout, page_header
from socialhub.state.settings import AccountToggle, SettingsState


def _account(a: AccountToggle) -> rx.Component:
    return rx.checkbox(
        rx.text(a.platform_label, ": ", a.name),
        checked=a.checked,
        on_change=lambda checked: SettingsState.toggle_account(a.id, checked),
        disabled=~SettingsState.public,
    )


def _preview() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("What becomes public", size="3", as_="h2"),
            rx.cond(
                SettingsState.public,
                rx.vstack(
                    rx.text("Your name: ", rx.text.strong(SettingsState.display_name)),
                    rx.text("Your handle: @", SettingsState.handle),
                    rx.text("These accounts, with their avatars and public links:"),
                    rx.el.ul(rx.foreach(SettingsState.preview_accounts, lambda n: rx.el.li(n))),
                    rx.text(
                        "Views, likes, shares and engagement your published posts gained on them, "
                        "and your top published posts. Never your e-mail, your scheduled or draft "
                        "posts, or any other account.",
                        color_scheme="gray",
                        size="2",
                    ),
                    rx.link(
                        "Your public profile will be at /creator/",
                        SettingsState.handle,
                        href="/creator/" + SettingsState.handle,
                        size="2",
                    ),
                    spacing="2",
                ),
                rx.text("Nothing: you are private (the default).", color_scheme="gray"),
            ),
            spacing="2",
        ),
        width="100%",
    )


@template(route="/settings", title="Settings", on_load=SettingsState.load)
def settings() -> rx.Component:
    return rx.vstack(
        page_header("Settings", "Your profile on this SocialHub."),
        rx.card(
            rx.vstack(
                rx.heading("Leaderboard", size="4", as_="h2"),
                rx.hstack(
                    rx.switch(
                        checked=SettingsState.public,
                        on_change=SettingsState.set_public,
                        id="public-switch",
                        aria_label="Show me on the public leaderboard",
                    ),
                    rx.el.label("Show me on the public leaderboard", html_for="public-switch"),
                    align="center",
                    spacing="2",
                ),
                rx.text("Accounts to show:", size="2", weight="medium"),
                rx.cond(
                    SettingsState.accounts,
                    rx.vstack(rx.foreach(SettingsState.accounts, _account), spacing="2"),
                    rx.text("Connect an account first.", color_scheme="gray", size="2"),
                ),
                error_callout(SettingsState.error_message),
                rx.button("Save", on_click=SettingsState.save, loading=SettingsState.saving),
                spacing="3",
            ),
            width="100%",
        ),
        _preview(),
        width="100%",
        spacing="4",
    )
