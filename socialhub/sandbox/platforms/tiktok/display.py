"""TikTok Display API v2: user/info, video/list, video/query (§3.2)."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from socialhub.sandbox.core import parse_iso
from socialhub.sandbox.platform import read_json
from socialhub.sandbox.platforms.tiktok.common import (
    API,
    PLATFORM,
    USER_FIELD_SCOPES,
    VIDEO_FIELDS,
    ApiError,
    TikTokBase,
    api,
)

MAX_QUERY_IDS = 20
SHORT_HOSTS = ("vm.tiktok.com", "vt.tiktok.com")


def short_code(video_id: str) -> str:
    """The code of a video's short share link (vm.tiktok.com/<code>/), fixed by its id."""
    digest = hashlib.sha256(f"tiktok-short:{video_id}".encode()).hexdigest()
    return "ZM" + digest[:7].upper()


def _fields(request: Request, allowed: tuple[str, ...] | dict[str, str]) -> list[str]:
    raw = request.query_params.get("fields", "")
    fields = [f.strip() for f in raw.split(",") if f.strip()]
    if not fields:
        raise ApiError("invalid_params", "The fields query parameter is required.")
    unknown = [f for f in fields if f not in allowed]
    if unknown:
        raise ApiError("invalid_params", f"Invalid fields: {', '.join(unknown)}.")
    return fields


