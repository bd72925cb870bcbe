"""/calendar: every post on a month or week grid, coloured by status, with platform marks;
drag to reschedule; a post's detail with its targets, links, event log and actions."""

from __future__ import annotations

import reflex as rx

from socialhub.components.calendar_grid import month_grid, week_grid
from socialhub.components.heartbeat_banner import heartbeat_banner
from socialhub.components.platforms import STATUS_COLORS, platform_icon, status_color
from socialhub.components.shell import template
from socialhub.components.ui import error_callout, page_header
from socialhub.config import PLATFORM_LABELS, PLATFORMS
from socialhub.state.calendar import POLL_MS, CalendarState
from socialhub.state.calendar_view import EventRow, TargetRow
from socialhub.state.heartbeat import HeartbeatState
from socialhub.state.library import STATUS_WORDS


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.icon_button(
                rx.icon("chevron_left"),
                variant="soft",
                aria_label="Previous",
                on_click=CalendarState.shift(-1),
            ),
            rx.button("Today", variant="soft", on_click=CalendarState.today),
            rx.icon_button(
                rx.icon("chevron_right"), variant="soft", aria_label="Next", on_click=CalendarState.shift(1)
            ),
            rx.heading(CalendarState.heading, size="5", as_="h2", margin_left="2"),
            align="center",
            spacing="2",
        ),
        rx.spacer(),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(aria_label="Platform"),
                rx.select.content(
                    rx.select.item("All platforms", value="all"),
                    *[rx.select.item(PLATFORM_LABELS[p], value=p) for p in PLATFORMS],
                ),
                value=CalendarState.platform_filter,
                on_change=lambda v: CalendarState.set_filter("platform_filter", v),
            ),
            rx.select.root(
                rx.select.trigger(aria_label="Account"),
                rx.select.content(
                    rx.select.item("All accounts", value="all"),
                    rx.foreach(CalendarState.accounts, lambda o: rx.select.item(o.label, value=o.value)),
                ),
                value=CalendarState.account_filter,
                on_change=lambda v: CalendarState.set_filter("account_filter", v),
            ),
            rx.segmented_control.root(
                rx.segmented_control.item("Month", value="month"),
                rx.segmented_control.item("Week", value="week"),
                value=CalendarState.view,
                on_change=CalendarState.set_view,
            ),
            spacing="2",
            wrap="wrap",
        ),
        width="100%",
        gap="12px",
        wrap="wrap",
        align="center",
        margin_bottom="3",
    )


def _legend() -> rx.Component:
    shown = ["scheduled", "publishing", "published", "failed", "unconfirmed", "missed"]
    return rx.hstack(
        *[rx.badge(STATUS_WORDS[s], color_scheme=STATUS_COLORS[s], variant="soft", size="1") for s in shown],
        rx.text(
            "Times in ", CalendarState.timezone, ". Drag a post to move it.", size="1", color_scheme="gray"
        ),
        spacing="2",
        wrap="wrap",
        margin_top="1",
        margin_bottom="3",
        align="center",
    )


def _target_row(t: TargetRow) -> rx.Component:
    return rx.hstack(
        platform_icon(t.platform),
        rx.text(t.label, " @", t.account, size="2", weight=rx.cond(t.selected, "bold", "regular")),
        rx.badge(t.status_label, color_scheme=status_color(t.status), variant="soft"),
        rx.cond(
            t.url != "",
            rx.link("View post", rx.icon("external_link", size=12), href=t.url, is_external=True, size="2"),
        ),
        rx.cond(
            ~t.selected,
            rx.button("Open", size="1", variant="ghost", on_click=CalendarState.open_detail(t.target_id)),
        ),
        align="center",
        spacing="2",
        wrap="wrap",
    )


def _event(e: EventRow) -> rx.Component:
    return rx.hstack(
        rx.text(e.at, size="1", color_scheme="gray", min_width="110px", font_family="monospace"),
        rx.text(e.text, size="1"),
        spacing="2",
        align="start",
    )


