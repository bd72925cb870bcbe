"""The refresh's one big query: every counted post's gains, summed per creator and platform,
computed inside the database (SQLite and PostgreSQL alike: window functions, CASE, COALESCE).

Why SQL, and why seeks: a year of 6-hourly snapshots is ~1,460 rows per post; reading them
(in Python, or with window functions in the database) costs with the history. "The last
snapshot at or before boundary b" is instead one index seek per post and boundary on
(tracked_post_id, taken_at), so the cost grows with posts only, and only ~one row per
(creator, platform) comes back.

The rules it implements are in services/leaderboard.py's docstring.
"""

# ruff: noqa: S608  (the SQL is assembled from this module's own names; values are bound)

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, text
from sqlmodel import Session

from socialhub.models import MetricSnapshot

# Metric expressions over one snapshot row: views, engagement, likes, shares.
_METRIC_SQL = (
    "COALESCE(ms.views, 0)",
    "COALESCE(ms.likes, 0) + COALESCE(ms.comments, 0) + COALESCE(ms.shares, 0) + COALESCE(ms.saves, 0)",
    "COALESCE(ms.likes, 0)",
    "COALESCE(ms.shares, 0)",
)
# Boundaries the periods need, as offsets from now.
BOUNDARIES = {
    "b0": timedelta(0),
    "b7": timedelta(days=7),
    "b14": timedelta(days=14),
    "b30": timedelta(days=30),
    "b60": timedelta(days=60),
}
# Output columns, in order: (period, window) -> (start boundary or None for all time, end boundary).
WINDOWS = (
    ("7d", "cur", "b7", "b0"),
    ("7d", "prev", "b14", "b7"),
    ("30d", "cur", "b30", "b0"),
    ("30d", "prev", "b60", "b30"),
    ("all", "cur", None, "b0"),
    ("all", "prev", None, "b7"),
)


def _metric(alias: str, k: int) -> str:
    return _METRIC_SQL[k].replace("ms.", f"{alias}.")


def _gain_sql(start: str | None, end: str, k: int) -> str:
    stop = _metric(end, k)
    first = _metric("sf", k)
    if start is None:  # all time: from 0 for posts published here, else from the first snapshot
        begin = f"CASE WHEN p.source = 'published' THEN 0 ELSE {first} END"
    else:
        begin = f"CASE WHEN {start}.id IS NOT NULL THEN {_metric(start, k)} WHEN p.published_at >= :{start} THEN 0 ELSE {first} END"
    # No snapshot at the end yet: nothing gained (the comparison is NULL, so ELSE 0).
    return f"CASE WHEN {end}.id IS NOT NULL AND {stop} > ({begin}) THEN {stop} - ({begin}) ELSE 0 END"


def _seek(boundary: str) -> str:
    """The id of the post's last snapshot at or before the boundary: one index seek on
    (tracked_post_id, taken_at), however long the history."""
    where = f"ms.tracked_post_id = p.pid AND ms.taken_at <= :{boundary}"
    query = f"(SELECT ms.id FROM metric_snapshots ms WHERE {where} ORDER BY ms.taken_at DESC LIMIT 1)"
    return f"{query} AS {boundary}"


def _first_seek() -> str:
    """The post's first snapshot, sought only when a gain can start from it: a post added by
    URL, or one published before a period's start with no snapshot at or before it."""
    needed = " OR ".join(
        f"(x.{b} IS NULL AND (x.published_at IS NULL OR x.published_at < :{b}))"
        for b in ("b60", "b30", "b14", "b7")
    )
    first = "(SELECT ms.id FROM metric_snapshots ms WHERE ms.tracked_post_id = x.pid ORDER BY ms.taken_at LIMIT 1)"
    return f"CASE WHEN x.source <> 'published' OR {needed} THEN {first} END AS sf"


_COLUMNS = "ms.id, ms.views, ms.likes, ms.comments, ms.shares, ms.saves"


