"""Google/YouTube wire basics: error envelope, bearer checks, daily quota (CONTRACTS §4).

Errors look like `{"error": {"code", "message", "errors": [{message, domain, reason}], "status"}}`;
quota is per project (client id) and resets at midnight Pacific on the sandbox clock.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import TokenError
from socialhub.sandbox.platform import PlatformModule, bearer_token, error_page, json_response

PLATFORM = "youtube"
BRAND, COLOR = "Google", "#1a73e8"
ACCOUNTS_HOST = "accounts.google.com"
OAUTH_HOST = "oauth2.googleapis.com"
WWW = "www.googleapis.com"
# The Data API's own host in Google's discovery document (rootUrl), which
# google-api-python-client uses; it serves the same paths as www.googleapis.com.
YOUTUBE_HOST = "youtube.googleapis.com"
ANALYTICS = "youtubeanalytics.googleapis.com"
PACIFIC = ZoneInfo("America/Los_Angeles")

_AUTH = "https://www.googleapis.com/auth/"
S_READ, S_UPLOAD, S_MANAGE, S_SSL = (
    _AUTH + s for s in ("youtube.readonly", "youtube.upload", "youtube", "youtube.force-ssl")
)
S_ANALYTICS, S_MONETARY = _AUTH + "yt-analytics.readonly", _AUTH + "yt-analytics-monetary.readonly"
YOUTUBE_SCOPES = (S_READ, S_UPLOAD, S_MANAGE, S_SSL, S_ANALYTICS, S_MONETARY)
# Identity scopes an app may ask for alongside (granted, never required here).
IDENTITY_SCOPES = ("openid", "email", "profile", _AUTH + "userinfo.email", _AUTH + "userinfo.profile")
READ_SCOPES = (S_READ, S_MANAGE, S_SSL)
UPLOAD_SCOPES = (S_UPLOAD, S_MANAGE, S_SSL)
ANALYTICS_SCOPES = (S_ANALYTICS, S_MONETARY)

STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)
# Data API cost per call (determine_quota_cost): list methods 1, writes 50.
COSTS = {
    "channels.list": 1,
    "playlistItems.list": 1,
    "videos.list": 1,
    "videos.update": 50,
    "videos.delete": 50,
}


class GoogleError(Exception):
    """A Google API failure; rendered as the standard error envelope."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        headers: dict[str, str] | None = None,
        **extra: str,
    ) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.domain = code, reason, message, domain
        self.headers, self.extra = headers or {}, extra


def error_body(code: int, reason: str, message: str, domain: str = "global", **extra: str) -> dict[str, Any]:
    item = {"message": message, "domain": domain, "reason": reason, **extra}
    return {
        "error": {"code": code, "message": message, "errors": [item], "status": STATUS.get(code, "UNKNOWN")}
    }


def param_error(
    reason: str, message: str, location: str, code: int = 400, domain: str = "youtube.parameter"
) -> GoogleError:
    return GoogleError(code, reason, message, domain=domain, locationType="parameter", location=location)


Handler = Callable[[Any, Request], Awaitable[Response]]


def api(fn: Handler) -> Handler:
    """Render GoogleError raised by a handler as Google's error envelope."""

    @functools.wraps(fn)
    async def wrapped(self: YouTubeBase, request: Request) -> Response:
        try:
            return await fn(self, request)
        except GoogleError as exc:
            return json_response(
                error_body(exc.code, exc.reason, exc.message, exc.domain, **exc.extra), exc.code, exc.headers
            )

    return wrapped


def next_pacific_midnight(now: datetime) -> datetime:
    local = now.astimezone(PACIFIC)
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class YouTubeBase(PlatformModule):
    """Shared helpers of the YouTube sandbox parts."""

    platforms = (PLATFORM,)
    hosts = (ACCOUNTS_HOST, OAUTH_HOST, WWW, YOUTUBE_HOST, ANALYTICS)
    extra_faults = frozenset({"upload_limit_exceeded"})

    def authorize_token(self, request: Request, any_of: tuple[str, ...]) -> dict[str, Any]:
        """The bearer token, or 401 authError / 403 insufficientPermissions."""
        try:
            return self.sb.check_token(PLATFORM, bearer_token(request), list(any_of), any_scope=True)
        except TokenError as exc:
            if exc.kind == "scope":
                raise GoogleError(
                    403,
                    "insufficientPermissions",
                    "Request had insufficient authentication scopes.",
                    headers={
                        "WWW-Authenticate": f'Bearer realm="https://accounts.google.com/", '
                        f'error="insufficient_scope", scope="{" ".join(any_of)}"'
                    },
                ) from exc
            raise self.auth_error() from exc

    def auth_error(self) -> GoogleError:
        return GoogleError(
            401,
            "authError",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
            "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            location="Authorization",
            locationType="header",
            headers={
                "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            },
        )

    # --- quota ------------------------------------------------------------------------
    def quota_key(self, client_id: str, bucket: str) -> str:
        day = self.sb.now().astimezone(PACIFIC).date().isoformat()
        return f"quota:youtube:{client_id}:{day}:{bucket}"

    def charge(self, token: dict[str, Any], method: str) -> None:
        """Spend the project's daily quota for one call, or 403 quotaExceeded."""
        # Since 2026-06-01 videos.insert and search.list each have a bucket of calls per day;
        # the legacy model charges them in units (1600 / 100) against the 10,000 default.
        own = {
            "videos.insert": ("youtube.legacy_insert_cost", "youtube.insert_calls_per_day"),
            "search.list": ("youtube.legacy_search_cost", "youtube.search_calls_per_day"),
        }.get(method)
        legacy = int(self.sb.config(own[0])) if own else 0
        if own and legacy <= 0:
            bucket, cost, limit = method, 1, int(self.sb.config(own[1]))
        else:
            cost = legacy if own else COSTS.get(method, 1)
            bucket, limit = "default", int(self.sb.config("youtube.quota_units_per_day"))
        key = self.quota_key(token["client_id"], bucket)
        if self.sb.counter(key) + cost > limit:
            raise GoogleError(403, "quotaExceeded", QUOTA_MESSAGE, domain="youtube.quota")
        self.sb.incr(key, cost)

    # --- faults -----------------------------------------------------------------------
    def render_fault(self, error: str, request: Request) -> Response:
        path = request.url.path
        if path.startswith(f"/{ACCOUNTS_HOST}/"):
            return error_page(BRAND, COLOR, f"Something went wrong ({error}). Try again later.", 500)
        if path.startswith(f"/{OAUTH_HOST}/"):
            if error in {"expired_token", "revoked_token"}:
                return json_response(
                    {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, 400
                )
            if error == "server_error":
                return json_response({"error": "internal_failure", "error_description": "Backend Error"}, 500)
            return json_response(
                {"error": "invalid_request", "error_description": f"Injected fault: {error}"}, 400
            )
        if error in {"expired_token", "revoked_token"}:
            exc = self.auth_error()
            return json_response(
                error_body(401, exc.reason, exc.message, location="Authorization", locationType="header"),
                401,
                exc.headers,
            )
        code, reason, message, domain = {
            "upload_limit_exceeded": (
                400,
                "uploadLimitExceeded",
                "The user has exceeded the number of videos they may upload.",
                "youtube.video",
            ),
            "rate_limited": (403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"),
            "server_error": (500, "backendError", "Backend Error", "global"),
            "permission_denied": (
                403,
                "insufficientPermissions",
                "Request had insufficient authentication scopes.",
                "global",
            ),
        }.get(error, (400, "badRequest", "Bad Request", "global"))
        return json_response(error_body(code, reason, message, domain), code)
