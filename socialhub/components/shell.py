"""The app shell and the `template` decorator every page goes through.

    @template(route="/library", title="Library", on_load=LibraryState.load)
    def library() -> rx.Component:
        return rx.vstack(...)

wraps the page in the shell (sidebar + top bar), prepends the auth guard to its on_load
(private pages: AuthState.check_login, which redirects to /login?next=...; public pages:
AuthState.load_viewer) and records it in PAGES; socialhub.app adds every recorded page
with `register_pages(app)`. `standalone(...)` records a page without the shell (login).

The guard only decides what the browser is shown: every handler that reads or writes
user data must still ask `current_user_id(self)` (socialhub.state.auth) itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import reflex as rx

from socialhub.components.ui import loading_screen, wordmark
from socialhub.state.auth import LOGIN_ROUTE, SIGNUP_ROUTE, AuthState

SIDEBAR_WIDTH = "232px"


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str
    icon: str
    admin_only: bool = False


NAV_ITEMS = (
    NavItem("Connections", "/connections", "plug"),
    NavItem("Tracked posts", "/tracked", "list_checks"),
    NavItem("Library", "/library", "images"),
    NavItem("Calendar", "/calendar", "calendar_days"),
    NavItem("Dashboard", "/dashboard", "layout_dashboard"),
    NavItem("Leaderboard", "/leaderboard", "trophy"),
    NavItem("Settings", "/settings", "settings"),
    NavItem("Admin", "/admin", "shield_check", admin_only=True),
)


@dataclass
class PageSpec:
    route: str
    title: str
    component: Callable[[], rx.Component]
    on_load: list[Any] = field(default_factory=list)


PAGES: list[PageSpec] = []


def _as_list(events: Any) -> list[Any]:
    if events is None:
        return []
    if isinstance(events, Sequence) and not isinstance(events, str):
        return list(events)
    return [events]


def _record(spec: PageSpec) -> None:
    if any(p.route == spec.route for p in PAGES):
        raise ValueError(f"two pages registered for {spec.route}")
    PAGES.append(spec)


def register_pages(app: rx.App) -> None:
    """Add every page recorded by `template` / `standalone` to the app."""
    for spec in PAGES:
        app.add_page(
            spec.component,
            route=spec.route,
            title=f"{spec.title} · SocialHub",
            on_load=spec.on_load or None,
        )


def template(
    route: str,
    title: str,
    on_load: Any = None,
    *,
    public: bool = False,
    admin_only: bool = False,
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Wrap a page function in the shell and record it for the app."""

    def decorator(page_content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def page() -> rx.Component:
            return shell(page_content(), route=route, public=public, admin_only=admin_only)

        page.__name__ = page_content.__name__
        page.__doc__ = page_content.__doc__
        guard = AuthState.load_viewer if public else AuthState.check_login
        _record(PageSpec(route, title, page, [guard, *_as_list(on_load)]))
        return page

    return decorator


def standalone(
    route: str, title: str, on_load: Any = None
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Record a page that draws its own chrome (login, sign-up, the `/` redirect)."""

    def decorator(page_content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        _record(PageSpec(route, title, page_content, _as_list(on_load)))
        return page_content

    return decorator


# --- the shell ---------------------------------------------------------------------------


def _nav_link(item: NavItem, active: bool) -> rx.Component:
    link = rx.link(
        rx.hstack(
            rx.icon(item.icon, size=18),
            rx.text(item.label, size="3", weight="medium" if active else "regular"),
            align="center",
            spacing="3",
            padding_x="var(--space-3)",
            padding_y="var(--space-2)",
            border_radius="var(--radius-3)",
            width="100%",
            background=rx.color("accent", 4) if active else "transparent",
            color=rx.color("accent", 12) if active else rx.color("gray", 11),
            _hover={"background": rx.color("accent", 4) if active else rx.color("gray", 4)},
        ),
        href=item.route,
        underline="none",
        width="100%",
        aria_current="page" if active else None,
    )
    if item.admin_only:
        return rx.cond(AuthState.is_admin, link)
    return link


def sidebar(route: str) -> rx.Component:
    return rx.flex(
        # Same height as the top bar, so the wordmark lines up with the user menu.
        rx.flex(
            rx.link(wordmark(), href="/", underline="none", color="inherit"),
            align="center",
            height="64px",
            padding_x="var(--space-5)",
            border_bottom=f"1px solid {rx.color('gray', 4)}",
        ),
        rx.el.nav(
            rx.vstack(
                *[_nav_link(item, item.route == route) for item in NAV_ITEMS], spacing="1", width="100%"
            ),
            aria_label="Main",
            width="100%",
            padding="var(--space-3)",
            padding_top="var(--space-4)",
        ),
        direction="column",
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        background=rx.color("gray", 2),
        border_right=f"1px solid {rx.color('gray', 5)}",
        display=["none", "none", "flex"],
    )


def _mobile_nav(route: str) -> rx.Component:
    """The sidebar's links as a menu, for screens too narrow for the sidebar."""
    items = []
    for item in NAV_ITEMS:
        entry = rx.menu.item(
            rx.hstack(rx.icon(item.icon, size=16), rx.text(item.label), align="center", spacing="2"),
            on_click=rx.redirect(item.route),
        )
        items.append(rx.cond(AuthState.is_admin, entry) if item.admin_only else entry)
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(
                rx.icon_button(rx.icon("menu"), variant="ghost", color_scheme="gray", aria_label="Menu")
            ),
            rx.menu.content(*items),
        ),
        display=["block", "block", "none"],
    )


