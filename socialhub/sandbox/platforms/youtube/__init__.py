"""YouTube sandbox: Google OAuth, Data API v3 reads, resumable videos.insert, Analytics v2
(CONTRACTS §4). Hosts: accounts.google.com, oauth2.googleapis.com, www.googleapis.com,
youtubeanalytics.googleapis.com."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.core import iso
from socialhub.sandbox.platform import error_page, json_response
from socialhub.sandbox.platforms.youtube.analytics import AnalyticsPart
from socialhub.sandbox.platforms.youtube.common import (
    ACCOUNTS_HOST,
    ANALYTICS,
    BRAND,
    COLOR,
    OAUTH_HOST,
    PLATFORM,
    WWW,
    YOUTUBE_HOST,
    error_body,
)
from socialhub.sandbox.platforms.youtube.oauth import OAuthPart
from socialhub.sandbox.platforms.youtube.search import SearchPart
from socialhub.sandbox.platforms.youtube.upload import ID_CHARS, UploadPart

__all__ = ["YouTube"]

_ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]

# (title, handle, subscribers, per day, videos, views scale, hidden subscriber count)
_CHANNELS = (
    ("Northwind Kitchen", "@northwindkitchen", 412_000, 180.0, 48, 60_000, False),
    ("Pixel Trails", "@pixeltrails", 38_700, 25.0, 36, 8_000, False),
    ("Tiny Garden Lab", "@tinygardenlab", 1_240, 3.0, 20, 600, True),
)
_TOPICS = (
    "Beginner guide",
    "Weekly vlog",
    "Behind the scenes",
    "Top 5 mistakes",
    "Live Q&A replay",
    "Deep dive",
    "Quick tips",
    "Studio tour",
    "Unboxing",
    "Experiment",
    "Myth busting",
    "Year in review",
)


def _ident(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ID_CHARS) for _ in range(n))


class YouTube(OAuthPart, UploadPart, SearchPart, AnalyticsPart):
    """The YouTube platform module."""

    def routes(self) -> list[Route]:
        catch_all = [
            Route(f"/{host}/{{path:path}}", self.unknown_path, methods=_ALL_METHODS)
            for host in (ACCOUNTS_HOST, OAUTH_HOST, WWW, YOUTUBE_HOST, ANALYTICS)
        ]
        data = [*self.data_routes(), *self.search_routes(), *self.upload_routes()]
        # The same Data API under youtube.googleapis.com (the discovery document's rootUrl).
        aliases = [
            Route(
                r.path.replace(f"/{WWW}/", f"/{YOUTUBE_HOST}/", 1), r.endpoint, methods=list(r.methods or [])
            )
            for r in data
        ]
        return [*self.oauth_routes(), *data, *aliases, *self.analytics_routes(), *catch_all]

    async def unknown_path(self, request: Request) -> Response:
        if request.url.path.startswith(f"/{ACCOUNTS_HOST}/"):
            return error_page(
                BRAND, COLOR, "404. That's an error. The requested URL was not found on this server.", 404
            )
        rest = request.url.path.split("/", 2)[-1]
        return json_response(error_body(404, "notFound", f"Not Found: {request.method} /{rest}"), 404)

    def seed(self) -> None:
        now = self.sb.now()
        for order, (title, handle, subs, per_day, count, scale, hidden) in enumerate(_CHANNELS):
            rng = self.sb.rand("youtube:channel", handle)
            channel_id = "UC" + _ident(rng, 22)
            self.sb.add_account(
                PLATFORM,
                channel_id,
                username=handle.lstrip("@"),
                display_name=title,
                title=title,
                handle=handle,
                description=f"{title}: new videos every week.",
                country="US",
                order=order,
                followers_base=subs,
                followers_per_day=per_day,
                hidden_subscribers=hidden,
                views_base=subs * 40,
                created_at=iso(now.replace(microsecond=0)),
                published_at=iso(now.replace(microsecond=0) - timedelta(days=365 * (3 + order))),
            )

            def make(i: int, r: random.Random) -> tuple[str, dict[str, Any]]:
                topic = r.choice(_TOPICS)
                return _ident(r, 11), {
                    "caption": f"{topic} #{i + 1}",
                    "description": f"{topic}. Thanks for watching!",
                    "tags": [topic.lower().split()[0], "sandbox"],
                    "category_id": "22",
                    "privacy": "unlisted" if i % 11 == 7 else "private" if i % 13 == 9 else "public",
                    "duration": r.randint(40, 1500),
                    "likes_hidden": i % 17 == 5,
                    "comments_disabled": i % 19 == 3,
                }

            self.sb.seed_history(PLATFORM, channel_id, count=count, days=90, make=make, views_scale=scale)
