"""/login, /signup and the `/` redirect."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import standalone
from socialhub.components.ui import error_callout, loading_screen, wordmark
from socialhub.services.users import MAX_DISPLAY_NAME_LENGTH, MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH
from socialhub.state.auth import LOGIN_ROUTE, SIGNUP_ROUTE, AuthState

# Every field is capped in the browser too: a value beyond the websocket's message limit
# would drop the connection before the server could answer with a message.

_QUERY = rx.State.router.url.query


def _keep_query(route: str) -> rx.Var[str]:
    """The route with the current query string, so ?next= survives a switch of form."""
    return rx.cond(_QUERY != "", route + "?" + _QUERY, route)


def _field(label: str, name: str, *, type_: str, autocomplete: str, hint: str | None = None, **props):
    field_id = f"auth-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, font_size="var(--font-size-2)", font_weight="500"),
        rx.input(
            id=field_id, name=name, type=type_, auto_complete=autocomplete, size="3", width="100%", **props
        ),
        *([rx.text(hint, size="1", color_scheme="gray")] if hint else []),
        spacing="1",
        width="100%",
    )


def _auth_card(title: str, subtitle: str, form: rx.Component, footer: rx.Component) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.link(wordmark("6"), href="/", underline="none", color="inherit"),
            rx.card(
                rx.vstack(
                    rx.vstack(
                        rx.heading(title, size="6", as_="h1"),
                        rx.text(subtitle, color_scheme="gray", size="2"),
                        spacing="1",
                    ),
                    error_callout(AuthState.error_message),
                    form,
                    spacing="5",
                    width="100%",
                ),
                size="4",
                width="100%",
            ),
            footer,
            align="center",
            spacing="5",
            width="100%",
            max_width="420px",
        ),
        min_height="100vh",
        padding="var(--space-4)",
        background=f"radial-gradient(circle at 50% 0%, {rx.color('accent', 3)}, {rx.color('gray', 1)} 60%)",
    )


@standalone(route=LOGIN_ROUTE, title="Log in", on_load=AuthState.redirect_if_logged_in)
def login() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _field(
                "Email",
                "email",
                type_="email",
                autocomplete="email",
                required=True,
                max_length=MAX_EMAIL_LENGTH,
            ),
            _field(
                "Password",
                "password",
                type_="password",
                autocomplete="current-password",
                required=True,
                max_length=MAX_PASSWORD_LENGTH,
            ),
            rx.button("Log in", type="submit", size="3", width="100%", loading=AuthState.loading),
            spacing="4",
            width="100%",
        ),
        on_submit=AuthState.log_in,
        reset_on_submit=False,
        width="100%",
    )
    footer = rx.text(
        "New to SocialHub? ",
        rx.link("Create an account", href=_keep_query(SIGNUP_ROUTE), weight="medium"),
        size="2",
        color_scheme="gray",
    )
    return _auth_card("Log in", "Welcome back. Log in to manage your accounts and posts.", form, footer)


@standalone(route=SIGNUP_ROUTE, title="Sign up", on_load=AuthState.redirect_if_logged_in)
def signup() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _field(
                "Display name",
                "display_name",
                type_="text",
                autocomplete="name",
                hint="Shown in the app and, if you opt in, on the leaderboard.",
                required=True,
                max_length=MAX_DISPLAY_NAME_LENGTH,
            ),
            _field(
                "Email",
                "email",
                type_="email",
                autocomplete="email",
                required=True,
                max_length=MAX_EMAIL_LENGTH,
            ),
            _field(
                "Password",
                "password",
                type_="password",
                autocomplete="new-password",
                hint="At least 10 characters.",
                required=True,
                max_length=MAX_PASSWORD_LENGTH,
            ),
            rx.button("Create account", type="submit", size="3", width="100%", loading=AuthState.loading),
            spacing="4",
            width="100%",
        ),
        on_submit=AuthState.sign_up,
        reset_on_submit=False,
        width="100%",
    )
    footer = rx.text(
        "Already have an account? ",
        rx.link("Log in", href=_keep_query(LOGIN_ROUTE), weight="medium"),
        size="2",
        color_scheme="gray",
    )
    return _auth_card(
        "Create your account",
        "Connect your social accounts, plan posts and see how they do, all in one place.",
        form,
        footer,
    )


@standalone(route="/", title="SocialHub", on_load=AuthState.route_index)
def index() -> rx.Component:
    return loading_screen()
