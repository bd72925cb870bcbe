"""X wire pieces shared by the sandbox's OAuth, tweets and media parts.

Errors are problem JSON (application/problem+json) {"title","detail","type","status"};
every API response carries x-rate-limit-limit / -remaining / -reset for its endpoint's window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import Sandbox, TokenError
from socialhub.sandbox.platform import bearer_token

PLATFORM = "x"
API_HOSTS = ("api.x.com", "api.twitter.com")
WEB_HOSTS = ("x.com", "twitter.com")
BRAND = "X"
COLOR = "#0f1419"
PROBLEMS = "https://api.twitter.com/2/problems/"
TWITTER_EPOCH_MS = 1288834974657
WINDOW = 900  # 15 minutes

ALL_SCOPES = (
    "tweet.read",
    "tweet.write",
    "tweet.moderate.write",
    "users.read",
    "follows.read",
    "follows.write",
    "offline.access",
    "space.read",
    "mute.read",
    "mute.write",
    "like.read",
    "like.write",
    "list.read",
    "list.write",
    "block.read",
    "block.write",
    "bookmark.read",
    "bookmark.write",
    "media.write",
)
DEFAULT_SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write", "like.read")

# User-context limits per 15 minutes (CONTRACTS §6.4; media numbers are sandbox choices [unverified]).
USER_LIMITS = {
    "GET /2/tweets": 5000,
    "GET /2/tweets/:id": 900,
    "DELETE /2/tweets/:id": 50,
    "GET /2/users/:id/tweets": 900,
    "GET /2/users/me": 75,
    "GET /2/users/:id": 900,
    "POST /2/media/upload": 500,
    "POST /2/media/upload/initialize": 500,
    "POST /2/media/upload/:id/append": 5000,
    "POST /2/media/upload/:id/finalize": 500,
    "GET /2/media/upload": 1000,
}


class XError(Exception):
    """An X API error: status, problem body, optional rate-limit headers."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("detail") or body.get("title"))
        self.status = status
        self.body = body
        self.headers = headers


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **extra: Any) -> XError:
    type_ = kind if kind == "about:blank" else PROBLEMS + kind
    return XError(status, {"title": title, "detail": detail, "type": type_, "status": status, **extra})


def invalid_request(message: str, parameters: dict[str, list[Any]] | None = None) -> XError:
    """400 invalid-request with errors[] {parameters, message}."""
    return XError(
        400,
        {
            "errors": [{"parameters": parameters or {}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": PROBLEMS + "invalid-request",
        },
    )


UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}


def usage_capped() -> XError:
    """X's usage-cap answer (429, problem type usage-capped), distinct from the 15-minute 429."""
    return XError(
        429,
        {
            "title": "UsageCapExceeded",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": PROBLEMS + "usage-capped",
            "period": "Monthly",
            "scope": "Product",
        },
    )


def not_found_error(value: str, resource: str, parameter: str) -> dict[str, Any]:
    """An errors[] entry for an id that does not exist (lookups answer 200 with these)."""
    return {
        "value": value,
        "detail": f"Could not find {resource} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource,
        "parameter": parameter,
        "resource_id": value,
        "type": PROBLEMS + "resource-not-found",
    }


def snowflake(epoch_ms: int, seq: int) -> str:
    """X ids: milliseconds since the Twitter epoch << 22 | worker/sequence bits."""
    return str(((epoch_ms - TWITTER_EPOCH_MS) << 22) | (seq & 0x3FFFFF))


@dataclass
class Ctx:
    """What a guarded handler gets: the token and the headers every response must carry."""

    tok: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def rate_headers(prefix: str, limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        f"{prefix}-limit": str(limit),
        f"{prefix}-remaining": str(max(0, remaining)),
        f"{prefix}-reset": str(int(reset)),
    }


class XGuard:
    """Bearer check, per-endpoint 15-minute user windows and scope checks."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def limit(self, endpoint: str) -> int:
        if endpoint == "POST /2/tweets":
            return int(self.sb.config("x.tweets_per_15min_user"))
        return USER_LIMITS.get(endpoint, 900)

    def check(self, request: Request, endpoint: str, scopes: tuple[str, ...]) -> Ctx:
        limit = self.limit(endpoint)
        try:
            tok = self.sb.check_token(PLATFORM, bearer_token(request))
        except TokenError as exc:
            used, remaining, reset = self.sb.rate_peek(f"x:{endpoint}:anonymous", limit, WINDOW)
            raise XError(
                401, dict(UNAUTHORIZED), rate_headers("x-rate-limit", limit, remaining, reset)
            ) from exc
        key = f"x:{endpoint}:{tok['client_id']}:{tok['account_id']}"
        allowed, remaining, reset = self.sb.rate_hit(key, limit, WINDOW)
        headers = rate_headers("x-rate-limit", limit, remaining, reset)
        if not allowed:
            raise XError(429, dict(TOO_MANY), headers)
        missing = [s for s in scopes if s not in tok["scopes"]]
        if missing:
            err = problem(
                403,
                "Forbidden",
                f"You are not permitted to perform this action. Missing scope(s): {', '.join(missing)}.",
                "not-authorized-for-resource",
            )
            err.headers = headers
            raise err
        return Ctx(tok=tok, headers=headers)

    # --- the monthly usage cap on post reads (pay-per-use), apart from 15-minute windows ---
    def _cap_key(self, client_id: str) -> str:
        return f"x:usage:{client_id}:{self.sb.now().strftime('%Y-%m')}"

    def check_usage_cap(self, ctx: Ctx) -> None:
        """429 UsageCapExceeded once the app has read its monthly post cap (resets each month)."""
        if self.sb.counter(self._cap_key(ctx.tok["client_id"])) >= int(
            self.sb.config("x.monthly_post_reads")
        ):
            raise usage_capped()

    def count_reads(self, ctx: Ctx, posts: int) -> None:
        if posts:
            self.sb.incr(self._cap_key(ctx.tok["client_id"]), posts)

    def tweet_caps(self, ctx: Ctx) -> None:
        """24-hour caps on POST /2/tweets: per app and per user (same number: no separate one is documented)."""
        cap = int(self.sb.config("x.tweets_per_24h_app"))
        tok = ctx.tok
        for prefix, key in (
            ("x-app-limit-24hour", f"x:24h:app:{tok['client_id']}"),
            ("x-user-limit-24hour", f"x:24h:user:{tok['client_id']}:{tok['account_id']}"),
        ):
            allowed, remaining, reset = self.sb.rate_hit(key, cap, 86400)
            ctx.headers.update(rate_headers(prefix, cap, remaining, reset))
            if not allowed:
                raise XError(429, dict(TOO_MANY))