class DisplayPart(TikTokBase):
    """Profile and the creator's own videos with their counters."""

    def display_routes(self) -> list[Route]:
        return [
            Route(f"/{API}/v2/user/info/", self.user_info, methods=["GET"]),
            Route(f"/{API}/v2/video/list/", self.video_list, methods=["POST"]),
            Route(f"/{API}/v2/video/query/", self.video_query, methods=["POST"]),
            *(Route(f"/{host}/{{code}}/", self.short_link, methods=["GET", "HEAD"]) for host in SHORT_HOSTS),
            *(Route(f"/{host}/{{code}}", self.short_link, methods=["GET", "HEAD"]) for host in SHORT_HOSTS),
        ]

    async def short_link(self, request: Request) -> Response:
        """vm.tiktok.com/<code>/: a 301 to the video's canonical URL (C§3.6), as the app's
        web host would answer; an unknown code goes to the home page."""
        code = request.path_params["code"]
        for post in self.sb.posts(PLATFORM):
            if short_code(str(post["id"])) == code:
                account = self.sb.account(PLATFORM, post["account_id"]) or {}
                target = f"https://www.tiktok.com/@{account.get('username', '')}/video/{post['id']}?_r=1"
                return RedirectResponse(target, status_code=301)
        return RedirectResponse("https://www.tiktok.com/", status_code=301)

    def _display_limit(self, token: dict[str, Any], endpoint: str) -> None:
        # 600 requests/min per endpoint per app, one-minute sliding window (§3.2).
        self.limit(
            f"tiktok:display:{token['client_id']}:{endpoint}",
            int(self.sb.config("tiktok.display_per_minute")),
        )

    # --- user/info --------------------------------------------------------------------
    @api
    async def user_info(self, request: Request) -> Response:
        token = self.authorize_token(request)
        fields = _fields(request, USER_FIELD_SCOPES)
        missing = sorted({USER_FIELD_SCOPES[f] for f in fields} - set(token["scopes"]))
        if missing:
            raise ApiError(
                "scope_not_authorized",
                f"The user did not authorize the scope required for completing this request: {', '.join(missing)}.",
            )
        self._display_limit(token, "user.info")
        account = self.sb.account(PLATFORM, token["account_id"]) or {}
        self.settle(token["account_id"])
        user = self.user_doc(account)
        return self.ok({"user": {f: user[f] for f in fields}})

    def user_doc(self, account: dict[str, Any]) -> dict[str, Any]:
        posts = self.sb.posts(PLATFORM, account["id"])
        avatar = (
            f"https://p16-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/{account['id'][-12:]}~c5_168x168.jpeg"
        )
        return {
            "open_id": account["id"],
            "union_id": account.get("union_id", ""),
            "avatar_url": avatar,
            "avatar_url_100": avatar.replace("168x168", "100x100"),
            "avatar_large_url": avatar.replace("168x168", "1080x1080"),
            "display_name": account.get("display_name", ""),
            "username": account.get("username", ""),
            "bio_description": account.get("bio", ""),
            "profile_deep_link": f"https://vm.tiktok.com/{account.get('deep_link_code', 'ZM000000')}/",
            "is_verified": bool(account.get("is_verified")),
            "follower_count": self.sb.followers(account),
            "following_count": int(account.get("following", 0)),
            "likes_count": int(account.get("likes_base", 0))
            + sum(self.sb.metrics(p)["likes"] for p in posts),
            "video_count": len(posts),
        }

    # --- videos -----------------------------------------------------------------------
    def video_doc(self, post: dict[str, Any], account: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        m = self.sb.metrics(post)
        vid = post["id"]
        username = account.get("username", "")
        share_url = f"https://www.tiktok.com/@{username}/video/{vid}"
        full = {
            "id": vid,
            "title": post.get("caption", ""),
            "video_description": post.get("caption", ""),
            "create_time": int(parse_iso(post["created_at"]).timestamp()),
            "cover_image_url": f"https://p16-sign.tiktokcdn-us.com/obj/tos-useast5-p-0068-tx/{vid}~tplv-noop.image",
            "share_url": share_url,
            "duration": int(post.get("duration", 15)),
            "height": int(post.get("height", 1920)),
            "width": int(post.get("width", 1080)),
            "embed_link": f"https://www.tiktok.com/player/v1/{vid}",
            "embed_html": (
                f'<blockquote class="tiktok-embed" cite="{share_url}" data-video-id="{vid}">'
                f'<section><a href="https://www.tiktok.com/@{username}">@{username}</a></section></blockquote>'
            ),
            "like_count": m["likes"],
            "comment_count": m["comments"],
            "share_count": m["shares"],
            "view_count": m["views"],
        }
        return {f: full[f] for f in fields}

    @api
    async def video_list(self, request: Request) -> Response:
        token = self.authorize_token(request, ("video.list",))
        fields = _fields(request, VIDEO_FIELDS)
        body = await read_json(request) or {}
        if not isinstance(body, dict):
            raise ApiError("invalid_params", "The request body must be a JSON object.")
        max_count = body.get("max_count", 10)
        if not isinstance(max_count, int) or isinstance(max_count, bool) or not 1 <= max_count <= 20:
            raise ApiError("invalid_params", "max_count must be an integer between 1 and 20.")
        cursor = body.get("cursor")
        if cursor is not None and (not isinstance(cursor, int) or isinstance(cursor, bool) or cursor < 0):
            raise ApiError("invalid_params", "cursor must be a UTC Unix timestamp in milliseconds.")
        self._display_limit(token, "video.list")
        self.settle(token["account_id"])
        account = self.sb.account(PLATFORM, token["account_id"]) or {}
        posts = self.sb.posts(PLATFORM, token["account_id"])
        if cursor is not None:
            posts = [p for p in posts if _ms(p) < cursor]
        page = posts[:max_count]
        videos = [self.video_doc(p, account, fields) for p in page]
        next_cursor = _ms(page[-1]) if page else (cursor or 0)
        return self.ok({"videos": videos, "cursor": next_cursor, "has_more": len(posts) > len(page)})

    @api
    async def video_query(self, request: Request) -> Response:
        token = self.authorize_token(request, ("video.list",))
        fields = _fields(request, VIDEO_FIELDS)
        body = await read_json(request) or {}
        ids = (body.get("filters") or {}).get("video_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str | int) for i in ids):
            raise ApiError("invalid_params", "filters.video_ids must be a non-empty list of video ids.")
        if len(ids) > MAX_QUERY_IDS:
            raise ApiError(
                "invalid_params", f"filters.video_ids accepts at most {MAX_QUERY_IDS} ids; got {len(ids)}."
            )
        self._display_limit(token, "video.query")
        self.settle(token["account_id"])
        account = self.sb.account(PLATFORM, token["account_id"]) or {}
        videos = []
        for vid in dict.fromkeys(str(i) for i in ids):
            post = self.sb.post(PLATFORM, vid)
            # Only the authorizing user's own videos are returned; others are left out.
            mine = post is not None and post["account_id"] == token["account_id"] and not post.get("deleted")
            if mine and parse_iso(post["created_at"]) <= self.sb.now():
                videos.append(self.video_doc(post, account, fields))
        return self.ok({"videos": videos})


def _ms(post: dict[str, Any]) -> int:
    return int(parse_iso(post["created_at"]).timestamp() * 1000)
