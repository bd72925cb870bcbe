"""Facebook Pages through the Graph API.

Connecting gives one connection per Page the person shared; each stores that Page's access
token (obtained with a long-lived user token, so it never expires). The user token itself
is not kept. Scheduling uses Facebook's own scheduled_publish_time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from socialhub.providers.base import (
    AccountInfo,
    ConnectedAccount,
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
    PublishRequest,
    PublishResult,
    RemotePost,
    StepSaver,
    TokenSet,
)
from socialhub.providers.meta_common import GRAPH_VIDEO_HOST, MetaGraphProvider, parse_meta_time

PAGE_FIELDS = "id,name,username,link,picture,followers_count,fan_count"
POST_FIELDS = "id,message,created_time,permalink_url,status_type"
METRIC_FIELDS = (
    "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),"
    "insights.metric(post_media_view,post_total_media_view_unique)"
)
_HOSTS = {
    "facebook.com",
    "www.facebook.com",
    "m.facebook.com",
    "web.facebook.com",
    "mbasic.facebook.com",
    "business.facebook.com",
    "fb.com",
    "www.fb.com",
}


class FacebookProvider(MetaGraphProvider):
    platform = "facebook"
    label = "Facebook"
    SCOPES = (
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "publish_video",
        "read_insights",
        "business_management",
    )
    LIMITS = ContentLimits(
        caption_max=63206,
        max_media=10,
        media_kinds=frozenset({"image", "video"}),
        image_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
        video_types=frozenset({"video/mp4", "video/quicktime"}),
        max_image_bytes=10 * 1024 * 1024,
        max_video_bytes=1024 * 1024 * 1024,
    )
    FIND_MAX_PAGES: ClassVar[int] = 10
    FIND_PAGE_SIZE: ClassVar[int] = 100

    # --- connecting -----------------------------------------------------------------------------
    def connect(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> list[ConnectedAccount]:
        """One connection per shared Page, each with its own never-expiring Page token."""
        user = self.exchange_code(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        scopes = self.granted_scopes(user.access_token)
        pages = self.list_pages(user.access_token, f"{PAGE_FIELDS},access_token,tasks")
        found = [
            ConnectedAccount(
                account=self._account_info(page),
                tokens=TokenSet(access_token=page["access_token"], expires_at=None, scopes=list(scopes)),
            )
            for page in pages
            if page.get("access_token")
        ]
        if not found:
            raise PermissionMissing(
                "No Facebook Page was shared. On the Facebook screen, choose at least one Page "
                "and allow every permission.",
                platform=self.platform,
            )
        return found

    def refresh(self, creds: Credentials) -> TokenSet:
        """Page tokens do not expire: check the token still works and keep it unchanged."""
        self.graph("GET", "/me", creds.access_token, creds=creds, params={"fields": "id"})
        return TokenSet(access_token=creds.access_token, refresh_token=creds.refresh_token, expires_at=None)

    def revoke(self, creds: Credentials) -> bool:
        """DELETE /me/permissions with the Page token. The sandbox accepts a Page token there
        (it deauthorizes the person who granted it); should the real Graph refuse it, we say
        False and the person removes the app in Facebook's settings."""
        try:
            return super().revoke(creds)
        except InvalidRequest:
            return False

    def _account_info(self, page: dict[str, Any]) -> AccountInfo:
        username = page.get("username") or ""
        picture = (page.get("picture") or {}).get("data", {}).get("url")
        return AccountInfo(
            account_id=str(page["id"]),
            username=username or str(page["id"]),
            display_name=page.get("name") or username,
            avatar_url=picture,
            profile_url=page.get("link") or f"https://www.facebook.com/{page['id']}",
            followers=page.get("followers_count"),
            extra={"page_id": str(page["id"]), "graph_version": self.GRAPH_VERSION},
        )

    @staticmethod
    def page_id(creds: Credentials) -> str:
        return str(creds.extra.get("page_id") or creds.account_id)

    # --- reading ------------------------------------------------------------------------------------
    def get_account(self, creds: Credentials) -> AccountInfo:
        body = self.graph(
            "GET", f"/{self.page_id(creds)}", creds.access_token, creds=creds, params={"fields": PAGE_FIELDS}
        )
        return self._account_info(body)

    def list_posts(self, creds: Credentials, *, cursor: str | None = None, limit: int = 25) -> PostPage:
        return self._list(creds, "posts", cursor, limit)

    def _list(self, creds: Credentials, edge: str, cursor: str | None, limit: int) -> PostPage:
        return self.list_edge(
            creds, f"/{self.page_id(creds)}/{edge}", POST_FIELDS, cursor, limit, self._remote
        )

    @staticmethod
    def _remote(post: dict[str, Any]) -> RemotePost:
        return RemotePost(
            post_id=str(post["id"]),
            url=post.get("permalink_url"),
            caption=post.get("message") or "",
            created_at=parse_meta_time(post.get("created_time")),
            media_type=post.get("status_type"),
        )

    def fetch_metrics(self, creds: Credentials, post_ids: list[str]) -> dict[str, PostMetrics]:
        """Reactions, comments, shares and views of up to 50 posts per call."""
        out = {}
        for post_id, obj in self.get_many(creds, post_ids, METRIC_FIELDS).items():
            ins = self.insight_values(obj)
            out[post_id] = PostMetrics(
                post_id=post_id,
                views=ins.get("post_media_view"),
                reach=ins.get("post_total_media_view_unique"),
                likes=(obj.get("reactions") or {}).get("summary", {}).get("total_count"),
                comments=(obj.get("comments") or {}).get("summary", {}).get("total_count"),
                shares=(obj.get("shares") or {}).get("count", 0),
                extra={"insights": ins},  # Meta's metric names (post_media_view, ...)
            )
        return out

    # --- publishing -----------------------------------------------------------------------------------
    def publish(
        self, creds: Credentials, request: PublishRequest, steps: dict[str, Any], save_step: StepSaver
    ) -> PublishResult:
        """Text/link -> /feed, one photo -> /photos, one video -> /videos, several photos ->
        unpublished /photos (recorded one by one) then /feed with attached_media. That last POST
        is the one create call; for a video the upload itself is it, so a retry never uploads
        again. scheduled_for uses Facebook's scheduler."""
        done = self.finished(steps)
        if done is not None:
            return done
        media = request.media
        if any(m.kind != "image" for m in media) and (len(media) != 1 or media[0].kind != "video"):
            raise InvalidRequest(
                "A Facebook post takes one video, or up to 10 photos.", platform=self.platform
            )
        if len(media) > 1:
            self._upload_album_photos(creds, request, steps, save_step)
        created = self.create_once(steps, save_step, lambda: self._create(creds, request, steps))
        post_id = created.post_id
        if steps.get("video_id"):
            post_id = self._video_post_id(creds, str(steps["video_id"]))
        body = self.graph(
            "GET", f"/{post_id}", creds.access_token, creds=creds, params={"fields": "permalink_url"}
        )
        status = "scheduled" if request.scheduled_for is not None else "published"
        return self.finish(
            steps, save_step, PublishResult(status=status, post_id=post_id, url=body.get("permalink_url"))
        )

    def _schedule_params(self, request: PublishRequest) -> dict[str, str]:
        if request.scheduled_for is None:
            return {}
        return {"published": "false", "scheduled_publish_time": str(int(request.scheduled_for.timestamp()))}

    def _upload_album_photos(
        self, creds: Credentials, request: PublishRequest, steps: dict[str, Any], save_step: StepSaver
    ) -> None:
        """Unpublished photos for attached_media: each recorded before the next (no post yet)."""
        photos = list(steps.get("photo_ids") or [])
        for item in request.media[len(photos) :]:
            body = self._upload(creds, f"/{self.page_id(creds)}/photos", item, {"published": "false"}, "url")
            photos.append(str(body["id"]))
            steps["photo_ids"] = photos
            save_step(steps)

    def _create(self, creds: Credentials, request: PublishRequest, steps: dict[str, Any]) -> PublishResult:
        """The one call that makes the post (run by create_once)."""
        page = self.page_id(creds)
        when = self._schedule_params(request)
        media = request.media
        if len(media) == 1 and media[0].kind == "video":
            params = {"description": request.caption, **when}
            if request.title:
                params["title"] = request.title
            body = self._upload(creds, f"/{page}/videos", media[0], params, "file_url", GRAPH_VIDEO_HOST)
            steps["video_id"] = str(body["id"])  # saved with the result: the post id is read next
            return PublishResult(status=self.FOLLOW_UP, post_id=str(body["id"]))
        if len(media) == 1:
            body = self._upload(
                creds, f"/{page}/photos", media[0], {"caption": request.caption, **when}, "url"
            )
            return PublishResult(status=self.FOLLOW_UP, post_id=str(body.get("post_id") or body["id"]))
        data = {"message": request.caption, **when}
        for i, fbid in enumerate(steps.get("photo_ids") or []):
            data[f"attached_media[{i}]"] = json.dumps({"media_fbid": fbid})
        body = self.graph("POST", f"/{page}/feed", creds.access_token, creds=creds, data=data)
        return PublishResult(status=self.FOLLOW_UP, post_id=str(body["id"]))

    def _video_post_id(self, creds: Credentials, video_id: str) -> str:
        video = self.graph(
            "GET", f"/{video_id}", creds.access_token, creds=creds, params={"fields": "post_id"}
        )
        return str(video.get("post_id") or f"{self.page_id(creds)}_{video_id}")

    def _upload(
        self,
        creds: Credentials,
        path: str,
        media: MediaRef,
        params: dict[str, str],
        url_param: str,
        host: str | None = None,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"host": host} if host else {}
        if media.url:
            return self.graph(
                "POST", path, creds.access_token, creds=creds, data={**params, url_param: media.url}, **kwargs
            )
        if media.path:
            with Path(media.path).open("rb") as fh:
                files = {"source": (Path(media.path).name, fh, media.mime_type)}
                return self.graph(
                    "POST", path, creds.access_token, creds=creds, data=params, files=files, **kwargs
                )
        raise InvalidRequest(
            "This media has neither a public URL nor a file to upload.", platform=self.platform
        )

    def find_by_steps(self, creds: Credentials, steps: dict[str, Any]) -> RemotePost | None:
        """After the create call answered: the post behind the saved video or post id."""
        created = steps.get(self.CREATED) or {}
        if steps.get("video_id"):
            post_id = self._video_post_id(creds, str(steps["video_id"]))
        elif created.get("post_id"):
            post_id = str(created["post_id"])
        else:
            return None
        body = self.graph(
            "GET", f"/{post_id}", creds.access_token, creds=creds, params={"fields": POST_FIELDS}
        )
        return self._remote(body)

    def find_listings(
        self, creds: Credentials, request: PublishRequest
    ) -> list[Callable[[str | None, int], PostPage]]:
        """A scheduled post shows under scheduled_posts until its time, then under posts."""
        edges = ["scheduled_posts", "posts"] if request.scheduled_for else ["posts"]
        return [lambda cursor, limit, edge=edge: self._list(creds, edge, cursor, limit) for edge in edges]

    # --- URLs -----------------------------------------------------------------------------------------
    @classmethod
    def parse_post_url(cls, url: str) -> PostRef:
        text = (url or "").strip()
        if not text:
            raise InvalidPostUrl("Paste the link of a Facebook post.")
        parts = urlsplit(text if "://" in text else f"https://{text}")
        host = (parts.hostname or "").lower()
        if host in {"fb.watch", "www.fb.watch"}:
            raise InvalidPostUrl(
                "fb.watch short links cannot be read; open the link and paste the full address."
            )
        if host not in _HOSTS:
            raise InvalidPostUrl("That is not a Facebook link.")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        segs = [s for s in parts.path.split("/") if s]
        ref = _match_post(segs, query)
        if ref is None:
            raise InvalidPostUrl("That Facebook link is not a post, photo, video or reel.")
        return ref

    def resolve_post(self, creds: Credentials, ref: PostRef) -> RemotePost:
        """The Page post a PostRef points at (pfbid links are matched by listing the Page's posts)."""
        page = self.page_id(creds)
        if ref.key_type == "pfbid":
            cursor = None
            for _ in range(self.FIND_MAX_PAGES * 2):
                listing = self._list(creds, "posts", cursor, self.PAGE_SIZE)
                for post in listing.posts:
                    if post.url and ref.key in post.url:
                        return post
                cursor = listing.next_cursor
                if not cursor:
                    break
            raise NotFound("That Facebook post is not on this connected Page.", platform=self.platform)
        if ref.key_type in {"video", "photo"}:
            obj = self.graph(
                "GET",
                f"/{ref.key}",
                creds.access_token,
                creds=creds,
                params={"fields": "post_id" if ref.key_type == "video" else "page_story_id"},
            )
            post_id = obj.get("post_id") or obj.get("page_story_id")
            if not post_id:
                raise NotFound(
                    f"That Facebook {ref.key_type} has no post on this Page.", platform=self.platform
                )
        else:
            post_id = ref.key if "_" in ref.key else f"{page}_{ref.key}"
        body = self.graph(
            "GET", f"/{post_id}", creds.access_token, creds=creds, params={"fields": POST_FIELDS}
        )
        return self._remote(body)


