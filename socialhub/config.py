"""Every setting SocialHub reads, in one place (see .env.example)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLATFORMS = ("instagram", "facebook", "tiktok", "youtube", "linkedin", "x")

PLATFORM_LABELS = {
    "instagram": "Instagram",
    "facebook": "Facebook Page",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "linkedin": "LinkedIn",
    "x": "X",
}


# API versions SocialHub speaks. Graph: the latest in shared/platforms/CONTRACTS.md (v25.0,
# released 2026-02-18, available until 2028-07-29 per Meta's changelog). LinkedIn: YYYYMM,
# each version served about a year after its release.
DEFAULT_GRAPH_VERSION = "v25.0"
DEFAULT_LINKEDIN_VERSION = "202611"


def sandbox_app_credentials(platform: str) -> tuple[str, str]:
    """The sandbox's built-in app (client id, secret) for a platform: what SocialHub uses
    when no real keys are configured, and what the sandbox accepts out of the box."""
    return f"sandbox-{platform}-client", f"sandbox-{platform}-secret"


def _env(name: str, *more: str) -> AliasChoices:
    return AliasChoices(name, *more)


# The project's `.env` (next to rxconfig.py), wherever a command is started from, or the
# file SOCIALHUB_ENV_FILE names: Settings, rxconfig.py and Reflex's own variables all read
# this one file (the environment wins).
ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / ".env"


def env_file() -> Path:
    return Path(os.environ.get("SOCIALHUB_ENV_FILE") or ENV_FILE)


def export_env_file(path: Path | None = None) -> None:
    """Copy `.env` into os.environ for what Settings does not parse itself: Reflex's own
    variables (REFLEX_*, GRANIAN_*) and child processes. A variable already in the
    environment wins, as it does in Settings."""
    from dotenv import dotenv_values

    path = path or env_file()
    if not path.is_file():
        return
    for name, value in dotenv_values(path).items():
        if value is not None:
            os.environ.setdefault(name, value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore", populate_by_name=True)

    environment: str = Field("development", validation_alias=_env("SOCIALHUB_ENV"))
    data_dir: Path = Field(Path("data"), validation_alias=_env("SOCIALHUB_DATA_DIR"))
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL"))
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL"))
    encryption_keys: str | None = Field(None, validation_alias=_env("SOCIALHUB_ENCRYPTION_KEYS"))

    host: str = Field("127.0.0.1", validation_alias=_env("SOCIALHUB_HOST"))
    port: int = Field(3000, validation_alias=_env("SOCIALHUB_PORT"))
    public_url: str | None = Field(None, validation_alias=_env("SOCIALHUB_PUBLIC_URL"))
    # Scale-out (README "Scale out"): Reflex's shared state store (sessions), and how many
    # backend worker processes one `socialhub web` starts (unset: Reflex's own default,
    # 2 x CPUs + 1 capped at 8 with a Redis state store, 1 without).
    reflex_redis_url: str | None = Field(None, validation_alias=_env("REFLEX_REDIS_URL"))
    web_workers: int | None = Field(None, ge=1, le=64, validation_alias=_env("SOCIALHUB_WEB_WORKERS"))

    session_ttl_hours: int = Field(24 * 14, validation_alias=_env("SOCIALHUB_SESSION_TTL_HOURS"))
    login_max_failures: int = Field(5, validation_alias=_env("SOCIALHUB_LOGIN_MAX_FAILURES"))
    login_window_minutes: int = Field(15, validation_alias=_env("SOCIALHUB_LOGIN_WINDOW_MINUTES"))
    # Failed logins from one client address (any e-mail), and from everyone together, per window.
    login_max_failures_per_client: int = Field(
        20, validation_alias=_env("SOCIALHUB_LOGIN_MAX_FAILURES_PER_CLIENT")
    )
    login_max_failures_global: int = Field(100, validation_alias=_env("SOCIALHUB_LOGIN_MAX_FAILURES_GLOBAL"))
    # Extra browser origins allowed besides the public URL (comma-separated), e.g. a LAN name.
    allowed_origins: str = Field("", validation_alias=_env("SOCIALHUB_ALLOWED_ORIGINS"))
    oauth_state_ttl_minutes: int = Field(10, validation_alias=_env("SOCIALHUB_OAUTH_STATE_TTL_MINUTES"))

    workers: int = Field(1, validation_alias=_env("SOCIALHUB_WORKERS"))
    # Publishing: a post whose time passed by more than this while nothing could run is
    # "missed" and waits for the creator instead of going out late.
    publish_missed_grace_minutes: int = Field(
        60, validation_alias=_env("SOCIALHUB_PUBLISH_MISSED_GRACE_MINUTES")
    )
    # Transient failures are retried this many times (exponential backoff with jitter).
    publish_max_attempts: int = Field(5, validation_alias=_env("SOCIALHUB_PUBLISH_MAX_ATTEMPTS"))
    # After an unknown outcome, look for the post on the platform for this long before
    # asking the creator.
    publish_reconcile_minutes: int = Field(30, validation_alias=_env("SOCIALHUB_PUBLISH_RECONCILE_MINUTES"))
    # How long a worker's claim on a target lasts before the sweeper reconciles it.
    publish_lease_seconds: int = Field(600, validation_alias=_env("SOCIALHUB_PUBLISH_LEASE_SECONDS"))
    # One publish job also runs other due posts alongside (platform calls wait on the
    # network): at most this many at once per worker, and per connected account.
    publish_concurrency: int = Field(16, validation_alias=_env("SOCIALHUB_PUBLISH_CONCURRENCY"))
    publish_per_account: int = Field(4, validation_alias=_env("SOCIALHUB_PUBLISH_PER_ACCOUNT"))
    # Library uploads larger than this are refused before anything is stored.
    media_max_upload_mb: int = Field(512, validation_alias=_env("SOCIALHUB_MEDIA_MAX_UPLOAD_MB"))
    # Where media files live (README "Media storage"): "local" keeps them under
    # <data dir>/media (one machine); "s3" puts them in an S3-compatible bucket (MinIO, any
    # S3 service) so web processes and workers on several machines share them.
    media_store: Literal["local", "s3"] = Field("local", validation_alias=_env("SOCIALHUB_MEDIA_STORE"))
    media_s3_bucket: str = Field("", validation_alias=_env("SOCIALHUB_MEDIA_S3_BUCKET"))
    # Unset means AWS itself; MinIO: http://minio-host:9000.
    media_s3_endpoint_url: str | None = Field(None, validation_alias=_env("SOCIALHUB_MEDIA_S3_ENDPOINT_URL"))
    # The endpoint platforms reach for presigned URLs, when it differs from the one the
    # processes use (a private MinIO address behind a public name).
    media_s3_public_endpoint_url: str | None = Field(
        None, validation_alias=_env("SOCIALHUB_MEDIA_S3_PUBLIC_ENDPOINT_URL")
    )
    media_s3_region: str = Field("us-east-1", validation_alias=_env("SOCIALHUB_MEDIA_S3_REGION"))
    # Secrets: from the environment (or .env) only; unset means boto3's own chain (AWS_* variables,
    # an instance role).
    media_s3_access_key_id: SecretStr | None = Field(
        None, validation_alias=_env("SOCIALHUB_MEDIA_S3_ACCESS_KEY_ID")
    )
    media_s3_secret_access_key: SecretStr | None = Field(
        None, validation_alias=_env("SOCIALHUB_MEDIA_S3_SECRET_ACCESS_KEY")
    )
    # Keys are <prefix><two hex>/<sha256>.<ext>; a prefix lets one bucket serve several installs.
    media_s3_prefix: str = Field("", validation_alias=_env("SOCIALHUB_MEDIA_S3_PREFIX"))
    # "path" works with MinIO and AWS alike; "virtual" for services that require bucket.host names.
    media_s3_addressing_style: Literal["path", "virtual", "auto"] = Field(
        "path", validation_alias=_env("SOCIALHUB_MEDIA_S3_ADDRESSING_STYLE")
    )
    # How /media/<token>/<name> answers a platform's pull with S3: "proxy" streams the object
    # through the app (works when only the app is public); "redirect" answers 302 to a
    # presigned GET URL of the store valid this many seconds (the store must be public).
    media_s3_delivery: Literal["proxy", "redirect"] = Field(
        "proxy", validation_alias=_env("SOCIALHUB_MEDIA_S3_DELIVERY")
    )
    media_s3_presign_seconds: int = Field(
        900, ge=60, le=7 * 24 * 3600, validation_alias=_env("SOCIALHUB_MEDIA_S3_PRESIGN_SECONDS")
    )
    # Workers copy a stored file to <data dir>/media-cache before a platform upload; the
    # copies least recently used go when the cache grows past this (files in use are kept).
    media_cache_mb: int = Field(2048, ge=1, validation_alias=_env("SOCIALHUB_MEDIA_CACHE_MB"))
    http_timeout_seconds: float = Field(20.0, validation_alias=_env("SOCIALHUB_HTTP_TIMEOUT"))
    # Metric sync (README "Metrics"): how often the scheduled sync runs, and the freshness
    # tiers. Posts younger than `metrics_fresh_days` are synced every run; those younger than
    # `metrics_warm_days` every `metrics_warm_hours`; older ones every `metrics_cold_hours`.
    metrics_sync_hours: int = Field(6, ge=1, le=24, validation_alias=_env("SOCIALHUB_METRICS_SYNC_HOURS"))
    metrics_fresh_days: int = Field(7, ge=0, validation_alias=_env("SOCIALHUB_METRICS_FRESH_DAYS"))
    metrics_warm_days: int = Field(30, ge=0, validation_alias=_env("SOCIALHUB_METRICS_WARM_DAYS"))
    metrics_warm_hours: int = Field(24, ge=1, validation_alias=_env("SOCIALHUB_METRICS_WARM_HOURS"))
    metrics_cold_hours: int = Field(72, ge=1, validation_alias=_env("SOCIALHUB_METRICS_COLD_HOURS"))
    # Calls one connection's sync may spend per run (beyond it, the newest posts go first and
    # the rest waits for the next window), and how many run at once per worker / per platform.
    metrics_calls_per_connection: int = Field(
        500, ge=1, validation_alias=_env("SOCIALHUB_METRICS_CALLS_PER_CONNECTION")
    )
    metrics_concurrency: int = Field(16, ge=1, validation_alias=_env("SOCIALHUB_METRICS_CONCURRENCY"))
    metrics_per_platform: int = Field(16, ge=1, validation_alias=_env("SOCIALHUB_METRICS_PER_PLATFORM"))

    sandbox_url: str | None = Field(None, validation_alias=_env("SOCIALHUB_SANDBOX_URL"))
    sandbox_port: int = Field(8900, validation_alias=_env("SOCIALHUB_SANDBOX_PORT"))
    sandbox_admin_token: str | None = Field(None, validation_alias=_env("SOCIALHUB_SANDBOX_ADMIN_TOKEN"))
    sandbox_seed: int = Field(42, validation_alias=_env("SOCIALHUB_SANDBOX_SEED"))
    sandbox_db: Path | None = Field(None, validation_alias=_env("SOCIALHUB_SANDBOX_DB"))

    instagram_client_id: str | None = Field(None, validation_alias=_env("INSTAGRAM_CLIENT_ID"))
    instagram_client_secret: str | None = Field(None, validation_alias=_env("INSTAGRAM_CLIENT_SECRET"))
    facebook_client_id: str | None = Field(None, validation_alias=_env("FACEBOOK_CLIENT_ID"))
    facebook_client_secret: str | None = Field(None, validation_alias=_env("FACEBOOK_CLIENT_SECRET"))
    tiktok_client_id: str | None = Field(None, validation_alias=_env("TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_ID"))
    tiktok_client_secret: str | None = Field(None, validation_alias=_env("TIKTOK_CLIENT_SECRET"))
    youtube_client_id: str | None = Field(
        None, validation_alias=_env("YOUTUBE_CLIENT_ID", "GOOGLE_CLIENT_ID")
    )
    youtube_client_secret: str | None = Field(
        None, validation_alias=_env("YOUTUBE_CLIENT_SECRET", "GOOGLE_CLIENT_SECRET")
    )
    linkedin_client_id: str | None = Field(None, validation_alias=_env("LINKEDIN_CLIENT_ID"))
    linkedin_client_secret: str | None = Field(None, validation_alias=_env("LINKEDIN_CLIENT_SECRET"))
    # r_member_postAnalytics needs LinkedIn's Community Management product; an app without it
    # turns this off to connect at all (metrics then say why views and reach are missing).
    linkedin_post_analytics: bool = Field(True, validation_alias=_env("SOCIALHUB_LINKEDIN_POST_ANALYTICS"))
    # Platform API versions (see DEFAULT_* above); change them when a platform retires one.
    graph_version: str = Field(
        DEFAULT_GRAPH_VERSION, pattern=r"^v\d{1,2}\.\d$", validation_alias=_env("SOCIALHUB_GRAPH_VERSION")
    )
    linkedin_version: str = Field(
        DEFAULT_LINKEDIN_VERSION,
        pattern=r"^20\d{2}(0[1-9]|1[0-2])$",
        validation_alias=_env("SOCIALHUB_LINKEDIN_VERSION"),
    )

    x_client_id: str | None = Field(None, validation_alias=_env("X_CLIENT_ID"))
    x_client_secret: str | None = Field(None, validation_alias=_env("X_CLIENT_SECRET"))

    @field_validator("web_workers", "reflex_redis_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        # `SOCIALHUB_WEB_WORKERS=` in a .env or unit file means "Reflex's default".
        return None if isinstance(value, str) and not value.strip() else value

    # --- derived values -------------------------------------------------------------
    @property
    def is_production(self) -> bool:
        return self.environment.lower() in {"prod", "production"}

    @property
    def db_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Plain postgres URLs mean psycopg 3 here, not psycopg2.
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            elif url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'socialhub.db').resolve()}"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def sandbox_base_url(self) -> str:
        return (self.sandbox_url or f"http://127.0.0.1:{self.sandbox_port}").rstrip("/")

    @property
    def sandbox_db_path(self) -> Path:
        return self.sandbox_db or (self.data_dir / "sandbox.db")

    def platform_credentials(self, platform: str) -> tuple[str, str] | None:
        """The real app keys for a platform, or None when it runs against the sandbox."""
        cid = getattr(self, f"{platform}_client_id")
        secret = getattr(self, f"{platform}_client_secret")
        if cid and secret:
            return cid, secret
        return None

    def is_sandbox(self, platform: str) -> bool:
        return self.platform_credentials(platform) is None

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def get_sandbox_admin_token(self) -> str:
        """The sandbox control token: from env, else generated once into the data dir."""
        if self.sandbox_admin_token:
            return self.sandbox_admin_token
        path = self.ensure_data_dir() / "sandbox-admin.token"
        if not path.exists():
            write_secret_file(path, secrets.token_urlsafe(32))
        return path.read_text().strip()


def write_secret_file(path: Path, content: str) -> None:
    """Create a file readable by its owner only (fails if it exists: no silent overwrite)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(content + "\n")


@lru_cache
def get_settings() -> Settings:
    return Settings(_env_file=env_file())


def reset_settings_cache() -> None:
    get_settings.cache_clear()
