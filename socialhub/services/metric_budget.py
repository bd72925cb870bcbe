"""Planning a connection's metric sync: which tracked posts are due (freshness tiers), in what
order (newest first), and how many calls the platform's own readings let us spend.

Plain functions over a session; no platform I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, select

from socialhub.config import Settings, get_settings
from socialhub.models import MetricSnapshot, QuotaUsage, TrackedPost, utcnow
from socialhub.services import rate_gate

# A quota reading at or above this share of its bucket leaves nothing for metrics: the rest is
# kept for publishing and for the creator's own clicks.
RESERVE_PERCENT = 90.0
# Buckets that do not limit reads (publishing and upload caps).
_WRITE_MARKERS = ("POST ", "DELETE ", "insert", "upload", "publish", "content_publishing")


@dataclass(frozen=True)
class Tiers:
    """How often a post is synced, by age. Young posts move fast: every run; older ones less."""

    fresh: timedelta
    warm: timedelta
    warm_every: timedelta
    cold_every: timedelta
    run_every: timedelta

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Tiers:
        st = settings or get_settings()
        return cls(
            fresh=timedelta(days=st.metrics_fresh_days),
            warm=timedelta(days=st.metrics_warm_days),
            warm_every=timedelta(hours=st.metrics_warm_hours),
            cold_every=timedelta(hours=st.metrics_cold_hours),
            run_every=timedelta(hours=st.metrics_sync_hours),
        )

    def interval(self, published_at: datetime | None, now: datetime) -> timedelta:
        """How long a post of this age goes between syncs (young ones: once per run)."""
        age = now - published_at if published_at else self.warm  # unknown age: treat as warm
        if age < self.fresh:
            return self.run_every
        if age < self.warm:
            return self.warm_every
        return self.cold_every

    def is_due(self, published_at: datetime | None, last_synced_at: datetime | None, now: datetime) -> bool:
        if last_synced_at is None:
            return True
        # A run starts a few minutes late at times: a little slack keeps a post in its tier.
        slack = min(self.run_every / 4, timedelta(minutes=30))
        return now - last_synced_at + slack >= self.interval(published_at, now)


def due_posts(
    session: Session,
    connection_id: int,
    *,
    now: datetime,
    run_id: int | None,
    tiers: Tiers | None = None,
    everything: bool = False,
) -> list[TrackedPost]:
    """Active tracked posts of a connection that are due, newest first, minus those this run
    already has a snapshot of (a resumed or redelivered job). `everything`: a creator's "Sync
    now" ignores the tiers (the budget still applies)."""
    tiers = tiers or Tiers.from_settings()
    query = select(TrackedPost).where(
        TrackedPost.connection_id == connection_id, TrackedPost.status == "active"
    )
    if run_id is not None:
        done = select(MetricSnapshot.tracked_post_id).where(MetricSnapshot.sync_run_id == run_id)
        query = query.where(TrackedPost.id.not_in(done))  # type: ignore[union-attr]
    # Cheap pre-filter: anything synced within the shortest interval is not due.
    query = query.where(
        or_(TrackedPost.last_synced_at.is_(None), TrackedPost.last_synced_at <= now)  # type: ignore[union-attr]
    )
    posts = [
        p
        for p in session.exec(query).all()
        if everything or tiers.is_due(p.published_at, p.last_synced_at, now)
    ]
    floor = datetime.min.replace(tzinfo=now.tzinfo)
    posts.sort(key=lambda p: (p.published_at or p.created_at or floor, p.id or 0), reverse=True)
    return posts


def headroom(
    session: Session, platform: str, account_keys: list[str], *, now: datetime | None = None
) -> int | None:
    """Calls left before a read bucket of this account (or the whole app) runs out, from the
    platform's own readings in quota_usage. None: no reading limits us."""
    now = now or utcnow()
    rows = session.exec(
        select(QuotaUsage).where(
            QuotaUsage.platform == platform, QuotaUsage.account_key.in_([*account_keys, ""])
        )  # type: ignore[attr-defined]
    ).all()
    left: int | None = None
    for row in rows:
        if any(marker in row.bucket for marker in _WRITE_MARKERS):
            continue
        if row.blocked_until is not None and row.blocked_until > now:
            return 0
        if row.resets_at is not None and row.resets_at <= now:
            continue  # the window this reading speaks of is over
        if row.limit and row.used is not None:
            room = int(row.limit - row.used)
        elif row.percent is not None and row.percent >= RESERVE_PERCENT:
            room = 0
        else:
            continue
        left = room if left is None else min(left, room)
    return None if left is None else max(0, left)


def calls_allowed(
    session: Session, platform: str, account_id: str, *, settings: Settings | None = None
) -> int:
    """The calls this connection's sync may spend now: the per-run cap, the platform's
    remaining quota, and nothing at all while the rate gate is closed."""
    st = settings or get_settings()
    if rate_gate.blocked(platform, account_id) is not None:
        return 0
    cap = st.metrics_calls_per_connection
    room = headroom(session, platform, [account_id])
    return cap if room is None else min(cap, room)


def posts_within(n_calls: int, per_call: int, account_calls: int, extra_per_post: int = 0) -> int:
    """How many posts a budget of n_calls covers after the account read."""
    left = n_calls - account_calls
    if left <= 0:
        return 0
    if extra_per_post:
        # Each batch of `per_call` posts costs 1 + per_call * extra_per_post calls.
        full, rest = divmod(left, 1 + per_call * extra_per_post)
        tail = max(0, (rest - 1) // extra_per_post) if rest > 1 else 0
        return full * per_call + min(tail, per_call)
    return left * per_call
