"""Facebook Page publishing: /feed (text, link, scheduled), /photos, /videos, DELETE post."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from socialhub.sandbox.platforms.meta import media as fetcher
from socialhub.sandbox.platforms.meta.common import PAGE_WRITE, GraphError, bad_param
from socialhub.sandbox.platforms.meta.graph import Call, GraphBase, Node
from socialhub.sandbox.store import Doc

PFBID_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
MAX_PHOTO_BYTES = 10 * 1024 * 1024


# error_subcode of the out-of-window scheduled_publish_time error [unverified number: no stored
# Meta page states it; kept in one place so a correction is one line].
SCHEDULE_TIME_SUBCODE = 1363168


def make_pfbid(rng: Any) -> str:
    return "pfbid0" + "".join(rng.choice(PFBID_ALPHABET) for _ in range(44)) + "l"


def _flag(value: Any, default: bool) -> bool:
    if value in (None, ""):
        return default
    return str(value).lower() not in {"false", "0", "no"}


class PagePublishMixin(GraphBase):
    def require_page_token(self, call: Call, page_id: str, scopes: tuple[str, ...] = PAGE_WRITE) -> None:
        token = call.token or {}
        if token.get("extra", {}).get("type") != "page" or token.get("account_id") != page_id:
            raise GraphError(
                "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin "
                "with sufficient administrative permission",
                200,
                user_msg="Publishing to a Page needs that Page's access token (from /me/accounts).",
            )
        self.require_scopes(call, scopes)

    def _schedule(self, params: dict[str, Any]) -> tuple[bool, float | None]:
        """(published, scheduled timestamp) from published / scheduled_publish_time."""
        published = _flag(params.get("published"), True)
        raw = params.get("scheduled_publish_time")
        if raw in (None, ""):
            return published, None
        if published:
            raise bad_param(
                "You cannot specify a scheduled publish time on a published post",
                user_msg="Set published=false to schedule a post.",
            )
        try:
            when = float(raw)
        except (TypeError, ValueError):
            try:
                when = datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()
            except ValueError as exc:
                raise bad_param("The specified scheduled publish time is invalid.") from exc
        lo, hi = (
            float(self.sb.config(k))
            for k in ("facebook.schedule_min_seconds", "facebook.schedule_max_seconds")
        )
        ahead = when - self.sb.now_ts()
        if not lo <= ahead <= hi:
            raise GraphError(
                "(#100) The specified scheduled publish time is invalid.",
                100,
                subcode=SCHEDULE_TIME_SUBCODE,
                transient=False,
                user_title="Invalid scheduled publish time",
                user_msg=f"The scheduled publish time must be between {int(lo // 60)} minutes and "
                f"{int(hi // 86400)} days from now.",
            )
        return False, when

    def _create_post(
        self, page: Doc, *, message: str, status_type: str, when: float | None, hidden: bool, **fields: Any
    ) -> Doc:
        post_id = f"{page['id']}_{self.sb.new_id('fb_post', 16)}"
        pfbid = make_pfbid(self.sb.rand("pfbid", post_id))
        created = datetime.fromtimestamp(when, self.sb.now().tzinfo) if when else self.sb.now()
        doc = self.sb.add_post(
            "facebook",
            post_id,
            page["id"],
            created_at=created,
            count_publish=False,
            message=message,
            status_type=status_type,
            pfbid=pfbid,
            scheduled=when is not None,
            hidden=hidden,
            permalink_url=fields.pop("permalink_url", None)
            or f"https://www.facebook.com/{page['username']}/posts/{pfbid}",
            views_scale=max(100, self.sb.followers(page) // 5),
            **fields,
        )
        if not hidden:  # a scheduled post is committed to appear: count it when accepted
            self.sb.count_publish("facebook", page["id"], message)
        return doc

    # --- POST /<page-id>/feed ---------------------------------------------------------------
    def page__feed__post(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_page_token(call, node.id)
        p = call.params
        message, link = str(p.get("message") or ""), str(p.get("link") or "")
        attached = self._attached_media(p, node.id)
        if not message and not link and not attached:
            raise bad_param("Missing message or attachment")
        if len(message) > 63206:
            raise bad_param("The message is too long: at most 63206 characters.")
        published, when = self._schedule(p)
        hidden = not published and when is None
        status = "added_photos" if attached else ("shared_story" if link else "mobile_status_update")
        extra: dict[str, Any] = {"link": link} if link else {}
        if attached:
            extra["full_picture"] = attached[0].get("url")
        doc = self._create_post(
            node.doc, message=message, status_type=status, when=when, hidden=hidden, **extra
        )
        for photo in attached:
            self.sb.store.update("meta_objects", photo["id"], post_id=doc["id"], published=True)
        return {"id": doc["id"]}

    def _attached_media(self, params: dict[str, Any], page_id: str) -> list[Doc]:
        raw: list[Any] = []
        if isinstance(params.get("attached_media"), list):
            raw = params["attached_media"]
        else:
            keys = sorted(
                (k for k in params if k.startswith("attached_media[")), key=lambda k: int(k[15:-1] or 0)
            )
            raw = [params[k] for k in keys]
        photos = []
        for item in raw:
            try:
                entry = json.loads(item) if isinstance(item, str) else item
                fbid = str(entry["media_fbid"])
            except (ValueError, KeyError, TypeError) as exc:
                raise bad_param('attached_media items must look like {"media_fbid":"<photo id>"}') from exc
            photo = self.sb.store.get("meta_objects", fbid)
            if photo is None or photo["page_id"] != page_id or photo.get("post_id"):
                raise bad_param(
                    f"Invalid media_fbid {fbid}: upload it to this Page with published=false first."
                )
            photos.append(photo)
        return photos

    # --- POST /<page-id>/photos --------------------------------------------------------------
    async def page__photos__post(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_page_token(call, node.id)
        p = call.params
        source, url = p.get("source"), p.get("url")
        if source is not None and hasattr(source, "read"):
            data = await source.read()
            too_large = len(data) > MAX_PHOTO_BYTES
        elif url:
            got = await fetcher.fetch(str(url), MAX_PHOTO_BYTES)
            if not got.ok:
                raise GraphError(
                    "(#324) Missing or invalid image file",
                    324,
                    user_msg=f"Facebook could not download the image from {url}.",
                )
            data, too_large = got.data, got.too_large
        else:
            raise GraphError("(#324) Requires upload file", 324)
        if too_large or fetcher.image_kind(data) is None:
            raise GraphError(
                "(#324) Missing or invalid image file",
                324,
                user_msg="Facebook accepts JPEG, PNG or GIF images up to 10 MB.",
            )
        caption = str(p.get("caption") or p.get("message") or "")
        published, when = self._schedule(p)
        photo_id = self.sb.new_id("fb_photo", 16)
        photo = {
            "id": photo_id,
            "type": "photo",
            "page_id": node.id,
            "created_at": self.sb.now().isoformat(),
            "name": caption,
            "link": f"https://www.facebook.com/photo.php?fbid={photo_id}",
            "source": url or f"https://scontent.sandbox.facebook.com/{photo_id}.jpg",
            "post_id": None,
        }
        self.sb.store.put("meta_objects", photo_id, photo)
        if not published and when is None:  # for attached_media: no post yet
            return {"id": photo_id}
        post = self._create_post(
            node.doc,
            message=caption,
            status_type="added_photos",
            when=when,
            hidden=False,
            object_id=photo_id,
            full_picture=photo["source"],
        )
        self.sb.store.update("meta_objects", photo_id, post_id=post["id"], published=when is None)
        return {"id": photo_id, "post_id": post["id"]}

    # --- POST /<page-id>/videos (graph-video.facebook.com) ------------------------------------
    async def page__videos__post(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_page_token(call, node.id, (*PAGE_WRITE, "publish_video"))
        p = call.params
        source, url = p.get("source"), p.get("file_url")
        if source is not None and hasattr(source, "read"):
            data = await source.read()
        elif url:
            got = await fetcher.fetch(str(url), fetcher.MAX_VIDEO_BYTES)
            if not got.ok:
                raise GraphError(
                    "(#100) The video file could not be downloaded from file_url.",
                    100,
                    user_msg=f"Facebook could not download the video from {url}.",
                )
            data = got.data
        else:
            raise bad_param("Either file_url or source is required.")
        if not fetcher.is_mp4(data):
            raise GraphError(
                "(#352) Sorry, the video file you selected is in a format that we don't support.",
                352,
                user_msg="Facebook accepts MP4 or MOV videos.",
            )
        description = str(p.get("description") or "")
        published, when = self._schedule(p)
        video_id = self.sb.new_id("fb_video", 16)
        page = node.doc
        video = {
            "id": video_id,
            "type": "video",
            "page_id": node.id,
            "created_at": self.sb.now().isoformat(),
            "description": description,
            "title": str(p.get("title") or ""),
            "post_id": None,
            "permalink_url": f"/{page['username']}/videos/{video_id}/",
            "source": url,
        }
        self.sb.store.put("meta_objects", video_id, video)
        if published or when is not None:
            post = self._create_post(
                page,
                message=description,
                status_type="added_video",
                when=when,
                hidden=False,
                object_id=video_id,
                permalink_url=f"https://www.facebook.com/{page['username']}/videos/{video_id}/",
            )
            self.sb.store.update("meta_objects", video_id, post_id=post["id"], published=when is None)
        return {"id": video_id}

    # --- DELETE /<post-id> ----------------------------------------------------------------------
    def fb_post__node__delete(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_page_token(call, node.doc["account_id"])
        self.sb.update_post("facebook", node.id, deleted=True)
        return {"success": True}
