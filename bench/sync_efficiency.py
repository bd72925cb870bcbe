"""How many calls does a full metric sync spend, against the fewest the platforms allow, and
how long does it take? N connected accounts across the six platforms with M tracked posts
each, every sandbox call delayed by 50 ms, the worker(s) `scripts/run.sh` starts by default.

    .venv/bin/python bench/sync_efficiency.py [--accounts 1000] [--posts 100] [--latency-ms 50]

Setup (not timed): the platforms' demo accounts are connected once through the real OAuth
flow; each becomes the template of several connections (one per benchmark user, so the same
platform account is connected by many SocialHub users, as the product allows); the sandbox's
seed_posts control gives every connection its own M posts. LinkedIn runs without member post
analytics (SOCIALHUB_LINKEDIN_POST_ANALYTICS=false): with it the contract allows no batching
(3 calls per post); the minimum is computed for whichever is configured.

Last two lines:
accounts=.. posts=.. calls=.. minimum=.. ratio=.. wall_s=.. peak_mb=..
calls_per_day_tiered=.. calls_per_day_full_6h=.. saving=..
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import connect_all, make_user, stack  # noqa: E402

PLATFORMS = ("instagram", "facebook", "tiktok", "youtube", "linkedin", "x")


def peak_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a process, in MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_peaks(pids: list[int]) -> float:
    from socialhub.procs import descendants

    seen = set()
    best = 0.0
    for pid in pids:
        for p in [pid, *descendants(pid)]:
            if p not in seen:
                seen.add(p)
                best = max(best, peak_mb(p))
    return best


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--posts", type=int, default=100)
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    os.environ["SOCIALHUB_LINKEDIN_POST_ANALYTICS"] = "false"

    with stack("sync") as st:
        from socialhub.config import get_settings, reset_settings_cache

        reset_settings_cache()
        control = st.control()
        # The sandbox's per-app TikTok read limit (600/min) would pace a 1,000-account sync
        # to several minutes; the sync handles it (gate, resume), but this measures calls.
        control.post("/config", json={"tiktok.display_per_minute": 100_000}).raise_for_status()
        t_setup = time.monotonic()
        owner = make_user("template@example.com")
        templates = {p: connect_all(owner, p, accounts=8) for p in PLATFORMS}
        per_platform = dict(zip(PLATFORMS, split(args.accounts, len(PLATFORMS)), strict=True))
        conns, posts = build_workload(control, templates, per_platform, args.posts)
        for p in PLATFORMS:
            control.post("/faults", json={"platform": p, "kind": "latency", "latency_ms": args.latency_ms})
        setup_s = time.monotonic() - t_setup
        print(f"setup_s={setup_s:.0f} connections={len(conns)} tracked_posts={posts}", flush=True)

        workers = [st.start_worker(f"worker-{i}", "sync") for i in range(get_settings().workers)]
        time.sleep(2)  # let the workers import and connect
        from socialhub.db import session_scope
        from socialhub.services import sync_runs

        before = sum(control.get("/counters").json().get(f"calls:{p}", 0) for p in PLATFORMS)
        t0 = time.monotonic()
        run_id = sync_runs.sync_now(trigger="schedule")
        deadline = t0 + args.timeout
        while time.monotonic() < deadline:
            with session_scope() as s:
                view = sync_runs.view(s, run_id)
            if view.status == "finished":
                break
            time.sleep(0.5)
        wall = time.monotonic() - t0
        spent = sum(control.get("/counters").json().get(f"calls:{p}", 0) for p in PLATFORMS) - before
        minimum = minimum_calls(conns)
        peak = max(
            tree_peaks([w.pid for w in workers]), tree_peaks([p.pid for p in st.procs]), peak_mb(os.getpid())
        )
        print(f"run: {view.summary} (status {view.status}; the run counted {view.calls} calls)")
        tiered, full = calls_per_day(conns)
        print(
            f"accounts={len(conns)} posts={view.posts} calls={spent} minimum={minimum} "
            f"ratio={spent / minimum if minimum else float('nan'):.2f} wall_s={wall:.1f} peak_mb={peak:.0f}"
        )
        print(f"calls_per_day_tiered={tiered} calls_per_day_full_6h={full} saving={1 - tiered / full:.0%}")


def build_workload(control, templates: dict[str, list[int]], per_platform: dict[str, int], m: int):
    """Clone each template connection for as many benchmark users as needed, and give every
    clone M posts of its own. Returns [(platform, [post ages])] per connection and the total."""
    from sqlalchemy import insert

    from socialhub.db import session_scope
    from socialhub.models import Connection, TrackedPost, User, utcnow

    now = utcnow()
    conns: list[tuple[str, list[datetime]]] = []
    total = 0
    users: list[int] = []
    for platform, n in per_platform.items():
        base = templates[platform]
        if not base or n == 0:
            continue
        counts = split(n, len(base))
        for template_id, k in zip(base, counts, strict=True):
            if k == 0:
                continue
            with session_scope() as s:
                tmpl = s.get(Connection, template_id)
                fields = tmpl.model_dump(exclude={"id", "user_id", "created_at", "updated_at"})
            made = control.post(
                "/seed_posts", json={"platform": platform, "account_id": fields["account_id"], "count": k * m}
            )
            made.raise_for_status()
            seeded = made.json()["posts"]
            while len(users) < k:
                users.append(make_user(f"bench{len(users)}@example.com"))
            with session_scope() as s:
                clone_ids = []
                for j in range(k):
                    row = Connection(**fields, user_id=users[j])
                    s.add(row)
                    s.flush()
                    clone_ids.append((row.id, users[j]))
            rows = []
            for j, (cid, uid) in enumerate(clone_ids):
                mine = seeded[j * m : (j + 1) * m]
                ages = []
                for post in mine:
                    published = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
                    ages.append(published)
                    rows.append(
                        {
                            "user_id": uid,
                            "connection_id": cid,
                            "platform": platform,
                            "platform_post_id": _post_key(platform, post["id"]),
                            "source": "import",
                            "title": "",
                            "published_at": published,
                            "created_at": now,
                            "status": "active",
                        }
                    )
                conns.append((platform, ages))
            with session_scope() as s:
                for start in range(0, len(rows), 5000):
                    s.execute(insert(TrackedPost), rows[start : start + 5000])
            total += len(rows)
    with session_scope() as s:  # the templates themselves are not part of the workload
        for ids in templates.values():
            for cid in ids:
                s.delete(s.get(Connection, cid))
        s.delete(s.get(User, templates_owner(templates)))
    return conns, total


def templates_owner(templates: dict[str, list[int]]) -> int:
    from socialhub.db import session_scope
    from socialhub.models import Connection

    any_id = next(i for ids in templates.values() for i in ids)
    with session_scope() as s:
        return s.get(Connection, any_id).user_id


def _post_key(platform: str, post_id: str) -> str:
    return f"urn:li:share:{post_id}" if platform == "linkedin" else post_id


def _provider(platform: str):
    from socialhub.services import access

    p = access.provider_for(platform)
    p.close()
    return p


def minimum_calls(conns: list[tuple[str, list[datetime]]]) -> int:
    """The fewest calls the contracts allow: per connection, its account read plus its posts
    in the platform's largest batches."""
    total = 0
    for platform, ages in conns:
        p = _provider(platform)
        total += p.ACCOUNT_CALLS + p.metric_calls(len(ages))
    return total


