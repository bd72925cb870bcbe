"""SQLModel tables: the whole data model. The schema is created only through Alembic.

All datetimes are timezone-aware UTC (SQLModel's UTCDateTime refuses naive ones and
returns UTC on every database); `utcnow()` is the one clock.
Encrypted columns end in `_enc` and hold MultiFernet tokens, never plaintext.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class ConnectionStatus(str, Enum):
    active = "active"
    expiring = "expiring"
    expired = "expired"
    revoked = "revoked"
    error = "error"


class TargetStatus(str, Enum):
    """Where one post stands on one account (services/publish_states.py has the transitions)."""

    draft = "draft"
    scheduled = "scheduled"
    publishing = "publishing"
    retrying = "retrying"  # a transient error; due_at is the next attempt
    needs_reconnect = "needs_reconnect"  # the token expired or was revoked; resumes after reconnecting
    unconfirmed = "unconfirmed"  # the outcome is unknown and reconciliation did not find the post
    missed = "missed"  # its time passed while nothing could run; the creator decides
    published = "published"
    failed = "failed"
    cancelled = "cancelled"


# --- users -------------------------------------------------------------------------------


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    display_name: str = Field(max_length=120)
    handle: str = Field(max_length=40, unique=True, index=True)
    is_admin: bool = False
    public_on_leaderboard: bool = False
    # An admin switched the account off: it cannot log in and its scheduled posts wait.
    is_disabled: bool = False
    timezone: str = Field(default="UTC", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    """A login. The browser holds the token; we keep only its SHA-256."""

    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    last_seen_at: datetime = Field(default_factory=utcnow)


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "attempted_at"),
        Index("ix_login_attempts_client_at", "client", "attempted_at"),
        Index("ix_login_attempts_at", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320)
    # The client's network address as the web server saw it ("" when unknown).
    client: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    succeeded: bool = False
    attempted_at: datetime = Field(default_factory=utcnow)


# --- connections -------------------------------------------------------------------------


class Connection(SQLModel, table=True):
    """One connected platform account of one user (several per platform allowed)."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("user_id", "platform", "account_id", name="uq_connection_account"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=20, index=True)
    account_id: str = Field(max_length=128)
    username: str = Field(default="", max_length=200)
    display_name: str = Field(default="", max_length=200)
    avatar_url: str | None = Field(default=None, sa_column=Column(Text))
    profile_url: str | None = Field(default=None, sa_column=Column(Text))
    followers: int | None = None
    access_token_enc: str | None = Field(default=None, sa_column=Column(Text))
    refresh_token_enc: str | None = Field(default=None, sa_column=Column(Text))
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scopes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: ConnectionStatus = Field(default=ConnectionStatus.active, max_length=20)
    is_sandbox: bool = True
    # Platform-specific ids the provider needs later (page id, IG user id, person URN...).
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    last_sync_at: datetime | None = None
    last_refresh_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_error_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class OAuthState(SQLModel, table=True):
    """A pending OAuth authorization: single use, bound to a user, short-lived."""

    __tablename__ = "oauth_states"

    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=20)
    code_verifier_enc: str | None = Field(default=None, sa_column=Column(Text))
    redirect_uri: str = Field(sa_column=Column(Text, nullable=False))
    reconnect_connection_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    # A login that manages several accounts (Meta) waits here, encrypted, until the creator
    # picks which of them to connect; cleared when they do.
    pending_accounts_enc: str | None = Field(default=None, sa_column=Column(Text))


# --- content -----------------------------------------------------------------------------


