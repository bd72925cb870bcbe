"""Instagram content publishing: containers (fetched media, processing over sandbox time),
media_publish and the content publishing limit."""

from __future__ import annotations

from typing import Any

from socialhub.sandbox.core import parse_iso
from socialhub.sandbox.platforms.meta import media as fetcher
from socialhub.sandbox.platforms.meta.common import IG_PUBLISH, GraphError, bad_param, split_list
from socialhub.sandbox.platforms.meta.graph import Call, GraphBase, Node
from socialhub.sandbox.platforms.meta.instagram import make_shortcode
from socialhub.sandbox.store import Doc

CONTAINER_LIFETIME = 86400
PRODUCT = {"IMAGE": "FEED", "CAROUSEL": "FEED", "REELS": "REELS", "VIDEO": "REELS", "STORIES": "STORY"}
STATUS_TEXT = {
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "PUBLISHED": "Published: Media has been published.",
    "EXPIRED": "Expired: The container was not published within 24 hours.",
}


def _true(value: Any) -> bool:
    return str(value).lower() in {"true", "1", "yes"}


class InstagramPublishMixin(GraphBase):
    def container_status(self, doc: Doc) -> str:
        now = self.sb.now_ts()
        if doc.get("media_id"):
            return "PUBLISHED"
        if now - doc["created_ts"] > CONTAINER_LIFETIME:
            return "EXPIRED"
        if now < doc["ready_ts"]:
            return "IN_PROGRESS"
        if doc.get("error"):
            return "ERROR"
        for child_id in doc.get("children", []):
            child = self.container(child_id) or {}
            state = self.container_status(child) if child else "ERROR"
            if state in {"ERROR", "EXPIRED"}:
                return "ERROR"
            if state == "IN_PROGRESS":
                return "IN_PROGRESS"
        return "FINISHED"

    def container_status_text(self, doc: Doc, status: str) -> str:
        if status != "ERROR":
            return STATUS_TEXT[status]
        err = doc.get("error") or {"subcode": 2207032, "message": "A carousel item could not be processed."}
        return f"Error: {err['message']} ({err['subcode']})"

    # --- POST /<ig-user-id>/media ---------------------------------------------------------------
    async def ig_user__media__post(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, IG_PUBLISH, code=10)
        p = call.params
        media_type = str(p.get("media_type") or "IMAGE").upper()
        if media_type not in PRODUCT:
            raise bad_param(
                "media_type must be one of the following values: IMAGE, VIDEO, REELS, STORIES, CAROUSEL"
            )
        if p.get("upload_type") == "resumable":
            raise bad_param("Resumable uploads are not supported by the SocialHub sandbox; pass video_url.")
        caption = str(p.get("caption") or "")
        if len(caption) > 2200:
            raise GraphError(
                "(#100) The caption is too long.",
                100,
                subcode=2207010,
                user_msg="Instagram captions can have at most 2,200 characters.",
            )
        carousel_item = _true(p.get("is_carousel_item"))
        limit = int(self.sb.config("instagram.container_limit_24h"))
        used, _, _ = self.sb.rate_peek(f"meta:ig_containers:{node.id}", limit, 86400)
        if used >= limit:
            raise GraphError(
                f"The maximum number of media containers ({limit}) for 24 hours has been reached.",
                9,
                subcode=2207042,
                user_title="Container limit reached",
                user_msg=f"Instagram accepts at most {limit} media containers per account in 24 hours.",
            )
        now = self.sb.now_ts()
        processing = float(self.sb.config("instagram.container_processing_seconds"))
        doc: Doc = {
            "id": self.sb.new_id("ig_container", 14, "178"),
            "ig_user_id": node.id,
            "media_type": media_type,
            "caption": caption,
            "is_carousel_item": carousel_item,
            "created_ts": now,
            "ready_ts": now + processing,
            "error": None,
            "media_id": None,
            "children": [],
            "alt_text": p.get("alt_text"),
        }
        if media_type == "CAROUSEL":
            self._carousel_children(doc, split_list(p.get("children")), node.id)
        elif media_type in {"REELS", "VIDEO"} or (media_type == "STORIES" and p.get("video_url")):
            await self._check_video(doc, p.get("video_url"))
        else:
            await self._check_image(doc, p.get("image_url"))
        self.sb.rate_hit(f"meta:ig_containers:{node.id}", limit, 86400)
        self.sb.store.put("meta_containers", doc["id"], doc)
        return {"id": doc["id"]}

    def _carousel_children(self, doc: Doc, children: list[str], ig_id: str) -> None:
        most = int(self.sb.config("instagram.carousel_max_children"))
        if not 2 <= len(children) <= most:
            raise GraphError(
                f"(#100) The carousel must have between 2 and {most} children.",
                100,
                subcode=2207036,
                user_msg=f"A carousel needs 2 to {most} photos or videos.",
            )
        for child_id in children:
            child = self.container(child_id)
            if child is None or child["ig_user_id"] != ig_id or not child.get("is_carousel_item"):
                raise GraphError(
                    f"(#100) The carousel item {child_id} is not a carousel item container of this account.",
                    100,
                    subcode=2207021,
                )
        doc["children"] = children

    async def _check_image(self, doc: Doc, url: Any) -> None:
        if not url:
            raise bad_param("The parameter image_url is required.")
        doc["image_url"] = str(url)
        got = await fetcher.fetch(str(url), fetcher.MAX_IMAGE_BYTES)
        self._fetch_failed(got, str(url))
        if got.too_large:
            raise GraphError(
                "The image size is too large.",
                36000,
                subcode=2207004,
                transient=False,
                user_title="Image size too large",
                user_msg="The image is too large to download. It should be less than 8 MiB.",
            )
        if not fetcher.is_jpeg(got.data):
            doc["error"] = {
                "subcode": 2207052,
                "message": "The image format is not supported; Instagram accepts JPEG images only.",
            }

    async def _check_video(self, doc: Doc, url: Any) -> None:
        if not url:
            raise bad_param("The parameter video_url is required.")
        doc["video_url"] = str(url)
        got = await fetcher.fetch(str(url), fetcher.MAX_VIDEO_BYTES)
        self._fetch_failed(got, str(url))
        if got.too_large or not fetcher.is_mp4(got.data):
            doc["error"] = {
                "subcode": 2207026,
                "message": "The video format is not supported. Please check spec "
                "for supported streams format (MP4 or MOV).",
            }
            return
        seconds = fetcher.mp4_duration(got.data)
        if seconds is not None and doc["media_type"] != "STORIES" and not 3 <= seconds <= 900:
            doc["error"] = {
                "subcode": 2207026,
                "message": f"Reels must be 3 seconds to 15 minutes long; this video "
                f"is {seconds:.1f} seconds.",
            }

    @staticmethod
    def _fetch_failed(got: fetcher.Fetched, url: str) -> None:
        if got.timeout:
            raise GraphError(
                "It takes too long to download the media.",
                -2,
                subcode=2207003,
                transient=True,
                user_msg="It takes too long to download the media.",
            )
        if not got.ok:
            raise GraphError(
                "Media download has failed.",
                9004,
                subcode=2207052,
                transient=False,
                user_title="Media download has failed.",
                user_msg=f"The media could not be fetched from this uri: {url}",
            )

    # --- POST /<ig-user-id>/media_publish ------------------------------------------------------
    def ig_user__media_publish__post(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, IG_PUBLISH, code=10)
        creation_id = str(call.params.get("creation_id") or "")
        if not creation_id:
            raise bad_param("The parameter creation_id is required.")
        doc = self.container(creation_id)
        if doc is None or doc["ig_user_id"] != node.id:
            raise GraphError(
                f"Media builder with creation id {creation_id} was not found.",
                24,
                subcode=2207008,
                user_msg="The media container was not found. Create it again.",
            )
        if doc.get("is_carousel_item"):
            raise bad_param("A carousel item cannot be published on its own; publish the CAROUSEL container.")
        status = self.container_status(doc)
        if status == "PUBLISHED":
            # Sandbox choice: publishing a container again returns the same media, never a second post.
            return {"id": doc["media_id"]}
        if status == "EXPIRED":
            raise GraphError(
                "The media you are trying to access has expired. Please try to upload again.",
                -2,
                subcode=2207020,
                transient=False,
                user_msg="The media you are trying to access has expired.",
            )
        if status == "ERROR":
            raise GraphError(
                "Create media fail, please try to re-create media",
                -1,
                subcode=2207032,
                user_msg=self.container_status_text(doc, status),
            )
        if status == "IN_PROGRESS":
            raise GraphError(
                "Media ID is not available",
                9007,
                subcode=2207027,
                transient=False,
                user_title="Media not ready for publishing",
                user_msg="The media is not ready for publishing, please wait for a moment",
            )
        quota = int(self.sb.config("instagram.publish_quota_total"))
        if self.quota_usage(node.id, self.sb.now_ts() - 86400) >= quota:
            raise GraphError(
                "Application request limit reached",
                9,
                subcode=2207042,
                transient=False,
                user_title="Publishing limit reached",
                user_msg="You reached maximum number of posts that is allowed to be published by "
                "Content Publishing API.",
            )
        return {"id": self._publish(doc, node.doc)}

    def _publish(self, container: Doc, ig: Doc) -> str:
        media_id = self.sb.new_id("ig_media", 14, "179")
        rng = self.sb.rand("shortcode", media_id)
        kind = container["media_type"]
        children = []
        for child_id in container.get("children", []):
            child = self.container(child_id) or {}
            children.append(
                {
                    "id": self.sb.new_id("ig_media", 14, "179"),
                    "media_type": "VIDEO" if child.get("video_url") else "IMAGE",
                    "media_url": child.get("video_url") or child.get("image_url"),
                }
            )
        fields = {
            "caption": container["caption"],
            "shortcode": make_shortcode(rng),
            "media_type": {"CAROUSEL": "CAROUSEL_ALBUM", "REELS": "VIDEO", "VIDEO": "VIDEO"}.get(
                kind, "VIDEO" if container.get("video_url") else "IMAGE"
            ),
            "media_product_type": PRODUCT[kind],
            "media_url": container.get("video_url") or container.get("image_url"),
            "children": children,
            "container_id": container["id"],
            "api_published": True,
            "views_scale": max(200, self.sb.followers(ig) // 4),
        }
        self.sb.add_post("instagram", media_id, ig["id"], **fields)
        self.sb.store.update("meta_containers", container["id"], media_id=media_id)
        return media_id

    def quota_usage(self, ig_id: str, since: float) -> int:
        floor = max(since, self.sb.now_ts() - 86400)
        return sum(
            1
            for p in self.sb.store.find("posts", platform="instagram", account_id=ig_id)
            if p.get("api_published") and parse_iso(p["created_at"]).timestamp() >= floor
        )

    def ig_user__content_publishing_limit__get(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, IG_PUBLISH, code=10)
        since = call.params.get("since")
        try:
            floor = float(since) if since else self.sb.now_ts() - 86400
        except ValueError as exc:
            raise bad_param("since must be a unix timestamp") from exc
        fields = split_list(call.params.get("fields")) or ["quota_usage"]
        item: dict[str, Any] = {}
        for name in fields:
            if name == "quota_usage":
                item[name] = self.quota_usage(node.id, floor)
            elif name == "config":
                item[name] = {
                    "quota_total": int(self.sb.config("instagram.publish_quota_total")),
                    "quota_duration": 86400,
                }
            else:
                raise bad_param(
                    f"Tried accessing nonexisting field ({name}) on node type (ContentPublishingLimit)"
                )
        return {"data": [item]}