def _match_post(segs: list[str], query: dict[str, str]) -> PostRef | None:
    """The post key in a facebook.com path (see CONTRACTS §2.5)."""

    def ref(key: str, key_type: str, username: str | None = None) -> PostRef:
        if key.startswith("pfbid"):
            key_type = "pfbid"
        return PostRef(platform="facebook", key=key, key_type=key_type, username=username)

    if not segs:
        return None
    head = segs[0].lower()
    if head in {"permalink.php", "story.php"} and query.get("story_fbid"):
        return ref(query["story_fbid"], "id", query.get("id"))
    if head in {"photo", "photo.php"} and query.get("fbid", "").isdigit():
        return ref(query["fbid"], "photo")
    if head == "watch" and query.get("v", "").isdigit():
        return ref(query["v"], "video")
    if head in {"reel", "reels"} and len(segs) >= 2 and segs[1].isdigit():
        return ref(segs[1], "video")
    if len(segs) >= 3 and segs[1] == "posts" and (segs[2].isdigit() or segs[2].startswith("pfbid")):
        return ref(segs[2], "id", segs[0])
    if len(segs) >= 3 and segs[1] == "videos" and segs[-1].isdigit():
        return ref(segs[-1], "video", segs[0])
    if len(segs) >= 3 and segs[1] == "photos" and segs[-1].isdigit():
        return ref(segs[-1], "photo", segs[0])
    return None


__all__ = ["FacebookProvider"]
