"""Quota bookkeeping for the YouTube Data API, which reports no usage of its own.

Units are counted per project (client id), bucket and Pacific day from the cost table;
quota resets at midnight Pacific time.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from socialhub.providers.base import utcnow

PACIFIC = ZoneInfo("America/Los_Angeles")


def next_pacific_midnight(now: datetime | None = None) -> datetime:
    local = (now or utcnow()).astimezone(PACIFIC)
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class QuotaTally:
    """Units this process spent per project, bucket and Pacific day (YouTube reports none)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[tuple[str, str, str], float] = {}

    def add(self, project: str, bucket: str, cost: float) -> float:
        day = utcnow().astimezone(PACIFIC).date().isoformat()
        with self._lock:
            key = (project, day, bucket)
            self._used[key] = self._used.get(key, 0.0) + cost
            return self._used[key]
