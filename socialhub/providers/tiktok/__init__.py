"""TikTok: Login Kit v2 (client_key, comma scopes, rotating refresh tokens), Display API v2 and
the Content Posting API (CONTRACTS §3).

Private (SELF_ONLY) posts never get a public id from status/fetch, so after PUBLISH_COMPLETE
the provider finds the new video in /v2/video/list/: the newest video with the same caption
that is newer than the newest video seen just before init (`steps["baseline_id"]`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from socialhub.providers.base import (
    AccountInfo,
    AuthExpired,
    AuthRevoked,
    ContentLimits,
    Credentials,
    InvalidPostUrl,
    InvalidRequest,
    MediaRef,
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

API = "open.tiktokapis.com"
MIB = 1024 * 1024
USER_FIELDS = (
    "open_id,union_id,avatar_url,display_name,username,bio_description,profile_deep_link,is_verified,"
    "follower_count,following_count,likes_count,video_count"
)
BASIC_USER_FIELDS = "open_id,union_id,avatar_url,display_name"
LIST_FIELDS = "id,title,video_description,create_time,share_url,duration,cover_image_url"
METRIC_FIELDS = "id,view_count,like_count,comment_count,share_count"
UNAUDITED = "unaudited_client_can_only_post_to_private_accounts"
# Per-user-token posting endpoints (their 429s are the user's, not the app's).
USER_BUCKETS = {
    "creator_info": "post.creator_info",
    "video/init": "post.video_init",
    "status/fetch": "post.status",
}
FAIL_REASONS = {
    "file_format_check_failed": "the file is not a video TikTok can read (use MP4, WebM or MOV)",
    "duration_check_failed": "the video is too long or too short for this account",
    "frame_rate_check_failed": "the frame rate is outside 23-60 fps",
    "picture_size_check_failed": "the picture size is outside 360-4096 px",
    "video_pull_failed": "TikTok could not download the video from its URL",
    "video_format_not_supported": "the video format is not supported",
    "internal": "TikTok had an internal error",
}
_VIDEO_PATH = re.compile(r"^/@([\w.-]+)/(video|photo)/(\d{15,22})/?$")
_MOBILE_PATH = re.compile(r"^/v/(\d{15,22})(?:\.html)?/?$")
_SHORT_HOSTS = {"vm.tiktok.com", "vt.tiktok.com"}


def _client_key_auth(client: Any, method: str, uri: str, headers: Any, body: Any) -> tuple[str, Any, str]:
    """authlib client auth: TikTok wants client_key (not client_id) and the secret in the form."""
    text = body.decode() if isinstance(body, bytes) else (body or "")
    pairs = [
        (k, v)
        for k, v in parse_qsl(text, keep_blank_values=True)
        if k not in {"client_id", "client_key", "client_secret"}
    ]
    pairs += [("client_key", client.client_id), ("client_secret", client.client_secret or "")]
    encoded = urlencode(pairs)
    if "Content-Length" in headers:
        headers["Content-Length"] = str(len(encoded))
    return uri, headers, encoded


class TikTokProvider(Provider):
    platform = "tiktok"
    label = "TikTok"

    AUTHORIZE_HOST = "www.tiktok.com"
    AUTHORIZE_PATH = "/v2/auth/authorize/"
    TOKEN_HOST = API
    TOKEN_PATH = "/v2/oauth/token/"
    REVOKE_HOST = API
    REVOKE_PATH = "/v2/oauth/revoke/"
    SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list", "video.publish")
    SCOPE_SEPARATOR = ","
    USE_PKCE = True
    TOKEN_AUTH_METHOD = "tiktok_client_key"
    MAX_IDS_PER_CALL = 20
    LIMITS = ContentLimits(
        caption_max=2200,
        caption_unit="utf16",
        media_kinds=frozenset({"video"}),
        requires_media=True,
        max_media=1,
        video_types=frozenset({"video/mp4", "video/webm", "video/quicktime"}),
        max_video_bytes=4 * 1024 * MIB,
        min_video_seconds=3,
        max_video_seconds=600,
    )
    REFRESH_MARGIN = timedelta(minutes=30)  # access tokens may live only 2 hours
    # find_published: TikTok lists a video only once processed, and its clock may differ a little.
    FIND_CLOCK_SLACK = timedelta(minutes=10)
    FIND_SETTLE = timedelta(minutes=5)
    FIND_MAX_PAGES = 3
    FIND_PAGE_SIZE = 20  # the video list's largest page
    MEDIA_FROM_FILE = False  # PULL_FROM_URL whenever the media has a URL (it always has one)

    poll_interval: float = 3.0  # status/fetch allows 30 calls/min per token
    upload_chunk_size: int = 10 * MIB

    # --- OAuth ------------------------------------------------------------------------
    def configure_oauth_client(self, client: Any) -> None:
        client.register_client_auth_method((self.TOKEN_AUTH_METHOD, _client_key_auth))
        client.revocation_endpoint_auth_method = self.TOKEN_AUTH_METHOD

    def authorization_url(self, *, state: str, redirect_uri: str, code_verifier: str | None) -> str:
        url = super().authorization_url(state=state, redirect_uri=redirect_uri, code_verifier=code_verifier)
        parts = urlsplit(url)
        query = [
            ("client_key" if k == "client_id" else k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def refresh(self, creds: Credentials) -> TokenSet:
        """Refresh; TikTok rotates the refresh token, so the new one must replace the old."""
        if not creds.refresh_token:
            raise AuthExpired("TikTok gave no refresh token; reconnect the account.", platform=self.platform)
        with self.oauth_client() as client:
            client.scope = None  # TikTok's refresh takes no scope
            token = self._oauth_call(
                lambda: client.refresh_token(
                    self.url(self.TOKEN_HOST, self.TOKEN_PATH), refresh_token=creds.refresh_token
                )
            )
        tokens = self.token_set(token)
        tokens.refresh_token = tokens.refresh_token or creds.refresh_token
        return tokens

    def revoke(self, creds: Credentials) -> bool:
        with self.oauth_client() as client:
            resp = self._oauth_call(
                lambda: client.revoke_token(
                    self.url(self.REVOKE_HOST, self.REVOKE_PATH), token=creds.access_token
                )
            )
        if resp.status_code >= 400:
            raise self.classify_error(resp)
        return True

    # --- transport helpers ------------------------------------------------------------
    def _api(self, method: str, path: str, creds: Credentials, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {creds.access_token}"}
        if "json" in kwargs:
            headers["Content-Type"] = "application/json; charset=UTF-8"
        resp = self.request(method, self.url(API, path), creds=creds, headers=headers, **kwargs)
        body = resp.json()
        error = body.get("error") or {}
        if error.get("code", "ok") != "ok":
            raise self.classify_error(resp)
        return body.get("data") or {}

    def classify_error(self, resp: httpx.Response) -> ProviderError:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return super().classify_error(resp)
        err = body.get("error")
        if isinstance(err, str):  # OAuth endpoints: {"error", "error_description"}
            return self.classify_oauth_error(err, body.get("error_description", ""))
        code = (err or {}).get("code", "")
        message = (err or {}).get("message", "") or code
        kw: dict[str, Any] = {
            "platform": self.platform,
            "status": resp.status_code,
            "code": code,
            "raw": body,
        }
        if code == "access_token_invalid":
            if "revoked" in message.lower():
                return AuthRevoked(f"TikTok access was revoked ({message}). Please reconnect TikTok.", **kw)
            return AuthExpired(
                f"TikTok no longer accepts this login ({message}). Please reconnect TikTok.", **kw
            )
        if code in {"scope_not_authorized", "scope_permission_missed"}:
            return PermissionMissing(
                f"TikTok permission missing: {message} Reconnect and allow all requested access.", **kw
            )
        if code in {UNAUDITED, "spam_risk_user_banned_from_posting", "url_ownership_unverified"}:
            return PermissionMissing(f"TikTok refused the post: {message}", **kw)
        if code == "rate_limit_exceeded" or resp.status_code == 429:
            return RateLimited(
                f"TikTok rate limit reached ({message}); we'll retry in a minute.",
                retry_at=utcnow() + timedelta(seconds=60),
                **kw,
            )
        if code in {
            "spam_risk_too_many_posts",
            "spam_risk_too_many_pending_share",
            "reached_active_user_cap",
        }:
            return RateLimited(
                f"TikTok's daily posting limit was reached: {message}",
                retry_at=utcnow() + timedelta(hours=24),
                **kw,
            )
        if resp.status_code >= 500 or code == "internal_error":
            return TransientError(f"TikTok had a server error ({message}).", **kw)
        if resp.status_code == 404:
            return NotFound(f"TikTok could not find that: {message}", **kw)
        return InvalidRequest(f"TikTok rejected the request: {message}", **kw)

    def quota_readings(self, resp: httpx.Response, creds: Credentials | None) -> Iterable[QuotaReading]:
        if resp.status_code != 429:
            return ()
        path = resp.request.url.path
        v2 = path[path.find("/v2/") + 4 :] if "/v2/" in path else path
        user_bucket = next((b for key, b in USER_BUCKETS.items() if key in v2), None)
        bucket = user_bucket or v2.strip("/").replace("/", ".")
        account = creds.account_id if (user_bucket and creds) else ""
        try:
            raw = resp.json()
        except ValueError:
            raw = {}
        # One-minute sliding windows (§3.2/§3.3): blocked for at most a minute.
        return [
            QuotaReading(
                bucket=bucket,
                account_key=account,
                percent=100.0,
                blocked_until=utcnow() + timedelta(seconds=60),
                raw=raw if isinstance(raw, dict) else {},
            )
        ]

    # --- reading ----------------------------------------------------------------------
    def get_account(self, creds: Credentials) -> AccountInfo:
        try:
            user = self._api("GET", "/v2/user/info/", creds, params={"fields": USER_FIELDS})["user"]
        except PermissionMissing:
            # Profile/stats scopes unticked by the user: basic info still identifies the account.
            user = self._api("GET", "/v2/user/info/", creds, params={"fields": BASIC_USER_FIELDS})["user"]
        username = user.get("username") or ""
        return AccountInfo(
            account_id=user["open_id"],
            username=username,
            display_name=user.get("display_name", ""),
            avatar_url=user.get("avatar_url"),
            profile_url=f"https://www.tiktok.com/@{username}" if username else user.get("profile_deep_link"),
            followers=user.get("follower_count"),
            following=user.get("following_count"),
            posts_count=user.get("video_count"),
            extra={
                "union_id": user.get("union_id"),
                "username": username,
                "likes_count": user.get("likes_count"),
                "is_verified": user.get("is_verified"),
            },
        )

    def _remote(self, video: dict[str, Any]) -> RemotePost:
        created = video.get("create_time")
        return RemotePost(
            post_id=str(video["id"]),
            url=video.get("share_url"),
            caption=video.get("title") or video.get("video_description") or "",
            created_at=datetime.fromtimestamp(int(created), UTC) if created else None,
            media_type="video",
            thumbnail_url=video.get("cover_image_url") or None,
        )

    def list_posts(self, creds: Credentials, *, cursor: str | None = None, limit: int = 25) -> PostPage:
        body: dict[str, Any] = {"max_count": max(1, min(int(limit), 20))}
        if cursor:
            body["cursor"] = int(cursor)
        data = self._api("POST", "/v2/video/list/", creds, params={"fields": LIST_FIELDS}, json=body)
        posts = [self._remote(v) for v in data.get("videos") or []]
        return PostPage(
            posts=posts, next_cursor=str(data["cursor"]) if data.get("has_more") and posts else None
        )

    def fetch_metrics(self, creds: Credentials, post_ids: list[str]) -> dict[str, PostMetrics]:
        out: dict[str, PostMetrics] = {}
        ids = list(dict.fromkeys(str(i) for i in post_ids))
        for start in range(0, len(ids), self.MAX_IDS_PER_CALL):
            batch = ids[start : start + self.MAX_IDS_PER_CALL]
            data = self._api(
                "POST",
                "/v2/video/query/",
                creds,
                params={"fields": METRIC_FIELDS},
                json={"filters": {"video_ids": batch}},
            )
            for v in data.get("videos") or []:
                out[str(v["id"])] = PostMetrics(
                    post_id=str(v["id"]),
                    views=v.get("view_count"),
                    likes=v.get("like_count"),
                    comments=v.get("comment_count"),
                    shares=v.get("share_count"),
                    extra={k: val for k, val in v.items() if k != "id"},  # TikTok's own names
                )
        return out

    def find_by_steps(self, creds: Credentials, steps: dict[str, Any]) -> RemotePost | None:
        from socialhub.providers.tiktok.publishing import find_by_publish_id

        return find_by_publish_id(self, creds, steps)

    @classmethod
    def parse_post_url(cls, url: str) -> PostRef:
        text = (url or "").strip()
        parts = urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or "").lower()
        if host in _SHORT_HOSTS or (host.endswith("tiktok.com") and parts.path.startswith("/t/")):
            raise InvalidPostUrl(
                "That is a TikTok short link. Open it in your browser, then paste the full link "
                "(https://www.tiktok.com/@user/video/…) here."
            )
        if host not in {"tiktok.com", "www.tiktok.com", "m.tiktok.com"}:
            raise InvalidPostUrl("That is not a TikTok link.")
        match = _VIDEO_PATH.match(parts.path)
        if match:
            return PostRef(platform="tiktok", key=match.group(3), key_type="id", username=match.group(1))
        match = _MOBILE_PATH.match(parts.path)
        if match:
            return PostRef(platform="tiktok", key=match.group(1), key_type="id")
        raise InvalidPostUrl("That TikTok link does not point to a video or photo post (…/@user/video/<id>).")

    @staticmethod
    def is_short_link(url: str) -> bool:
        text = (url or "").strip()
        parts = urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or "").lower()
        return host in _SHORT_HOSTS or (host.endswith("tiktok.com") and parts.path.startswith("/t/"))

    def expand_short_link(self, url: str) -> str:
        """The full video URL behind a vm.tiktok.com / tiktok.com/t/ link: one GET whose
        redirect we read but do not follow (C§3.6)."""
        text = (url or "").strip()
        parts = urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or "").lower()
        resp = self.request("GET", self.url(host, parts.path or "/"), expect_json=False)
        location = resp.headers.get("location", "")
        if resp.status_code not in (301, 302, 303, 307, 308) or not location:
            raise InvalidPostUrl("That TikTok short link does not lead to a video.")
        return location

    def resolve_post(self, creds: Credentials, ref: PostRef) -> RemotePost:
        data = self._api(
            "POST",
            "/v2/video/query/",
            creds,
            params={"fields": LIST_FIELDS},
            json={"filters": {"video_ids": [ref.key]}},
        )
        videos = data.get("videos") or []
        if not videos:
            raise NotFound(
                "TikTok only shares this account's own videos, and this one is not among them.",
                platform=self.platform,
            )
        return self._remote(videos[0])

    # --- publishing -------------------------------------------------------------------
    def publish(
        self, creds: Credentials, request: PublishRequest, steps: dict[str, Any], save_step: StepSaver
    ) -> PublishResult:
        from socialhub.providers.tiktok.publishing import run_publish

        return run_publish(self, creds, request, steps, save_step)

    def chunk_plan(self, size: int) -> tuple[int, int]:
        """(chunk_size, total_chunk_count) by the media transfer rules."""
        if size < 5 * MIB:
            return size, 1
        chunk = min(max(int(self.upload_chunk_size), 5 * MIB), 64 * MIB)
        if size <= chunk:
            return size, 1
        return chunk, size // chunk

    def media_path(self, media: MediaRef) -> str:
        if not media.path or not os.path.exists(media.path):
            raise InvalidRequest("The video file to upload to TikTok is missing.", platform=self.platform)
        return media.path