def calls_per_day(conns: list[tuple[str, list[datetime]]]) -> tuple[int, int]:
    """Calls per day with the default freshness tiers, against a full sync every 6 hours of
    the same posts (averaged over the tiers' longest cycle)."""
    from socialhub.models import utcnow
    from socialhub.services.metric_budget import Tiers

    tiers = Tiers.from_settings()
    runs_per_day = 24 / tiers.run_every.total_seconds() * 3600
    days = max(1, math.ceil(tiers.cold_every / timedelta(days=1)))
    now = utcnow()
    full = tiered = 0
    for platform, published in conns:
        p = _provider(platform)
        full += round(runs_per_day * (p.ACCOUNT_CALLS + p.metric_calls(len(published))))
        last: list[datetime | None] = [None] * len(published)
        spent = 0
        steps = int(runs_per_day * days)
        for step in range(2 * steps):  # one cycle to settle (the first run syncs all), one counted
            at = now + tiers.run_every * step
            due = 0
            for i, when in enumerate(published):
                if tiers.is_due(when, last[i], at):
                    due += 1
                    last[i] = at
            if step >= steps:
                spent += p.ACCOUNT_CALLS + p.metric_calls(due)
        tiered += round(spent / days)
    return tiered, full


if __name__ == "__main__":
    main()
