"""How fast are the metrics dashboard's queries at a year of history?

    .venv/bin/python bench/dashboard_queries.py [--posts 1000] [--days 365] [--reps 5]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_dq .venv/bin/python bench/dashboard_queries.py

Self-contained: a private data directory and a freshly migrated database (a temporary SQLite
file, or the PostgreSQL database in DATABASE_URL, whose public schema is dropped and
recreated: give it a database of its own).

What it generates: one creator with 6 accounts (one per platform); `--posts` posts spread
over the accounts, published at random over the two years before now (a year of back
catalogue the sync keeps following, and a year of new posts); a metric snapshot of every
post every 6 hours for the last `--days` days from when it was published (growth curves that
rise fast then flatten, each platform reporting only what it gives), an account snapshot per
account every 6 hours. The rollup is then filled with `rebuild_rollups`, the code the tests
check equals what the sync maintains incrementally.

Measured: each query of services/dashboard_queries.py for each period (7d, 30d, 90d, 365d,
and a custom 60 days ending a month ago), unfiltered, filtered to one platform and to one
account, `--reps` times each, each call in a fresh session; post_detail of a post with a
full year of snapshots and overview_status too.
Last line: rows=<metric rows> p50_ms=.. p95_ms=.. slowest=<query name>
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import fresh_database, percentile  # noqa: E402

PLATFORMS = ("instagram", "facebook", "tiktok", "youtube", "linkedin", "x")
# What each platform reports (tests/metrics/test_sync_truth.py REPORTED): the others stay None.
REPORTED = {
    "instagram": {"views", "likes", "comments", "shares", "saves", "reach"},
    "facebook": {"views", "likes", "comments", "reach"},
    "tiktok": {"views", "likes", "comments", "shares"},
    "youtube": {"views", "likes", "comments"},
    "linkedin": {"views", "likes", "comments", "shares", "reach"},
    "x": {"views", "likes", "comments", "saves"},
}
RATIOS = {"likes": 0.04, "comments": 0.005, "shares": 0.003, "saves": 0.004, "reach": 0.7}
SYNC = timedelta(hours=6)
TZ = "America/Los_Angeles"


def _generate(n_posts: int, days: int, now, rng: random.Random) -> tuple[int, list[int], list[int]]:
    """Returns (metric rows, connection ids, post ids)."""
    from sqlalchemy import insert

    from socialhub.db import get_engine
    from socialhub.models import AccountSnapshot, Connection, MetricSnapshot, TrackedPost, User

    engine = get_engine()
    grid_start = now - timedelta(days=days)
    grid = [grid_start + SYNC * i for i in range(days * 4 + 1)]
    with engine.begin() as c:
        uid = c.execute(
            insert(User).values(
                email="creator@bench.example",
                password_hash="x",
                display_name="Creator",
                handle="creator",
                is_admin=False,
                public_on_leaderboard=False,
                is_disabled=False,
                timezone=TZ,
                created_at=now - timedelta(days=800),
            )
        ).inserted_primary_key[0]
        conn_ids = []
        for i, platform in enumerate(PLATFORMS):
            conn_ids.append(
                c.execute(
                    insert(Connection).values(
                        user_id=uid,
                        platform=platform,
                        account_id=f"acct-{i}",
                        username=f"creator_{platform}",
                        display_name=f"Creator on {platform}",
                        scopes="",
                        status="active",
                        is_sandbox=True,
                        extra={},
                        created_at=now - timedelta(days=days + 1),
                        updated_at=now,
                    )
                ).inserted_primary_key[0]
            )
        followers = [dict(connection_id=cid, taken_at=t, followers=int(1000 + 40 * k + 3 * k * math.sin(k)), extra={})
                     for cid in conn_ids for k, t in enumerate(grid)]  # fmt: skip
        c.execute(insert(AccountSnapshot.__table__), followers)  # type: ignore[attr-defined]
    rows_total, post_ids = 0, []
    for n in range(n_posts):
        cid = conn_ids[n % len(conn_ids)]
        platform = PLATFORMS[n % len(PLATFORMS)]
        published = now - timedelta(seconds=rng.uniform(0, 2 * days * 86400))
        with engine.begin() as c:
            pid = c.execute(
                insert(TrackedPost).values(
                    user_id=uid,
                    connection_id=cid,
                    platform=platform,
                    platform_post_id=f"post-{n}",
                    url=f"https://example.com/{platform}/{n}",
                    source="published",
                    title=f"Post {n}",
                    published_at=published,
                    created_at=published,
                    status="deleted" if n % 97 == 0 else "active",
                )
            ).inserted_primary_key[0]
            post_ids.append(pid)
            reach = rng.lognormvariate(8, 1.5)  # views it ends with
            tau = rng.uniform(0.5, 5)  # days to most of them
            tail = rng.uniform(0.0, 0.002)  # views per day later on, as a share of reach
            snaps = []
            for t in grid:
                if t < published:
                    continue
                age = (t - published).total_seconds() / 86400
                views = int(reach * (1 - math.exp(-age / tau)) + reach * tail * age)
                row = {"tracked_post_id": pid, "taken_at": t, "extra": {}}
                row["views"] = views if "views" in REPORTED[platform] else None
                for m, r in RATIOS.items():
                    row[m] = int(views * r) if m in REPORTED[platform] else None
                snaps.append(row)
            # executemany: SQLite's own, psycopg's batched "insertmanyvalues" (one compiled statement)
            c.execute(insert(MetricSnapshot.__table__), snaps)  # type: ignore[attr-defined]
            rows_total += len(snaps)
        if (n + 1) % 100 == 0:
            print(f"  generated {n + 1:,} posts, {rows_total:,} metric rows", flush=True)
    return rows_total, conn_ids, post_ids


def _rollups(conn_ids: list[int]) -> float:
    from socialhub.db import session_scope
    from socialhub.services.dashboard_rollups import rebuild_rollups

    t0 = time.perf_counter()
    for cid in conn_ids:
        with session_scope() as s:
            rebuild_rollups(s, cid)
    return time.perf_counter() - t0


def _vacuum() -> None:
    from sqlalchemy import text

    from socialhub.db import get_engine

    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as c:
            c.execute(text("ANALYZE"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    url = fresh_database("dashboard")
    from sqlmodel import Session

    from socialhub.db import get_engine
    from socialhub.models import utcnow
    from socialhub.services import dashboard_queries as dq

    rng = random.Random(args.seed)
    now = utcnow().replace(minute=40, second=0, microsecond=0)
    print(f"database: {url.split('@')[-1] if '@' in url else url}")
    t0 = time.perf_counter()
    rows, conn_ids, post_ids = _generate(args.posts, args.days, now, rng)
    print(f"generated {rows:,} metric rows in {time.perf_counter() - t0:.1f} s")
    print(f"rollups rebuilt in {_rollups(conn_ids):.1f} s")
    _vacuum()

    from zoneinfo import ZoneInfo

    from socialhub.models import Connection, TrackedPost

    today = now.astimezone(ZoneInfo(TZ)).date()
    periods = [dq.resolve_period(name, now=now, tz=TZ) for name in ("7d", "30d", "90d", "365d")]
    periods.append(
        dq.resolve_period(
            "custom", now=now, tz=TZ, start=today - timedelta(days=90), end=today - timedelta(days=31)
        )
    )
    with Session(get_engine()) as s:
        uid = s.get(Connection, conn_ids[0]).user_id
    filters = {
        "all": dq.Filters(uid),
        "platform": dq.Filters(uid, platforms=("instagram",)),
        "account": dq.Filters(uid, connection_ids=(conn_ids[2],)),
    }
    queries = {
        "headline": dq.headline,
        "views_over_time": dq.views_over_time,
        "followers_over_time": dq.followers_over_time,
        "engagement_rate_over_time": dq.engagement_rate_over_time,
        "comparison": dq.comparison,
        "top_posts": dq.top_posts,
        "top_posts_by_likes": lambda s, f, p: dq.top_posts(s, f, p, sort="likes"),
    }
    engine = get_engine()
    timings: dict[tuple[str, str], list[float]] = {}
    everything: list[float] = []
    with Session(engine) as s:  # a post with the whole year of snapshots
        oldest = min(post_ids, key=lambda pid: s.get(TrackedPost, pid).published_at)
    for _ in range(args.reps):
        for qname, fn in queries.items():
            for p in periods:
                for f in filters.values():
                    with Session(engine) as s:
                        t = time.perf_counter()
                        fn(s, f, p)
                        ms = (time.perf_counter() - t) * 1000
                    timings.setdefault((qname, p.name), []).append(ms)
                    everything.append(ms)
        for qname, call in (
            ("post_detail", lambda s: dq.post_detail(s, uid, oldest)),
            ("overview_status", lambda s: dq.overview_status(s, uid, now)),
        ):
            with Session(engine) as s:
                t = time.perf_counter()
                call(s)
                ms = (time.perf_counter() - t) * 1000
            timings.setdefault((qname, "-"), []).append(ms)
            everything.append(ms)
    print(f"\n{'query':<28}{'period':<8}{'p50_ms':>9}{'p95_ms':>9}")
    worst, worst_p95 = "", -1.0
    for (qname, pname), values in timings.items():
        p95 = percentile(values, 95)
        print(f"{qname:<28}{pname:<8}{percentile(values, 50):>9.1f}{p95:>9.1f}")
        if p95 > worst_p95:
            worst, worst_p95 = qname, p95
    print(
        f"\nrows={rows} p50_ms={percentile(everything, 50):.1f} p95_ms={percentile(everything, 95):.1f} slowest={worst}"
    )


if __name__ == "__main__":
    main()
