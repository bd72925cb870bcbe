"""TikTok Content Posting API: creator info, direct post and inbox init, chunked upload,
status (§3.3). A publish moves PROCESSING_UPLOAD -> PROCESSING_DOWNLOAD -> PUBLISH_COMPLETE
over `tiktok.processing_seconds` of sandbox time once its bytes are in."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.core import iso
from socialhub.sandbox.platform import read_json
from socialhub.sandbox.platforms.tiktok.common import (
    API,
    MAX_CHUNK,
    MAX_FINAL_CHUNK,
    MAX_VIDEO_BYTES,
    MIN_CHUNK,
    PLATFORM,
    UPLOAD,
    VIDEO_TYPES,
    ApiError,
    TikTokBase,
    api,
    media_kind,
)

PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
KIND = "tiktok_publishes"
INBOX_PENDING_LIMIT = 5  # unposted inbox shares per 24 h (§3.3)
UPLOAD_URL_SECONDS = 3600  # an upload_url is good for one hour
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _int(info: dict[str, Any], key: str) -> int:
    value = info.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError("invalid_params", f"source_info.{key} must be an integer.")
    return value


def check_file_plan(info: dict[str, Any]) -> tuple[int, int, int]:
    """Validate video_size / chunk_size / total_chunk_count by the media transfer rules."""
    size, chunk, count = _int(info, "video_size"), _int(info, "chunk_size"), _int(info, "total_chunk_count")
    if not 0 < size <= MAX_VIDEO_BYTES:
        raise ApiError("invalid_params", "video_size must be between 1 byte and 4 GB.")
    if size < MIN_CHUNK:
        if chunk != size or count != 1:
            raise ApiError(
                "invalid_params",
                "Videos under 5 MB must be uploaded whole: chunk_size = video_size, total_chunk_count = 1.",
            )
        return size, chunk, count
    if not MIN_CHUNK <= chunk <= MAX_CHUNK or chunk > size:
        raise ApiError(
            "invalid_params", "chunk_size must be between 5 MB and 64 MB and not larger than video_size."
        )
    if count != size // chunk:
        raise ApiError(
            "invalid_params", f"total_chunk_count must be floor(video_size / chunk_size) = {size // chunk}."
        )
    if not 1 <= count <= 1000:
        raise ApiError("invalid_params", "total_chunk_count must be between 1 and 1000.")
    if size - (count - 1) * chunk > MAX_FINAL_CHUNK:
        raise ApiError("invalid_params", "The final chunk may be at most 128 MB.")
    return size, chunk, count


class PostingPart(TikTokBase):
    """Direct posts and inbox (draft) uploads."""

    def posting_routes(self) -> list[Route]:
        base = f"/{API}/v2/post/publish"
        return [
            Route(f"{base}/creator_info/query/", self.creator_info, methods=["POST"]),
            Route(f"{base}/video/init/", self.video_init, methods=["POST"]),
            Route(f"{base}/inbox/video/init/", self.inbox_init, methods=["POST"]),
            Route(f"{base}/status/fetch/", self.status_fetch, methods=["POST"]),
            Route(f"/{UPLOAD}/video/", self.upload_chunk, methods=["PUT"]),
        ]

    def creator(self, account: dict[str, Any]) -> dict[str, Any]:
        options = list(PRIVACY_LEVELS)
        if account.get("private"):
            options.remove("PUBLIC_TO_EVERYONE")  # private accounts cannot post publicly
        return {
            "creator_avatar_url": f"https://p16-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/{account['id'][-12:]}~c5_168x168.jpeg",
            "creator_username": account.get("username", ""),
            "creator_nickname": account.get("display_name", ""),
            "privacy_level_options": options,
            "comment_disabled": False,
            "duet_disabled": bool(account.get("private")),
            "stitch_disabled": bool(account.get("private")),
            "max_video_post_duration_sec": int(account.get("max_video_seconds", 600)),
        }

    @api
    async def creator_info(self, request: Request) -> Response:
        token = self.authorize_token(request, ("video.publish",))
        self.limit(f"tiktok:creator_info:{token['value']}", 20)
        return self.ok(
            self.creator(self.sb.account(PLATFORM, token["account_id"]) or {"id": token["account_id"]})
        )

    # --- init -------------------------------------------------------------------------
    @api
    async def video_init(self, request: Request) -> Response:
        token = self.authorize_token(request, ("video.publish",))
        self.limit(f"tiktok:video_init:{token['value']}", 6)
        body = await read_json(request)
        post_info, source = (
            (body.get("post_info"), body.get("source_info")) if isinstance(body, dict) else (None, None)
        )
        if not isinstance(post_info, dict) or not isinstance(source, dict):
            raise ApiError("invalid_params", "post_info and source_info are required objects.")
        title = post_info.get("title", "")
        if not isinstance(title, str) or _utf16_len(title) > 2200:
            raise ApiError(
                "invalid_params", "post_info.title must be text of at most 2200 UTF-16 characters."
            )
        privacy = post_info.get("privacy_level")
        if privacy not in PRIVACY_LEVELS:
            raise ApiError(
                "invalid_params", f"post_info.privacy_level must be one of {', '.join(PRIVACY_LEVELS)}."
            )
        account = self.sb.account(PLATFORM, token["account_id"]) or {"id": token["account_id"]}
        if privacy not in self.creator(account)["privacy_level_options"]:
            raise ApiError(
                "privacy_level_option_mismatch",
                f"{privacy} is not among the creator's privacy_level_options.",
            )
        app = self.sb.app(PLATFORM, token["client_id"]) or {}
        if not app.get("audited") and privacy != "SELF_ONLY":
            raise ApiError(
                "unaudited_client_can_only_post_to_private_accounts",
                "Unaudited clients can only post to private accounts (privacy_level SELF_ONLY).",
            )
        self._daily_post_cap(token["account_id"])
        doc = await self._start(request, token, app, source, "direct", post_info)
        return self.ok(self._init_data(request, doc))

    def _daily_post_cap(self, account_id: str) -> None:
        """Direct posts a creator may start per 24 h through the API, across all apps
        (Content Posting API: spam_risk_too_many_posts; the number is a setting)."""
        day_ago = self.sb.now_ts() - 86400
        started = self.sb.store.find(
            KIND, where=lambda d: d["flow"] == "direct" and d["created_ts"] > day_ago, account_id=account_id
        )
        if len(started) >= int(self.sb.config("tiktok.direct_posts_per_day")):
            raise ApiError(
                "spam_risk_too_many_posts", "The daily post cap from the API is reached for the current user."
            )

    @api
    async def inbox_init(self, request: Request) -> Response:
        token = self.authorize_token(request, ("video.upload",))
        self.limit(f"tiktok:inbox_init:{token['value']}", 6)
        body = await read_json(request)
        source = body.get("source_info") if isinstance(body, dict) else None
        if not isinstance(source, dict):
            raise ApiError("invalid_params", "source_info is required.")
        day_ago = self.sb.now_ts() - 86400
        pending = self.sb.store.find(
            KIND,
            where=lambda d: d["flow"] == "inbox" and d["created_ts"] > day_ago,
            account_id=token["account_id"],
            client_id=token["client_id"],
        )
        if len(pending) >= INBOX_PENDING_LIMIT:
            raise ApiError(
                "spam_risk_too_many_pending_share",
                f"The user has {len(pending)} pending inbox shares in the last 24 hours; the limit is {INBOX_PENDING_LIMIT}.",
            )
        app = self.sb.app(PLATFORM, token["client_id"]) or {}
        doc = await self._start(request, token, app, source, "inbox", {})
        return self.ok(self._init_data(request, doc))

    async def _start(
        self,
        request: Request,
        token: dict[str, Any],
        app: dict[str, Any],
        source: dict[str, Any],
        kind: str,
        post_info: dict[str, Any],
    ) -> dict[str, Any]:
        mode = source.get("source")
        now = self.sb.now_ts()
        doc: dict[str, Any] = {
            "flow": kind,
            "account_id": token["account_id"],
            "client_id": token["client_id"],
            "source": mode,
            "post_info": post_info,
            "created_ts": now,
            "received": 0,
            "head": "",
            "ready_ts": None,
            "fail_reason": None,
            "post_id": None,
            "downloaded": 0,
        }
        if mode == "FILE_UPLOAD":
            doc["size"], doc["chunk"], doc["count"] = check_file_plan(source)
            doc["upload_id"], doc["upload_token"] = secrets.token_hex(12), secrets.token_urlsafe(24)
        elif mode == "PULL_FROM_URL":
            url = source.get("video_url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ApiError("invalid_params", "source_info.video_url must be an http(s) URL.")
            verified = app.get("verified_domains")
            if verified and (urlsplit(url).hostname or "") not in verified:
                raise ApiError(
                    "url_ownership_unverified", "The domain of video_url is not verified for this app."
                )
            await self._pull(doc, url)
        else:
            raise ApiError("invalid_params", "source_info.source must be FILE_UPLOAD or PULL_FROM_URL.")
        short = "file" if mode == "FILE_UPLOAD" else "url"
        prefix = "v_pub" if kind == "direct" else "v_inbox"
        doc["publish_id"] = f"{prefix}_{short}~v2-1.{self.sb.new_id('tiktok:publish', 19)}"
        self.sb.store.put(KIND, doc["publish_id"], doc)
        return doc

    async def _pull(self, doc: dict[str, Any], url: str) -> None:
        """Really fetch the video (PULL_FROM_URL) and check its container."""
        head, total = b"", 0
        try:
            async with (
                httpx.AsyncClient(timeout=15, follow_redirects=True) as client,
                client.stream("GET", url) as resp,
            ):
                if resp.status_code != 200:
                    raise httpx.HTTPError(f"status {resp.status_code}")
                async for chunk in resp.aiter_bytes():
                    head = (head + chunk)[:16] if len(head) < 16 else head
                    total += len(chunk)
                    if total > MAX_VIDEO_BYTES:
                        break
        except httpx.HTTPError:
            doc["fail_reason"] = "video_pull_failed"
        else:
            if media_kind(head) is None or total > MAX_VIDEO_BYTES:
                doc["fail_reason"] = "file_format_check_failed"
        doc["downloaded"], doc["head"], doc["ready_ts"] = total, head.hex(), self.sb.now_ts()

    def _init_data(self, request: Request, doc: dict[str, Any]) -> dict[str, Any]:
        data = {"publish_id": doc["publish_id"]}
        if doc["source"] == "FILE_UPLOAD":
            root = str(request.base_url).rstrip("/")
            data["upload_url"] = (
                f"{root}/{UPLOAD}/video/?upload_id={doc['upload_id']}&upload_token={doc['upload_token']}"
            )
        return data

    # --- upload -----------------------------------------------------------------------
    @api
    async def upload_chunk(self, request: Request) -> Response:
        found = self.sb.store.find(KIND, upload_id=request.query_params.get("upload_id", ""))
        doc = found[0] if found else None
        if doc is None or not secrets.compare_digest(
            doc["upload_token"], request.query_params.get("upload_token", "")
        ):
            raise ApiError("invalid_file_upload", "The upload_url is invalid.", 404)
        if self.sb.now_ts() - doc["created_ts"] > UPLOAD_URL_SECONDS:
            raise ApiError(
                "invalid_file_upload", "The upload_url has expired; initialize the post again.", 403
            )
        if doc["received"] >= doc["size"]:
            raise ApiError("invalid_file_upload", "This upload is already complete.")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in VIDEO_TYPES:
            raise ApiError("invalid_file_upload", f"Content-Type must be one of {', '.join(VIDEO_TYPES)}.")
        match = _RANGE.match(request.headers.get("content-range", "").strip())
        if not match:
            raise ApiError("invalid_file_upload", "Content-Range must be 'bytes <first>-<last>/<total>'.")
        first, last, total = map(int, match.groups())
        body = await request.body()
        index = first // doc["chunk"]
        expected = (
            doc["chunk"] if index < doc["count"] - 1 else doc["size"] - (doc["count"] - 1) * doc["chunk"]
        )
        if total != doc["size"]:
            raise ApiError("invalid_file_upload", f"Content-Range total must equal video_size {doc['size']}.")
        if first != doc["received"]:
            raise ApiError(
                "invalid_file_upload",
                f"Chunks must be sent in order; the next chunk starts at byte {doc['received']}.",
            )
        if last - first + 1 != len(body) or len(body) != expected:
            raise ApiError(
                "invalid_file_upload", f"Chunk {index + 1} must be {expected} bytes and match Content-Range."
            )
        changes: dict[str, Any] = {"received": doc["received"] + len(body)}
        if first == 0:
            changes["head"] = body[:16].hex()
        if changes["received"] < doc["size"]:
            self.sb.store.update(KIND, doc["publish_id"], **changes)
            return Response(
                status_code=206, headers={"Content-Range": f"bytes 0-{changes['received'] - 1}/{doc['size']}"}
            )
        head = bytes.fromhex(changes.get("head", doc["head"]))
        changes["ready_ts"] = self.sb.now_ts()
        if media_kind(head) is None:
            changes["fail_reason"] = "file_format_check_failed"
        self.sb.store.update(KIND, doc["publish_id"], **changes)
        return Response(status_code=201)

    # --- status -----------------------------------------------------------------------
    def _status(self, doc: dict[str, Any]) -> str:
        if doc["ready_ts"] is None:
            return "PROCESSING_UPLOAD"
        if doc["fail_reason"]:
            return "FAILED"
        elapsed = self.sb.now_ts() - doc["ready_ts"]
        processing = float(self.sb.config("tiktok.processing_seconds"))
        if elapsed < processing:
            first_half = elapsed < processing / 2 and doc["source"] == "FILE_UPLOAD"
            return "PROCESSING_UPLOAD" if first_half else "PROCESSING_DOWNLOAD"
        return "SEND_TO_USER_INBOX" if doc["flow"] == "inbox" else "PUBLISH_COMPLETE"

    def settle(self, account_id: str) -> None:
        for doc in self.sb.store.find(
            KIND, account_id=account_id, flow="direct", post_id=None, fail_reason=None
        ):
            if doc["ready_ts"] is not None and self._status(doc) == "PUBLISH_COMPLETE":
                self._create_post(doc)

    def _create_post(self, doc: dict[str, Any]) -> str:
        processing = float(self.sb.config("tiktok.processing_seconds"))
        post_id = self.sb.new_id("tiktok:video", 19)
        rng = self.sb.rand("tiktok:published", post_id)
        created = self.sb.now() - timedelta(seconds=max(0.0, self.sb.now_ts() - doc["ready_ts"] - processing))
        info = doc["post_info"]
        self.sb.add_post(
            PLATFORM,
            post_id,
            doc["account_id"],
            created_at=created,
            caption=info.get("title", ""),
            privacy=info.get("privacy_level"),
            duration=rng.randint(5, 60),
            width=1080,
            height=1920,
            publish_id=doc["publish_id"],
        )
        self.sb.store.update(KIND, doc["publish_id"], post_id=post_id, published_at=iso(created))
        return post_id

    @api
    async def status_fetch(self, request: Request) -> Response:
        token = self.authorize_token(request)
        if not {"video.publish", "video.upload"} & set(token["scopes"]):
            raise ApiError(
                "scope_not_authorized", "The user did not authorize video.publish or video.upload."
            )
        self.limit(f"tiktok:status:{token['value']}", 30)
        body = await read_json(request)
        publish_id = body.get("publish_id") if isinstance(body, dict) else None
        doc = self.sb.store.get(KIND, str(publish_id or ""))
        if doc is None or doc["account_id"] != token["account_id"] or doc["client_id"] != token["client_id"]:
            raise ApiError("invalid_params", "publish_id is invalid or does not belong to this user.")
        status = self._status(doc)
        if status == "PUBLISH_COMPLETE" and doc["post_id"] is None:
            doc["post_id"] = self._create_post(doc)
        data: dict[str, Any] = {"status": status}
        if status == "FAILED":
            data["fail_reason"] = doc["fail_reason"]
        public = status == "PUBLISH_COMPLETE" and doc["post_info"].get("privacy_level") != "SELF_ONLY"
        # SELF_ONLY posts never get a public id; the owner finds them in /v2/video/list/.
        data["publicaly_available_post_id"] = [int(doc["post_id"])] if public else []
        if doc["source"] == "FILE_UPLOAD":
            data["uploaded_bytes"] = doc["received"]
        else:
            data["downloaded_bytes"] = doc["downloaded"]
        return self.ok(data)