def _actions() -> rx.Component:
    d = CalendarState.detail
    return rx.vstack(
        rx.cond(
            d.why_fixed != "",
            rx.callout(d.why_fixed, icon="lock", color_scheme="gray", size="1", width="100%"),
        ),
        rx.cond(
            d.movable,
            rx.vstack(
                rx.text("Move", size="2", weight="bold"),
                rx.hstack(
                    rx.input(
                        type="date",
                        value=CalendarState.move_day,
                        on_change=CalendarState.set_move_day,
                        aria_label="New date",
                    ),
                    rx.input(
                        type="time",
                        value=CalendarState.move_clock,
                        on_change=CalendarState.set_move_clock,
                        aria_label="New time",
                    ),
                    rx.button("Reschedule", size="2", on_click=CalendarState.act("reschedule")),
                    spacing="2",
                    wrap="wrap",
                ),
                rx.text("Caption", size="2", weight="bold"),
                rx.text_area(
                    value=CalendarState.edit_caption,
                    on_change=CalendarState.set_edit_caption,
                    rows="3",
                    width="100%",
                    aria_label="Post caption",
                ),
                rx.button("Save caption", size="1", variant="soft", on_click=CalendarState.act("caption")),
                spacing="2",
                width="100%",
            ),
        ),
        rx.cond(
            d.unconfirmed,
            rx.vstack(
                rx.text("We could not confirm whether it went out. Look on ", d.label, ", then:", size="2"),
                rx.hstack(
                    rx.input(
                        placeholder="https://…",
                        value=CalendarState.resolve_url,
                        on_change=CalendarState.set_resolve_url,
                        aria_label="Post link",
                        width="280px",
                    ),
                    rx.button("It is published", size="2", on_click=CalendarState.act("published")),
                    spacing="2",
                    wrap="wrap",
                ),
                rx.button(
                    "It is not there: publish again",
                    size="2",
                    variant="soft",
                    color_scheme="orange",
                    on_click=CalendarState.act("again"),
                ),
                spacing="2",
                width="100%",
            ),
        ),
        rx.hstack(
            rx.cond(d.can_retry, rx.button("Retry", size="2", on_click=CalendarState.act("now"))),
            rx.cond(
                d.can_publish_missed, rx.button("Publish now", size="2", on_click=CalendarState.act("now"))
            ),
            rx.cond(
                d.can_cancel,
                rx.button(
                    "Cancel this post",
                    size="2",
                    variant="soft",
                    color_scheme="red",
                    on_click=CalendarState.act("cancel"),
                ),
            ),
            spacing="2",
        ),
        rx.cond(
            (CalendarState.notice != "") & (CalendarState.detail_error == ""),
            rx.text(
                rx.icon("check", size=14),
                " ",
                CalendarState.notice,
                size="2",
                color_scheme="green",
                role="status",
            ),
        ),
        error_callout(CalendarState.detail_error),
        spacing="3",
        width="100%",
    )


def _detail_dialog() -> rx.Component:
    d = CalendarState.detail
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(d.title),
            rx.hstack(
                platform_icon(d.platform),
                rx.text(d.label, " @", d.account, " · ", d.when, size="2"),
                rx.badge(d.status_label, color_scheme=status_color(d.status), variant="solid"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(d.url != "", rx.link("Open on ", d.label, href=d.url, is_external=True, size="2")),
            rx.cond(d.last_error != "", rx.text(d.last_error, size="2", color_scheme="red")),
            rx.text(d.caption, size="2", white_space="pre-wrap", margin_y="2", color_scheme="gray"),
            rx.separator(size="4", margin_y="2"),
            rx.text("This post on every account", size="2", weight="bold"),
            rx.vstack(rx.foreach(d.targets, _target_row), spacing="1", margin_bottom="2"),
            _actions(),
            rx.separator(size="4", margin_y="2"),
            rx.text("What happened", size="2", weight="bold"),
            rx.scroll_area(
                rx.vstack(rx.foreach(d.events, _event), spacing="1"), max_height="160px", type="auto"
            ),
            rx.hstack(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                justify="end",
                margin_top="3",
            ),
            max_width="640px",
        ),
        open=CalendarState.detail_open,
        on_open_change=CalendarState.set_detail_open,
    )


@template(route="/calendar", title="Calendar", on_load=[CalendarState.load, HeartbeatState.check])
def calendar() -> rx.Component:
    return rx.vstack(
        heartbeat_banner(),
        page_header("Calendar", "Everything scheduled, publishing and published, in one place."),
        _toolbar(),
        _legend(),
        rx.cond(
            CalendarState.notice != "",
            rx.callout(
                CalendarState.notice, icon="info", role="status", width="100%", margin_bottom="3", size="1"
            ),
        ),
        error_callout(CalendarState.error_message),
        rx.cond(CalendarState.view == "month", month_grid(), week_grid()),
        # Short polling: statuses change on the page while the worker publishes.
        rx.moment(interval=POLL_MS, on_change=CalendarState.poll, display="none"),
        _detail_dialog(),
        width="100%",
        spacing="0",
    )
