"""plotly figures for the dashboard, drawn from the tables in services/dashboard_tables.

Each figure carries data and layout only (no template): the page adds a light or a dark
template (`LIGHT`, `DARK`) with rx.color_mode_cond, so one figure reads well in both modes.
Platform colours are mid-tones that read on white and on near-black, the same in every
chart. Plain plotly, no Reflex.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from socialhub.config import PLATFORM_LABELS
from socialhub.services.dashboard_tables import Table

# The app's look: Radix slate grays, the violet accent, the system font stack Radix uses.
FONT = '-apple-system, BlinkMacSystemFont, "Segoe UI (Custom)", Roboto, "Helvetica Neue", sans-serif'
ACCENT = "#6e56cf"
PLATFORM_COLORS = {
    "instagram": "#ab4aba",  # plum: apart from YouTube's red in a legend
    "facebook": "#3e63dd",
    "tiktok": "#12a594",
    "youtube": "#e5484d",
    "linkedin": "#0090ff",
    "x": "#8b8d98",
}
# Extra lines of one platform (several accounts) get these dashes, in order.
DASHES = ("solid", "dot", "dash", "longdash", "dashdot")
# The chart's own buttons: only the PNG download (the page's "PNG" button clicks it too).
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtons": [["toImage"]],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def _template(*, text: str, muted: str, grid: str, hover_bg: str, hover_text: str) -> dict:
    axis = {
        "gridcolor": grid,
        "linecolor": grid,
        "zerolinecolor": grid,
        "tickfont": {"color": muted, "size": 11},
        "title": {"font": {"color": muted, "size": 12}},
        "automargin": True,
    }
    return {
        "layout": {
            "font": {"family": FONT, "color": text, "size": 12},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "colorway": [ACCENT, *PLATFORM_COLORS.values()],
            "xaxis": axis,
            "yaxis": axis,
            "legend": {"font": {"color": text, "size": 12}},
            "hoverlabel": {
                "bgcolor": hover_bg,
                "bordercolor": grid,
                "font": {"family": FONT, "color": hover_text, "size": 12},
            },
            "modebar": {"bgcolor": "rgba(0,0,0,0)", "color": muted, "activecolor": ACCENT},
        }
    }


# Radix slate 12/11/5 (light) and their dark-mode steps.
LIGHT = _template(text="#1c2024", muted="#60646c", grid="#e0e1e6", hover_bg="#ffffff", hover_text="#1c2024")
DARK = _template(text="#edeef0", muted="#b0b4ba", grid="#363a3f", hover_bg="#212225", hover_text="#edeef0")


def _layout(fig: go.Figure, *, y_title: str, percent: bool = False) -> go.Figure:
    fig.update_layout(
        template=None,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        height=300,
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        xaxis={"type": "date", "showgrid": False, "fixedrange": True},
        yaxis={
            "title": {"text": y_title},
            "rangemode": "tozero",
            "fixedrange": True,
            "ticksuffix": "%" if percent else "",
            "separatethousands": True,
        },
        dragmode=False,
    )
    return fig


def _series_color(label: str) -> str:
    for platform, color in PLATFORM_COLORS.items():
        name = PLATFORM_LABELS[platform]
        if label == name or label.endswith(f"({name})"):
            return color
    return ACCENT


def views_figure(table: Table) -> go.Figure:
    """Stacked daily views, one bar series per platform."""
    fig = go.Figure()
    days = table.column(0)
    for i, label in enumerate(table.columns[1:], start=1):
        fig.add_bar(
            x=days,
            y=table.column(i),
            name=label,
            marker={"color": _series_color(label)},
            hovertemplate="%{y:,}<extra>" + label + "</extra>",
        )
    fig.update_layout(barmode="stack", bargap=0.25)
    return _layout(fig, y_title="Views")


def lines_figure(table: Table, *, y_title: str, percent: bool = False) -> go.Figure:
    """One line per column (followers per account, engagement rate per platform)."""
    fig = go.Figure()
    days = table.column(0)
    used: dict[str, int] = {}
    value_format = "%{y:.2f}%" if percent else "%{y:,}"
    for i, label in enumerate(table.columns[1:], start=1):
        color = _series_color(label)
        dash = DASHES[used.get(color, 0) % len(DASHES)]
        used[color] = used.get(color, 0) + 1
        fig.add_scatter(
            x=days,
            y=table.column(i),
            name=label,
            mode="lines+markers" if len(days) <= 31 else "lines",
            line={"color": color, "width": 2, "dash": dash},
            marker={"size": 5},
            connectgaps=False,
            hovertemplate=value_format + "<extra>" + label + "</extra>",
        )
    return _layout(fig, y_title=y_title, percent=percent)


POST_SERIES = ("views", "likes", "comments", "shares", "saves")
POST_COLORS = {
    "views": ACCENT,
    "likes": "#e5484d",
    "comments": "#0d74ce",
    "shares": "#12a594",
    "saves": "#f76b15",
}


def post_figure(table: Table) -> go.Figure:
    """A post's curve since publishing: views on top, likes, comments, shares and saves
    under it (a shared time axis; their scales differ too much for one axis)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.5, 0.5])
    times = table.column(0)
    for name in POST_SERIES:
        i = table.columns.index(name)
        fig.add_scatter(
            x=times,
            y=table.column(i),
            name=name.capitalize(),
            mode="lines+markers" if len(times) <= 60 else "lines",
            line={"color": POST_COLORS[name], "width": 2.5 if name == "views" else 2},
            marker={"size": 5},
            connectgaps=False,
            hovertemplate="%{y:,}<extra>" + name.capitalize() + "</extra>",
            row=1 if name == "views" else 2,
            col=1,
        )
    _layout(fig, y_title="Views")
    fig.update_layout(height=420)
    fig.update_xaxes(showgrid=False, fixedrange=True)
    fig.update_yaxes(rangemode="tozero", fixedrange=True, separatethousands=True)
    fig.update_yaxes(title={"text": "Interactions"}, row=2, col=1)
    return fig
