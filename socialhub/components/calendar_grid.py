"""Month and week grids. Posts are HTML5-draggable chips; a day (month) or an hour cell
(week) is a drop target that reschedules the dragged post there."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventHandler, no_args_event_spec

from socialhub.components.platforms import platform_icon, status_color
from socialhub.state.calendar import CalendarState
from socialhub.state.calendar_view import CalCell, CalEntry, CalRow


class DragBox(rx.el.Div):
    """A div with the HTML5 drag-and-drop events Reflex does not expose on its elements."""

    on_drag_start: EventHandler[no_args_event_spec]
    on_drag_end: EventHandler[no_args_event_spec]
    on_drag_over: EventHandler[no_args_event_spec]
    on_drop: EventHandler[no_args_event_spec]


def _chip(e: CalEntry, compact: bool = False) -> rx.Component:
    color = status_color(e.status)
    return DragBox.create(
        rx.hstack(
            platform_icon(e.platform, size=10, box="16px"),
            rx.text(e.clock, size="1", weight="bold"),
            rx.text(
                e.title,
                size="1",
                trim="both",
                overflow="hidden",
                text_overflow="ellipsis",
                white_space="nowrap",
            ),
            rx.cond(e.url != "", rx.icon("external_link", size=10)),
            spacing="1",
            align="center",
            min_width="0",
        ),
        draggable=e.movable,
        on_drag_start=CalendarState.start_drag(e.target_id),
        on_drag_end=CalendarState.end_drag,
        on_click=CalendarState.open_detail(e.target_id).stop_propagation,
        role="button",
        aria_label=e.title + " · " + e.status_label + " · " + e.clock,
        data_status=e.status,
        title=e.account + " · " + e.status_label,
        style={
            "background": rx.color(color, 3),  # type: ignore[arg-type]
            "border_left": "3px solid",
            "border_left_color": rx.color(color, 9),  # type: ignore[arg-type]
            "color": rx.color(color, 12),  # type: ignore[arg-type]
            "border_radius": "4px",
            "padding": "2px 4px",
            "cursor": rx.cond(e.movable, "grab", "pointer"),
            "overflow": "hidden",
            "margin_bottom": "2px",
        },
    )


def _drop_cell(cell: CalCell, *children, min_height: str) -> rx.Component:
    return DragBox.create(
        *children,
        on_drag_over=rx.prevent_default,
        on_drop=CalendarState.drop_on(cell.key).prevent_default,
        data_day=cell.key,
        style={
            "min_height": min_height,
            "padding": "4px",
            "border_right": f"1px solid {rx.color('gray', 4)}",
            "border_bottom": f"1px solid {rx.color('gray', 4)}",
            "background": rx.cond(
                cell.today, rx.color("accent", 2), rx.cond(cell.in_month, "transparent", rx.color("gray", 2))
            ),
            "min_width": "0",
        },
    )


def _month_cell(cell: CalCell) -> rx.Component:
    return _drop_cell(
        cell,
        rx.text(
            cell.label,
            size="1",
            weight=rx.cond(cell.today, "bold", "regular"),
            color_scheme=rx.cond(cell.in_month, "gray", "gray"),
            opacity=rx.cond(cell.in_month, "1", "0.5"),
        ),
        rx.foreach(cell.posts, _chip),
        min_height="104px",
    )


def _header() -> rx.Component:
    return rx.foreach(
        CalendarState.day_names,
        lambda n: rx.text(
            n,
            size="1",
            weight="bold",
            color_scheme="gray",
            padding="4px",
            border_bottom=f"1px solid {rx.color('gray', 5)}",
        ),
    )


def month_grid() -> rx.Component:
    return rx.grid(
        _header(),
        rx.foreach(CalendarState.rows, lambda r: rx.foreach(r.cells, _month_cell)),
        columns="7",
        width="100%",
        border_left=f"1px solid {rx.color('gray', 4)}",
        border_top=f"1px solid {rx.color('gray', 4)}",
        role="grid",
        aria_label="Month",
    )


def _week_row(row: CalRow) -> rx.Component:
    return rx.fragment(
        rx.text(
            row.label,
            size="1",
            color_scheme="gray",
            padding="4px",
            border_bottom=f"1px solid {rx.color('gray', 4)}",
        ),
        rx.foreach(row.cells, lambda c: _drop_cell(c, rx.foreach(c.posts, _chip), min_height="30px")),
    )


def week_grid() -> rx.Component:
    return rx.grid(
        rx.box(),
        _header(),
        rx.foreach(CalendarState.rows, _week_row),
        grid_template_columns="56px repeat(7, minmax(0, 1fr))",
        width="100%",
        border_left=f"1px solid {rx.color('gray', 4)}",
        border_top=f"1px solid {rx.color('gray', 4)}",
        role="grid",
        aria_label="Week",
    )
