"""A chart card: title, a line of explanation, CSV and PNG buttons, the plotly chart.

The figure comes from state (data + layout only); the look comes from a light or a dark
template picked by the colour mode (state/dashboard_figures.LIGHT / DARK). The modebar
keeps only its "download as PNG" button (shown on hover); the card's own PNG button clicks
that one, so both give the same client-side image (no server round trip)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from plotly.graph_objs.layout import Template
from reflex.vars import LiteralVar

from socialhub.state.dashboard_figures import CONFIG, DARK, LIGHT


def _template() -> Any:
    return rx.color_mode_cond(light=LiteralVar.create(LIGHT), dark=LiteralVar.create(DARK)).to(Template)  # type: ignore[union-attr]


def png_script(chart_id: str) -> str:
    return f"document.querySelector('#{chart_id} .modebar-btn')?.click()"


# plotly's grey "Taking snapshot…" notices float over the app; the download itself says enough.
HIDE_NOTICES = ".plotly-notifier { display: none !important; }"


def chart(chart_id: str, figure: Any, filename: str, height: str = "300px") -> rx.Component:
    config = {**CONFIG, "toImageButtonOptions": {**CONFIG["toImageButtonOptions"], "filename": filename}}
    return rx.box(
        rx.el.style(HIDE_NOTICES),
        rx.plotly(data=figure, config=config, template=_template(), id=chart_id, width="100%", height=height),
        width="100%",
        min_height=height,
    )


def chart_card(
    title: str,
    description: Any,
    chart_id: str,
    figure: Any,
    on_csv: Any,
    *extra: rx.Component,
    filename: str = "",
    height: str = "300px",
) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.heading(title, size="4", as_="h2"),
                    rx.text(description, size="2", color_scheme="gray"),
                    spacing="1",
                    min_width="0",
                    flex="1",
                ),
                export_buttons(title, on_csv, chart_id),
                justify="between",
                align="start",
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            *extra,
            chart(chart_id, figure, filename or f"socialhub-{chart_id}", height),
            spacing="3",
            width="100%",
        ),
        width="100%",
        data_testid=chart_id + "-card",
    )


def export_buttons(title: str, on_csv: Any, chart_id: str | None = None) -> rx.Component:
    buttons = [
        rx.button(
            rx.icon("file_down", size=14),
            "CSV",
            size="1",
            variant="soft",
            color_scheme="gray",
            on_click=on_csv,
            aria_label=f"Download {title} as CSV",
        )
    ]
    if chart_id:
        buttons.append(
            rx.button(
                rx.icon("image_down", size=14),
                "PNG",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=rx.call_script(png_script(chart_id)),
                aria_label=f"Download {title} as PNG",
            )
        )
    return rx.hstack(*buttons, spacing="2", flex_shrink="0")