def _lateral_posts() -> str:
    """PostgreSQL: each boundary's snapshot row in one LATERAL index seek (its `id` is not in
    the (tracked_post_id, taken_at) index, so a seek for the id then a join by id would
    read every row twice)."""
    laterals = [
        f"LEFT JOIN LATERAL (SELECT {_COLUMNS} FROM metric_snapshots ms WHERE ms.tracked_post_id = p.pid "
        f"AND ms.taken_at <= :{b} ORDER BY ms.taken_at DESC LIMIT 1) {b} ON TRUE"
        for b in BOUNDARIES
    ]
    needed = " OR ".join(
        f"({b}.id IS NULL AND (p.published_at IS NULL OR p.published_at < :{b}))"
        for b in ("b60", "b30", "b14", "b7")
    )
    laterals.append(
        f"LEFT JOIN LATERAL (SELECT {_COLUMNS} FROM metric_snapshots ms WHERE ms.tracked_post_id = p.pid "
        f"AND (p.source <> 'published' OR {needed}) ORDER BY ms.taken_at LIMIT 1) sf ON TRUE"
    )
    return "posts p\n  " + "\n  ".join(laterals)


def _seek_posts() -> tuple[str, str]:
    """SQLite (no LATERAL): seek each boundary snapshot's id (the rowid is in every index, so
    that seek reads only the index), then join the rows by id."""
    seeks = ",\n    ".join(_seek(b) for b in BOUNDARIES)
    joins = "\n  ".join(f"LEFT JOIN metric_snapshots {a} ON {a}.id = p.{a}" for a in ("sf", *BOUNDARIES))
    ctes = f"""x AS (
  SELECT p.*,
    {seeks}
  FROM posts p
),
xf AS (
  SELECT x.*, {_first_seek()} FROM x
),"""
    return ctes, f"xf p\n  {joins}"


def _query(dialect: str) -> str:
    gains, sums = [], []
    for period, window, start, end in WINDOWS:
        short = period.replace("7d", "d7").replace("30d", "d30")
        for k in range(4):
            gains.append(f"{_gain_sql(start, end, k)} AS {short}_{window}_{k}")
            sums.append(f"SUM(g.{short}_{window}_{k})")
        if window == "cur":
            sums.append(f"SUM(CASE WHEN g.{short}_cur_0 > 0 OR g.{short}_cur_1 > 0 THEN 1 ELSE 0 END)")
    ctes, source = ("", _lateral_posts()) if dialect == "postgresql" else _seek_posts()
    gain_cols, sum_cols = ",\n    ".join(gains), ",\n  ".join(sums)
    return f"""
WITH owners AS (
  SELECT id, user_id, platform,
         ROW_NUMBER() OVER (PARTITION BY platform, account_id ORDER BY created_at, id) AS first_rn
  FROM connections
),
counted AS (
  SELECT o.id AS cid, o.user_id AS uid, o.platform AS platform
  FROM owners o
  JOIN leaderboard_accounts la ON la.connection_id = o.id
  JOIN users u ON u.id = o.user_id
  WHERE o.first_rn = 1 AND u.public_on_leaderboard = :yes AND u.is_disabled = :no
),
posts AS (
  SELECT tp.id AS pid, c.uid, c.platform, tp.source, tp.published_at
  FROM tracked_posts tp JOIN counted c ON c.cid = tp.connection_id
),
{ctes}
g AS (
  SELECT p.uid, p.platform,
    {gain_cols}
  FROM {source}
)
SELECT g.uid, g.platform,
  {sum_cols}
FROM g GROUP BY g.uid, g.platform
"""


_SQL = {dialect: _query(dialect) for dialect in ("postgresql", "sqlite")}


def gains_by_creator(session: Session, now: datetime) -> dict[tuple[int, str], list[int]]:
    """(user id, platform) -> [posts, 4 current values, 4 previous values] per period, in the
    order 7d, 30d, all: 27 numbers."""
    taken = MetricSnapshot.__table__.c.taken_at.type
    params = [bindparam(b, value=now - delta, type_=taken) for b, delta in BOUNDARIES.items()]
    dialect = session.get_bind().dialect.name
    stmt = text(_SQL["postgresql" if dialect == "postgresql" else "sqlite"]).bindparams(
        *params, bindparam("yes", True), bindparam("no", False)
    )
    out: dict[tuple[int, str], list[int]] = {}
    for row in session.connection().execute(stmt):
        uid, platform, *vals = row
        vals = [int(v or 0) for v in vals]
        # vals per period: 4 cur, posts, 4 prev  ->  posts, 4 cur, 4 prev
        numbers: list[int] = []
        for i in range(3):
            cur, posts, prev = vals[9 * i : 9 * i + 4], vals[9 * i + 4], vals[9 * i + 5 : 9 * i + 9]
            numbers += [posts, *cur, *prev]
        out[(uid, platform)] = numbers
    return out