def _user_menu() -> rx.Component:
    return rx.hstack(
        rx.avatar(fallback=AuthState.initials, size="2", radius="full", variant="soft"),
        rx.vstack(
            rx.text(AuthState.display_name, size="2", weight="medium", trim="both"),
            rx.text("@", AuthState.handle, size="1", color_scheme="gray", trim="both"),
            spacing="1",
            display=["none", "flex"],
        ),
        rx.cond(
            AuthState.is_admin,
            rx.badge("Admin", variant="soft", radius="full", display=["none", "inline-flex"]),
        ),
        # On a phone only the icon shows; the accessible name stays "Log out".
        rx.button(
            rx.icon("log_out", size=16),
            rx.text("Log out", display=["none", "inline"]),
            on_click=AuthState.log_out,
            variant="soft",
            color_scheme="gray",
            aria_label="Log out",
            flex_shrink="0",
        ),
        align="center",
        spacing="2",
        flex_shrink="0",
    )


def _guest_menu(route: str) -> rx.Component:
    return rx.hstack(
        rx.link(rx.button("Log in", variant="soft"), href=f"{LOGIN_ROUTE}?next={route}"),
        rx.link(rx.button("Sign up"), href=SIGNUP_ROUTE),
        spacing="2",
    )


def topbar(route: str) -> rx.Component:
    return rx.flex(
        rx.hstack(
            _mobile_nav(route),
            rx.box(wordmark("4"), display=["block", "block", "none"]),
            align="center",
            spacing="3",
            min_width="0",
            overflow="hidden",
        ),
        rx.cond(
            AuthState.auth_checked,
            rx.cond(AuthState.is_logged_in, _user_menu(), _guest_menu(route)),
        ),
        justify="between",
        align="center",
        gap="3",
        height="64px",
        padding_x=["var(--space-3)", "var(--space-4)", "var(--space-6)"],
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        background=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def admins_only() -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.icon("shield", size=32, color=rx.color("gray", 10)),
                rx.heading("Admins only", size="6", as_="h1"),
                rx.text(
                    "This page is for the people who run this SocialHub. "
                    "Ask an admin if you think you need access.",
                    color_scheme="gray",
                    align="center",
                ),
                rx.link(rx.button("Back to the dashboard", variant="soft"), href="/dashboard"),
                align="center",
                spacing="3",
                padding="var(--space-5)",
            ),
            size="3",
            max_width="28em",
        ),
        width="100%",
        padding_top="10vh",
    )


def shell(
    content: rx.Component, *, route: str, public: bool = False, admin_only: bool = False
) -> rx.Component:
    """Sidebar + top bar around `content`; private content renders only for a logged-in user."""
    body = content
    if admin_only:
        body = rx.cond(AuthState.is_admin, body, admins_only())
    if not public:
        body = rx.cond(AuthState.is_logged_in, body, loading_screen("Checking your session…"))
    return rx.flex(
        sidebar(route),
        rx.flex(
            topbar(route),
            rx.el.main(
                rx.box(body, width="100%", max_width="1080px", margin_x="auto"),
                padding=["var(--space-4)", "var(--space-5)", "var(--space-6)", "var(--space-8)"],
                width="100%",
            ),
            direction="column",
            flex="1",
            min_width="0",
        ),
        width="100%",
        min_height="100vh",
        background=rx.color("gray", 1),
    )
