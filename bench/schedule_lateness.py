"""How late do scheduled posts go out? N targets across the six platforms due in the same
minute, two worker processes and the scheduler, every sandbox call delayed by 100 ms.

    .venv/bin/python bench/schedule_lateness.py [--targets 500] [--workers 2] [--latency-ms 100]

Lateness of a target = when its publishing started (claimed by a worker) minus its scheduled
time; `live_*` is when the post was live on the platform, which also includes the platform's
own processing (Instagram containers, TikTok and YouTube videos). Last line:
targets=.. late_p50_s=.. late_p99_s=.. late_max_s=.. duplicates=.. lost=..
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import connect_all, make_user, percentile, stack, store_media  # noqa: E402

PLATFORMS = ("instagram", "facebook", "tiktok", "youtube", "linkedin", "x")
MEDIA = {"instagram": "image", "tiktok": "video", "youtube": "video"}
BENCH_SANDBOX_CONFIG = {
    "instagram.publish_quota_total": 10000,
    "x.tweets_per_15min_user": 10000,
    "youtube.insert_calls_per_day": 10000,
    "youtube.quota_units_per_day": 10**7,
    "youtube.channel_uploads_per_day": 10000,
    "tiktok.direct_posts_per_day": 10000,
    "tiktok.processing_seconds": 3,
    "instagram.container_processing_seconds": 2,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--latency-ms", type=int, default=100)
    ap.add_argument("--lead-seconds", type=float, default=None, help="How far ahead the due time is set.")
    ap.add_argument("--timeout", type=float, default=240)
    args = ap.parse_args()

    with stack("lateness") as st:
        from sqlmodel import func, select

        from socialhub.db import session_scope
        from socialhub.models import PostEvent, PostTarget, utcnow
        from socialhub.models import TargetStatus as S
        from socialhub.services import publishing

        user_id = make_user()
        accounts = {p: connect_all(user_id, p, accounts=4) for p in PLATFORMS}
        media = {kind: store_media(user_id, kind) for kind in ("image", "video")}
        control = st.control()
        # Daily caps per account (real platforms' too) would hold posts back for a day, which
        # measures the platform, not SocialHub: lift them. Per-minute limits stay as they are.
        control.post("/config", json=BENCH_SANDBOX_CONFIG)
        for p in PLATFORMS:
            control.post("/faults", json={"platform": p, "kind": "latency", "latency_ms": args.latency_ms})

        lead = args.lead_seconds or max(30.0, args.targets * 0.06)
        due = utcnow() + timedelta(seconds=lead)
        made = 0
        t0 = time.monotonic()
        with session_scope() as s:
            while made < args.targets:
                for p in PLATFORMS:
                    conns = accounts[p]
                    if made >= args.targets or not conns:
                        continue
                    conn_id = conns[made % len(conns)]
                    kind = MEDIA.get(p)
                    publishing.create_post(
                        s,
                        user_id=user_id,
                        caption=f"Scheduled benchmark post {made} on {p}",
                        connection_ids=[conn_id],
                        media_ids=[media[kind]] if kind else [],
                        at=due,
                    )
                    made += 1
        with session_scope() as s:
            for post_id in sorted(set(s.exec(select(PostTarget.post_id)).all())):
                publishing.enqueue_post(s, post_id)
        setup_s = time.monotonic() - t0
        if utcnow() > due:
            print(
                f"warning: creating {made} posts took {setup_s:.0f} s, past the due time; raise --lead-seconds"
            )
        for i in range(args.workers):
            st.start_worker(f"worker-{i}")
        st.spawn("scheduler", "--interval", "1", log="scheduler")
        final = [
            S.published.value,
            S.failed.value,
            S.unconfirmed.value,
            S.needs_reconnect.value,
            S.missed.value,
        ]
        deadline = time.monotonic() + lead + args.timeout
        while time.monotonic() < deadline:
            with session_scope() as s:
                done = s.exec(
                    select(func.count()).select_from(PostTarget).where(PostTarget.status.in_(final))
                ).one()
            if done >= made:
                break
            time.sleep(1)
        with session_scope() as s:
            targets = s.exec(select(PostTarget)).all()
            first_claim = dict(
                s.exec(
                    select(PostEvent.target_id, func.min(PostEvent.at))
                    .where(PostEvent.step == "claimed")
                    .group_by(PostEvent.target_id)
                ).all()
            )
        late = [(first_claim[t.id] - due).total_seconds() for t in targets if t.id in first_claim]
        live = [(t.published_at - due).total_seconds() for t in targets if t.published_at]
        by_status: dict[str, int] = {}
        for t in targets:
            by_status[t.status] = by_status.get(t.status, 0) + 1
        counters = control.get("/counters").json()
        duplicates = sum(v for k, v in counters.items() if k.startswith("duplicates:") and k.count(":") == 1)
        published_platform = sum(
            v for k, v in counters.items() if k.startswith("published:") and k.count(":") == 1
        )
        # Not lost: still waiting, with a next attempt booked, on a platform's own per-minute
        # limit (TikTok allows 6 publish calls a minute per creator).
        waiting = sum(1 for t in targets if t.status not in final and t.due_at is not None)
        lost = made - sum(by_status.get(v, 0) for v in final) - waiting
        print(
            f"setup_s={setup_s:.1f} lead_s={lead:.0f} statuses={by_status} waiting_on_platform_limits={waiting}"
        )
        print(f"platform_published={published_platform} db_published={by_status.get('published', 0)}")
        print(
            f"live_p50_s={percentile(live, 50):.2f} live_p99_s={percentile(live, 99):.2f} "
            f"live_max_s={max(live) if live else float('nan'):.2f}"
        )
        print(
            f"targets={made} late_p50_s={percentile(late, 50):.2f} late_p99_s={percentile(late, 99):.2f} "
            f"late_max_s={max(late) if late else float('nan'):.2f} duplicates={duplicates} lost={lost}"
        )


if __name__ == "__main__":
    main()
