"""YouTube Data API v3 reads: channels, playlistItems, videos (CONTRACTS §4.2)."""

from __future__ import annotations

import base64
import binascii
import hashlib
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
    YouTubeBase,
    api,
    param_error,
)

PROCESSING_SECONDS = 30  # uploaded -> processed
VIDEO_PARTS = ("id", "snippet", "statistics", "status", "contentDetails")
CHANNEL_PARTS = ("id", "snippet", "statistics", "contentDetails", "status", "brandingSettings")
ITEM_PARTS = ("id", "snippet", "contentDetails", "status")
MAX_IDS = 50


def etag(*parts: Any) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:20])
        .decode()
        .rstrip("=")
    )


def iso_duration(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"


def three_significant(n: int) -> int:
    """Public subscriber counts are rounded down to three significant figures."""
    if n < 1000:
        return n
    scale = 10 ** (len(str(n)) - 3)
    return n // scale * scale


def parts_of(request: Request, allowed: tuple[str, ...]) -> list[str]:
    raw = request.query_params.get("part", "")
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts:
        raise param_error("required", "Required parameter: part", "part", domain="global")
    for p in parts:
        if p not in allowed:
            raise param_error("unknownPart", p, "part", domain="youtube.part")
    return parts


def thumbnails(video_id: str) -> dict[str, Any]:
    base = f"https://i.ytimg.com/vi/{video_id}"
    return {
        "default": {"url": f"{base}/default.jpg", "width": 120, "height": 90},
        "medium": {"url": f"{base}/mqdefault.jpg", "width": 320, "height": 180},
        "high": {"url": f"{base}/hqdefault.jpg", "width": 480, "height": 360},
    }


class DataPart(YouTubeBase):
    """Channel, uploads playlist and video resources with their statistics."""

    def data_routes(self) -> list[Route]:
        base = f"/{WWW}/youtube/v3"
        return [
            Route(f"{base}/channels", self.channels, methods=["GET"]),
            Route(f"{base}/playlistItems", self.playlist_items, methods=["GET"]),
            Route(f"{base}/videos", self.videos, methods=["GET"]),
        ]

    # --- shared views -----------------------------------------------------------------
    def privacy(self, post: dict[str, Any]) -> str:
        """Effective privacy: a scheduled private video turns public at its publishAt."""
        if (
            post.get("privacy") == "private"
            and post.get("publish_at")
            and parse_iso(post["publish_at"]) <= self.sb.now()
        ):
            return "public"
        return post.get("privacy", "public")

    def visible(self, post: dict[str, Any], viewer: str, *, listing: bool = False) -> bool:
        if post["account_id"] == viewer:
            return True
        return self.privacy(post) == "public" or (not listing and self.privacy(post) == "unlisted")

    def video_resource(self, post: dict[str, Any], parts: list[str]) -> dict[str, Any]:
        channel = self.sb.account(PLATFORM, post["account_id"]) or {}
        vid = post["id"]
        res: dict[str, Any] = {"kind": "youtube#video", "etag": etag(vid, self.sb.now_ts() // 60), "id": vid}
        title, description = post.get("caption", ""), post.get("description", "")
        if "snippet" in parts:
            res["snippet"] = {
                "publishedAt": post["created_at"],
                "channelId": post["account_id"],
                "title": title,
                "description": description,
                "thumbnails": thumbnails(vid),
                "channelTitle": channel.get("title", ""),
                **({"tags": post["tags"]} if post.get("tags") else {}),
                "categoryId": str(post.get("category_id", "22")),
                "liveBroadcastContent": "none",
                "localized": {"title": title, "description": description},
            }
        if "statistics" in parts:
            m = self.sb.metrics(post)
            stats = {
                "viewCount": str(m["views"]),
                "likeCount": str(m["likes"]),
                "favoriteCount": "0",
                "commentCount": str(m["comments"]),
            }
            if post.get("likes_hidden"):
                stats.pop("likeCount")
            if post.get("comments_disabled"):
                stats.pop("commentCount")
            res["statistics"] = stats
        if "status" in parts:
            res["status"] = self.video_status(post)
        if "contentDetails" in parts:
            res["contentDetails"] = {
                "duration": iso_duration(post.get("duration", 60)),
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
                "licensedContent": False,
                "contentRating": {},
                "projection": "rectangular",
            }
        return res

    def video_status(self, post: dict[str, Any]) -> dict[str, Any]:
        upload = post.get("upload_status", "processed")
        if (
            upload == "uploaded"
            and self.sb.now_ts() - parse_iso(post["created_at"]).timestamp() >= PROCESSING_SECONDS
        ):
            upload = "processed"
        status: dict[str, Any] = {"uploadStatus": upload}
        if upload == "failed":
            status["failureReason"] = post.get("failure_reason", "invalidFile")
        privacy = self.privacy(post)
        status.update(
            privacyStatus=privacy,
            license="youtube",
            embeddable=True,
            publicStatsViewable=True,
            madeForKids=bool(post.get("made_for_kids")),
            selfDeclaredMadeForKids=bool(post.get("made_for_kids")),
        )
        if privacy == "private" and post.get("publish_at"):
            status["publishAt"] = post["publish_at"]
        return status

    def _list(
        self, kind: str, items: list[dict[str, Any]], per_page: int | None = None, **extra: Any
    ) -> Response:
        body = {
            "kind": kind,
            "etag": etag(kind, [i.get("id") for i in items]),
            **extra,
            "pageInfo": {
                "totalResults": len(items),
                "resultsPerPage": per_page if per_page is not None else len(items),
            },
            "items": items,
        }
        return json_response(body)

    # --- channels.list ----------------------------------------------------------------
    def channel_resource(self, account: dict[str, Any], parts: list[str]) -> dict[str, Any]:
        cid = account["id"]
        res: dict[str, Any] = {
            "kind": "youtube#channel",
            "etag": etag(cid, self.sb.now_ts() // 60),
            "id": cid,
        }
        if "snippet" in parts:
            thumb = f"https://yt3.ggpht.com/sandbox-{cid[-8:]}"
            res["snippet"] = {
                "title": account.get("title", ""),
                "description": account.get("description", ""),
                "customUrl": account.get("handle", ""),
                "publishedAt": account.get("published_at", account.get("created_at")),
                "thumbnails": {
                    "default": {"url": f"{thumb}=s88-c-k-c0x00ffffff-no-rj", "width": 88, "height": 88},
                    "medium": {"url": f"{thumb}=s240-c-k-c0x00ffffff-no-rj", "width": 240, "height": 240},
                },
                "localized": {
                    "title": account.get("title", ""),
                    "description": account.get("description", ""),
                },
                "country": account.get("country", "US"),
            }
        if "contentDetails" in parts:
            res["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": "UU" + cid[2:]}}
        if "statistics" in parts:
            posts = self.sb.posts(PLATFORM, cid)
            public = [p for p in posts if self.privacy(p) == "public"]
            views = int(account.get("views_base", 0)) + sum(self.sb.metrics(p)["views"] for p in public)
            hidden = bool(account.get("hidden_subscribers"))
            res["statistics"] = {
                "viewCount": str(views),
                "subscriberCount": "0" if hidden else str(three_significant(self.sb.followers(account))),
                "hiddenSubscriberCount": hidden,
                "videoCount": str(len(public)),
            }
        if "status" in parts:
            res["status"] = {
                "privacyStatus": "public",
                "isLinked": True,
                "longUploadsStatus": "allowed",
                "madeForKids": False,
            }
        return res

    @api
    async def channels(self, request: Request) -> Response:
        token = self.authorize_token(request, READ_SCOPES)
        self.charge(token, "channels.list")
        parts = parts_of(request, CHANNEL_PARTS)
        q = request.query_params
        filters = [
            f for f in ("mine", "id", "forHandle", "forUsername", "managedByMe", "categoryId") if q.get(f)
        ]
        if not filters:
            raise param_error(
                "missingRequiredParameter",
                "No filter selected. Expected one of: forUsername, managedByMe, categoryId, mine, mySubscribers, id, idParam, forHandle",
                "",
                domain="youtube.parameter",
            )
        if len(filters) > 1:
            raise param_error(
                "incompatibleParameters",
                "Incompatible parameters specified in the request: " + ", ".join(filters),
                filters[1],
            )
        accounts = self.sb.accounts(PLATFORM)
        if filters[0] == "mine":
            found = [a for a in accounts if a["id"] == token["account_id"]] if q["mine"] == "true" else []
        elif filters[0] == "id":
            wanted = [i for i in q["id"].split(",") if i]
            found = [a for a in accounts if a["id"] in wanted]
        elif filters[0] == "forHandle":
            handle = q["forHandle"].lstrip("@").lower()
            found = [a for a in accounts if a.get("handle", "").lstrip("@").lower() == handle]
        else:
            found = []
        return self._list("youtube#channelListResponse", [self.channel_resource(a, parts) for a in found], 5)

    # --- playlistItems.list -----------------------------------------------------------
    @api
    async def playlist_items(self, request: Request) -> Response:
        token = self.authorize_token(request, READ_SCOPES)
        self.charge(token, "playlistItems.list")
        parts = parts_of(request, ITEM_PARTS)
        q = request.query_params
        playlist = q.get("playlistId", "")
        if not playlist:
            raise param_error(
                "missingRequiredParameter", "No filter selected. Expected one of: playlistId, id", ""
            )
        per_page = _max_results(q.get("maxResults"), default=5, top=50)
        channel = self.sb.account(PLATFORM, "UC" + playlist[2:]) if playlist.startswith("UU") else None
        if channel is None:
            raise GoogleError(
                404,
                "playlistNotFound",
                "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.",
                domain="youtube.playlistItem",
                locationType="parameter",
                location="playlistId",
            )
        posts = [
            p
            for p in self.sb.posts(PLATFORM, channel["id"])
            if self.visible(p, token["account_id"], listing=True)
        ]
        offset = _decode_page(q.get("pageToken"), playlist, len(posts))
        page = posts[offset : offset + per_page]
        items = [self._item(p, playlist, offset + i, parts) for i, p in enumerate(page)]
        extra: dict[str, Any] = {}
        if offset + per_page < len(posts) and per_page:
            extra["nextPageToken"] = _encode_page(playlist, offset + per_page)
        if offset > 0:
            extra["prevPageToken"] = _encode_page(playlist, max(0, offset - per_page))
        body = {
            "kind": "youtube#playlistItemListResponse",
            "etag": etag(playlist, offset, len(posts)),
            **extra,
            "items": items,
            "pageInfo": {"totalResults": len(posts), "resultsPerPage": per_page},
        }
        return json_response(body)

    def _item(self, post: dict[str, Any], playlist: str, position: int, parts: list[str]) -> dict[str, Any]:
        vid = post["id"]
        channel = self.sb.account(PLATFORM, post["account_id"]) or {}
        item_id = base64.urlsafe_b64encode(f"{playlist}.{vid}".encode()).decode().rstrip("=")
        res: dict[str, Any] = {"kind": "youtube#playlistItem", "etag": etag(item_id), "id": item_id}
        if "snippet" in parts:
            res["snippet"] = {
                "publishedAt": post["created_at"],
                "channelId": post["account_id"],
                "title": post.get("caption", ""),
                "description": post.get("description", ""),
                "thumbnails": thumbnails(vid),
                "channelTitle": channel.get("title", ""),
                "playlistId": playlist,
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": vid},
                "videoOwnerChannelTitle": channel.get("title", ""),
                "videoOwnerChannelId": post["account_id"],
            }
        if "contentDetails" in parts:
            res["contentDetails"] = {"videoId": vid, "videoPublishedAt": post["created_at"]}
        if "status" in parts:
            res["status"] = {"privacyStatus": self.privacy(post)}
        return res

    # --- videos.list ------------------------------------------------------------------
    @api
    async def videos(self, request: Request) -> Response:
        token = self.authorize_token(request, READ_SCOPES)
        self.charge(token, "videos.list")
        parts = parts_of(request, VIDEO_PARTS)
        q = request.query_params
        if q.get("chart") or q.get("myRating"):
            raise param_error("unsupportedFilter", "The sandbox serves videos.list by id only.", "chart")
        if not q.get("id"):
            raise param_error(
                "missingRequiredParameter", "No filter selected. Expected one of: myRating, chart, id", ""
            )
        ids = [i for i in q["id"].split(",") if i]
        if len(ids) > MAX_IDS:
            raise param_error(
                "invalidFilters",
                f"The request specifies {len(ids)} ids; the id parameter accepts at most {MAX_IDS}.",
                "id",
            )
        items = []
        for vid in ids:
            post = self.sb.post(PLATFORM, vid)
            if (
                post
                and not post.get("deleted")
                and parse_iso(post["created_at"]) <= self.sb.now()
                and self.visible(post, token["account_id"])
            ):
                items.append(self.video_resource(post, parts))
        return self._list("youtube#videoListResponse", items)


def _max_results(raw: str | None, *, default: int, top: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= top:
        raise GoogleError(
            400,
            "invalidParameter",
            f"Invalid value '{raw}'. Values must be within the range: [0, {top}]",
            locationType="parameter",
            location="maxResults",
        )
    return value


def _encode_page(playlist: str, offset: int) -> str:
    return "EAAa" + base64.urlsafe_b64encode(f"PT:{playlist}:{offset}".encode()).decode().rstrip("=")


def _decode_page(token: str | None, playlist: str, total: int) -> int:
    if not token:
        return 0
    try:
        body = token.removeprefix("EAAa")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        tag, owner, offset = raw.split(":")
        value = int(offset)
        if tag != "PT" or owner != playlist or not 0 <= value <= total:
            raise ValueError(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise param_error(
            "invalidPageToken", "The request specifies an invalid page token.", "pageToken"
        ) from exc
    return value
