"""X (Twitter) API v2 provider (OAuth 2.0 user context with PKCE).

`weighted_length` counts text the way X does (the sandbox uses it too). Refresh tokens are
single use: the TokenSet returned by refresh() carries the NEW refresh token, which the caller
must store at once (the old one is dead). Quota readings come from x-rate-limit-* headers
(bucket per endpoint) and the 24-hour x-user/app-limit-24hour-* headers on POST /2/tweets.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from twitter_text import parse_tweet

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
    TransientError,
)
from socialhub.providers.errors import StepPending
from socialhub.providers.types import utcnow

MAX_WEIGHTED = 280
# Links in captions (X also links bare domains), for comparing a caption with X's echo,
# which rewrites every link to t.co.
_TLDS = "com|org|net|io|co|dev|app|ai|me|ly|gg|tv|uk|de|fr|jp|edu|gov|info|biz|xyz|news|blog|shop"
_URL = re.compile(
    rf"(?:https?://[^\s]+|www\.[^\s]+|\b(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?:/[^\s]*)?)", re.IGNORECASE
)


def weighted_length(text: str) -> int:
    """Length the way X counts it (twitter-text v3: CJK and emoji 2, every URL 23, NFC)."""
    return parse_tweet(text or "").weightedLength


# --- the provider ---------------------------------------------------------------------------

API = "api.x.com"
_WEB_HOSTS = {
    "x.com",
    "www.x.com",
    "mobile.x.com",
    "twitter.com",
    "www.twitter.com",
    "mobile.twitter.com",
    "m.twitter.com",
}
_STATUS = re.compile(r"^/([A-Za-z0-9_]{1,15})/status(?:es)?/(\d{1,20})(?:/.*)?$")
_WEB_STATUS = re.compile(r"^/i/(?:web/)?status/(\d{1,20})(?:/.*)?$")
_ID_PATH = re.compile(r"/\d+(?=/|$)")


def _normal_text(text: str) -> str:
    """Text for comparison: X rewrites links to t.co and HTML-escapes & < >."""
    return " ".join(_URL.sub("<url>", html.unescape(text or "")).split())


def _epoch(value: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC) if value else None
    except ValueError:
        return None


class XProvider(Provider):
    platform = "x"
    label = "X"

    AUTHORIZE_HOST = "x.com"
    AUTHORIZE_PATH = "/i/oauth2/authorize"
    TOKEN_HOST = API
    TOKEN_PATH = "/2/oauth2/token"
    REVOKE_HOST = API
    REVOKE_PATH = "/2/oauth2/revoke"
    SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write")
    USE_PKCE = True
    TOKEN_AUTH_METHOD = "client_secret_basic"
    MAX_IDS_PER_CALL = 100
    REFRESH_MARGIN = timedelta(minutes=15)
    CHUNK_BYTES: ClassVar[int] = 4 * 1024 * 1024
    SIMPLE_UPLOAD_MAX: ClassVar[int] = 5 * 1024 * 1024
    FIND_PAGE_SIZE: ClassVar[int] = 100  # the timeline's largest page
    LIMITS = ContentLimits(
        caption_max=MAX_WEIGHTED,
        caption_unit="weighted",
        media_kinds=frozenset({"image", "video"}),
        max_media=4,
        image_types=frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"}),
        video_types=frozenset({"video/mp4"}),
        max_image_bytes=5 * 1024 * 1024,
        max_video_bytes=512 * 1024 * 1024,
        min_video_seconds=0.5,
        max_video_seconds=140,
    )

    # --- content checks -------------------------------------------------------------------
    def caption_length(self, text: str) -> int:
        return weighted_length(text)

    def validate(self, request: PublishRequest) -> list[str]:
        problems = super().validate(request)
        videos = [m for m in request.media if m.kind == "video"]
        if videos and len(request.media) > 1:
            problems.append("X takes either up to 4 images or 1 video per post, not both.")
        return problems

    # --- transport --------------------------------------------------------------------------
    @staticmethod
    def auth(creds: Credentials) -> dict[str, str]:
        return {"Authorization": f"Bearer {creds.access_token}"}

    def api(self, method: str, path: str, creds: Credentials, **kwargs: Any) -> Any:
        headers = {**self.auth(creds), **kwargs.pop("headers", {})}
        return self.get_json(method, self.url(API, path), creds=creds, headers=headers, **kwargs)

    @staticmethod
    def tweet_url(tweet_id: str, username: str | None = None) -> str:
        return (
            f"https://x.com/{username}/status/{tweet_id}"
            if username
            else f"https://x.com/i/web/status/{tweet_id}"
        )

    # --- OAuth --------------------------------------------------------------------------------
    def revoke(self, creds: Credentials) -> bool:
        """Revoke the refresh token too: with it alive the app could mint new access tokens."""
        url = self.url(self.REVOKE_HOST or API, self.REVOKE_PATH or "")
        with self.oauth_client() as client:
            for token, hint in ((creds.refresh_token, "refresh_token"), (creds.access_token, "access_token")):
                if token:
                    resp = self._oauth_call(
                        lambda t=token, h=hint: client.revoke_token(url, token=t, token_type_hint=h)
                    )
                    if resp.status_code >= 400:  # authlib hands the response back as it came
                        raise self.classify_error(resp)
        return True

    def classify_oauth_error(self, error: str, description: str) -> ProviderError:
        if error == "invalid_request" and "token was invalid" in description:
            # Refresh tokens are single use; a dead one means the login must be redone.
            return AuthRevoked(
                f"X no longer accepts the saved login ({description}). Please reconnect X.",
                platform=self.platform,
                code=error,
            )
        return super().classify_oauth_error(error, description)

    # --- errors and quota ---------------------------------------------------------------------
    def classify_error(self, resp: httpx.Response) -> ProviderError:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        errors = body.get("errors") or []
        # errors[] names the parameter problem; `detail` is generic for invalid-request.
        first = errors[0].get("message") if errors and isinstance(errors[0], dict) else None
        detail = first or body.get("detail") or ""
        status = resp.status_code
        kw: dict[str, Any] = {
            "platform": self.platform,
            "status": status,
            "raw": body,
            "code": body.get("type") or body.get("title"),
        }
        said = f" X said: {detail}" if detail else ""
        if status == 401:
            return AuthExpired("X no longer accepts the saved login. Please reconnect X." + said, **kw)
        if status == 403:
            if "duplicate content" in (detail or ""):
                kw["code"] = "duplicate"
                return InvalidRequest(
                    "X refused the post because the same text was already posted." + said, **kw
                )
            return PermissionMissing("X did not allow this action for the connected account." + said, **kw)
        if status == 404:
            return NotFound("X could not find that item." + said, **kw)
        if status == 429:
            return RateLimited(
                "X rate limit reached; SocialHub will retry when it resets." + said,
                retry_at=self._retry_at(resp.headers),
                **kw,
            )
        if status >= 500:
            return TransientError(f"X had a server problem ({status}); we will retry." + said, **kw)
        return InvalidRequest("X rejected the request." + said, **kw)

    @staticmethod
    def _retry_at(headers: httpx.Headers) -> datetime | None:
        """The latest reset among exhausted windows (15-minute, user 24 h, app 24 h)."""
        resets = [
            _epoch(headers.get(f"{prefix}-reset"))
            for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")
            if headers.get(f"{prefix}-remaining") == "0"
        ]
        resets = [r for r in resets if r] or [_epoch(headers.get("x-rate-limit-reset"))]
        return max((r for r in resets if r), default=None)

    def quota_readings(self, resp: httpx.Response, creds: Credentials | None):
        path = resp.request.url.path
        at = path.find("/2/")
        if at < 0:
            return
        bucket = f"{resp.request.method} /2{_ID_PATH.sub('/:id', path[at + 2 :])}"
        for prefix, suffix in (
            ("x-rate-limit", ""),
            ("x-user-limit-24hour", " (24h user)"),
            ("x-app-limit-24hour", " (24h app)"),
        ):
            limit, remaining = resp.headers.get(f"{prefix}-limit"), resp.headers.get(f"{prefix}-remaining")
            if limit is None or remaining is None:
                continue
            limit_n, remaining_n = int(limit), int(remaining)
            reset = _epoch(resp.headers.get(f"{prefix}-reset"))
            yield QuotaReading(
                bucket=bucket + suffix,
                account_key=creds.account_id if creds else "",
                used=limit_n - remaining_n,
                limit=limit_n,
                percent=round(100 * (limit_n - remaining_n) / limit_n, 1) if limit_n else None,
                resets_at=reset,
                blocked_until=reset if remaining_n == 0 else None,
                raw={"limit": limit, "remaining": remaining, "reset": resp.headers.get(f"{prefix}-reset")},
            )

    # --- account and posts ----------------------------------------------------------------------
    def get_account(self, creds: Credentials) -> AccountInfo:
        data = self.api(
            "GET", "/2/users/me?user.fields=public_metrics,username,name,profile_image_url", creds
        )["data"]
        metrics = data.get("public_metrics", {})
        return AccountInfo(
            account_id=data["id"],
            username=data["username"],
            display_name=data.get("name", ""),
            avatar_url=data.get("profile_image_url"),
            profile_url=f"https://x.com/{data['username']}",
            followers=metrics.get("followers_count"),
            following=metrics.get("following_count"),
            posts_count=metrics.get("tweet_count"),
            extra={"username": data["username"]},
        )

    def _remote(self, tweet: dict[str, Any], creds: Credentials) -> RemotePost:
        created = tweet.get("created_at")
        return RemotePost(
            post_id=tweet["id"],
            url=self.tweet_url(tweet["id"], creds.extra.get("username")),
            caption=html.unescape(tweet.get("text", "")),
            created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
            media_type="media" if (tweet.get("attachments") or {}).get("media_keys") else None,
        )

    def _timeline(
        self, creds: Credentials, *, limit: int, cursor: str | None = None, start_time: datetime | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "max_results": max(5, min(100, limit)),
            "tweet.fields": "created_at,attachments",
        }
        if cursor:
            params["pagination_token"] = cursor
        if start_time:
            params["start_time"] = start_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = self.api("GET", f"/2/users/{creds.account_id}/tweets", creds, params=params)
        if "data" not in body and body.get("errors") and "meta" not in body:
            raise NotFound("X could not find the connected account.", platform=self.platform, raw=body)
        return body

    def list_posts(self, creds: Credentials, *, cursor: str | None = None, limit: int = 25) -> PostPage:
        body = self._timeline(creds, limit=limit, cursor=cursor)
        return PostPage(
            posts=[self._remote(t, creds) for t in body.get("data", [])],
            next_cursor=body.get("meta", {}).get("next_token"),
        )

    def fetch_metrics(self, creds: Credentials, post_ids: list[str]) -> dict[str, PostMetrics]:
        out: dict[str, PostMetrics] = {}
        for i in range(0, len(post_ids), self.MAX_IDS_PER_CALL):
            batch = post_ids[i : i + self.MAX_IDS_PER_CALL]
            params = {"ids": ",".join(batch), "tweet.fields": "public_metrics,non_public_metrics"}
            for tweet in self.api("GET", "/2/tweets", creds, params=params).get("data", []):
                public = tweet.get("public_metrics", {})
                private = tweet.get("non_public_metrics", {})
                retweets, quotes = public.get("retweet_count", 0), public.get("quote_count", 0)
                out[tweet["id"]] = PostMetrics(
                    post_id=tweet["id"],
                    views=public.get("impression_count", private.get("impression_count")),
                    likes=public.get("like_count"),
                    comments=public.get("reply_count"),
                    shares=retweets + quotes,
                    saves=public.get("bookmark_count"),
                    # Everything X gave, under its own names (the dashboard may show more later).
                    extra={
                        "retweets": retweets,
                        "quotes": quotes,
                        "public_metrics": public,
                        **({"non_public_metrics": private} if private else {}),
                    },
                )
        return out

    # --- publishing -------------------------------------------------------------------------------
    def _media_bytes(self, media: MediaRef) -> bytes:
        if media.path:
            with open(media.path, "rb") as fh:
                return fh.read()
        if media.url:
            return self.request("GET", media.url, expect_json=False).content
        raise InvalidRequest("The media file is missing.", platform=self.platform)

    def _upload(
        self, creds: Credentials, media: MediaRef, steps: dict[str, Any], save_step: StepSaver
    ) -> str:
        data = self._media_bytes(media)
        if media.kind == "image" and len(data) <= self.SIMPLE_UPLOAD_MAX:
            files = {"media": ("media", data, media.mime_type)}
            body = self.api(
                "POST", "/2/media/upload", creds, files=files, data={"media_category": "tweet_image"}
            )
            return body["data"]["id"]
        category = "tweet_gif" if media.mime_type == "image/gif" else "tweet_video"
        upload = steps.get("upload") or {}
        if not upload.get("id"):
            init = {"media_type": media.mime_type, "total_bytes": len(data), "media_category": category}
            upload = {
                "id": self.api("POST", "/2/media/upload/initialize", creds, json=init)["data"]["id"],
                "next": 0,
            }
            steps["upload"] = upload
            save_step(steps)
        media_id = upload["id"]
        chunks = range(0, len(data), self.CHUNK_BYTES)
        for index, offset in enumerate(chunks):
            if index < upload["next"]:
                continue  # sent on an earlier attempt
            files = {"media": ("chunk", data[offset : offset + self.CHUNK_BYTES], "application/octet-stream")}
            self.api(
                "POST",
                f"/2/media/upload/{media_id}/append",
                creds,
                files=files,
                data={"segment_index": str(index)},
            )
            upload["next"] = index + 1
            save_step(steps)
        if not upload.get("finalized"):
            info = self.api("POST", f"/2/media/upload/{media_id}/finalize", creds)["data"].get(
                "processing_info"
            )
            upload["finalized"] = True
            save_step(steps)
        else:  # finalized on an earlier attempt: only ask how processing is going
            info = self.api(
                "GET", "/2/media/upload", creds, params={"command": "STATUS", "media_id": media_id}
            )["data"].get("processing_info")
        if not info or info.get("state") == "succeeded":
            return media_id
        if info.get("state") == "failed":
            steps.pop("upload", None)
            save_step(steps)
            error = (info.get("error") or {}).get("message", "processing failed")
            raise InvalidRequest(f"X could not process the media: {error}.", platform=self.platform)
        raise StepPending(
            "X is still processing the video.",
            platform=self.platform,
            retry_at=utcnow() + timedelta(seconds=float(info.get("check_after_secs", 1))),
        )

    def publish(
        self, creds: Credentials, request: PublishRequest, steps: dict[str, Any], save_step: StepSaver
    ) -> PublishResult:
        """Media uploads (each recorded), then POST /2/tweets once through create_once."""
        done = self.finished(steps)
        if done is not None:
            return done
        media_ids: list[str] = list(steps.get("media_ids") or [])
        for media in request.media[len(media_ids) :]:
            media_ids.append(self._upload(creds, media, steps, save_step))
            steps["media_ids"] = list(media_ids)
            steps.pop("upload", None)
            save_step(steps)
        body: dict[str, Any] = {"text": request.caption}
        if media_ids:
            body["media"] = {"media_ids": media_ids}

        def create() -> PublishResult:
            tweet_id = self.api("POST", "/2/tweets", creds, json=body)["data"]["id"]
            return PublishResult(
                status="published",
                post_id=tweet_id,
                url=self.tweet_url(tweet_id, creds.extra.get("username")),
            )

        return self.create_once(steps, save_step, create)

    @staticmethod
    def normalize_caption(text: str) -> str:
        """X rewrites links to t.co and HTML-escapes & < >: compare with links masked."""
        return _normal_text(unicodedata.normalize("NFC", text or ""))

    # --- URLs ----------------------------------------------------------------------------------
    @classmethod
    def parse_post_url(cls, url: str) -> PostRef:
        raw = (url or "").strip()
        parts = urlsplit(raw if "://" in raw else "https://" + raw)
        host = (parts.hostname or "").lower()
        if host not in _WEB_HOSTS:
            raise InvalidPostUrl("That is not an X (Twitter) link.")
        path = parts.path.rstrip("/") or "/"
        if path == "/" and parts.fragment.startswith("!/"):
            path = parts.fragment[1:]  # legacy twitter.com/#!/user/status/id
        match = _WEB_STATUS.match(path)
        if match:
            return PostRef(platform="x", key=match.group(1), key_type="id")
        match = _STATUS.match(path)
        if match:
            return PostRef(platform="x", key=match.group(2), key_type="id", username=match.group(1))
        raise InvalidPostUrl(
            "That X link does not point to a post; use a link like x.com/<user>/status/<number>."
        )

    def resolve_post(self, creds: Credentials, ref: PostRef) -> RemotePost:
        body = self.api(
            "GET", f"/2/tweets/{ref.key}", creds, params={"tweet.fields": "created_at,author_id,attachments"}
        )
        if "data" not in body:
            raise NotFound(
                "That post does not exist on X any more, or it is not visible.",
                platform=self.platform,
                raw=body,
            )
        post = self._remote(body["data"], creds)
        post.account_id = body["data"].get("author_id")
        return post
