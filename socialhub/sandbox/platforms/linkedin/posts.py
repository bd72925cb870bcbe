"""LinkedIn Posts API (/rest/posts), Images and Videos APIs and the upload URLs they hand out.

CONTRACTS §5.2. Creating a post answers 201 with an empty body and `x-restli-id`.
Media live in the store kind "li_media"; uploads go to www.linkedin.com/dms-uploads/...
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import Sandbox, TokenError, parse_iso
from socialhub.sandbox.platform import bearer_token, json_response, read_json
from socialhub.sandbox.platforms.linkedin.common import (
    MEMBER_READ,
    ORG_READ,
    ORG_WRITE,
    PLATFORM,
    VIDEO_PART_BYTES,
    WWW,
    ApiAuth,
    access_denied,
    bad_request,
    not_found,
    parse_urn,
    person_urn,
    token_error,
    validation,
)

MAX_COMMENTARY = 3000
VISIBILITIES = {"PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER"}
FEEDS = {"MAIN_FEED", "NONE"}
LIFECYCLES = {"PUBLISHED", "DRAFT"}
POST_FIELDS = {
    "author",
    "commentary",
    "visibility",
    "distribution",
    "lifecycleState",
    "isReshareDisabledByAuthor",
    "content",
    "contentLandingPage",
    "contentCallToActionLabel",
    "reshareContext",
    "adContext",
}
MAX_VIDEO_BYTES = 500 * 1024 * 1024
_UNESCAPE = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")


def rendered(commentary: str) -> str:
    """Commentary as members see it (little-text backslash escapes removed)."""
    return _UNESCAPE.sub(r"\1", commentary)


def ms(value: str) -> int:
    return int(parse_iso(value).timestamp() * 1000)


def share_id_at(epoch_ms: int, rand_bits: int) -> str:
    """LinkedIn activity/share ids are time-ordered: milliseconds << 22 | 22 random bits (19 digits)."""
    return str((epoch_ms << 22) | (rand_bits & 0x3FFFFF))


def image_kind(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return None


class LinkedInPosts:
    """Posts, images and videos; mixed into the LinkedIn module (uses self.sb, self.auth)."""

    sb: Sandbox
    auth: ApiAuth

    # --- helpers ------------------------------------------------------------------------
    @staticmethod
    def require_restli(request: Request) -> None:
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            raise bad_request("X-Restli-Protocol-Version 2.0.0 is required for this request.")

    @staticmethod
    async def json_body(request: Request) -> dict[str, Any]:
        try:
            body = await read_json(request)
        except ValueError as exc:
            raise bad_request(str(exc)) from exc
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        return body

    def owner_for(self, tok: dict[str, Any], urn: Any, *, write: bool, resource: str) -> str:
        """The store owner key for an author/owner URN the token may act for (403 otherwise)."""
        parsed = parse_urn(urn) if isinstance(urn, str) else None
        if parsed is None or parsed[0] not in {"person", "organization"}:
            raise validation(f"{urn!r} is not a valid person or organization URN.", "/author")
        if parsed[0] == "person":
            self.auth.require_any(tok, ("w_member_social",) if write else MEMBER_READ, resource)
            if parsed[1] != tok["account_id"]:
                raise access_denied(f"Not enough permissions to access: {resource} as {urn}")
            return tok["account_id"]
        self.auth.require_any(tok, ORG_WRITE if write else ORG_READ, resource)
        if urn not in self.auth.admin_orgs(tok["account_id"]):
            raise access_denied(f"Not enough permissions to access: {resource} as {urn}")
        return str(urn)

    def find_post(self, urn: str) -> dict[str, Any]:
        parsed = parse_urn(urn)
        if parsed is None or parsed[0] not in {"share", "ugcPost"}:
            raise bad_request(f"{urn} is not a valid share or ugcPost URN.")
        doc = self.sb.post(PLATFORM, parsed[1])
        if (
            doc is None
            or doc.get("deleted")
            or doc.get("urn_type") != parsed[0]
            or parse_iso(doc["created_at"]) > self.sb.now()
        ):
            raise not_found(f"Post {urn} does not exist.")
        return doc

    def can_manage(self, tok: dict[str, Any], doc: dict[str, Any]) -> bool:
        author = doc["author"]
        return author == person_urn(tok["account_id"]) or author in self.auth.admin_orgs(tok["account_id"])

    @staticmethod
    def post_urn(doc: dict[str, Any]) -> str:
        return f"urn:li:{doc.get('urn_type', 'share')}:{doc['id']}"

    def post_json(self, doc: dict[str, Any]) -> dict[str, Any]:
        created = ms(doc["created_at"])
        out: dict[str, Any] = {
            "id": self.post_urn(doc),
            "author": doc["author"],
            "commentary": doc.get("commentary", ""),
            "visibility": doc.get("visibility", "PUBLIC"),
            "distribution": doc.get("distribution")
            or {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": doc.get("lifecycleState", "PUBLISHED"),
            "isReshareDisabledByAuthor": bool(doc.get("isReshareDisabledByAuthor", False)),
            "createdAt": created,
            "lastModifiedAt": created,
            "lifecycleStateInfo": {"isEditedByAuthor": False},
        }
        if out["lifecycleState"] == "PUBLISHED":
            out["publishedAt"] = created
        if doc.get("content"):
            out["content"] = doc["content"]
        return out

    # --- posts --------------------------------------------------------------------------
    async def create_post(self, request: Request, tok: dict[str, Any]) -> Response:
        self.require_restli(request)
        body = await self.json_body(request)
        extra = sorted(set(body) - POST_FIELDS)
        if extra:
            raise validation(f"Unpermitted fields present in REQUEST_BODY: [{', '.join(extra)}]")
        author = body.get("author")
        owner = self.owner_for(tok, author, write=True, resource="partnerApiPostsExternal.CREATE")
        commentary = body.get("commentary", "")
        if not isinstance(commentary, str):
            raise validation("commentary must be a string.", "/commentary")
        if len(rendered(commentary)) > MAX_COMMENTARY:
            raise validation(
                f"commentary is {len(rendered(commentary))} characters long; the maximum is {MAX_COMMENTARY}.",
                "/commentary",
            )
        if body.get("visibility") not in VISIBILITIES:
            raise validation(f"visibility must be one of {', '.join(sorted(VISIBILITIES))}.", "/visibility")
        distribution = body.get("distribution")
        if not isinstance(distribution, dict) or distribution.get("feedDistribution") not in FEEDS:
            raise validation("distribution.feedDistribution must be MAIN_FEED or NONE.", "/distribution")
        lifecycle = body.get("lifecycleState")
        if lifecycle not in LIFECYCLES:
            raise validation("lifecycleState must be PUBLISHED or DRAFT.", "/lifecycleState")
        content = self._check_content(body.get("content"), str(author))
        if not commentary.strip() and not content:
            raise validation("A post needs commentary or content.", "/commentary")
        if lifecycle == "PUBLISHED" and commentary.strip():
            self._check_duplicate(owner, commentary)
        now = self.sb.now()
        seq = int(self.sb.new_id("linkedin:share", 8))
        post_id = share_id_at(int(now.timestamp() * 1000), seq)
        activity = share_id_at(int(now.timestamp() * 1000), seq + 1)
        self.sb.add_post(
            PLATFORM,
            post_id,
            owner,
            created_at=now,
            count_publish=lifecycle == "PUBLISHED",
            caption=rendered(commentary),
            commentary=commentary,
            author=author,
            urn_type="share",
            activity=activity,
            visibility=body["visibility"],
            distribution=distribution,
            lifecycleState=lifecycle,
            content=content,
            isReshareDisabledByAuthor=bool(body.get("isReshareDisabledByAuthor", False)),
        )
        urn = f"urn:li:share:{post_id}"
        return Response(status_code=201, headers={"x-restli-id": urn, "x-linkedin-id": urn})

    def _check_duplicate(self, owner: str, commentary: str) -> None:
        horizon = self.sb.now() - timedelta(hours=24)
        for doc in self.sb.posts(PLATFORM, owner):
            if parse_iso(doc["created_at"]) < horizon:
                break
            if (
                doc.get("commentary", "").strip() == commentary.strip()
                and doc.get("lifecycleState") == "PUBLISHED"
            ):
                raise validation(f"Content is a duplicate of {self.post_urn(doc)}")

    def _check_content(self, content: Any, author: str) -> dict[str, Any] | None:
        if content is None:
            return None
        if not isinstance(content, dict):
            raise validation("content must be an object.", "/content")
        if "media" in content:
            media = content["media"]
            if not isinstance(media, dict):
                raise validation("content.media must be an object.", "/content/media")
            self._usable_media(media.get("id"), author, "/content/media/id")
        elif "multiImage" in content:
            images = (
                (content["multiImage"] or {}).get("images")
                if isinstance(content["multiImage"], dict)
                else None
            )
            if not isinstance(images, list) or not 2 <= len(images) <= 20:
                raise validation(
                    "content.multiImage.images must hold 2 to 20 images.", "/content/multiImage/images"
                )
            for i, image in enumerate(images):
                self._usable_media(
                    (image or {}).get("id"), author, f"/content/multiImage/images/{i}/id", ("image",)
                )
        elif "article" in content:
            article = content["article"]
            if not isinstance(article, dict) or not str(article.get("source", "")).startswith(
                ("http://", "https://")
            ):
                raise validation("content.article.source must be a URL.", "/content/article/source")
        else:
            raise validation("content must hold media, multiImage or article.", "/content")
        return content

    def _usable_media(
        self, urn: Any, author: str, field: str, kinds: tuple[str, ...] = ("image", "video")
    ) -> None:
        doc = self.media(str(urn)) if isinstance(urn, str) else None
        if doc is None or doc["kind"] not in kinds or doc["owner"] != author:
            raise validation(f"Media {urn} does not exist or does not belong to {author}.", field)
        if doc["status"] != "AVAILABLE":
            raise validation(f"Media {urn} is not ready to be used (status {doc['status']}).", field)

    async def get_post(self, request: Request, tok: dict[str, Any]) -> Response:
        self.auth.require_any(tok, MEMBER_READ + ORG_READ, "partnerApiPostsExternal.GET")
        doc = self.find_post(request.path_params["urn"])
        visible = doc.get("visibility") == "PUBLIC" and doc.get("lifecycleState") == "PUBLISHED"
        if not visible and not self.can_manage(tok, doc):
            raise access_denied(
                f"Not enough permissions to access: partnerApiPostsExternal.GET {self.post_urn(doc)}"
            )
        return json_response(self.post_json(doc))

    async def delete_post(self, request: Request, tok: dict[str, Any]) -> Response:
        doc = self.find_post(request.path_params["urn"])
        write = ("w_member_social",) if doc["author"].startswith("urn:li:person:") else ORG_WRITE
        self.auth.require_any(tok, write, "partnerApiPostsExternal.DELETE")
        if not self.can_manage(tok, doc):
            raise access_denied(
                f"Not enough permissions to access: partnerApiPostsExternal.DELETE {self.post_urn(doc)}"
            )
        self.sb.update_post(PLATFORM, doc["id"], deleted=True)
        return Response(status_code=204)

    async def find_posts(self, request: Request, tok: dict[str, Any]) -> Response:
        """Finder q=author: a member's (or admin'd organization's) posts, newest first."""
        q = request.query_params
        if q.get("q") != "author":
            raise bad_request("Finder q=author is the only finder served on /rest/posts.")
        author = q.get("author")
        owner = self.owner_for(tok, author, write=False, resource="partnerApiPostsExternal.FINDER-author")
        try:
            start = int(q.get("start", 0))
            count = int(q.get("count", 10))
        except ValueError as exc:
            raise bad_request("start and count must be integers.") from exc
        if start < 0 or not 0 <= count <= 100:
            raise bad_request("count must be between 0 and 100 and start must not be negative.")
        docs = self.sb.posts(PLATFORM, owner)
        page = docs[start : start + count]
        links = []
        if start + count < len(docs):
            links.append(
                {
                    "rel": "next",
                    "type": "application/json",
                    "href": f"/rest/posts?q=author&author={author}&start={start + count}&count={count}",
                }
            )
        return json_response(
            {
                "paging": {"start": start, "count": count, "total": len(docs), "links": links},
                "elements": [self.post_json(d) for d in page],
            }
        )

    # --- media --------------------------------------------------------------------------
    def media(self, urn: str) -> dict[str, Any] | None:
        doc = self.sb.store.get("li_media", urn)
        if doc and doc["status"] == "PROCESSING" and self.sb.now_ts() >= doc.get("available_at", 0):
            doc = self.sb.store.update("li_media", urn, status="AVAILABLE")
        return doc

    def _upload_base(self, request: Request) -> str:
        return f"{str(request.base_url).rstrip('/')}/{WWW}/dms-uploads"

    async def images_action(self, request: Request, tok: dict[str, Any]) -> Response:
        self.require_restli(request)
        if request.query_params.get("action") != "initializeUpload":
            raise bad_request("Unsupported action; use action=initializeUpload.")
        body = await self.json_body(request)
        owner_urn = (body.get("initializeUploadRequest") or {}).get("owner")
        self.owner_for(tok, owner_urn, write=True, resource="images.ACTION-initializeUpload")
        token = secrets.token_urlsafe(18)
        urn = "urn:li:image:D4E10AQ" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
        expires = self.sb.now_ts() + 86400
        self.sb.store.put(
            "li_media",
            urn,
            {
                "urn": urn,
                "kind": "image",
                "owner": owner_urn,
                "member": tok["account_id"],
                "status": "WAITING_UPLOAD",
                "token": token,
                "expires_at": expires,
            },
        )
        self.sb.store.put("li_uploads", token, {"urn": urn, "part": 0})
        upload_url = f"{self._upload_base(request)}/sp/v2/{token}/uploaded-image/0?ca=vector_feedshare&cn=uploads&sync=0"
        return json_response(
            {"value": {"uploadUrlExpiresAt": int(expires * 1000), "uploadUrl": upload_url, "image": urn}}
        )

    async def videos_action(self, request: Request, tok: dict[str, Any]) -> Response:
        self.require_restli(request)
        action = request.query_params.get("action")
        body = await self.json_body(request)
        if action == "initializeUpload":
            req = body.get("initializeUploadRequest") or {}
            owner_urn = req.get("owner")
            self.owner_for(tok, owner_urn, write=True, resource="videos.ACTION-initializeUpload")
            size = req.get("fileSizeBytes")
            if not isinstance(size, int) or not 0 < size <= MAX_VIDEO_BYTES:
                raise validation(f"fileSizeBytes must be between 1 and {MAX_VIDEO_BYTES}.", "/fileSizeBytes")
            urn = "urn:li:video:D4E10AQ" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
            expires = self.sb.now_ts() + 86400
            parts, instructions = [], []
            for i, first in enumerate(range(0, size, VIDEO_PART_BYTES)):
                token = secrets.token_urlsafe(18)
                self.sb.store.put("li_uploads", token, {"urn": urn, "part": i})
                last = min(size, first + VIDEO_PART_BYTES) - 1
                parts.append({"token": token, "first": first, "last": last, "etag": None})
                instructions.append(
                    {
                        "uploadUrl": f"{self._upload_base(request)}/ads/v2/{token}/part/{i}",
                        "firstByte": first,
                        "lastByte": last,
                    }
                )
            self.sb.store.put(
                "li_media",
                urn,
                {
                    "urn": urn,
                    "kind": "video",
                    "owner": owner_urn,
                    "member": tok["account_id"],
                    "status": "WAITING_UPLOAD",
                    "size": size,
                    "parts": parts,
                    "expires_at": expires,
                },
            )
            return json_response(
                {
                    "value": {
                        "uploadUrlsExpireAt": int(expires * 1000),
                        "video": urn,
                        "uploadInstructions": instructions,
                        "uploadToken": "",
                    }
                }
            )
        if action == "finalizeUpload":
            req = body.get("finalizeUploadRequest") or {}
            doc = self.media(str(req.get("video", "")))
            if doc is None or doc["kind"] != "video":
                raise validation(f"Video {req.get('video')} does not exist.", "/finalizeUploadRequest/video")
            self.owner_for(tok, doc["owner"], write=True, resource="videos.ACTION-finalizeUpload")
            etags = [p["etag"] for p in doc["parts"]]
            if None in etags or req.get("uploadedPartIds") != etags:
                raise validation(
                    "uploadedPartIds do not match the uploaded parts.",
                    "/finalizeUploadRequest/uploadedPartIds",
                )
            if not doc.get("is_mp4"):
                self.sb.store.update("li_media", doc["urn"], status="PROCESSING_FAILED")
                raise validation("The uploaded file is not an MP4 video.", "/finalizeUploadRequest/video")
            self.sb.store.update(
                "li_media",
                doc["urn"],
                status="PROCESSING",
                available_at=self.sb.now_ts() + float(self.sb.config("linkedin.video_processing_seconds")),
            )
            return Response(status_code=200)
        raise bad_request("Unsupported action; use initializeUpload or finalizeUpload.")

    async def get_media(self, request: Request, tok: dict[str, Any]) -> Response:
        urn = request.path_params["urn"]
        doc = self.media(urn)
        if doc is None:
            raise not_found(f"{urn} does not exist.")
        if doc["member"] != tok["account_id"]:
            raise access_denied(f"Not enough permissions to access: {urn}")
        out: dict[str, Any] = {"id": urn, "owner": doc["owner"], "status": doc["status"]}
        if doc["status"] == "AVAILABLE":
            out["downloadUrl"] = f"https://media.licdn.com/dms/{doc['kind']}/{urn.rsplit(':', 1)[-1]}"
        return json_response(out)

    async def upload(self, request: Request) -> Response:
        """PUT bytes to an uploadUrl (needs the member's bearer token, as LinkedIn does)."""
        match = re.search(r"/v2/([^/]+)/", request.url.path)
        ticket = self.sb.store.get("li_uploads", match.group(1)) if match else None
        doc = self.media(ticket["urn"]) if ticket else None
        if doc is None or doc["expires_at"] < self.sb.now_ts():
            return json_response(
                {"status": 404, "code": "NOT_FOUND", "message": "Upload URL is invalid or expired"}, 404
            )
        try:
            tok = self.sb.check_token(PLATFORM, bearer_token(request))
        except TokenError as exc:
            err = token_error(exc.kind)
            return json_response(
                {
                    "status": 401,
                    "serviceErrorCode": err.service_code,
                    "code": err.code,
                    "message": err.message,
                },
                401,
            )
        if tok["account_id"] != doc["member"]:
            return json_response(
                {
                    "status": 403,
                    "serviceErrorCode": 100,
                    "code": "ACCESS_DENIED",
                    "message": "Not enough permissions to upload to this URL",
                },
                403,
            )
        data = await request.body()
        if doc["kind"] == "image":
            if not data or image_kind(data[:16]) is None:
                self.sb.store.update("li_media", doc["urn"], status="PROCESSING_FAILED")
                return json_response(
                    {
                        "status": 400,
                        "code": "BAD_REQUEST",
                        "message": "The uploaded file is not a JPEG, PNG or GIF image",
                    },
                    400,
                )
            self.sb.store.update("li_media", doc["urn"], status="AVAILABLE", bytes=len(data))
            return Response(status_code=201)
        part = doc["parts"][ticket["part"]]
        expected = part["last"] - part["first"] + 1
        if len(data) != expected:
            return json_response(
                {
                    "status": 400,
                    "code": "BAD_REQUEST",
                    "message": f"Part {ticket['part']} must be {expected} bytes, got {len(data)}",
                },
                400,
            )
        part["etag"] = "/ads/" + secrets.token_hex(8)
        changes: dict[str, Any] = {"parts": doc["parts"]}
        if ticket["part"] == 0:
            changes["is_mp4"] = data[4:8] == b"ftyp"
        self.sb.store.update("li_media", doc["urn"], **changes)
        return Response(status_code=200, headers={"ETag": part["etag"]})
