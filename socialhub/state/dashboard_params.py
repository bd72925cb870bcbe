"""The dashboard's view as URL parameters, so a view can be bookmarked and shared with oneself:

    /dashboard?period=30d&platform=instagram&account=12&sort=likes
    /dashboard?period=custom&from=2026-01-01&to=2026-02-01

`parse` reads them leniently: a value it cannot use is dropped with a note saying so, and the
rest of the view still applies. Whether an account id belongs to the creator is checked
later, against the database (state/dashboard.py). Plain Python, no Reflex.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from socialhub.config import PLATFORM_LABELS, PLATFORMS
from socialhub.services.dashboard_tables import SORTABLE

PERIOD_CHOICES = (
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("365d", "A year"),
    ("custom", "Custom"),
)
PERIOD_NAMES = tuple(k for k, _ in PERIOD_CHOICES)
DEFAULT_PERIOD = "30d"
MAX_PARAM = 64  # longer values are not ours


@dataclass(frozen=True)
class Params:
    period: str = DEFAULT_PERIOD
    platform: str = ""  # "" = every platform
    account: int = 0  # 0 = every account
    start: str = ""  # ISO dates, custom period only
    end: str = ""
    sort: str = "views"
    descending: bool = True

    def start_date(self) -> date | None:
        return date.fromisoformat(self.start) if self.start else None

    def end_date(self) -> date | None:
        return date.fromisoformat(self.end) if self.end else None


def _shown(value: str) -> str:
    return value if len(value) <= 24 else value[:24] + "…"


def parse(query: Mapping[str, str]) -> tuple[Params, list[str]]:
    """URL query -> the view, and one note per value that was ignored."""
    notes: list[str] = []
    p = Params()

    def get(name: str) -> str:
        value = query.get(name)
        return str(value).strip()[:MAX_PARAM] if value not in (None, "") else ""

    period = get("period")
    if period:
        if period in PERIOD_NAMES:
            p = replace(p, period=period)
        else:
            notes.append(f"Period “{_shown(period)}” is not one we know; showing the last 30 days.")
    if p.period == "custom":
        start, end = _date(get("from")), _date(get("to"))
        if start is None or end is None:
            notes.append(
                "A custom period needs a start and an end date (from=YYYY-MM-DD&to=YYYY-MM-DD); "
                "showing the last 30 days."
            )
            p = replace(p, period=DEFAULT_PERIOD)
        else:
            p = replace(p, start=start.isoformat(), end=end.isoformat())

    platform = get("platform")
    if platform:
        if platform in PLATFORMS:
            p = replace(p, platform=platform)
        else:
            notes.append(f"Platform “{_shown(platform)}” is not one we know; showing every platform.")

    account = get("account")
    if account:
        if account.isdigit() and 0 < int(account) < 2**63:
            p = replace(p, account=int(account))
        else:
            notes.append(f"Account “{_shown(account)}” is not an account id; showing every account.")

    sort = get("sort")
    if sort:
        if sort in SORTABLE:
            p = replace(p, sort=sort)
        else:
            notes.append(f"Top posts cannot be sorted by “{_shown(sort)}”; sorted by views.")
    if get("order") == "asc":
        p = replace(p, descending=False)
    return p, notes


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def to_query(p: Params) -> str:
    """The view -> "?period=..." with only what differs from the defaults."""
    items: list[tuple[str, str]] = [("period", p.period)]
    if p.period == "custom":
        items += [("from", p.start), ("to", p.end)]
    if p.platform:
        items.append(("platform", p.platform))
    if p.account:
        items.append(("account", str(p.account)))
    if p.sort != "views":
        items.append(("sort", p.sort))
    if not p.descending:
        items.append(("order", "asc"))
    return "?" + urlencode(items)


def platform_choices() -> list[tuple[str, str]]:
    return [("all", "All platforms")] + [(k, PLATFORM_LABELS[k]) for k in PLATFORMS]
