"""The X sandbox module: routes on api.x.com / api.twitter.com and x.com / twitter.com, seed, faults."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.core import Sandbox, iso
from socialhub.sandbox.platform import PlatformModule, error_page, json_response, oauth_error
from socialhub.sandbox.platforms.x.common import (
    API_HOSTS,
    BRAND,
    COLOR,
    PLATFORM,
    PROBLEMS,
    TOO_MANY,
    UNAUTHORIZED,
    WEB_HOSTS,
    WINDOW,
    Ctx,
    XError,
    XGuard,
    problem_response,
    rate_headers,
    snowflake,
    usage_capped,
)
from socialhub.sandbox.platforms.x.media import XMedia
from socialhub.sandbox.platforms.x.oauth import XOAuth
from socialhub.sandbox.platforms.x.tweets import XTweets

ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
READ = ("tweet.read", "users.read")
WRITE = ("tweet.read", "tweet.write", "users.read")
MEDIA = ("media.write",)

USERS = (
    # id, username, name, followers, growth/day, following, tweets before the window, tweets seeded, views
    ("1290463520384479232", "maya_builds", "Maya Chen", 48200, 35.0, 612, 8400, 70, 9000.0),
    ("1519837465092141056", "devon_ships", "Devon Brooks", 3100, 4.0, 280, 1900, 40, 1800.0),
    ("1711224035600195584", "tiny_teapot", "Tiny Teapot Games", 180, 0.5, 95, 120, 25, 300.0),
)
LINES = (
    "Shipped a small fix today and it made a big difference for our users",
    "Hot take: the best feature is the one you delete",
    "Working on something new this week. More soon",
    "Five tools I use every single day as an indie dev",
    "Thread: what a year of building in public taught me",
    "Reminder to drink water and push your commits",
    "Our launch numbers are in and I am honestly surprised",
    "Small wins count. Celebrate them",
)


class X(XOAuth, XTweets, XMedia, PlatformModule):
    """X (Twitter) API v2 with OAuth 2.0 user context."""

    platforms = (PLATFORM,)
    hosts = (*API_HOSTS, *WEB_HOSTS)
    extra_faults = frozenset({"usage_capped"})

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(sandbox)
        self.guard = XGuard(sandbox)

    def api(
        self, endpoint: str, scopes: tuple[str, ...], handler: Callable[[Request, Ctx], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a handler: token, rate window, scopes; rate-limit headers on every answer."""

        async def wrapped(request: Request) -> Response:
            ctx: Ctx | None = None
            try:
                ctx = self.guard.check(request, endpoint, scopes)
                response = await handler(request, ctx)
                headers = ctx.headers
            except XError as err:
                response = problem_response(err.status, err.body)
                headers = {**(ctx.headers if ctx else {}), **(err.headers or {})}
            for name, value in headers.items():
                response.headers[name] = value
            return response

        return wrapped

    def routes(self) -> list[Route]:
        routes: list[Route] = []
        for host in API_HOSTS:
            h = f"/{host}/2"
            routes += [
                Route(f"{h}/oauth2/token", self.token, methods=["POST"]),
                Route(f"{h}/oauth2/revoke", self.revoke, methods=["POST"]),
                Route(f"{h}/tweets", self.api("POST /2/tweets", WRITE, self.create_tweet), methods=["POST"]),
                Route(f"{h}/tweets", self.api("GET /2/tweets", READ, self.lookup_tweets), methods=["GET"]),
                Route(
                    f"{h}/tweets/{{id}}", self.api("GET /2/tweets/:id", READ, self.get_tweet), methods=["GET"]
                ),
                Route(
                    f"{h}/tweets/{{id}}",
                    self.api("DELETE /2/tweets/:id", WRITE, self.delete_tweet),
                    methods=["DELETE"],
                ),
                Route(f"{h}/users/me", self.api("GET /2/users/me", READ, self.users_me), methods=["GET"]),
                Route(
                    f"{h}/users/{{id}}/tweets",
                    self.api("GET /2/users/:id/tweets", READ, self.user_tweets),
                    methods=["GET"],
                ),
                Route(
                    f"{h}/users/{{id}}", self.api("GET /2/users/:id", READ, self.get_user), methods=["GET"]
                ),
                Route(
                    f"{h}/media/upload",
                    self.api("POST /2/media/upload", MEDIA, self.upload_simple),
                    methods=["POST"],
                ),
                Route(
                    f"{h}/media/upload", self.api("GET /2/media/upload", MEDIA, self.status), methods=["GET"]
                ),
                Route(
                    f"{h}/media/upload/initialize",
                    self.api("POST /2/media/upload/initialize", MEDIA, self.initialize),
                    methods=["POST"],
                ),
                Route(
                    f"{h}/media/upload/{{id}}/append",
                    self.api("POST /2/media/upload/:id/append", MEDIA, self.append),
                    methods=["POST"],
                ),
                Route(
                    f"{h}/media/upload/{{id}}/finalize",
                    self.api("POST /2/media/upload/:id/finalize", MEDIA, self.finalize),
                    methods=["POST"],
                ),
                Route(f"/{host}/{{rest:path}}", self.not_found_api, methods=ALL_METHODS),
            ]
        for host in WEB_HOSTS:
            routes += [
                Route(f"/{host}/i/oauth2/authorize", self.authorize, methods=["GET", "POST"]),
                Route(f"/{host}/{{rest:path}}", self.not_found_web, methods=ALL_METHODS),
            ]
        return routes

    async def not_found_api(self, request: Request) -> Response:
        _, remaining, reset = self.sb.rate_peek("x:unknown-path", 900, WINDOW)
        return json_response(
            {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]},
            404,
            headers=rate_headers("x-rate-limit", 900, remaining, reset),
        )

    async def not_found_web(self, request: Request) -> Response:
        return error_page(
            BRAND, COLOR, "Hmm...this page doesn't exist. Try searching for something else.", 404
        )

    # --- faults --------------------------------------------------------------------------
    def render_fault(self, error: str, request: Request) -> Response:
        path = request.url.path
        if "/2/oauth2/" in path:
            if error == "server_error":
                return oauth_error("server_error", "Internal error", 500)
            return oauth_error("invalid_request", "Value passed for the token was invalid.")
        now = self.sb.now_ts()
        limited = rate_headers("x-rate-limit", 0, 0, now + WINDOW)
        if error == "rate_limited":
            return problem_response(429, dict(TOO_MANY), limited)
        if error == "usage_capped":
            capped = usage_capped()
            return problem_response(capped.status, capped.body)
        if error in {"expired_token", "revoked_token"}:
            return problem_response(401, dict(UNAUTHORIZED))
        if error == "permission_denied":
            return problem_response(
                403,
                {
                    "title": "Client Forbidden",
                    "reason": "client-not-enrolled",
                    "type": PROBLEMS + "client-forbidden",
                    "detail": "When authenticating requests to the X API v2 endpoints, you must use keys and tokens "
                    "from an App that is attached to a Project.",
                    "status": 403,
                },
            )
        if error == "invalid_request":
            return problem_response(
                400,
                {
                    "errors": [{"parameters": {}, "message": "Invalid request"}],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": PROBLEMS + "invalid-request",
                },
            )
        return problem_response(
            503,
            {
                "title": "Service Unavailable",
                "detail": "Service Unavailable",
                "type": "about:blank",
                "status": 503,
            },
        )

    # --- seed ----------------------------------------------------------------------------
    def seed(self) -> None:
        now = self.sb.now()
        for order, (uid, username, name, followers, growth, following, before, count, scale) in enumerate(
            USERS
        ):
            self.sb.add_account(
                PLATFORM,
                uid,
                order=order,
                username=username,
                display_name=name,
                followers_base=followers,
                followers_per_day=growth,
                following=following,
                tweets_base=before,
                listed=followers // 150,
                likes_given=before * 3,
                created_at=iso(now - timedelta(days=200)),
                joined_at=iso(now - timedelta(days=900 + 300 * order)),
                description=f"{name} on X (sandbox)",
                profile_image_url=f"https://pbs.twimg.com/profile_images/{uid}/avatar_normal.jpg",
            )
            self._seed_tweets(uid, count, scale)

    def _seed_tweets(self, uid: str, count: int, scale: float) -> None:
        rng = self.sb.rand("x-history", uid)
        now = self.sb.now()
        docs: list[dict[str, Any]] = []
        for i in range(count):
            created = now - timedelta(days=90 * (i + 0.5) / count, minutes=rng.randint(0, 600))
            tweet_id = snowflake(int(created.timestamp() * 1000), rng.getrandbits(22))
            text = f"{LINES[i % len(LINES)]} (#{count - i})"
            docs.append(
                self.sb.add_post(
                    PLATFORM,
                    tweet_id,
                    uid,
                    created_at=created,
                    count_publish=False,
                    persist=False,
                    views_scale=scale,
                    text=text,
                    media_keys=[],
                    reply_to=None,
                    quote_id=None,
                )
            )
        self.sb.store.put_many("posts", ((f"{PLATFORM}:{d['id']}", d) for d in docs))
