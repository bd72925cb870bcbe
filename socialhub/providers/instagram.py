"""Instagram (professional accounts) through the Instagram Graph API with Facebook Login.

Connecting: Facebook Login -> long-lived user token -> the Pages the person shared ->
each Page's linked Instagram business account. One connection per IG account, all holding
the same long-lived USER token (Meta has no refresh token: `refresh` re-exchanges the
still-valid token with fb_exchange_token for another ~60 days).

Publishing: create a container (Meta fetches the media from its public URL), wait until it
is FINISHED (StepPending meanwhile), then media_publish through create_once (the one call that
makes the post), then read the permalink. Each step is recorded before the next.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from socialhub.providers.base import (
    AccountInfo,
    ConnectedAccount,
    ContentLimits,
    Credentials,
    InvalidPostUrl,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    PermissionMissing,
    PostMetrics,
    PostPage,
    PostRef,
    PublishRequest,
    PublishResult,
    QuotaReading,
    RateLimited,
    RemotePost,
    StepPending,
    StepSaver,
    TokenSet,
    TransientError,
    utcnow,
)
from socialhub.providers.meta_common import GRAPH_VERSION, MetaGraphProvider, parse_meta_time

IG_USER_FIELDS = "id,username,name,profile_picture_url,followers_count,follows_count,media_count,biography"
MEDIA_FIELDS = "id,caption,media_type,media_product_type,permalink,shortcode,timestamp"
METRIC_FIELDS = "like_count,comments_count,insights.metric(views,reach,saved,shares)"
_POST_URL = re.compile(
    r"^/(?:(?P<user>[A-Za-z0-9._]{1,30})/)?(?P<kind>p|reel|reels|tv)/(?P<code>[A-Za-z0-9_-]{5,64})/?$"
)
_HOSTS = {"instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am", "www.instagr.am"}


class InstagramProvider(MetaGraphProvider):
    platform = "instagram"
    label = "Instagram"
    SCOPES = (
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_insights",
        "pages_show_list",
        "pages_read_engagement",
        "business_management",
    )
    LIMITS = ContentLimits(
        caption_max=2200,
        requires_media=True,
        max_media=10,
        media_kinds=frozenset({"image", "video"}),
        image_types=frozenset({"image/jpeg"}),
        video_types=frozenset({"video/mp4", "video/quicktime"}),
        max_image_bytes=8 * 1024 * 1024,
        max_video_bytes=300 * 1024 * 1024,
        min_video_seconds=3,
        max_video_seconds=15 * 60,
    )
    # Meta suggests checking a container about once a minute; Reels usually finish sooner.
    # A container still IN_PROGRESS raises StepPending to be checked again after this long.
    POLL_INTERVAL_SECONDS: ClassVar[float] = 5.0
    RESOLVE_MAX_PAGES: ClassVar[int] = 20
    # find_published: the Graph does not say which media a container became, so after a lost
    # media_publish answer the post is found by caption (IG keeps captions verbatim).
    FIND_PAGE_SIZE: ClassVar[int] = 100

    def __init__(self, *, poll_interval: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.poll_interval = self.POLL_INTERVAL_SECONDS if poll_interval is None else poll_interval

    # --- connecting -----------------------------------------------------------------------------
    def connect(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> list[ConnectedAccount]:
        """One connection per Instagram professional account linked to a shared Page."""
        tokens = self.exchange_code(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        tokens.scopes = self.granted_scopes(tokens.access_token)
        pages = self.list_pages(
            tokens.access_token, f"id,name,instagram_business_account{{{IG_USER_FIELDS}}}"
        )
        found = []
        for page in pages:
            ig = page.get("instagram_business_account")
            if ig and ig.get("id"):
                info = self._account_info(ig, page_id=str(page["id"]))
                found.append(
                    ConnectedAccount(
                        account=info,
                        tokens=TokenSet(
                            access_token=tokens.access_token,
                            expires_at=tokens.expires_at,
                            scopes=list(tokens.scopes),
                        ),
                    )
                )
        if not found:
            raise PermissionMissing(
                "No Instagram professional account was shared. On the Facebook screen, choose the Page linked to "
                "your Instagram business or creator account and allow every permission.",
                platform=self.platform,
            )
        return found

    def refresh(self, creds: Credentials) -> TokenSet:
        """Meta has no refresh token: swap the still-valid long-lived token for a new one."""
        tokens = self.long_lived(creds.access_token)
        tokens.scopes = self.granted_scopes(tokens.access_token)
        return tokens

    def _account_info(self, ig: dict[str, Any], *, page_id: str | None) -> AccountInfo:
        username = ig.get("username") or ""
        return AccountInfo(
            account_id=str(ig["id"]),
            username=username,
            display_name=ig.get("name") or username,
            avatar_url=ig.get("profile_picture_url"),
            profile_url=f"https://www.instagram.com/{username}/" if username else None,
            followers=ig.get("followers_count"),
            following=ig.get("follows_count"),
            posts_count=ig.get("media_count"),
            extra={"ig_user_id": str(ig["id"]), "page_id": page_id, "graph_version": self.GRAPH_VERSION},
        )

    @staticmethod
    def ig_id(creds: Credentials) -> str:
        return str(creds.extra.get("ig_user_id") or creds.account_id)

    # --- reading ------------------------------------------------------------------------------------
    def get_account(self, creds: Credentials) -> AccountInfo:
        body = self.graph(
            "GET", f"/{self.ig_id(creds)}", creds.access_token, creds=creds, params={"fields": IG_USER_FIELDS}
        )
        return self._account_info(body, page_id=creds.extra.get("page_id"))

    def list_posts(self, creds: Credentials, *, cursor: str | None = None, limit: int = 25) -> PostPage:
        return self.list_edge(creds, f"/{self.ig_id(creds)}/media", MEDIA_FIELDS, cursor, limit, self._remote)

    @staticmethod
    def _remote(media: dict[str, Any]) -> RemotePost:
        return RemotePost(
            post_id=str(media["id"]),
            url=media.get("permalink"),
            caption=media.get("caption") or "",
            created_at=parse_meta_time(media.get("timestamp")),
            media_type=media.get("media_type"),
        )

    def fetch_metrics(self, creds: Credentials, post_ids: list[str]) -> dict[str, PostMetrics]:
        """Counts and insights of up to 50 media per call (multi-id read with field expansion)."""
        out = {}
        for media_id, obj in self.get_many(creds, post_ids, METRIC_FIELDS).items():
            ins = self.insight_values(obj)
            out[media_id] = PostMetrics(
                post_id=media_id,
                views=ins.get("views"),
                likes=obj.get("like_count"),
                comments=obj.get("comments_count"),
                shares=ins.get("shares"),
                saves=ins.get("saved"),
                reach=ins.get("reach"),
                extra={
                    "like_count": obj.get("like_count"),
                    "comments_count": obj.get("comments_count"),
                    "insights": ins,
                },
            )
        return out

    # --- publishing -----------------------------------------------------------------------------------
    def publish(
        self, creds: Credentials, request: PublishRequest, steps: dict[str, Any], save_step: StepSaver
    ) -> PublishResult:
        """Container -> FINISHED -> media_publish (the one create call) -> permalink, resuming
        from the recorded steps."""
        done = self.finished(steps)
        if done is not None:
            return done
        ig = self.ig_id(creds)
        if not steps.get(self.CREATED) and not steps.get(self.CREATE_MARKER):
            if not steps.get("container_id"):
                if not steps.get("children"):
                    self._check_publish_quota(creds, ig)
                steps["container_id"] = self._create_container(creds, ig, request, steps, save_step)
                save_step(steps)
            self._wait_until_ready(creds, str(steps["container_id"]), steps, save_step)
        created = self.create_once(steps, save_step, lambda: self._media_publish(creds, ig, steps))
        body = self.graph(
            "GET", f"/{created.post_id}", creds.access_token, creds=creds, params={"fields": "id,permalink"}
        )
        return self.finish(
            steps,
            save_step,
            PublishResult(status="published", post_id=created.post_id, url=body.get("permalink")),
        )

    def _check_publish_quota(self, creds: Credentials, ig: str) -> None:
        """Ask how many API posts the account has left in Instagram's moving 24-hour window
        before uploading anything (C§1.2 step 5: the total is read at run time, 50 or 100).
        Spent: wait an hour without making a container, which counts against its own cap."""
        body = self.graph(
            "GET",
            f"/{ig}/content_publishing_limit",
            creds.access_token,
            creds=creds,
            params={"fields": "quota_usage,config"},
        )
        item = (body.get("data") or [{}])[0]
        used = item.get("quota_usage")
        total = (item.get("config") or {}).get("quota_total")
        if not isinstance(used, int) or not isinstance(total, int) or total < 0:
            return  # an answer we cannot read: the create call's own refusal still guards
        if self.quota_sink is not None:
            self.quota_sink(
                self.platform,
                QuotaReading(
                    bucket="content_publishing",
                    account_key=ig,
                    used=used,
                    limit=total,
                    percent=round(100.0 * used / total, 1) if total else 100.0,
                    raw=item,
                ),
            )
        if used >= total:
            raise RateLimited(
                f"Instagram allows {total} posts through its API per 24 hours and this account has "
                "used them all; SocialHub will try again in an hour.",
                platform=self.platform,
                retry_at=utcnow() + timedelta(hours=1),
                closes_gate=False,
            )

    def _media_publish(self, creds: Credentials, ig: str, steps: dict[str, Any]) -> PublishResult:
        body = self.graph(
            "POST",
            f"/{ig}/media_publish",
            creds.access_token,
            creds=creds,
            data={"creation_id": str(steps["container_id"])},
        )
        return PublishResult(status=self.FOLLOW_UP, post_id=str(body["id"]))

    def _create_container(
        self,
        creds: Credentials,
        ig: str,
        request: PublishRequest,
        steps: dict[str, Any],
        save_step: StepSaver,
    ) -> str:
        if not request.media:
            raise InvalidRequest("Instagram posts need a photo or video.", platform=self.platform)
        if any(not m.url for m in request.media):
            raise InvalidRequest(
                "Instagram fetches media from a public URL; this media has none.", platform=self.platform
            )
        if len(request.media) == 1:
            media = request.media[0]
            params = {"caption": request.caption}
            if media.kind == "video":
                params.update(media_type="REELS", video_url=media.url or "")
            else:
                params["image_url"] = media.url or ""
            return self._post_container(creds, ig, params)
        children = list(steps.get("children") or [])
        for media in request.media[len(children) :]:
            params = {"is_carousel_item": "true"}
            if media.kind == "video":
                params.update(media_type="VIDEO", video_url=media.url or "")
            else:
                params["image_url"] = media.url or ""
            children.append(self._post_container(creds, ig, params))
            steps["children"] = children
            save_step(steps)
        for child in children:
            self._wait_until_ready(creds, child, steps, save_step)
        return self._post_container(
            creds, ig, {"media_type": "CAROUSEL", "children": ",".join(children), "caption": request.caption}
        )

    def _post_container(self, creds: Credentials, ig: str, params: dict[str, str]) -> str:
        return str(self.graph("POST", f"/{ig}/media", creds.access_token, creds=creds, data=params)["id"])

    def _wait_until_ready(
        self, creds: Credentials, container_id: str, steps: dict[str, Any], save_step: StepSaver
    ) -> str:
        """One look at the container: ready, failed, expired, or StepPending (check again later)."""
        body = self.graph(
            "GET",
            f"/{container_id}",
            creds.access_token,
            creds=creds,
            params={"fields": "status_code,status"},
        )
        status = body.get("status_code")
        if status == "FINISHED":
            return status
        if status == "PUBLISHED":  # only an attempt whose steps were lost can get here
            raise OutcomeUnknown(
                "This Instagram upload was already published by an earlier attempt.", platform=self.platform
            )
        if status == "ERROR":
            raise InvalidRequest(
                f"Instagram could not process the media: {body.get('status') or 'unknown error'}",
                platform=self.platform,
                raw=body,
            )
        if status == "EXPIRED":
            # Safe to start over: an expired container can never be published.
            for key in ("container_id", "children"):
                steps.pop(key, None)
            save_step(steps)
            raise TransientError(
                "The Instagram upload expired before publishing; it will be made again.",
                platform=self.platform,
            )
        raise StepPending(
            "Instagram is still processing the media.",
            platform=self.platform,
            retry_at=utcnow() + timedelta(seconds=self.poll_interval),
        )

    # --- URLs -----------------------------------------------------------------------------------------
    @classmethod
    def parse_post_url(cls, url: str) -> PostRef:
        text = (url or "").strip()
        if not text:
            raise InvalidPostUrl("Paste the link of an Instagram post.")
        parts = urlsplit(text if "://" in text else f"https://{text}")
        if (parts.hostname or "").lower() not in _HOSTS:
            raise InvalidPostUrl("That is not an Instagram link.")
        match = _POST_URL.match(parts.path)
        if not match:
            if parts.path.startswith("/stories/"):
                raise InvalidPostUrl("Instagram stories disappear after 24 hours and cannot be tracked.")
            raise InvalidPostUrl(
                "That Instagram link is not a post, reel or video (expected /p/, /reel/ or /tv/)."
            )
        return PostRef(
            platform="instagram", key=match.group("code"), key_type="shortcode", username=match.group("user")
        )

    def resolve_post(self, creds: Credentials, ref: PostRef) -> RemotePost:
        """Find a media id by shortcode (listing the account's media: a shortcode is not an id)."""
        if ref.key_type == "id":
            body = self.graph(
                "GET", f"/{ref.key}", creds.access_token, creds=creds, params={"fields": MEDIA_FIELDS}
            )
            return self._remote(body)
        cursor = None
        for _ in range(self.RESOLVE_MAX_PAGES):
            params: dict[str, Any] = {"fields": MEDIA_FIELDS, "limit": self.PAGE_SIZE}
            if cursor:
                params["after"] = cursor
            body = self.graph(
                "GET", f"/{self.ig_id(creds)}/media", creds.access_token, creds=creds, params=params
            )
            for media in body.get("data", []):
                if media.get("shortcode") == ref.key:
                    return self._remote(media)
            paging = body.get("paging", {})
            cursor = paging.get("cursors", {}).get("after") if paging.get("next") else None
            if not cursor:
                break
        raise NotFound(
            "That Instagram post is not on this connected account (only your own posts can be tracked).",
            platform=self.platform,
        )


__all__ = ["GRAPH_VERSION", "InstagramProvider"]
