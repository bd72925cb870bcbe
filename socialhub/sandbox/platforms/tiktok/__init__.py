"""TikTok sandbox: Login Kit v2, Display API v2 and the Content Posting API (CONTRACTS §3).

Hosts: www.tiktok.com (consent), open.tiktokapis.com (API), open-upload.tiktokapis.com (uploads).
"""

from __future__ import annotations

import random
import string
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.platform import error_page
from socialhub.sandbox.platforms.tiktok.common import API, BRAND, COLOR, PLATFORM, UPLOAD, WEB
from socialhub.sandbox.platforms.tiktok.display import DisplayPart
from socialhub.sandbox.platforms.tiktok.oauth import OAuthPart
from socialhub.sandbox.platforms.tiktok.posting import PostingPart

__all__ = ["TikTok"]

_ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]

# (username, display name, followers, followers/day, following, posts, views scale, private, verified)
_ACCOUNTS = (
    ("lena.rivers", "Lena Rivers", 184_000, 220.0, 312, 60, 40_000, False, True),
    ("mika_bakes", "Mika Bakes", 23_500, 45.0, 780, 40, 6_000, False, False),
    ("quiet.sam", "Sam Q.", 870, 2.0, 140, 24, 400, True, False),
)
_TOPICS = (
    "morning routine",
    "5-minute recipe",
    "behind the scenes",
    "studio tour",
    "Q&A",
    "trend remix",
    "day in my life",
    "tutorial part 2",
    "before and after",
    "tiny wins",
    "what I eat",
    "storytime",
)


def _code(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


class TikTok(OAuthPart, DisplayPart, PostingPart):
    """The TikTok platform module."""

    def routes(self) -> list[Route]:
        catch_all = [
            Route(f"/{host}/{{path:path}}", self.unknown_path, methods=_ALL_METHODS)
            for host in (WEB, API, UPLOAD)
        ]
        return [*self.oauth_routes(), *self.display_routes(), *self.posting_routes(), *catch_all]

    async def unknown_path(self, request: Request) -> Response:
        if request.url.path.startswith(f"/{WEB}/"):
            return error_page(BRAND, COLOR, "This page isn't available.", 404)
        rest = request.url.path.split("/", 2)[-1]
        return self.fail("not_found", f"Unknown endpoint: {request.method} /{rest}", 404)

    def seed(self) -> None:
        base = self.sb.now()
        for order, (
            username,
            name,
            followers,
            per_day,
            following,
            count,
            scale,
            private,
            verified,
        ) in enumerate(_ACCOUNTS):
            rng = self.sb.rand("tiktok:account", username)
            open_id = "-000" + _code(rng, 28, string.ascii_letters + string.digits + "_")
            self.sb.add_account(
                PLATFORM,
                open_id,
                username=username,
                display_name=name,
                order=order,
                union_id="c9" + _code(rng, 30, "0123456789abcdef"),
                deep_link_code="ZM" + _code(rng, 7),
                bio=f"{name} | new videos every week",
                is_verified=verified,
                private=private,
                followers_base=followers,
                followers_per_day=per_day,
                following=following,
                likes_base=followers * 11,
                max_video_seconds=180 if private else 600,
                created_at=(base.replace(microsecond=0)).isoformat().replace("+00:00", "Z"),
            )
            privacy = "FOLLOWER_OF_CREATOR" if private else "PUBLIC_TO_EVERYONE"

            def make(i: int, r: random.Random, privacy: str = privacy) -> tuple[str, dict[str, Any]]:
                video_id = str(r.randrange(7_100_000_000_000_000_000, 7_599_999_999_999_999_999))
                topic = r.choice(_TOPICS)
                return video_id, {
                    "caption": f"{topic.capitalize()} #{topic.replace(' ', '').replace('-', '').replace('&', '')} #fyp",
                    "duration": r.randint(8, 170),
                    "width": 1080,
                    "height": 1920,
                    "privacy": privacy,
                }

            self.sb.seed_history(PLATFORM, open_id, count=count, days=90, make=make, views_scale=scale)
