"""The composer: accounts by platform, caption and per-platform overrides with live counts,
previews, every problem at once, and the time in the creator's zone."""

from __future__ import annotations

import reflex as rx

from socialhub.components.platforms import platform_icon
from socialhub.components.previews import platform_preview
from socialhub.state.composer import AccountChoice, AccountGroup, ComposerState, CountRow, TikTokChoice


def _account(a: AccountChoice) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=ComposerState.chosen.contains(a.id),
                on_change=lambda v: ComposerState.toggle_account(a.id, v),
                disabled=~a.usable,
            ),
            rx.avatar(src=a.avatar_url, fallback=a.label[1:3], size="1", radius="full"),
            rx.text(a.label, size="2"),
            rx.cond(~a.usable, rx.badge("reconnect first", color_scheme="red", size="1")),
            align="center",
            spacing="2",
        ),
        cursor="pointer",
    )


def _group(g: AccountGroup) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            platform_icon(g.platform), rx.text(g.label, size="2", weight="bold"), align="center", spacing="2"
        ),
        rx.vstack(rx.foreach(g.accounts, _account), spacing="1", padding_left="30px"),
        spacing="1",
        role="group",
        aria_label=g.label,
    )


def _count(c: CountRow) -> rx.Component:
    return rx.hstack(
        platform_icon(c.platform, size=12, box="18px"),
        rx.text(c.label, size="1"),
        rx.text(
            c.text,
            size="1",
            color_scheme=rx.cond(c.over, "red", "gray"),
            weight=rx.cond(c.over, "bold", "regular"),
        ),
        align="center",
        spacing="1",
        data_testid="count-" + c.platform,
    )


def _overrides() -> rx.Component:
    return rx.foreach(
        ComposerState.counts,
        lambda c: rx.box(
            rx.text.strong(c.label, size="1"),
            rx.text(" caption (leave empty to use the one above)", size="1", color_scheme="gray", as_="span"),
            rx.text_area(
                value=ComposerState.overrides.get(c.platform, ""),
                on_change=lambda v: ComposerState.set_override(c.platform, v),
                placeholder="Same as above",
                rows="1",
                size="1",
                min_height="36px",
                aria_label=c.label + " caption",
                width="100%",
            ),
            width="100%",
        ),
    )


def _tiktok(t: TikTokChoice) -> rx.Component:
    return rx.cond(
        ComposerState.chosen.contains(t.connection_id) & (t.options.length() > 0),
        rx.hstack(
            rx.text(t.account, ": who can see it", size="1", weight="bold"),
            rx.select.root(
                rx.select.trigger(placeholder="Choose…", aria_label=t.account + " audience"),
                rx.select.content(rx.foreach(t.options, lambda o: rx.select.item(o.label, value=o.value))),
                value=ComposerState.privacy.get(t.connection_id.to_string(), ""),
                on_change=lambda v: ComposerState.set_privacy(t.connection_id, v),
                size="1",
            ),
            align="center",
            spacing="2",
        ),
    )


def _when() -> rx.Component:
    return rx.vstack(
        rx.segmented_control.root(
            rx.segmented_control.item("Now", value="now"),
            rx.segmented_control.item("Later", value="later"),
            value=ComposerState.mode,
            on_change=ComposerState.set_mode,
            size="1",
        ),
        rx.cond(
            ComposerState.mode == "later",
            rx.hstack(
                rx.input(
                    type="date", value=ComposerState.day, on_change=ComposerState.set_day, aria_label="Date"
                ),
                rx.input(
                    type="time",
                    value=ComposerState.clock,
                    on_change=ComposerState.set_clock,
                    aria_label="Time",
                ),
                rx.input(
                    default_value=ComposerState.timezone,
                    key=ComposerState.timezone,
                    on_blur=ComposerState.set_timezone,
                    aria_label="Time zone",
                    width="180px",
                ),
                spacing="2",
                wrap="wrap",
            ),
        ),
        rx.cond(
            ComposerState.timezone_error != "",
            rx.text(ComposerState.timezone_error, size="1", color_scheme="red"),
        ),
        rx.foreach(
            ComposerState.notes,
            lambda n: rx.hstack(
                rx.icon("info", size=14, flex_shrink="0", color=rx.color("gray", 10)),
                rx.text(n, size="1", color_scheme="gray"),
                spacing="2",
                align="start",
            ),
        ),
        spacing="2",
        width="100%",
    )


def _problems() -> rx.Component:
    return rx.cond(
        ComposerState.problems.length() > 0,
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle_alert")),
            rx.vstack(
                rx.text("Fix these before it can be queued:", weight="bold", size="2"),
                rx.el.ul(
                    rx.foreach(ComposerState.problems, lambda p: rx.el.li(rx.text(p, size="2"))),
                    padding_left="1em",
                ),
                spacing="1",
            ),
            color_scheme="red",
            role="alert",
            aria_label="Problems",
            width="100%",
        ),
    )


def schedule_dialog() -> rx.Component:
    left = rx.vstack(
        rx.text("Accounts", weight="bold", size="2"),
        rx.cond(
            ComposerState.groups.length() == 0,
            rx.text(
                "No connected accounts yet: connect one on the Connections page.",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.foreach(ComposerState.groups, _group),
        rx.separator(size="4"),
        rx.text("Caption", weight="bold", size="2"),
        rx.text_area(
            value=ComposerState.caption,
            on_change=ComposerState.set_caption,
            rows="4",
            width="100%",
            aria_label="Caption",
        ),
        rx.flex(rx.foreach(ComposerState.counts, _count), gap="6px 16px", wrap="wrap"),
        _overrides(),
        rx.foreach(ComposerState.tiktok, _tiktok),
        spacing="2",
        width="100%",
        min_width="0",
    )
    right = rx.vstack(
        _problems(),
        rx.cond(
            ComposerState.error_message != "",
            rx.callout(ComposerState.error_message, icon="triangle_alert", color_scheme="red", width="100%"),
        ),
        rx.text("Previews", weight="bold", size="2"),
        rx.cond(
            ComposerState.previews.length() == 0,
            rx.text("Choose an account to see how the post will look there.", size="2", color_scheme="gray"),
        ),
        rx.flex(rx.foreach(ComposerState.previews, platform_preview), gap="12px", wrap="wrap"),
        rx.separator(size="4"),
        rx.text("When", weight="bold", size="2"),
        _when(),
        spacing="2",
        width="100%",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(ComposerState.mode == "now", "Publish now: ", "Schedule: "), ComposerState.title
            ),
            rx.dialog.description(
                "Check each platform's preview; nothing is queued until every problem is fixed.", size="2"
            ),
            rx.grid(
                left,
                right,
                columns=rx.breakpoints(initial="1", md="2"),
                gap="24px",
                margin_top="3",
                width="100%",
            ),
            rx.hstack(
                rx.cond(
                    ComposerState.problems.length() > 0,
                    rx.text("Fix the problems listed above first.", size="1", color_scheme="red"),
                ),
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.button(
                    rx.cond(ComposerState.mode == "now", "Publish now", "Schedule"),
                    disabled=~ComposerState.can_submit,
                    loading=ComposerState.busy,
                    on_click=ComposerState.submit,
                ),
                justify="end",
                align="center",
                spacing="3",
                margin_top="4",
            ),
            max_width="1040px",
            width="96vw",
        ),
        open=ComposerState.open,
        on_open_change=ComposerState.set_open,
    )
