"""YouTube Data API v3 search.list, for the videos of a channel (forMine, channelId).

Reference: developers.google.com/youtube/v3/docs/search/list. Served: part=snippet|id,
forMine=true (needs type=video and an authorized request), channelId, type=video, q,
order=date|viewCount|title|relevance, publishedAfter/publishedBefore, maxResults 0-50
(default 5) and pageToken paging. Quota: its own bucket of 100 calls a day (2026-06 model)
or 100 units of the default 10,000 (legacy), see common.charge.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.core import parse_iso
from socialhub.sandbox.platform import json_response
from socialhub.sandbox.platforms.youtube.common import (
    PLATFORM,
    READ_SCOPES,
    WWW,
    GoogleError,
    api,
    param_error,
)
from socialhub.sandbox.platforms.youtube.data import (
    DataPart,
    _decode_page,
    _encode_page,
    _max_results,
    etag,
    thumbnails,
)

SEARCH_PARTS = ("snippet", "id")
ORDERS = ("date", "rating", "relevance", "title", "videoCount", "viewCount")
FOR_MINE_TYPE = (
    "The request contains an invalid combination of search filters and/or restrictions. Note that you "
    "must set the <code>type</code> parameter to <code>video</code> if you set either the "
    "<code>forContentOwner</code> or <code>forMine</code> parameters to <code>true</code>."
)


class SearchPart(DataPart):
    def search_routes(self) -> list[Route]:
        return [Route(f"/{WWW}/youtube/v3/search", self.search, methods=["GET"])]

    @api
    async def search(self, request: Request) -> Response:
        token = self.authorize_token(request, READ_SCOPES)
        self.charge(token, "search.list")
        q = request.query_params
        raw_parts = [p.strip() for p in q.get("part", "").split(",") if p.strip()]
        if not raw_parts:
            raise param_error("required", "Required parameter: part", "part", domain="global")
        for p in raw_parts:
            if p not in SEARCH_PARTS:
                raise param_error("unknownPart", p, "part", domain="youtube.part")
        for_mine = q.get("forMine", "").lower() == "true"
        kind = q.get("type", "video,channel,playlist")
        if for_mine and kind != "video":
            raise param_error("invalidSearchFilter", FOR_MINE_TYPE, "type", domain="youtube.search")
        if kind and not set(kind.split(",")) <= {"video", "channel", "playlist"}:
            raise param_error("invalidParameter", f"Invalid value '{kind}'.", "type", domain="youtube.search")
        order = q.get("order", "relevance")
        if order not in ORDERS:
            raise param_error(
                "invalidParameter", f"Invalid value '{order}'.", "order", domain="youtube.search"
            )
        per_page = _max_results(q.get("maxResults"), default=5, top=50)
        # Channels and playlists are not modelled: a search for only those finds nothing.
        wants_videos = "video" in kind.split(",")
        posts = self._search_candidates(token, for_mine, q.get("channelId")) if wants_videos else []
        posts = self._search_filter(posts, q.get("q"), q.get("publishedAfter"), q.get("publishedBefore"))
        posts = self._search_order(posts, order)
        # Page tokens are bound to the query they came from.
        key = hashlib.sha256(
            "|".join(f"{k}={v}" for k, v in sorted(q.items()) if k not in {"pageToken", "key"}).encode()
        ).hexdigest()[:16]
        offset = _decode_page(q.get("pageToken"), key, len(posts))
        page = posts[offset : offset + per_page]
        extra: dict[str, Any] = {}
        if per_page and offset + per_page < len(posts):
            extra["nextPageToken"] = _encode_page(key, offset + per_page)
        if offset > 0:
            extra["prevPageToken"] = _encode_page(key, max(0, offset - per_page))
        return json_response(
            {
                "kind": "youtube#searchListResponse",
                "etag": etag("search", key, offset, len(posts)),
                **extra,
                "regionCode": "US",
                "pageInfo": {"totalResults": len(posts), "resultsPerPage": per_page},
                "items": [self._search_result(p, raw_parts) for p in page],
            }
        )

    def _search_candidates(
        self, token: dict[str, Any], for_mine: bool, channel_id: str | None
    ) -> list[dict[str, Any]]:
        viewer = token["account_id"]
        if for_mine:
            channels = [viewer]
        elif channel_id:
            channels = [channel_id] if self.sb.account(PLATFORM, channel_id) else []
        else:
            channels = [a["id"] for a in self.sb.accounts(PLATFORM)]
        out = []
        for cid in channels:
            for post in self.sb.posts(PLATFORM, cid):
                # Search lists public videos; forMine also the owner's private and unlisted ones.
                if (for_mine and post["account_id"] == viewer) or self.privacy(post) == "public":
                    out.append(post)
        return out

    @staticmethod
    def _search_filter(
        posts: list[dict[str, Any]], text: str | None, after: str | None, before: str | None
    ) -> list[dict[str, Any]]:
        bounds = []
        for name, value in (("publishedAfter", after), ("publishedBefore", before)):
            if value:
                try:
                    bounds.append(datetime.fromisoformat(value.replace("Z", "+00:00")))
                except ValueError as exc:
                    raise param_error(
                        "invalidParameter", f"Invalid value '{value}'.", name, domain="youtube.search"
                    ) from exc
            else:
                bounds.append(None)
        lo, hi = bounds
        words = [w.lower() for w in (text or "").split() if w]
        out = []
        for p in posts:
            created = parse_iso(p["created_at"])
            if (lo and created < lo) or (hi and created >= hi):
                continue
            hay = f"{p.get('caption', '')} {p.get('description', '')}".lower()
            if all(w in hay for w in words):
                out.append(p)
        return out

    def _search_order(self, posts: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
        if order == "title":
            return sorted(posts, key=lambda p: (p.get("caption", "").lower(), p["id"]))
        if order in {"viewCount", "rating"}:
            metric = "views" if order == "viewCount" else "likes"
            return sorted(posts, key=lambda p: (-self.sb.metrics(p)[metric], p["id"]))
        # date; relevance has no text model here, so it falls back to newest first.
        return sorted(posts, key=lambda p: (p["created_at"], p["id"]), reverse=True)

    def _search_result(self, post: dict[str, Any], parts: list[str]) -> dict[str, Any]:
        vid = post["id"]
        res: dict[str, Any] = {
            "kind": "youtube#searchResult",
            "etag": etag("sr", vid),
            "id": {"kind": "youtube#video", "videoId": vid},
        }
        if "snippet" in parts:
            channel = self.sb.account(PLATFORM, post["account_id"]) or {}
            res["snippet"] = {
                "publishedAt": post["created_at"],
                "channelId": post["account_id"],
                "title": post.get("caption", ""),
                "description": post.get("description", "")[:160],
                "thumbnails": thumbnails(vid),
                "channelTitle": channel.get("title", ""),
                "liveBroadcastContent": "none",
                "publishTime": post["created_at"],
            }
        return res


__all__ = ["SearchPart", "GoogleError"]
