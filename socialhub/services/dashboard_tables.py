"""What the dashboard shows, as plain tables: one per chart and one for the top posts.

The page draws each chart from its table (one trace per column after the first) and renders
the top-posts list from its table's rows; the CSV export writes the very same table. So the
CSV a creator downloads is, by construction, what the page showed: same rows, same order,
same numbers (rates are rounded once, here, and both the chart and the file use that value).

Plain Python: no Reflex, no database. Input is what `services/dashboard_queries` returns.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from socialhub.config import PLATFORM_LABELS, PLATFORMS

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """A named table: `columns` are the header, each row has one cell per column."""

    name: str  # the CSV's file stem, e.g. "views-by-platform"
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def column(self, index: int) -> list[Cell]:
        return [row[index] for row in self.rows]


def platform_label(platform: str) -> str:
    return PLATFORM_LABELS.get(platform, platform)


def _cell(value: Any) -> Cell:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def to_csv(table: Table) -> str:
    """RFC 4180 text of the table (header first); None is an empty cell. Text cells that a
    spreadsheet would run as a formula get a leading apostrophe (CSV injection)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if c is None else _safe_text(c) for c in row])
    return out.getvalue()


def _safe_text(value: Cell) -> Cell:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_filename(table: Table, period_label: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", f"socialhub-{table.name}-{period_label}".lower()).strip("-")
    return f"{stem}.csv"


def _platform_order(platforms: Iterable[str]) -> list[str]:
    seen = set(platforms)
    return [p for p in PLATFORMS if p in seen] + sorted(seen - set(PLATFORMS))


def _wide(name: str, title: str, points: Iterable[tuple[date, str, Cell]], labels: dict[str, str]) -> Table:
    """Long points (day, series key, value) -> one row per day, one column per series."""
    order = list(labels)
    cells: dict[date, dict[str, Cell]] = {}
    for day, key, value in points:
        cells.setdefault(day, {})[key] = value
    body = tuple((day.isoformat(), *(cells[day].get(k) for k in order)) for day in sorted(cells))
    return Table(name, title, ("day", *(labels[k] for k in order)), body)


def views_table(rows: Sequence[Any]) -> Table:
    """views_over_time rows -> day x platform (views gained that local day)."""
    labels = {p: platform_label(p) for p in _platform_order(r.platform for r in rows)}
    points = ((r.day, r.platform, r.value) for r in rows)
    return _wide("views-by-platform", "Views by platform", points, labels)


def followers_table(rows: Sequence[Any]) -> Table:
    """followers_over_time rows -> day x account (followers at the end of the day)."""
    labels: dict[str, str] = {}
    for r in sorted(rows, key=lambda r: (_platform_rank(r.platform), r.label, r.connection_id)):
        labels.setdefault(str(r.connection_id), f"{r.label} ({platform_label(r.platform)})")
    points = ((r.day, str(r.connection_id), r.value) for r in rows)
    return _wide("followers-by-account", "Followers by account", points, labels)


def rate_percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 2)


def rate_table(rows: Sequence[Any]) -> Table:
    """engagement_rate_over_time rows -> day x platform, in percent (2 decimals)."""
    labels = {p: platform_label(p) for p in _platform_order(r.platform for r in rows)}
    points = ((r.day, r.platform, rate_percent(r.rate)) for r in rows)
    return _wide("engagement-rate", "Engagement rate (%)", points, labels)


def _platform_rank(platform: str) -> int:
    return PLATFORMS.index(platform) if platform in PLATFORMS else len(PLATFORMS)


COMPARISON_COLUMNS = (
    "platform",
    "account",
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "reach",
    "engagement",
    "engagement rate (%)",
    "followers gained",
    "posts",
)


def comparison_table(rows: Sequence[Any]) -> Table:
    """comparison rows: each platform's total row first, then its accounts."""
    ordered = sorted(rows, key=lambda r: (_platform_rank(r.platform), r.connection_id is not None, r.label))
    body = tuple(
        (
            platform_label(r.platform),
            "All accounts" if r.connection_id is None else r.label,
            r.views,
            r.likes,
            r.comments,
            r.shares,
            r.saves,
            r.reach,
            r.engagement,
            rate_percent(r.engagement_rate),
            r.followers_gained,
            r.posts,
        )
        for r in ordered
    )
    return Table("platform-comparison", "Platform comparison", COMPARISON_COLUMNS, body)


TOP_COLUMNS = (
    "title",
    "platform",
    "account",
    "published",
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "reach",
    "engagement",
    "total views",
    "url",
)
# The measures the table sorts by (the query module validates them too).
SORTABLE = (
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "reach",
    "engagement",
    "total_views",
    "published_at",
)


def local_day(moment: datetime | None, tz: str) -> str:
    return "" if moment is None else moment.astimezone(ZoneInfo(tz)).date().isoformat()


def top_posts_table(rows: Sequence[Any], tz: str) -> Table:
    """top_posts rows in the order the query returned them (its sort)."""
    body = tuple(
        (
            r.title or "(no caption)",
            platform_label(r.platform),
            r.account_label,
            local_day(r.published_at, tz),
            r.views,
            r.likes,
            r.comments,
            r.shares,
            r.saves,
            r.reach,
            r.engagement,
            r.total_views,
            r.url or "",
        )
        for r in rows
    )
    return Table("top-posts", "Top posts", TOP_COLUMNS, body)


POINT_COLUMNS = ("taken at", "views", "likes", "comments", "shares", "saves", "reach")


def post_points_table(points: Sequence[Any], tz: str, post_id: int) -> Table:
    """post_detail points: one row per snapshot, in the creator's time zone."""
    zone = ZoneInfo(tz)
    body = tuple(
        (
            p.taken_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            p.views,
            p.likes,
            p.comments,
            p.shares,
            p.saves,
            p.reach,
        )
        for p in points
    )
    return Table(f"post-{post_id}", "Post since publishing", POINT_COLUMNS, body)
