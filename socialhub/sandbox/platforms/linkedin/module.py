"""The LinkedIn sandbox module: routes, seed data and injected faults."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.core import Sandbox, iso
from socialhub.sandbox.platform import PlatformModule, json_response, oauth_error
from socialhub.sandbox.platforms.linkedin.common import (
    API,
    PLATFORM,
    WWW,
    ApiAuth,
    LiError,
    error_body,
    error_response,
    version_error,
)
from socialhub.sandbox.platforms.linkedin.oauth import LinkedInOAuth
from socialhub.sandbox.platforms.linkedin.posts import LinkedInPosts, share_id_at
from socialhub.sandbox.platforms.linkedin.reading import LinkedInReading

ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
Handler = Callable[[Request, dict[str, Any]], Awaitable[Response]]

ORG_URN = "urn:li:organization:10482311"
MEMBERS = (
    # id (OpenID sub), given, family, followers, growth per day, posts, views scale, admin orgs
    ("aZ4nQ7xLp2", "Ava", "Lindqvist", 15400, 14.0, 60, 6000.0, [ORG_URN]),
    ("Tq8Rw2mBv5", "Marcus", "Okafor", 2300, 3.0, 36, 1500.0, []),
    ("Lp0Zc6yHd1", "Priya", "Raman", 420, 0.6, 24, 400.0, []),
)
TOPICS = (
    "Three lessons from shipping our first product this quarter",
    "What I learned hiring for a remote team",
    "A short thread on pricing experiments that actually worked",
    "Why we moved our roadmap to six-week cycles",
    "Notes from this week's customer interviews",
    "How we cut our onboarding time in half",
    "The one metric I check every Monday",
    "Reflections on a year of building in public",
)


class LinkedIn(LinkedInOAuth, LinkedInPosts, LinkedInReading, PlatformModule):
    """LinkedIn: OAuth on www.linkedin.com, Sign In with LinkedIn + versioned REST on api.linkedin.com."""

    platforms = (PLATFORM,)
    hosts = (WWW, API)

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(sandbox)
        self.auth = ApiAuth(sandbox)

    def api(self, handler: Handler, *, versioned: bool = True) -> Callable[[Request], Awaitable[Response]]:
        """Wrap an api.linkedin.com handler: version header, bearer token, daily limit, errors."""

        async def endpoint(request: Request) -> Response:
            try:
                if versioned:
                    problem = version_error(request, self.sb.now())
                    if problem is not None:
                        raise problem
                return await handler(request, self.auth.token(request))
            except LiError as err:
                return error_response(err)

        return endpoint

    def routes(self) -> list[Route]:
        w, a, rest = f"/{WWW}", f"/{API}", f"/{API}/rest"
        return [
            Route(f"{w}/oauth/v2/authorization", self.authorize, methods=["GET", "POST"]),
            Route(f"{w}/oauth/v2/accessToken", self.token, methods=["POST"]),
            Route(f"{w}/oauth/v2/revoke", self.revoke, methods=["POST"]),
            Route(f"{w}/oauth/v2/introspectToken", self.introspect, methods=["POST"]),
            Route(f"{w}/dms-uploads/{{rest:path}}", self.upload, methods=["PUT", "POST"]),
            Route(f"{w}/{{rest:path}}", self.not_found_www, methods=ALL_METHODS),
            Route(f"{a}/v2/userinfo", self.api(self.userinfo, versioned=False), methods=["GET"]),
            Route(f"{a}/v2/activities", self.api(self.activities, versioned=False), methods=["GET"]),
            Route(f"{rest}/posts", self.api(self.create_post), methods=["POST"]),
            Route(f"{rest}/posts", self.api(self.find_posts), methods=["GET"]),
            Route(f"{rest}/posts/{{urn}}", self.api(self.get_post), methods=["GET"]),
            Route(f"{rest}/posts/{{urn}}", self.api(self.delete_post), methods=["DELETE"]),
            Route(f"{rest}/images", self.api(self.images_action), methods=["POST"]),
            Route(f"{rest}/images/{{urn}}", self.api(self.get_media), methods=["GET"]),
            Route(f"{rest}/videos", self.api(self.videos_action), methods=["POST"]),
            Route(f"{rest}/videos/{{urn}}", self.api(self.get_media), methods=["GET"]),
            Route(f"{rest}/socialActions", self.api(self.social_actions_batch), methods=["GET"]),
            Route(f"{rest}/socialActions/{{urn}}", self.api(self.social_action), methods=["GET"]),
            Route(f"{rest}/memberCreatorPostAnalytics", self.api(self.member_analytics), methods=["GET"]),
            Route(
                f"{rest}/organizationalEntityShareStatistics", self.api(self.org_share_stats), methods=["GET"]
            ),
            Route(f"{rest}/networkSizes/{{urn}}", self.api(self.network_size), methods=["GET"]),
            Route(f"{a}/{{rest:path}}", self.not_found_api, methods=ALL_METHODS),
        ]

    async def not_found_api(self, request: Request) -> Response:
        parts = request.path_params["rest"].split("/")
        name = parts[1] if len(parts) > 1 and parts[0] in {"rest", "v2"} else parts[0]
        return json_response(error_body(404, "NOT_FOUND", f"Resource {name} does not exist", 0), 404)

    async def not_found_www(self, request: Request) -> Response:
        if request.path_params["rest"].startswith("oauth/"):
            return oauth_error("invalid_request", "Unknown OAuth endpoint", 404)
        return json_response(error_body(404, "NOT_FOUND", "Page not found", 0), 404)

    # --- faults --------------------------------------------------------------------------
    def render_fault(self, error: str, request: Request) -> Response:
        if request.url.path.startswith(f"/{WWW}/oauth/"):
            if error == "server_error":
                return oauth_error("server_error", "Internal server error", 500)
            if error == "rate_limited":
                return oauth_error("temporarily_unavailable", "Too many requests", 429)
            return oauth_error("invalid_request", f"Injected fault: {error}")
        faults = {
            "rate_limited": LiError(
                429,
                "TOO_MANY_REQUESTS",
                "Resource level throttle limit for calls to this resource is reached.",
                101,
            ),
            "server_error": LiError(500, "INTERNAL_SERVER_ERROR", "Internal Server Error", 0),
            "expired_token": LiError(
                401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65602
            ),
            "revoked_token": LiError(
                401,
                "REVOKED_ACCESS_TOKEN",
                "The token used in the request has been revoked by the user",
                65601,
            ),
            "permission_denied": LiError(
                403, "ACCESS_DENIED", "Not enough permissions to access this resource", 100
            ),
            "invalid_request": LiError(400, "ILLEGAL_ARGUMENT", "Invalid request parameters", 0),
        }
        return error_response(faults.get(error, faults["server_error"]))

    # --- seed ----------------------------------------------------------------------------
    def seed(self) -> None:
        now = self.sb.now()
        for order, (member_id, given, family, followers, growth, count, scale, orgs) in enumerate(MEMBERS):
            self.sb.add_account(
                PLATFORM,
                member_id,
                kind="member",
                order=order,
                username=f"{given}.{family}".lower(),
                display_name=f"{given} {family}",
                given_name=given,
                family_name=family,
                email=f"{given}.{family}@example.com".lower(),
                locale="en-US",
                picture=f"https://media.licdn.com/dms/image/sandbox/{member_id}/profile-displayphoto",
                followers_base=followers,
                followers_per_day=growth,
                created_at=iso(now - timedelta(days=400)),
                admin_orgs=orgs,
            )
            self._seed_posts(member_id, f"urn:li:person:{member_id}", count, scale)
        self.sb.store.put(
            "li_orgs",
            ORG_URN,
            {
                "platform": PLATFORM,
                "id": ORG_URN,
                "name": "Northwind Studio",
                "followers_base": 8800,
                "followers_per_day": 6.0,
                "created_at": iso(now - timedelta(days=900)),
            },
        )
        self._seed_posts(ORG_URN, ORG_URN, 20, 3000.0)

    def _seed_posts(self, owner: str, author: str, count: int, scale: float) -> None:
        rng = self.sb.rand("linkedin-history", owner)
        now = self.sb.now()
        docs = []
        for i in range(count):
            created = now - timedelta(days=90 * (i + 0.5) / count, minutes=rng.randint(0, 600))
            when_ms = int(created.timestamp() * 1000)
            post_id = share_id_at(when_ms, rng.getrandbits(22))
            text = f"{TOPICS[i % len(TOPICS)]} \\(part {i // len(TOPICS) + 1}\\)"
            docs.append(
                self.sb.add_post(
                    PLATFORM,
                    post_id,
                    owner,
                    created_at=created,
                    count_publish=False,
                    persist=False,
                    views_scale=scale,
                    commentary=text,
                    caption=text.replace("\\", ""),
                    author=author,
                    urn_type="ugcPost" if i % 5 == 4 else "share",
                    activity=share_id_at(when_ms - rng.randint(1, 50), rng.getrandbits(22)),
                    visibility="PUBLIC",
                    lifecycleState="PUBLISHED",
                    content=None,
                    distribution={
                        "feedDistribution": "MAIN_FEED",
                        "targetEntities": [],
                        "thirdPartyDistributionChannels": [],
                    },
                )
            )
        self.sb.store.put_many("posts", ((f"{PLATFORM}:{d['id']}", d) for d in docs))
