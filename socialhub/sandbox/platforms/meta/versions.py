"""Graph API versions: which exist, which are served on a given day, and what serves a call.

Source: developers.facebook.com/docs/graph-api/changelog/versions (table "Version, Release
Date, Expiration Date", copies of 2026-10) and the versioning guide: "a request to a version
that is no longer available is defaulted to the oldest available version". A version that
never existed is an error. Dates are compared with the sandbox clock, so moving the clock
retires versions the way the calendar does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# version -> (released, available until or None while "TBD"), newest first.
_D = datetime
GRAPH_VERSIONS: dict[str, tuple[datetime, datetime | None]] = {
    # v27.0: the changelog of 2026-10-29 lists a release on 2026-11-04 (label inferred).
    "v27.0": (_D(2026, 11, 4, tzinfo=UTC), None),
    "v26.0": (_D(2026, 7, 29, tzinfo=UTC), None),
    "v25.0": (_D(2026, 2, 18, tzinfo=UTC), _D(2028, 7, 29, tzinfo=UTC)),
    "v24.0": (_D(2025, 10, 8, tzinfo=UTC), _D(2028, 2, 18, tzinfo=UTC)),
    "v23.0": (_D(2025, 5, 29, tzinfo=UTC), _D(2027, 10, 8, tzinfo=UTC)),
    "v22.0": (_D(2025, 1, 21, tzinfo=UTC), _D(2027, 5, 20, tzinfo=UTC)),
    "v21.0": (_D(2024, 10, 2, tzinfo=UTC), _D(2027, 1, 21, tzinfo=UTC)),
    "v20.0": (_D(2024, 5, 21, tzinfo=UTC), _D(2026, 9, 24, tzinfo=UTC)),
    "v19.0": (_D(2024, 1, 23, tzinfo=UTC), _D(2026, 5, 21, tzinfo=UTC)),
    "v18.0": (_D(2023, 9, 12, tzinfo=UTC), _D(2026, 1, 26, tzinfo=UTC)),
    "v17.0": (_D(2023, 5, 23, tzinfo=UTC), _D(2025, 9, 12, tzinfo=UTC)),
    "v16.0": (_D(2023, 2, 2, tzinfo=UTC), _D(2025, 5, 14, tzinfo=UTC)),
}
# Every older version that ever existed (all long expired): v1.0, v2.0-v2.12, v3.0-v3.3, v4.0-v15.0.
_OLD = {"v1.0", *(f"v2.{n}" for n in range(13)), *(f"v3.{n}" for n in range(4))}
_OLD |= {f"v{n}.0" for n in range(4, 16)}
VERSION_RE = re.compile(r"^v\d+\.\d+$")


def looks_like_version(segment: str) -> bool:
    return bool(VERSION_RE.match(segment))


def existed(version: str, now: datetime) -> bool:
    """True when `version` was ever released (on or before `now`)."""
    if version in _OLD:
        return True
    dates = GRAPH_VERSIONS.get(version)
    return dates is not None and dates[0] <= now


def available(now: datetime) -> list[str]:
    """Versions served on `now`, oldest first."""
    out = [v for v, (rel, until) in GRAPH_VERSIONS.items() if rel <= now and (until is None or now < until)]
    return sorted(out, key=_key)


def serving_version(version: str, now: datetime) -> str | None:
    """The version that serves a call made to `version`, or None if it never existed."""
    if not existed(version, now):
        return None
    served = available(now)
    if version in served:
        return version
    return served[0] if served else None


def latest(now: datetime) -> str:
    return available(now)[-1]


def _key(version: str) -> tuple[int, int]:
    major, _, minor = version[1:].partition(".")
    return int(major), int(minor)
