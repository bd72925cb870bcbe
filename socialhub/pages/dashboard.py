"""/dashboard: every account and post over time, for the period and filters in the URL."""

from __future__ import annotations

import reflex as rx

from socialhub.components.charts import chart_card
from socialhub.components.dashboard_sections import comparison, top_posts
from socialhub.components.shell import template
from socialhub.components.ui import empty_state, loading_screen, page_header
from socialhub.state.dashboard import (
    RATE_FORMULA,
    AccountChoice,
    DashboardState,
    HeadlineCard,
)
from socialhub.state.dashboard_params import PERIOD_CHOICES, platform_choices

S = DashboardState
KIND_COLORS = (("up", "green"), ("down", "red"), ("new", "blue"))
# --- the view: period, platform, account ---------------------------------------------------


def _select(label: str, value, items, on_change, testid: str, **props) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, data_testid=testid, **props),
        rx.select.content(*items) if isinstance(items, list) else rx.select.content(items),
        value=value,
        on_change=on_change,
    )


def _filters() -> rx.Component:
    period_items = [rx.select.item(text, value=key) for key, text in PERIOD_CHOICES]
    return rx.vstack(
        rx.flex(
            rx.box(
                rx.segmented_control.root(
                    *[rx.segmented_control.item(text, value=key) for key, text in PERIOD_CHOICES],
                    value=S.period,
                    on_change=S.set_period,
                    aria_label="Period",
                ),
                display=["none", "none", "block"],
            ),
            rx.box(
                _select("Period", S.period, period_items, S.set_period, "period-select", min_width="8em"),
                display=["block", "block", "none"],
            ),
            _select(
                "Platform",
                S.platform,
                [rx.select.item(text, value=key) for key, text in platform_choices()],
                S.set_platform,
                "platform-select",
                min_width="10em",
            ),
            _select(
                "Account",
                S.account,
                rx.foreach(S.accounts, _account_item),
                S.set_account,
                "account-select",
                min_width="10em",
                max_width="100%",
            ),
            rx.cond(
                S.loading,
                rx.hstack(rx.spinner(size="2"), rx.text("Updating…", size="2", color_scheme="gray")),
            ),
            wrap="wrap",
            spacing="3",
            align="center",
            width="100%",
        ),
        rx.cond(S.period == "custom", _custom_form()),
        rx.cond(
            S.period_label != "",
            rx.text(S.period_label, " · compared with the ", S.compare_label, size="2", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
    )


def _account_item(a: AccountChoice) -> rx.Component:
    return rx.select.item(a.label, value=a.value)


def _custom_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.text("From", size="2"),
            rx.input(type="date", name="from", default_value=S.start, aria_label="Start date", required=True),
            rx.text("to", size="2"),
            rx.input(type="date", name="to", default_value=S.end, aria_label="End date", required=True),
            rx.button("Show", type="submit", variant="soft"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        on_submit=S.apply_custom,
        reset_on_submit=False,
    )


# --- states: notes, reconnect, errors, empty -----------------------------------------------


def _notes() -> rx.Component:
    return rx.cond(
        S.notes,
        rx.callout.root(
            rx.callout.icon(rx.icon("info", size=16)),
            rx.vstack(rx.foreach(S.notes, lambda n: rx.callout.text(n)), spacing="1"),
            color_scheme="blue",
            variant="soft",
            width="100%",
            data_testid="dashboard-notes",
        ),
    )


def _reconnect() -> rx.Component:
    return rx.foreach(
        S.reconnect,
        lambda item: rx.callout.root(
            rx.callout.icon(rx.icon("plug_zap", size=16)),
            rx.flex(
                rx.callout.text(item, ": reconnect to resume its numbers."),
                rx.link(rx.button("Reconnect", size="1", color_scheme="amber"), href="/connections"),
                justify="between",
                align="center",
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            color_scheme="amber",
            width="100%",
            role="alert",
        ),
    )


def _error() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle_alert", size=16)),
        rx.flex(
            rx.callout.text(S.error_message),
            rx.button(rx.icon("rotate_cw", size=14), "Try again", size="1", on_click=S.retry),
            justify="between",
            align="center",
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        color_scheme="red",
        role="alert",
        width="100%",
    )


def _empty(icon: str, title: str, text, *actions: rx.Component) -> rx.Component:
    return empty_state(icon, title, text, *actions, data_testid="dashboard-empty")


def _no_connections() -> rx.Component:
    return _empty(
        "plug",
        "Connect an account",
        "Your dashboard charts views, engagement and followers for the accounts you connect.",
        rx.link(rx.button(rx.icon("plug", size=16), "Connect an account", size="3"), href="/connections"),
    )


def _no_snapshots() -> rx.Component:
    return _empty(
        "clock",
        "Waiting for the first sync",
        rx.fragment(
            "First sync runs at ",
            rx.text.strong(S.next_sync),
            " (",
            S.tz,
            "). Your numbers appear right after it, or sync now.",
        ),
        rx.button(
            rx.icon("refresh_cw", size=16),
            "Sync now",
            size="3",
            on_click=S.sync_now,
            loading=S.syncing | S.sync_running,
        ),
        rx.cond(S.sync_notice != "", rx.text(S.sync_notice, size="2", color_scheme="gray", role="status")),
    )


# --- numbers --------------------------------------------------------------------------------


def _card(card: HeadlineCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(card.label, size="2", color_scheme="gray", weight="medium"),
            rx.text(card.value, size="7", weight="bold", data_testid="headline-" + card.key),
            rx.hstack(
                rx.badge(
                    card.change,
                    color_scheme=rx.match(card.kind, *KIND_COLORS, "gray"),
                    variant="soft",
                    radius="full",
                ),
                rx.text("vs ", card.previous, size="1", color_scheme="gray"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            spacing="1",
        ),
        width="100%",
        data_testid="headline-card",
    )


def _headline() -> rx.Component:
    return rx.grid(
        rx.foreach(S.cards, _card), columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%"
    )


def _charts() -> rx.Component:
    return rx.vstack(
        chart_card(
            "Views over time",
            "Views gained each day, stacked by platform.",
            "views-chart",
            S.views_fig,
            S.download_csv("views"),
        ),
        rx.grid(
            chart_card(
                "Followers",
                "Followers at the end of each day, per account.",
                "followers-chart",
                S.followers_fig,
                S.download_csv("followers"),
            ),
            chart_card(
                "Engagement rate",
                rx.fragment("Each day: ", rx.text.strong(RATE_FORMULA), "."),
                "rate-chart",
                S.rate_fig,
                S.download_csv("rate"),
                rx.cond(
                    S.basis,
                    rx.el.details(
                        rx.el.summary(rx.text("Which basis each platform uses", size="1", as_="span")),
                        rx.vstack(
                            rx.foreach(S.basis, lambda b: rx.text(b, size="1", color_scheme="gray")),
                            spacing="1",
                        ),
                        color=rx.color("gray", 11),
                    ),
                ),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _numbers() -> rx.Component:
    return rx.vstack(
        _headline(),
        _charts(),
        comparison(),
        top_posts(),
        spacing="4",
        width="100%",
        opacity=rx.cond(S.loading, "0.6", "1"),
        transition="opacity 0.2s",
    )


def _body() -> rx.Component:
    return rx.cond(
        ~S.loaded,
        rx.cond(S.error_message != "", _error(), loading_screen("Loading your numbers…")),
        rx.vstack(
            _notes(),
            _reconnect(),
            rx.cond(S.error_message != "", _error()),
            rx.cond(
                S.connections == 0,
                _no_connections(),
                rx.cond(
                    S.has_snapshots,
                    rx.vstack(_filters(), _numbers(), spacing="4", width="100%"),
                    _no_snapshots(),
                ),
            ),
            spacing="4",
            width="100%",
        ),
    )


@template(route="/dashboard", title="Dashboard", on_load=DashboardState.load)
def dashboard() -> rx.Component:
    return rx.vstack(
        page_header(
            "Dashboard",
            "How your posts and accounts are doing.",
            rx.cond(
                S.last_sync != "",
                rx.text("Last sync ", S.last_sync, " ", S.tz, size="1", color_scheme="gray"),
            ),
        ),
        _body(),
        width="100%",
        spacing="0",
    )
