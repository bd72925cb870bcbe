"""YouTube: Google OAuth (offline access, PKCE), Data API v3 and resumable videos.insert
(CONTRACTS §4).

Quota: the Data API gives no usage headers, so readings are counted here from the cost
table (list = 1 unit from the "default" bucket, videos.insert = 1 call of its own bucket)
per project and Pacific day, and a quotaExceeded answer marks the bucket blocked until
midnight Pacific.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from socialhub.providers.base import (
    AccountInfo,
    AuthExpired,
    ContentLimits,
    Credentials,
    InvalidRequest,
    NotFound,
    PermissionMissing,
    PostMetrics,
    PostPage,
    PostRef,
    Provider,
    ProviderError,
    PublishRequest,
    PublishResult,
    QuotaReading,
    RateLimited,
    RemotePost,
    StepSaver,
    TokenSet,
    TransientError,
    utcnow,
)
from socialhub.providers.youtube.quota import QuotaTally, next_pacific_midnight
from socialhub.providers.youtube.urls import parse_video_url

WWW = "www.googleapis.com"
_AUTH = "https://www.googleapis.com/auth/"
_TAGS = re.compile(r"<[^>]+>")
CHUNK_MULTIPLE = 256 * 1024


class YouTubeProvider(Provider):
    platform = "youtube"
    label = "YouTube"

    AUTHORIZE_HOST = "accounts.google.com"
    AUTHORIZE_PATH = "/o/oauth2/v2/auth"
    TOKEN_HOST = "oauth2.googleapis.com"
    TOKEN_PATH = "/token"
    REVOKE_HOST = "oauth2.googleapis.com"
    REVOKE_PATH = "/revoke"
    SCOPES = (_AUTH + "youtube.readonly", _AUTH + "youtube.upload", _AUTH + "yt-analytics.readonly")
    USE_PKCE = True
    EXTRA_AUTHORIZE_PARAMS = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}
    MAX_IDS_PER_CALL = 50
    LIMITS = ContentLimits(
        caption_max=5000,
        caption_unit="bytes",
        media_kinds=frozenset({"video"}),
        requires_media=True,
        max_media=1,
        video_types=frozenset(
            {
                "video/mp4",
                "video/quicktime",
                "video/webm",
                "video/x-msvideo",
                "video/mpeg",
                "video/x-flv",
                "video/3gpp",
                "video/x-matroska",
            }
        ),
        max_video_bytes=256 * 1024**3,
        title_max=100,
    )
    REFRESH_MARGIN = timedelta(minutes=10)  # access tokens live an hour
    # find_published: the session answers first; by title, YouTube's publishedAt may lag a little.
    FIND_CLOCK_SLACK = timedelta(minutes=10)
    FIND_MAX_PAGES = 2

    upload_chunk_size: int = 32 * CHUNK_MULTIPLE  # 8 MiB
    # Cost table (determine_quota_cost): method -> (bucket, cost).
    COSTS: ClassVar[dict[str, tuple[str, float]]] = {
        "channels": ("default", 1),
        "playlistItems": ("default", 1),
        "videos": ("default", 1),
        "videos.insert": ("videos.insert", 1),
    }
    tally: QuotaTally = QuotaTally()  # shared by every instance in this process

    # --- OAuth ------------------------------------------------------------------------
    def refresh(self, creds: Credentials) -> TokenSet:
        """New access token; Google keeps the same refresh token (none comes back)."""
        if not creds.refresh_token:
            raise AuthExpired("YouTube gave no refresh token; reconnect the account.", platform=self.platform)
        with self.oauth_client() as client:
            client.scope = None  # asking again for all scopes fails if the user unticked one
            token = self._oauth_call(
                lambda: client.refresh_token(
                    self.url(self.TOKEN_HOST, self.TOKEN_PATH), refresh_token=creds.refresh_token
                )
            )
        tokens = self.token_set(token)
        tokens.refresh_token = tokens.refresh_token or creds.refresh_token
        return tokens

    def revoke(self, creds: Credentials) -> bool:
        """Revoke the grant (revoking the refresh token ends its access tokens too)."""
        token = creds.refresh_token or creds.access_token
        try:
            self.request(
                "POST",
                self.url(self.REVOKE_HOST, self.REVOKE_PATH),
                params={"token": token},
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                expect_json=False,
            )
        except InvalidRequest as exc:
            if exc.code != "invalid_token":
                raise
            # Already expired or revoked: the goal is reached.
        return True

    # --- transport --------------------------------------------------------------------
    def _auth(self, creds: Credentials) -> dict[str, str]:
        return {"Authorization": f"Bearer {creds.access_token}"}

    def _get(self, resource: str, creds: Credentials, **params: Any) -> dict[str, Any]:
        return self.get_json(
            "GET",
            self.url(WWW, f"/youtube/v3/{resource}"),
            creds=creds,
            headers=self._auth(creds),
            params=params,
        )

    def classify_error(self, resp: httpx.Response) -> ProviderError:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "error" not in body:
            return super().classify_error(resp)
        err = body["error"]
        if isinstance(err, str):  # OAuth endpoints
            if resp.status_code >= 500:
                return super().classify_error(resp)
            return self.classify_oauth_error(err, body.get("error_description", ""))
        first = (err.get("errors") or [{}])[0]
        reason = first.get("reason", "")
        message = _TAGS.sub("", err.get("message") or first.get("message") or "").strip()
        status = resp.status_code
        kw: dict[str, Any] = {"platform": self.platform, "status": status, "code": reason, "raw": body}
        if status == 401:
            return AuthExpired(
                f"YouTube no longer accepts this login ({message}). Reconnecting may be needed.", **kw
            )
        if reason == "quotaExceeded":
            return RateLimited(
                f"SocialHub's daily YouTube quota is used up ({message}) It resets at midnight Pacific time.",
                retry_at=next_pacific_midnight(),
                app_wide=True,  # the quota is the Google Cloud project's, shared by every channel
                **kw,
            )
        if reason in {"rateLimitExceeded", "userRateLimitExceeded"}:
            return RateLimited(
                f"YouTube asks us to slow down ({message}).", retry_at=utcnow() + timedelta(minutes=1), **kw
            )
        if reason == "uploadLimitExceeded":
            return RateLimited(
                f"This channel reached YouTube's upload limit ({message}). Try again in 24 hours.",
                retry_at=utcnow() + timedelta(hours=24),
                **kw,
            )
        if status == 403:
            return PermissionMissing(
                f"YouTube denied access: {message}. Reconnect and allow all requested access.", **kw
            )
        if status == 404:
            return NotFound(f"YouTube could not find that: {message}", **kw)
        if status >= 500:
            return TransientError(f"YouTube had a server error ({message}).", **kw)
        return InvalidRequest(f"YouTube rejected the request: {message}", **kw)

    def _method(self, resp: httpx.Response) -> str | None:
        path, method = resp.request.url.path, resp.request.method
        if "/upload/youtube/v3/videos" in path:
            return "videos.insert" if method == "POST" else None
        if "/youtube/v3/" in path:
            return path.rsplit("/youtube/v3/", 1)[1].strip("/") or None
        return None

    def quota_readings(self, resp: httpx.Response, creds: Credentials | None) -> Iterable[QuotaReading]:
        name = self._method(resp)
        if name is None or resp.status_code == 401 or name not in self.COSTS:
            return ()
        bucket, cost = self.COSTS[name]
        resets = next_pacific_midnight()
        if resp.status_code == 403 and "quotaExceeded" in resp.text:
            return [
                QuotaReading(
                    bucket=bucket,
                    percent=100.0,
                    resets_at=resets,
                    blocked_until=resets,
                    raw={"reason": "quotaExceeded", "method": name},
                )
            ]
        used = self.tally.add(self.client_id, bucket, cost)
        return [
            QuotaReading(
                bucket=bucket,
                used=used,
                resets_at=resets,
                raw={"method": name, "cost": cost, "counted_by": "this SocialHub process"},
            )
        ]

    # --- reading ----------------------------------------------------------------------
    def get_account(self, creds: Credentials) -> AccountInfo:
        data = self._get("channels", creds, part="snippet,statistics,contentDetails", mine="true")
        items = data.get("items") or []
        if not items:
            raise NotFound(
                "This Google account has no YouTube channel yet. Create one on YouTube, then connect again.",
                platform=self.platform,
            )
        ch = items[0]
        snippet, stats = ch.get("snippet", {}), ch.get("statistics", {})
        handle = snippet.get("customUrl", "")
        thumbs = snippet.get("thumbnails", {})
        return AccountInfo(
            account_id=ch["id"],
            username=handle.lstrip("@") or ch["id"],
            display_name=snippet.get("title", ""),
            avatar_url=(thumbs.get("medium") or thumbs.get("default") or {}).get("url"),
            profile_url=f"https://www.youtube.com/{handle}"
            if handle
            else f"https://www.youtube.com/channel/{ch['id']}",
            followers=None if stats.get("hiddenSubscriberCount") else _int(stats.get("subscriberCount")),
            posts_count=_int(stats.get("videoCount")),
            views=_int(stats.get("viewCount")),
            extra={
                "uploads_playlist_id": ch.get("contentDetails", {}).get("relatedPlaylists", {}).get("uploads")
            },
        )

    def uploads_playlist(self, creds: Credentials) -> str:
        playlist = creds.extra.get("uploads_playlist_id")
        if playlist:
            return str(playlist)
        return str(self.get_account(creds).extra["uploads_playlist_id"])

    def list_posts(self, creds: Credentials, *, cursor: str | None = None, limit: int = 25) -> PostPage:
        params: dict[str, Any] = {
            "part": "snippet,contentDetails",
            "playlistId": self.uploads_playlist(creds),
            "maxResults": max(1, min(int(limit), 50)),
        }
        if cursor:
            params["pageToken"] = cursor
        data = self._get("playlistItems", creds, **params)
        posts = []
        for item in data.get("items") or []:
            vid = item.get("contentDetails", {}).get("videoId") or item["snippet"]["resourceId"]["videoId"]
            published = item.get("contentDetails", {}).get("videoPublishedAt") or item.get("snippet", {}).get(
                "publishedAt"
            )
            posts.append(
                RemotePost(
                    post_id=vid,
                    url=f"https://www.youtube.com/watch?v={vid}",
                    caption=item.get("snippet", {}).get("title", ""),
                    created_at=_when(published),
                    media_type="video",
                    thumbnail_url=_thumbnail(item.get("snippet", {})),
                )
            )
        return PostPage(posts=posts, next_cursor=data.get("nextPageToken"))

    def fetch_metrics(self, creds: Credentials, post_ids: list[str]) -> dict[str, PostMetrics]:
        out: dict[str, PostMetrics] = {}
        ids = list(dict.fromkeys(post_ids))
        for start in range(0, len(ids), self.MAX_IDS_PER_CALL):
            data = self._get(
                "videos", creds, part="statistics", id=",".join(ids[start : start + self.MAX_IDS_PER_CALL])
            )
            for item in data.get("items") or []:
                s = item.get("statistics", {})
                # likeCount / commentCount are absent when hidden or disabled: None, not 0.
                out[item["id"]] = PostMetrics(
                    post_id=item["id"],
                    views=_int(s.get("viewCount")),
                    likes=_int(s.get("likeCount")),
                    comments=_int(s.get("commentCount")),
                    extra={"statistics": s},  # as YouTube gave them (strings), favoriteCount too
                )
        return out

    def caption_to_find(self, request: PublishRequest) -> str:
        return video_title(request)  # the uploads playlist shows titles

    def find_by_steps(self, creds: Credentials, steps: dict[str, Any]) -> RemotePost | None:
        from socialhub.providers.youtube.upload import find_by_session

        return find_by_session(self, creds, steps)

    @classmethod
    def parse_post_url(cls, url: str) -> PostRef:
        return parse_video_url(url)

    def resolve_post(self, creds: Credentials, ref: PostRef) -> RemotePost:
        data = self._get("videos", creds, part="snippet", id=ref.key)
        items = data.get("items") or []
        if not items:
            raise NotFound("YouTube has no video with that link (or it is private).", platform=self.platform)
        snippet = items[0].get("snippet", {})
        return RemotePost(
            account_id=snippet.get("channelId"),
            post_id=ref.key,
            url=f"https://www.youtube.com/watch?v={ref.key}",
            caption=snippet.get("title", ""),
            created_at=_when(snippet.get("publishedAt")),
            media_type="video",
            thumbnail_url=_thumbnail(snippet),
        )

    # --- publishing -------------------------------------------------------------------
    def validate(self, request: PublishRequest) -> list[str]:
        problems = super().validate(request)
        if request.title is not None and len(request.title) > 100:
            problems.append(
                f"YouTube titles may have at most 100 characters; this one has {len(request.title)}."
            )
        if any(c in (request.title or "") for c in "<>"):
            problems.append("YouTube titles cannot contain < or >.")
        if any(c in request.caption for c in "<>"):
            problems.append("YouTube descriptions cannot contain < or >.")
        if request.scheduled_for is not None and request.scheduled_for <= utcnow():
            problems.append("The scheduled time for YouTube must be in the future.")
        return problems

    def publish(
        self, creds: Credentials, request: PublishRequest, steps: dict[str, Any], save_step: StepSaver
    ) -> PublishResult:
        from socialhub.providers.youtube.upload import run_upload

        return run_upload(self, creds, request, steps, save_step)

    def media_path(self, request: PublishRequest) -> str:
        path = request.media[0].path if request.media else None
        if not path or not os.path.exists(path):
            raise InvalidRequest("The video file to upload to YouTube is missing.", platform=self.platform)
        return path

    def result(self, video_id: str, scheduled: bool) -> PublishResult:
        return PublishResult(
            status="scheduled" if scheduled else "published",
            post_id=video_id,
            url=f"https://www.youtube.com/watch?v={video_id}",
        )


def video_title(request: PublishRequest) -> str:
    """The title we give a video: the request's title, else the caption's first line (100 chars)."""
    if request.title:
        return request.title
    first = (request.caption.strip().splitlines() or ["Untitled video"])[0]
    return first.replace("<", "").replace(">", "").strip()[:100] or "Untitled video"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _thumbnail(snippet: dict[str, Any]) -> str | None:
    thumbs = snippet.get("thumbnails") or {}
    return (thumbs.get("medium") or thumbs.get("default") or {}).get("url")


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
