"""LinkedIn provider: Sign In with LinkedIn (OpenID) + the versioned Posts API.

Every /rest call carries `LinkedIn-Version: API_VERSION` and `X-Restli-Protocol-Version: 2.0.0`.
Metrics: GET /rest/socialActions?ids=List(...) (20 URNs per call: likes, comments) plus
memberCreatorPostAnalytics per post (IMPRESSION -> views, MEMBERS_REACHED -> reach,
RESHARE -> shares) when the token has r_member_postAnalytics.
LinkedIn gives no refresh token to self-serve apps: the 60-day token is flagged 7 days
ahead (REFRESH_MARGIN) and the member reconnects.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlsplit

import httpx

from socialhub.config import DEFAULT_LINKEDIN_VERSION, get_settings
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
    OutcomeUnknown,
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
    RefreshUnavailable,
    RemotePost,
    StepSaver,
    TransientError,
)
from socialhub.providers.errors import StepPending
from socialhub.providers.types import utcnow

API = "api.linkedin.com"
WWW = "www.linkedin.com"
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
_UNESCAPE = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")
_FEED_URL = re.compile(r"/feed/update/urn:li:(activity|share|ugcPost):(\d{6,20})(?:/|$)")
_POSTS_URL = re.compile(r"/posts/[^/]*?-(activity|share|ugcPost)-(\d{6,20})(?:-[A-Za-z0-9_-]{1,12})?/?$")


def escape_commentary(text: str) -> str:
    """LinkedIn 'little text': reserved characters must be backslash-escaped or the post is cut."""
    return _RESERVED.sub(r"\\\1", text)


def unescape_commentary(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text or "")


def next_utc_midnight() -> datetime:
    now = datetime.now(UTC)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class LinkedInProvider(Provider):
    platform = "linkedin"
    label = "LinkedIn"

    AUTHORIZE_HOST = WWW
    AUTHORIZE_PATH = "/oauth/v2/authorization"
    TOKEN_HOST = WWW
    TOKEN_PATH = "/oauth/v2/accessToken"
    REVOKE_HOST = WWW
    REVOKE_PATH = "/oauth/v2/revoke"
    HAS_HANDLES = False
    ANALYTICS_SCOPE: ClassVar[str] = "r_member_postAnalytics"
    SCOPES = ("openid", "profile", "email", "w_member_social", ANALYTICS_SCOPE)
    NO_ANALYTICS = (
        "LinkedIn gives views, reach and reshares only to apps with the r_member_postAnalytics "
        "permission (Community Management API); this SocialHub has it turned off or not granted."
    )
    TOKEN_AUTH_METHOD = "client_secret_post"
    MAX_IDS_PER_CALL = 20
    ACCOUNT_CALLS = 2  # userinfo, then networkSizes for the follower count
    REFRESH_MARGIN = timedelta(days=7)
    # The default; each provider takes its version from settings (SOCIALHUB_LINKEDIN_VERSION).
    # LinkedIn sunsets a version about a year after release.
    API_VERSION: ClassVar[str] = DEFAULT_LINKEDIN_VERSION
    VIDEO_POLL_SECONDS: ClassVar[float] = 1.0
    LIMITS = ContentLimits(
        caption_max=3000,
        media_kinds=frozenset({"image", "video"}),
        max_media=1,
        image_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
        video_types=frozenset({"video/mp4"}),
        max_video_bytes=500 * 1024 * 1024,
        min_video_seconds=3,
        max_video_seconds=30 * 60,
    )
    # The author finder sorts by last change, not creation: an older post does not end the scan.
    FIND_NEWEST_FIRST: ClassVar[bool] = False

    def __init__(self, *, api_version: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.API_VERSION = api_version or get_settings().linkedin_version  # type: ignore[misc]

    @classmethod
    def options(cls, settings: Any) -> dict[str, Any]:
        options: dict[str, Any] = {"api_version": settings.linkedin_version}
        if not settings.linkedin_post_analytics:
            options["scopes"] = tuple(s for s in cls.SCOPES if s != cls.ANALYTICS_SCOPE)
        return options

    # --- transport ------------------------------------------------------------------------
    def headers(self, creds: Credentials, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {creds.access_token}",
            "LinkedIn-Version": self.API_VERSION,
            "X-Restli-Protocol-Version": "2.0.0",
            **extra,
        }

    def rest(self, method: str, path: str, creds: Credentials, **kwargs: Any) -> httpx.Response:
        headers = self.headers(creds, **kwargs.pop("headers", {}))
        return self.request(method, self.url(API, "/rest" + path), creds=creds, headers=headers, **kwargs)

    @staticmethod
    def person_urn(creds: Credentials) -> str:
        return creds.extra.get("person_urn") or f"urn:li:person:{creds.account_id}"

    @staticmethod
    def post_url(urn: str) -> str:
        return f"https://www.linkedin.com/feed/update/{urn}/"

    # --- OAuth ----------------------------------------------------------------------------
    def refresh(self, creds: Credentials):
        if not creds.refresh_token:
            raise RefreshUnavailable(
                "LinkedIn access lasts 60 days and LinkedIn does not let SocialHub renew it; "
                "reconnect your LinkedIn account to keep publishing.",
                platform=self.platform,
            )
        return super().refresh(creds)

    def classify_oauth_error(self, error: str, description: str) -> ProviderError:
        text = description.lower()
        if error == "invalid_request" and "refresh token" in text:
            return AuthRevoked(
                f"LinkedIn no longer accepts the saved login ({description}). Please reconnect LinkedIn.",
                platform=self.platform,
                code=error,
            )
        return super().classify_oauth_error(error, description)

    # --- errors and quota -----------------------------------------------------------------
    def classify_error(self, resp: httpx.Response) -> ProviderError:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        code, message, status = body.get("code"), body.get("message") or "", resp.status_code
        kw: dict[str, Any] = {"platform": self.platform, "status": status, "code": code, "raw": body}
        said = f" LinkedIn said: {message}" if message else ""
        if status == 401:
            if code == "REVOKED_ACCESS_TOKEN":
                return AuthRevoked(
                    "Access to LinkedIn was revoked. Please reconnect the account." + said, **kw
                )
            return AuthExpired("LinkedIn login has expired. Please reconnect the account." + said, **kw)
        if status == 403:
            return PermissionMissing(
                "LinkedIn did not allow this action for the connected account." + said, **kw
            )
        if status == 404:
            return NotFound("LinkedIn could not find that item." + said, **kw)
        if status == 426:
            return InvalidRequest(
                f"LinkedIn no longer accepts API version {self.API_VERSION}; SocialHub needs an "
                "update." + said,
                **kw,
            )
        if status == 429:
            return RateLimited(
                "LinkedIn's daily limit for this account is used up; it resets at midnight UTC." + said,
                retry_at=next_utc_midnight(),
                **kw,
            )
        if status >= 500:
            return TransientError(f"LinkedIn had a server problem ({status}); we will retry." + said, **kw)
        return InvalidRequest("LinkedIn rejected the request." + said, **kw)

    def quota_readings(self, resp: httpx.Response, creds: Credentials | None):
        # LinkedIn sends no rate-limit headers; a 429 means the daily allowance is gone until 00:00 UTC.
        if resp.status_code == 429:
            yield QuotaReading(
                bucket="daily",
                account_key=creds.account_id if creds else "",
                percent=100.0,
                blocked_until=next_utc_midnight(),
                resets_at=next_utc_midnight(),
            )

    # --- account --------------------------------------------------------------------------
    def get_account(self, creds: Credentials) -> AccountInfo:
        info = self.get_json("GET", self.url(API, "/v2/userinfo"), creds=creds, headers=self.headers(creds))
        sub = str(info["sub"])
        person = f"urn:li:person:{sub}"
        followers = None
        try:
            size = self.rest(
                "GET",
                f"/networkSizes/{quote(person, safe='')}?edgeType=MEMBER_FOLLOWED_BY_MEMBER",
                Credentials(access_token=creds.access_token, account_id=sub),
            ).json()
            followers = int(size.get("firstDegreeSize", 0))
        except (PermissionMissing, NotFound, InvalidRequest):
            followers = None  # follower count is optional; the connection still works
        name = (
            info.get("name")
            or " ".join(filter(None, [info.get("given_name"), info.get("family_name")]))
            or sub
        )
        return AccountInfo(
            account_id=sub,
            username=name,
            display_name=name,
            avatar_url=info.get("picture"),
            followers=followers,
            extra={"person_urn": person},
        )

    # --- posts ----------------------------------------------------------------------------
    def _remote(self, element: dict[str, Any]) -> RemotePost:
        urn = element["id"]
        media_id = ((element.get("content") or {}).get("media") or {}).get("id", "")
        kind = "image" if ":image:" in media_id else "video" if ":video:" in media_id else None
        ts = element.get("publishedAt") or element.get("createdAt")
        author = str(element.get("author") or "")
        return RemotePost(
            account_id=author.rsplit(":", 1)[-1] if author.startswith("urn:li:person:") else None,
            post_id=urn,
            url=self.post_url(urn),
            caption=unescape_commentary(element.get("commentary", "")),
            created_at=datetime.fromtimestamp(ts / 1000, UTC) if ts else None,
            media_type=kind,
        )

    def _finder(self, creds: Credentials, start: int, count: int) -> dict[str, Any]:
        author = quote(self.person_urn(creds), safe="")
        path = f"/posts?q=author&author={author}&count={count}&start={start}&sortBy=LAST_MODIFIED"
        return self.rest("GET", path, creds, headers={"X-RestLi-Method": "FINDER"}).json()

    def list_posts(self, creds: Credentials, *, cursor: str | None = None, limit: int = 25) -> PostPage:
        start = int(cursor or 0)
        body = self._finder(creds, start, max(1, min(limit, 100)))
        elements = body.get("elements", [])
        paging = body.get("paging", {})
        total = paging.get("total")
        more = (start + len(elements) < total) if total is not None else len(elements) == limit
        return PostPage(
            posts=[self._remote(e) for e in elements],
            next_cursor=str(start + len(elements)) if more and elements else None,
        )

    @staticmethod
    def _as_urn(post_id: str) -> str:
        return post_id if post_id.startswith("urn:li:") else f"urn:li:share:{post_id}"

    def fetch_metrics(self, creds: Credentials, post_ids: list[str]) -> dict[str, PostMetrics]:
        out: dict[str, PostMetrics] = {}
        for i in range(0, len(post_ids), self.MAX_IDS_PER_CALL):
            batch = post_ids[i : i + self.MAX_IDS_PER_CALL]
            ids = ",".join(quote(self._as_urn(p), safe="") for p in batch)
            body = self.rest("GET", f"/socialActions?ids=List({ids})", creds).json()
            results = body.get("results", {})
            for post_id in batch:
                social = results.get(self._as_urn(post_id))
                if social is None:
                    continue  # deleted or not visible: LinkedIn reports it under errors
                out[post_id] = PostMetrics(
                    post_id=post_id,
                    likes=social.get("likesSummary", {}).get("totalLikes"),
                    comments=social.get("commentsSummary", {}).get("aggregatedTotalComments"),
                    extra={k: v for k, v in social.items() if k != "target"},  # LinkedIn's names
                )
        analytics = self.ANALYTICS_SCOPE in self.scopes
        for post_id, metrics in out.items():
            if not analytics:
                metrics.extra["unavailable"] = self.NO_ANALYTICS
                continue
            for query_type, attr in (
                ("IMPRESSION", "views"),
                ("MEMBERS_REACHED", "reach"),
                ("RESHARE", "shares"),
            ):
                try:
                    setattr(metrics, attr, self._analytics(creds, self._as_urn(post_id), query_type))
                except PermissionMissing:
                    analytics = False  # not granted: likes and comments only
                    metrics.extra["unavailable"] = self.NO_ANALYTICS
                    break
        return out

    ANALYTICS_QUERIES: ClassVar[int] = 3  # IMPRESSION, MEMBERS_REACHED, RESHARE

    def metric_calls(self, n_posts: int) -> int:
        """socialActions batch-gets 20 posts a call; member post analytics has no batch form in
        the contract (one finder call per post and query type)."""
        analytics = self.ANALYTICS_QUERIES * n_posts if self.ANALYTICS_SCOPE in self.scopes else 0
        return super().metric_calls(n_posts) + analytics

    def _analytics(self, creds: Credentials, urn: str, query_type: str) -> int | None:
        kind = urn.split(":")[2]
        entity = f"({kind}:{quote(urn, safe='')})"
        path = (
            f"/memberCreatorPostAnalytics?q=entity&entity={entity}&queryType={query_type}&aggregation=TOTAL"
        )
        elements = self.rest("GET", path, creds).json().get("elements", [])
        return int(elements[0]["count"]) if elements else None

    # --- publishing -------------------------------------------------------------------------
    def _media_bytes(self, media: MediaRef) -> bytes:
        if media.path:
            with open(media.path, "rb") as fh:
                return fh.read()
        if media.url:
            resp = self.request("GET", media.url, expect_json=False)
            return resp.content
        raise InvalidRequest("The media file is missing.", platform=self.platform)

    def _upload_image(
        self, creds: Credentials, data: bytes, steps: dict[str, Any], save_step: StepSaver
    ) -> str:
        if not steps.get("media_urn"):
            body = {"initializeUploadRequest": {"owner": self.person_urn(creds)}}
            value = self.rest("POST", "/images?action=initializeUpload", creds, json=body).json()["value"]
            steps.update(media_urn=value["image"], upload_url=value["uploadUrl"])
            save_step(steps)
        try:
            self.request(
                "PUT",
                steps["upload_url"],
                creds=creds,
                expect_json=False,
                content=data,
                headers={"Authorization": f"Bearer {creds.access_token}"},
            )
        except NotFound:
            # The upload URL expired since the step was saved: start this image again.
            steps.pop("media_urn", None)
            steps.pop("upload_url", None)
            return self._upload_image(creds, data, steps, save_step)
        return steps["media_urn"]

    def _upload_video(
        self, creds: Credentials, data: bytes, steps: dict[str, Any], save_step: StepSaver
    ) -> str:
        if not steps.get("media_urn"):
            req = {
                "owner": self.person_urn(creds),
                "fileSizeBytes": len(data),
                "uploadCaptions": False,
                "uploadThumbnail": False,
            }
            value = self.rest(
                "POST", "/videos?action=initializeUpload", creds, json={"initializeUploadRequest": req}
            ).json()["value"]
            steps.update(
                media_urn=value["video"],
                upload_token=value.get("uploadToken", ""),
                instructions=value["uploadInstructions"],
            )
            save_step(steps)
        if not steps.get("media_finalized"):
            etags = []
            for part in steps["instructions"]:
                resp = self.request(
                    "PUT",
                    part["uploadUrl"],
                    creds=creds,
                    expect_json=False,
                    content=data[part["firstByte"] : part["lastByte"] + 1],
                    headers={"Authorization": f"Bearer {creds.access_token}"},
                )
                etags.append(resp.headers.get("etag", ""))
            finalize = {
                "video": steps["media_urn"],
                "uploadToken": steps.get("upload_token", ""),
                "uploadedPartIds": etags,
            }
            self.rest(
                "POST", "/videos?action=finalizeUpload", creds, json={"finalizeUploadRequest": finalize}
            )
            steps["media_finalized"] = True
            save_step(steps)
        path = f"/videos/{quote(steps['media_urn'], safe='')}"
        status = self.rest("GET", path, creds).json().get("status")
        if status == "AVAILABLE":
            return steps["media_urn"]
        if status in {"PROCESSING_FAILED", "WAITING_UPLOAD"}:
            steps.pop("media_urn", None)
            steps.pop("media_finalized", None)
            save_step(steps)
            raise InvalidRequest(
                f"LinkedIn could not process the video (status {status}).", platform=self.platform
            )
        raise StepPending(
            "LinkedIn is still processing the video.",
            platform=self.platform,
            retry_at=utcnow() + timedelta(seconds=self.VIDEO_POLL_SECONDS),
        )

    def publish(
        self, creds: Credentials, request: PublishRequest, steps: dict[str, Any], save_step: StepSaver
    ) -> PublishResult:
        """Media upload (recorded step by step), then POST /rest/posts once through create_once."""
        done = self.finished(steps)
        if done is not None:
            return done
        body: dict[str, Any] = {
            "author": self.person_urn(creds),
            "commentary": escape_commentary(request.caption),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if request.media:
            media = request.media[0]
            if not steps.get("media_ready"):
                data = self._media_bytes(media)
                upload = self._upload_image if media.kind == "image" else self._upload_video
                upload(creds, data, steps, save_step)
                steps["media_ready"] = True
                save_step(steps)
            body["content"] = {"media": {"id": steps["media_urn"], "title": request.title or ""}}

        def create() -> PublishResult:
            urn = self.rest("POST", "/posts", creds, json=body).headers.get("x-restli-id")
            if not urn:  # created, but LinkedIn did not say which post: find it by caption
                raise OutcomeUnknown("LinkedIn did not say which post it created.", platform=self.platform)
            return PublishResult(status="published", post_id=urn, url=self.post_url(urn))

        return self.create_once(steps, save_step, create)

    # --- URLs ------------------------------------------------------------------------------
    @classmethod
    def parse_post_url(cls, url: str) -> PostRef:
        raw = (url or "").strip()
        parts = urlsplit(raw if "://" in raw else "https://" + raw)
        host = (parts.hostname or "").lower()
        if host == "lnkd.in":
            raise InvalidPostUrl(
                "LinkedIn short links (lnkd.in) hide the post; open it and paste the full link."
            )
        if host != "linkedin.com" and not host.endswith(".linkedin.com"):
            raise InvalidPostUrl("That is not a LinkedIn link.")
        path = unquote(parts.path)
        match = _FEED_URL.search(path) or _POSTS_URL.search(path)
        if not match:
            raise InvalidPostUrl(
                "That LinkedIn link does not point to a post. Use the post's 'Copy link to post' link "
                "(linkedin.com/feed/update/urn:li:activity:... or linkedin.com/posts/...)."
            )
        kind, ident = match.group(1), match.group(2)
        return PostRef(
            platform="linkedin",
            key=f"urn:li:{kind}:{ident}",
            key_type="activity" if kind == "activity" else "urn",
        )

    def resolve_post(self, creds: Credentials, ref: PostRef) -> RemotePost:
        candidates = [ref.key]
        if ref.key_type == "activity":
            ident = ref.key.rsplit(":", 1)[-1]
            try:
                found = self.get_json(
                    "GET",
                    self.url(API, f"/v2/activities?ids=List({quote(ref.key, safe='')})"),
                    creds=creds,
                    headers=self.headers(creds),
                )
                entity = (found.get("results", {}).get(ref.key) or {}).get("domainEntity")
            except (NotFound, InvalidRequest, PermissionMissing):
                entity = None
            # Older posts share one id between activity and share/ugcPost.
            candidates = ([entity] if entity else []) + [f"urn:li:share:{ident}", f"urn:li:ugcPost:{ident}"]
        for urn in candidates:
            try:
                return self._remote(self.rest("GET", f"/posts/{quote(urn, safe='')}", creds).json())
            except (NotFound, InvalidRequest):
                continue
        raise NotFound(
            "LinkedIn could not find that post, or it is not visible to the connected account.",
            platform=self.platform,
        )
