"""The dashboard's periods: whole local days in the creator's time zone, and the previous
period of the same length just before.

Every boundary is a quarter hour in UTC (local midnights are, in every real time zone; a
rolling period ends at `now` rounded up to the quarter hour, and nothing is stored after now),
so the quarter-hour rollups (services/dashboard_rollups.py) sum exactly to the boundaries.
A period is the half-open interval (start, end]: a snapshot taken exactly at midnight
belongs to the day that ends then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PERIODS = ("7d", "30d", "90d", "365d", "custom")
ROLLING_DAYS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
LABELS = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "365d": "Last year"}
MAX_CUSTOM_DAYS = 731  # "at most 2 years", a leap day included
SLOT = timedelta(minutes=15)


@dataclass(frozen=True)
class Period:
    name: str
    start: datetime  # UTC, exclusive
    end: datetime  # UTC, inclusive
    prev_start: datetime
    prev_end: datetime
    label: str
    tz: str


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone {tz!r}: use an IANA name such as Europe/Paris.") from exc


def slot_end(t: datetime) -> datetime:
    """The end of the quarter hour holding t (t itself when it is one): its rollup bucket."""
    t = t.astimezone(UTC)
    floor = t.replace(minute=t.minute - t.minute % 15, second=0, microsecond=0)
    return floor if floor == t else floor + SLOT


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_day(t: datetime, tz: ZoneInfo) -> date:
    """The local day an instant counts in, periods being (start, end]: midnight is the day before's."""
    return (t - timedelta(microseconds=1)).astimezone(tz).date()


def _fmt(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def resolve_period(
    name: str, *, now: datetime, tz: str, start: date | None = None, end: date | None = None
) -> Period:
    """7d/30d/90d/365d: the last N local days including today, ending now. custom: local
    `start` 00:00 to `end` 24:00 (end inclusive). Previous period: same length just before."""
    if name not in PERIODS:
        raise ValueError(f"Unknown period {name!r}: choose one of {', '.join(PERIODS)}.")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware.")
    z = zone(tz)
    today = now.astimezone(z).date()
    if name == "custom":
        if start is None or end is None:
            raise ValueError("A custom period needs a start date and an end date.")
        if end < start:
            raise ValueError(f"The end date ({end}) is before the start date ({start}).")
        if end > today:
            raise ValueError(f"The end date ({end}) is in the future (today is {today}).")
        days = (end - start).days + 1
        if days > MAX_CUSTOM_DAYS:
            raise ValueError(f"A custom period can be at most 2 years long ({days} days asked).")
        begin, stop = local_midnight(start, z), local_midnight(end + timedelta(days=1), z)
        label = _fmt(start) if days == 1 else f"{_fmt(start)} – {_fmt(end)}"
    else:
        first = today - timedelta(days=ROLLING_DAYS[name] - 1)
        begin, stop = local_midnight(first, z), slot_end(now)
        label = LABELS[name]
    length = stop - begin
    return Period(name, begin, stop, begin - length, begin, label, tz)


class DayMap:
    """The local days of (start, end] and the UTC instant each ends at (what the per-day
    queries bind as each day's bounds)."""

    def __init__(self, start: datetime, end: datetime, tz: str) -> None:
        z = zone(tz)
        self.start = start
        self.days = period_days(start, end, tz)
        self.ends = [local_midnight(d + timedelta(days=1), z) for d in self.days]


def period_days(start: datetime, end: datetime, tz: str) -> list[date]:
    """Every local day the interval (start, end] touches, in order."""
    z = zone(tz)
    first, last = local_day(start + timedelta(microseconds=1), z), local_day(end, z)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
