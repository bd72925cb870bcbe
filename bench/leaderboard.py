"""How fast is the public leaderboard, and its refresh after a sync?

    .venv/bin/python bench/leaderboard.py [--creators 10000] [--posts 100] [--reads 600]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_admin .venv/bin/python bench/leaderboard.py

Self-contained: a private data directory and a freshly migrated database (SQLite, or the
PostgreSQL database in DATABASE_URL, whose public schema is dropped and recreated).

What it generates: N opted-in creators, one public account each (spread over the six
platforms; one creator in 50 also has a second, private account, and one account in 100 is
connected by a second creator too, to exercise the dedupe), `--posts` tracked posts per
account published at random over the last year, and for each post the snapshots the
refresh reads: on the 6-hourly sync grid, the first one after it was published and the
last one at or before each period boundary (60, 30, 14 and 7 days ago) and now. A year of
6-hourly snapshots is 1,460 per post (1.46 billion rows at the default size); the refresh
reads only the last snapshot at or before each boundary, so the query side does not
depend on the rows in between, and they are not generated.

Measured: `refresh_s`, one full `refresh_leaderboard()` (what runs after each sync);
`p50_ms`/`p95_ms`, a page of the board (`board()`: the rows, the total and the avatars) for
every period x metric, on all platforms and on each platform, at random pages.
Last line: creators=.. p50_ms=.. p95_ms=.. refresh_s=..
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import fresh_database, percentile  # noqa: E402

PLATFORMS = ("instagram", "facebook", "tiktok", "youtube", "linkedin", "x")
SYNC = timedelta(hours=6)


def _grid_before(t, now):
    """The last 6-hourly sync at or before t (syncs run at now, now-6h, ...)."""
    steps = (now - t) // SYNC + (1 if (now - t) % SYNC else 0)
    return now - steps * SYNC


def _generate(creators: int, posts: int, now, rng: random.Random) -> dict[str, int]:
    from sqlalchemy import insert

    from socialhub.db import get_engine
    from socialhub.models import Connection, LeaderboardAccount, MetricSnapshot, TrackedPost, User

    engine = get_engine()
    boundaries = [now - timedelta(days=d) for d in (60, 30, 14, 7)] + [now]
    counts = {"users": 0, "connections": 0, "tracked_posts": 0, "snapshots": 0}
    batch_users = 2000
    conn_id = post_id = 0
    for start in range(0, creators, batch_users):
        users, conns, publics, tps, snaps = [], [], [], [], []
        for uid in range(start + 1, min(creators, start + batch_users) + 1):
            users.append(
                dict(
                    id=uid,
                    email=f"c{uid}@bench.example",
                    password_hash="x",
                    display_name=f"Creator {uid}",
                    handle=f"creator_{uid}",
                    is_admin=False,
                    public_on_leaderboard=True,
                    is_disabled=False,
                    timezone="UTC",
                    created_at=now - timedelta(days=400),
                )
            )
            popularity = rng.lognormvariate(6, 1.6)  # views per day of an average post
            accounts = [(PLATFORMS[uid % 6], f"acct-{uid}", True)]
            if uid % 50 == 0:
                accounts.append((PLATFORMS[(uid + 1) % 6], f"private-{uid}", False))
            if uid % 100 == 0 and uid > 1:
                accounts.append((PLATFORMS[(uid - 1) % 6], f"acct-{uid - 1}", True))  # shared with uid-1
            for platform, account_id, public in accounts:
                conn_id += 1
                shared = account_id != f"acct-{uid}" and public  # connected second: counts for the first
                conns.append(
                    dict(
                        id=conn_id,
                        user_id=uid,
                        platform=platform,
                        account_id=account_id,
                        username=f"{account_id}_name",
                        display_name="",
                        avatar_url=None,
                        scopes="",
                        status="active",
                        is_sandbox=True,
                        extra={},
                        created_at=now - timedelta(days=399 if shared else 400),
                        updated_at=now,
                    )
                )
                if public:
                    publics.append(dict(connection_id=conn_id, user_id=uid, created_at=now))
                for n in range(posts):
                    post_id += 1
                    published = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
                    tps.append(
                        dict(
                            id=post_id,
                            user_id=uid,
                            connection_id=conn_id,
                            platform=platform,
                            platform_post_id=f"{account_id}-{n}",
                            source="published",
                            title=f"Post {n}",
                            published_at=published,
                            created_at=published,
                        )
                    )
                    daily = popularity * rng.lognormvariate(0, 1)
                    times = {
                        _grid_before(max(b, published), now) if b >= published else None for b in boundaries
                    }
                    first = _grid_before(published, now) + SYNC
                    times = sorted(
                        {t for t in times if t is not None and t >= first}
                        | ({first} if first <= now else set())
                    )
                    for t in times:
                        age_days = (t - published).total_seconds() / 86400
                        views = int(daily * (age_days**0.6) * 3)
                        snaps.append(
                            dict(
                                tracked_post_id=post_id,
                                taken_at=t,
                                views=views,
                                likes=views // 25,
                                comments=views // 400,
                                shares=views // 300,
                                saves=views // 500,
                                extra={},
                            )
                        )
        with engine.begin() as c:
            for model, rows in (
                (User, users),
                (Connection, conns),
                (LeaderboardAccount, publics),
                (TrackedPost, tps),
                (MetricSnapshot, snaps),
            ):
                for i in range(0, len(rows), 20_000):
                    c.execute(insert(model), rows[i : i + 20_000])
        counts["users"] += len(users)
        counts["connections"] += len(conns)
        counts["tracked_posts"] += len(tps)
        counts["snapshots"] += len(snaps)
        print(f"  generated {counts['users']:,} creators, {counts['snapshots']:,} snapshots", flush=True)
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with engine.begin() as c:  # ids were given explicitly: move the sequences past them
            for table in ("users", "connections", "tracked_posts"):
                c.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 (our table names)
                    )
                )
        # A year-old database has been vacuumed by autovacuum; freshly bulk-loaded rows have
        # no visibility map yet, and the first reader would pay for that instead.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--creators", type=int, default=10_000)
    ap.add_argument("--posts", type=int, default=100)
    ap.add_argument("--reads", type=int, default=600, help="Board pages read for the latency figures.")
    ap.add_argument("--seed", type=int, default=18)
    args = ap.parse_args()

    url = fresh_database("leaderboard")
    from socialhub.db import session_scope
    from socialhub.models import utcnow
    from socialhub.services.leaderboard import METRICS, PERIODS, refresh_leaderboard
    from socialhub.services.leaderboard_public import board

    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    now = utcnow()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    counts = _generate(args.creators, args.posts, now, rng)
    print(
        f"database={backend} generated in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{k}={v:,}" for k, v in counts.items()),
        flush=True,
    )

    result = refresh_leaderboard(now=now)
    refresh_s = result.seconds
    print(
        f"refresh: {result.rows:,} leaderboard rows for {result.creators:,} creators in {refresh_s:.1f} s "
        "(inside the transaction; commit included in the next figure)",
        flush=True,
    )
    t0 = time.perf_counter()
    refresh_leaderboard(now=now)
    refresh_s = time.perf_counter() - t0
    print(f"refresh again, commit included: {refresh_s:.1f} s", flush=True)

    combos = [(p, m, pf) for p in PERIODS for m in METRICS for pf in ("all", *PLATFORMS)]
    latencies = []
    with session_scope() as s:
        board(s)  # warm the connection
    for i in range(args.reads):
        period, metric, platform = combos[i % len(combos)]
        pages = max(1, (args.creators // (6 if platform != "all" else 1)) // 50)
        offset = 50 * (0 if i % 3 == 0 else rng.randrange(pages))
        t0 = time.perf_counter()
        with session_scope() as s:
            page = board(s, period=period, metric=metric, platform=platform, offset=offset)
        latencies.append((time.perf_counter() - t0) * 1000)
        assert page.rows or offset, (period, metric, platform)
    print(
        f"reads: {len(latencies)} board pages over {len(combos)} period x metric x platform boards, "
        f"max_ms={max(latencies):.1f}"
    )
    print(
        f"creators={args.creators} p50_ms={percentile(latencies, 50):.1f} "
        f"p95_ms={percentile(latencies, 95):.1f} refresh_s={refresh_s:.1f}"
    )


if __name__ == "__main__":
    main()
