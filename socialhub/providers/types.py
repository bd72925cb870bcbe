"""Plain data passed between providers and services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scopes: list[str] = field(default_factory=list)


@dataclass
class Credentials:
    """What a call needs: the decrypted token and the ids kept on the connection."""

    access_token: str
    account_id: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class AccountInfo:
    account_id: str
    username: str
    display_name: str = ""
    avatar_url: str | None = None
    profile_url: str | None = None
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    views: int | None = None
    # Ids the provider needs later, stored on Connection.extra (page id, person URN, ...).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ConnectedAccount:
    """One account an authorization gave access to, with the token to use for it."""

    account: AccountInfo
    tokens: TokenSet


@dataclass
class RemotePost:
    post_id: str
    url: str | None = None
    caption: str = ""
    created_at: datetime | None = None
    media_type: str | None = None
    # The platform account that posted it, when the answer says (ownership checks).
    account_id: str | None = None
    # A preview image URL, where the platform's answer has one (TikTok cover, YouTube thumbnail).
    thumbnail_url: str | None = None


@dataclass
class PostPage:
    posts: list[RemotePost]
    next_cursor: str | None = None


@dataclass
class PostMetrics:
    post_id: str
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    reach: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PostRef:
    """What a pasted URL says about a post: an id, or a key that needs a lookup."""

    platform: str
    key: str
    key_type: str = "id"  # id | shortcode | urn | pfbid | activity
    username: str | None = None


@dataclass
class MediaRef:
    kind: str  # image | video
    mime_type: str
    size_bytes: int
    url: str | None = None  # a public URL the platform can fetch
    path: str | None = None  # a local file, for platforms that take uploads
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None


@dataclass
class PublishRequest:
    caption: str
    media: list[MediaRef] = field(default_factory=list)
    scheduled_for: datetime | None = None  # UTC; only platforms with native scheduling use it
    title: str | None = None


@dataclass
class PublishResult:
    status: str  # published | scheduled
    post_id: str
    url: str | None = None


@dataclass
class QuotaReading:
    bucket: str
    account_key: str = ""
    used: float | None = None
    limit: float | None = None
    percent: float | None = None
    resets_at: datetime | None = None
    blocked_until: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContentLimits:
    caption_max: int
    caption_unit: str = "characters"  # characters | utf16 | weighted | bytes
    media_kinds: frozenset[str] = frozenset({"image", "video"})
    requires_media: bool = False
    max_media: int = 1
    image_types: frozenset[str] = frozenset({"image/jpeg"})
    video_types: frozenset[str] = frozenset({"video/mp4"})
    max_image_bytes: int | None = None
    max_video_bytes: int | None = None
    min_video_seconds: float | None = None
    max_video_seconds: float | None = None
    title_max: int | None = None


StepSaver = Callable[[dict[str, Any]], None]
QuotaSink = Callable[[str, QuotaReading], None]


def utcnow() -> datetime:
    return datetime.now(UTC)


def expires_in(seconds: Any) -> datetime | None:
    try:
        return utcnow() + timedelta(seconds=int(seconds))
    except (TypeError, ValueError):
        return None
