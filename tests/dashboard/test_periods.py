"""Period arithmetic: whole local days in the creator's zone, the previous period of the same
length, and clear refusals of bad custom ranges."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from socialhub.services.dashboard_periods import period_days, slot_end
from socialhub.services.dashboard_queries import PERIODS, resolve_period
from tests.dashboard.conftest import utc

NOW = utc(2026, 6, 15, 10, 7)  # 10:07 UTC


def test_rolling_periods_in_utc():
    p = resolve_period("7d", now=NOW, tz="UTC")
    assert p.start == utc(2026, 6, 9) and p.end == utc(2026, 6, 15, 10, 15)
    assert p.prev_end == p.start and p.prev_start == p.start - (p.end - p.start)
    assert p.label == "Last 7 days" and p.tz == "UTC" and p.name == "7d"
    assert len(period_days(p.start, p.end, "UTC")) == 7
    p30 = resolve_period("30d", now=NOW, tz="UTC")
    assert p30.start == utc(2026, 5, 17)
    assert period_days(p30.start, p30.end, "UTC")[0] == date(2026, 5, 17)
    assert len(period_days(p30.start, p30.end, "UTC")) == 30
    p365 = resolve_period("365d", now=NOW, tz="UTC")
    assert len(period_days(p365.start, p365.end, "UTC")) == 365
    assert set(PERIODS) == {"7d", "30d", "90d", "365d", "custom"}


def test_rolling_period_starts_at_local_midnight():
    # 10:07 UTC is 19:07 in Tokyo and 03:07 in Los Angeles, both still 15 June.
    tokyo = resolve_period("7d", now=NOW, tz="Asia/Tokyo")
    assert tokyo.start == utc(2026, 6, 8, 15)  # 9 June 00:00 JST
    la = resolve_period("7d", now=NOW, tz="America/Los_Angeles")
    assert la.start == utc(2026, 6, 9, 7)  # 9 June 00:00 PDT
    # At 23:30 UTC Tokyo is already on the 16th: its 7 days move on.
    late = resolve_period("7d", now=utc(2026, 6, 15, 23, 30), tz="Asia/Tokyo")
    assert late.start == utc(2026, 6, 9, 15)


def test_custom_period_is_whole_local_days_end_inclusive():
    p = resolve_period("custom", now=NOW, tz="Asia/Tokyo", start=date(2026, 6, 1), end=date(2026, 6, 10))
    assert p.start == utc(2026, 5, 31, 15) and p.end == utc(2026, 6, 10, 15)
    assert p.prev_end == p.start and p.prev_start == utc(2026, 5, 21, 15)
    assert p.label == "1 Jun 2026 – 10 Jun 2026"
    one = resolve_period("custom", now=NOW, tz="UTC", start=date(2026, 6, 15), end=date(2026, 6, 15))
    assert one.end - one.start == timedelta(days=1) and one.label == "15 Jun 2026"


def test_dst_change_makes_a_23_hour_day():
    # Los Angeles springs forward on 8 March 2026: that local day has 23 hours.
    p = resolve_period(
        "custom", now=NOW, tz="America/Los_Angeles", start=date(2026, 3, 8), end=date(2026, 3, 8)
    )
    assert p.end - p.start == timedelta(hours=23)
    assert p.start == utc(2026, 3, 8, 8) and p.end == utc(2026, 3, 9, 7)
    week = resolve_period("7d", now=utc(2026, 3, 12, 20), tz="America/Los_Angeles")
    assert week.start == utc(2026, 3, 6, 8)  # 6 March 00:00 PST
    assert week.start.astimezone(ZoneInfo("America/Los_Angeles")).hour == 0
    assert week.prev_start == week.start - (week.end - week.start)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 6, 10), date(2026, 6, 1), "before the start date"),
        (date(2026, 6, 10), date(2026, 6, 16), "in the future"),
        (date(2024, 6, 1), date(2026, 6, 15), "at most 2 years"),
        (None, date(2026, 6, 1), "needs a start date and an end date"),
    ],
)
def test_invalid_custom_ranges_are_refused(start, end, message):
    with pytest.raises(ValueError, match=message):
        resolve_period("custom", now=NOW, tz="UTC", start=start, end=end)


def test_two_years_is_allowed_and_future_is_judged_in_local_time():
    resolve_period("custom", now=NOW, tz="UTC", start=date(2024, 6, 16), end=date(2026, 6, 15))
    # 16 June has begun in Tokyo (19:07 on the 15th UTC is 04:07 on the 16th there).
    resolve_period(
        "custom", now=utc(2026, 6, 15, 19, 7), tz="Asia/Tokyo", start=date(2026, 6, 16), end=date(2026, 6, 16)
    )
    with pytest.raises(ValueError, match="in the future"):
        resolve_period(
            "custom", now=utc(2026, 6, 15, 19, 7), tz="UTC", start=date(2026, 6, 16), end=date(2026, 6, 16)
        )


def test_unknown_period_and_zone():
    with pytest.raises(ValueError, match="Unknown period"):
        resolve_period("14d", now=NOW, tz="UTC")
    with pytest.raises(ValueError, match="Unknown time zone"):
        resolve_period("7d", now=NOW, tz="Mars/Olympus")
    with pytest.raises(ValueError, match="timezone-aware"):
        resolve_period("7d", now=NOW.replace(tzinfo=None), tz="UTC")


def test_slot_end():
    assert slot_end(utc(2026, 1, 1, 6)) == utc(2026, 1, 1, 6)
    assert slot_end(utc(2026, 1, 1, 6, 0, 1)) == utc(2026, 1, 1, 6, 15)
    assert slot_end(utc(2026, 1, 1, 23, 59)) == utc(2026, 1, 2)
