"""TikTok wire basics shared by the OAuth, Display and Content Posting parts of the sandbox.

Every open.tiktokapis.com answer carries the envelope
`{"data": {...}, "error": {"code", "message", "log_id"}}` (CONTRACTS §3.4); OAuth endpoints
use the flat `{"error", "error_description", "log_id"}` shape instead (§3.1).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import Sandbox, TokenError
from socialhub.sandbox.platform import PlatformModule, bearer_token, error_page, json_response

PLATFORM = "tiktok"
BRAND, COLOR = "TikTok", "#fe2c55"
WEB = "www.tiktok.com"
API = "open.tiktokapis.com"
UPLOAD = "open-upload.tiktokapis.com"

SCOPES = (
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.upload",
    "video.publish",
)

# Which scope each user/info field needs (§3.1 scope list).
USER_FIELD_SCOPES = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "username": "user.info.profile",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}

VIDEO_FIELDS = (
    "id",
    "title",
    "video_description",
    "create_time",
    "cover_image_url",
    "share_url",
    "duration",
    "height",
    "width",
    "embed_link",
    "embed_html",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)

# HTTP status per error code (§3.4 plus the posting codes of §3.3).
HTTP_STATUS = {
    "ok": 200,
    "access_token_invalid": 401,
    "scope_not_authorized": 401,
    "scope_permission_missed": 401,
    "invalid_params": 400,
    "invalid_file_upload": 400,
    "privacy_level_option_mismatch": 400,
    "url_ownership_unverified": 403,
    "unaudited_client_can_only_post_to_private_accounts": 403,
    "spam_risk_too_many_posts": 403,
    "spam_risk_too_many_pending_share": 403,
    "spam_risk_user_banned_from_posting": 403,
    "not_found": 404,
    "rate_limit_exceeded": 429,
    "internal_error": 500,
}

MESSAGES = {
    "access_token_invalid": "The access token is invalid or not found in the request.",
    "scope_not_authorized": "The user did not authorize the scope required for completing this request.",
    "rate_limit_exceeded": "The API rate limit was exceeded, please try again later.",
    "internal_error": "Something went wrong. Please try again later.",
}

MIB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_FINAL_CHUNK = 5 * MIB, 64 * MIB, 128 * MIB
MAX_VIDEO_BYTES = 4 * 1024 * MIB
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")


class ApiError(Exception):
    """A Display/Content Posting failure rendered in the TikTok envelope."""

    def __init__(self, code: str, message: str | None = None, status: int | None = None) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or MESSAGES.get(code, code)
        self.status = status or HTTP_STATUS.get(code, 400)


class OAuthFailure(Exception):
    """An OAuth endpoint failure rendered as TikTok's flat OAuth error."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def log_id(sb: Sandbox) -> str:
    """TikTok-style log id: UTC timestamp then 20 upper-case hex digits."""
    return sb.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


def media_kind(head: bytes) -> str | None:
    """The container a file's first bytes announce (MP4/MOV share 'ftyp'; WebM is EBML)."""
    if len(head) >= 8 and head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    return None


Handler = Callable[[Any, Request], Awaitable[Response]]


def api(fn: Handler) -> Handler:
    """Render ApiError (and bad JSON) raised by a handler in the TikTok envelope."""

    @functools.wraps(fn)
    async def wrapped(self: TikTokBase, request: Request) -> Response:
        try:
            return await fn(self, request)
        except ApiError as exc:
            return self.fail(exc.code, exc.message, exc.status)
        except ValueError as exc:
            return self.fail("invalid_params", str(exc))

    return wrapped


def oauth(fn: Handler) -> Handler:
    """Render OAuthFailure raised by an OAuth handler in TikTok's OAuth error shape."""

    @functools.wraps(fn)
    async def wrapped(self: TikTokBase, request: Request) -> Response:
        try:
            return await fn(self, request)
        except OAuthFailure as exc:
            return self.oauth_fail(exc.error, exc.description, exc.status)

    return wrapped


class TikTokBase(PlatformModule):
    """Shared helpers of the TikTok sandbox parts."""

    platforms = (PLATFORM,)
    hosts = (WEB, API, UPLOAD)
    extra_faults = frozenset({"spam_risk_too_many_posts"})

    def ok(self, data: dict[str, Any], status: int = 200) -> Response:
        return json_response(
            {"data": data, "error": {"code": "ok", "message": "", "log_id": log_id(self.sb)}}, status
        )

    def fail(self, code: str, message: str | None = None, status: int | None = None) -> Response:
        err = ApiError(code, message, status)
        body = {"data": {}, "error": {"code": err.code, "message": err.message, "log_id": log_id(self.sb)}}
        return json_response(body, err.status)

    def oauth_fail(self, error: str, description: str, status: int = 400) -> Response:
        body = {"error": error, "error_description": description, "log_id": log_id(self.sb)}
        return json_response(body, status)

    def authorize_token(self, request: Request, scopes: tuple[str, ...] = ()) -> dict[str, Any]:
        """The bearer token's document, or ApiError access_token_invalid / scope_not_authorized."""
        try:
            return self.sb.check_token(PLATFORM, bearer_token(request), list(scopes))
        except TokenError as exc:
            if exc.kind == "scope":
                raise ApiError(
                    "scope_not_authorized",
                    f"The user did not authorize the scope required for completing this request: "
                    f"{', '.join(exc.missing_scopes)}.",
                ) from exc
            message = {
                "expired": "The access token is expired.",
                "revoked": "The access token has been revoked.",
            }.get(exc.kind, MESSAGES["access_token_invalid"])
            raise ApiError("access_token_invalid", message) from exc

    def limit(self, key: str, limit: int, window: float = 60.0) -> None:
        """Sliding-window rate limit on the sandbox clock; over it -> 429 rate_limit_exceeded."""
        allowed, _remaining, _reset = self.sb.rate_hit(key, int(limit), window)
        if not allowed:
            raise ApiError("rate_limit_exceeded")

    def settle(self, account_id: str) -> None:
        """Finish publishes whose processing time has passed (the posting part overrides this)."""

    def render_fault(self, error: str, request: Request) -> Response:
        path = request.url.path
        if path.startswith(f"/{WEB}/"):
            return error_page(BRAND, COLOR, f"Something went wrong ({error}). Please try again.", 500)
        if f"/{API}/v2/oauth/" in path:
            kind = {
                "server_error": ("server_error", 500),
                "rate_limited": ("temporarily_unavailable", 429),
            }.get(
                error,
                ("invalid_grant", 400)
                if error in {"expired_token", "revoked_token"}
                else ("invalid_request", 400),
            )
            return self.oauth_fail(kind[0], f"Injected sandbox fault: {error}.", kind[1])
        code, message = {
            "spam_risk_too_many_posts": (
                "spam_risk_too_many_posts",
                "The daily post cap from the API is reached for the current user.",
            ),
            "rate_limited": ("rate_limit_exceeded", None),
            "server_error": ("internal_error", None),
            "expired_token": ("access_token_invalid", "The access token is expired."),
            "revoked_token": ("access_token_invalid", "The access token has been revoked."),
            "permission_denied": ("scope_not_authorized", None),
        }.get(error, ("invalid_params", "The request parameters are invalid."))
        return self.fail(code, message)