class LibraryItem(SQLModel, table=True):
    __tablename__ = "library_items"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    title: str = Field(default="", max_length=200)
    caption: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Lower-case words without "#", for search and filters.
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class MediaFile(SQLModel, table=True):
    __tablename__ = "media_files"

    id: int | None = Field(default=None, primary_key=True)
    library_item_id: int = Field(foreign_key="library_items.id", index=True, ondelete="CASCADE")
    path: str = Field(sa_column=Column(Text, nullable=False))
    original_name: str = Field(default="", max_length=255)
    mime_type: str = Field(max_length=100)
    kind: str = Field(max_length=10)  # image | video
    size_bytes: int = 0
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    codec: str | None = Field(default=None, max_length=40)
    # A small JPEG preview (a video's frame, an image scaled down), under the media root.
    thumbnail_path: str | None = Field(default=None, sa_column=Column(Text))
    position: int = 0  # order in a carousel
    created_at: datetime = Field(default_factory=utcnow)


class MediaGrant(SQLModel, table=True):
    """An unguessable URL through which a platform may fetch one media file (Instagram,
    Facebook and TikTok pull media by URL), valid while a target needs it."""

    __tablename__ = "media_grants"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    media_file_id: int = Field(foreign_key="media_files.id", ondelete="CASCADE")
    target_id: int | None = Field(default=None, foreign_key="post_targets.id", index=True, ondelete="CASCADE")
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class Post(SQLModel, table=True):
    __tablename__ = "posts"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    library_item_id: int | None = Field(default=None, foreign_key="library_items.id", ondelete="SET NULL")
    caption: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    media_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    scheduled_for: datetime | None = Field(default=None, index=True)  # UTC
    timezone: str = Field(default="UTC", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PostTarget(SQLModel, table=True):
    """One post on one connection: the unit of publishing and of idempotency."""

    __tablename__ = "post_targets"
    __table_args__ = (UniqueConstraint("post_id", "connection_id", name="uq_target_post_connection"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="posts.id", index=True, ondelete="CASCADE")
    connection_id: int = Field(foreign_key="connections.id", index=True, ondelete="CASCADE")
    caption: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # A plain string column: new states need no database type change.
    status: TargetStatus = Field(
        default=TargetStatus.draft, sa_column=Column(String(20), nullable=False, index=True)
    )
    # When the engine should look at it next: the scheduled time, a retry, a pending check.
    due_at: datetime | None = Field(default=None, index=True)
    # The claim: which worker runs it and until when (a dead worker's lease expires).
    lease_owner: str | None = Field(default=None, max_length=120)
    lease_expires_at: datetime | None = None
    # Facebook: handed to the platform's own scheduling (scheduled_publish_time).
    native_schedule: bool = False
    # Platform-side steps recorded before the next one is taken (container id, upload url...).
    steps: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    platform_post_id: str | None = Field(default=None, max_length=200)
    platform_url: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    error_code: str | None = Field(default=None, max_length=60)
    published_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PostEvent(SQLModel, table=True):
    """Every change of a target, for the creator's event log and for audits."""

    __tablename__ = "post_events"

    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(foreign_key="post_targets.id", index=True, ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow)
    step: str = Field(max_length=40)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    attempt: int = 0
    platform_status: int | None = None
    error_code: str | None = Field(default=None, max_length=60)
    message: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


# --- metrics -----------------------------------------------------------------------------


class TrackedPost(SQLModel, table=True):
    """Any post whose metrics are followed: published here or pasted by URL."""

    __tablename__ = "tracked_posts"
    __table_args__ = (
        UniqueConstraint("connection_id", "platform_post_id", name="uq_tracked_post"),
        Index("ix_tracked_posts_conn_published", "connection_id", "published_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    connection_id: int = Field(foreign_key="connections.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=20)
    platform_post_id: str = Field(max_length=200)
    url: str | None = Field(default=None, sa_column=Column(Text))
    post_target_id: int | None = Field(default=None, foreign_key="post_targets.id", ondelete="SET NULL")
    source: str = Field(default="published", max_length=20)  # published | url
    title: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    published_at: datetime | None = None
    last_synced_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # active | deleted (gone on the platform; history kept) | untracked (history kept).
    status: str = Field(default="active", max_length=20, sa_column_kwargs={"server_default": "active"})
    removed_at: datetime | None = None
    # The platform's thumbnail, where its answer has one (else the page shows the platform icon).
    thumbnail_url: str | None = Field(default=None, sa_column=Column(Text))


class SyncRun(SQLModel, table=True):
    """One metric sync: of everything (scope "all") or of one connection. Its counters are
    bumped by each connection's job with one UPDATE, so the progress survives any worker."""

    __tablename__ = "sync_runs"

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(default="all", max_length=20)  # all | connection
    trigger: str = Field(default="schedule", max_length=20)  # schedule | manual | cli
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="CASCADE")
    connection_id: int | None = Field(default=None, foreign_key="connections.id", ondelete="CASCADE")
    status: str = Field(default="running", max_length=20)  # running | finished
    started_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    connections_total: int = 0
    connections_done: int = 0
    posts: int = 0
    accounts: int = 0
    calls: int = 0
    errors: int = 0
    deferred: int = 0  # due posts left for the next window (budget or failure)


class MetricSnapshot(SQLModel, table=True):
    """Append-only. At most one per sync run and post, so a job delivered twice adds nothing."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (
        Index("ix_metric_snapshots_post_taken", "tracked_post_id", "taken_at"),
        UniqueConstraint("sync_run_id", "tracked_post_id", name="uq_metric_snapshot_run_post"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tracked_post_id: int = Field(foreign_key="tracked_posts.id", ondelete="CASCADE")
    taken_at: datetime = Field(default_factory=utcnow)
    sync_run_id: int | None = Field(default=None, foreign_key="sync_runs.id", ondelete="SET NULL")
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    reach: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AccountSnapshot(SQLModel, table=True):
    """Append-only; one per sync run and connection."""

    __tablename__ = "account_snapshots"
    __table_args__ = (
        Index("ix_account_snapshots_conn_taken", "connection_id", "taken_at"),
        UniqueConstraint("sync_run_id", "connection_id", name="uq_account_snapshot_run_conn"),
    )

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="connections.id", ondelete="CASCADE")
    taken_at: datetime = Field(default_factory=utcnow)
    sync_run_id: int | None = Field(default=None, foreign_key="sync_runs.id", ondelete="SET NULL")
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    views: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class MetricRollup(SQLModel, table=True):
    """The dashboard's rollup: per connection and quarter hour, the summed per-post gains of the
    snapshots taken in that quarter hour (services/dashboard_rollups.py has the rules). Kept by
    the metric sync in the transaction that inserts the snapshots; `bucket` is the END of the
    quarter hour (a snapshot at t counts in the bucket (bucket - 15 min, bucket])."""

    __tablename__ = "metric_rollups"

    connection_id: int = Field(foreign_key="connections.id", primary_key=True, ondelete="CASCADE")
    bucket: datetime = Field(primary_key=True)
    views: int = Field(default=0, sa_type=BigInteger)
    likes: int = Field(default=0, sa_type=BigInteger)
    comments: int = Field(default=0, sa_type=BigInteger)
    shares: int = Field(default=0, sa_type=BigInteger)
    saves: int = Field(default=0, sa_type=BigInteger)
    reach: int = Field(default=0, sa_type=BigInteger)


# --- operations --------------------------------------------------------------------------


class SyncError(SQLModel, table=True):
    __tablename__ = "sync_errors"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True, ondelete="CASCADE")
    connection_id: int | None = Field(default=None, foreign_key="connections.id", ondelete="CASCADE")
    platform: str = Field(max_length=20)
    job: str = Field(max_length=60)
    kind: str = Field(max_length=40)
    message: str = Field(sa_column=Column(Text, nullable=False))
    occurred_at: datetime = Field(default_factory=utcnow, index=True)
    resolved_at: datetime | None = None


class QuotaUsage(SQLModel, table=True):
    """Latest quota reading per platform, account and bucket (rate-limit headers or bodies)."""

    __tablename__ = "quota_usage"
    __table_args__ = (UniqueConstraint("platform", "account_key", "bucket", name="uq_quota_bucket"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    account_key: str = Field(default="", max_length=128)  # platform account id, '' for app-wide
    connection_id: int | None = Field(default=None, foreign_key="connections.id", ondelete="SET NULL")
    bucket: str = Field(max_length=120)
    used: float | None = None
    limit: float | None = None
    percent: float | None = None
    resets_at: datetime | None = None
    blocked_until: datetime | None = None
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime = Field(default_factory=utcnow)


class JobRun(SQLModel, table=True):
    """Audit of background jobs: what ran, how it ended."""

    __tablename__ = "job_runs"

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=120, index=True)
    name: str = Field(max_length=120)
    status: str = Field(max_length=20)  # started | finished | failed
    started_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    error: str | None = Field(default=None, sa_column=Column(Text))


class Heartbeat(SQLModel, table=True):
    """Worker and scheduler liveness, so the UI can say what is not running."""

    __tablename__ = "heartbeats"

    name: str = Field(primary_key=True, max_length=120)
    kind: str = Field(max_length=20)  # worker | scheduler
    last_beat_at: datetime = Field(default_factory=utcnow)
    info: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --- leaderboard ---------------------------------------------------------------------------


class LeaderboardAccount(SQLModel, table=True):
    """A connected account its owner made public on the leaderboard (none by default)."""

    __tablename__ = "leaderboard_accounts"

    connection_id: int = Field(foreign_key="connections.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


class LeaderboardEntry(SQLModel, table=True):
    """One creator's pre-aggregated figures for one period and platform ('all' = every
    platform), rewritten by services.leaderboard.refresh_leaderboard after each sync.

    Every metric's value for the period and the one before it, and the rank by each metric,
    so a page view is one indexed read whatever the metric."""

    __tablename__ = "leaderboard_entries"
    __table_args__ = (
        UniqueConstraint("period", "platform", "user_id", name="uq_leaderboard_entry"),
        Index("ix_leaderboard_views", "period", "platform", "rank_views"),
        Index("ix_leaderboard_engagement", "period", "platform", "rank_engagement"),
        Index("ix_leaderboard_likes", "period", "platform", "rank_likes"),
        Index("ix_leaderboard_shares", "period", "platform", "rank_shares"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=8)  # 7d | 30d | all
    platform: str = Field(max_length=20)  # a platform, or "all"
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    posts: int = 0
    views: int = Field(default=0, sa_type=BigInteger)
    engagement: int = Field(default=0, sa_type=BigInteger)
    likes: int = Field(default=0, sa_type=BigInteger)
    shares: int = Field(default=0, sa_type=BigInteger)
    prev_views: int = Field(default=0, sa_type=BigInteger)
    prev_engagement: int = Field(default=0, sa_type=BigInteger)
    prev_likes: int = Field(default=0, sa_type=BigInteger)
    prev_shares: int = Field(default=0, sa_type=BigInteger)
    rank_views: int = 0
    rank_engagement: int = 0
    rank_likes: int = 0
    rank_shares: int = 0
    # Rank in the previous period (0: not ranked then), for the movement arrow.
    prev_rank_views: int = 0
    prev_rank_engagement: int = 0
    prev_rank_likes: int = 0
    prev_rank_shares: int = 0
    refreshed_at: datetime = Field(default_factory=utcnow)


class LeaderboardRefresh(SQLModel, table=True):
    """When the leaderboard was last rebuilt (one row per refresh; the page reads the newest)."""

    __tablename__ = "leaderboard_refreshes"

    id: int | None = Field(default=None, primary_key=True)
    refreshed_at: datetime = Field(default_factory=utcnow, index=True)
    creators: int = 0
    seconds: float = 0.0
