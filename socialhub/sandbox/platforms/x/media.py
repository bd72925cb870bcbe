"""X media upload v2 (CONTRACTS §6.2): simple upload, initialize/append/finalize, STATUS.

Also the older single-endpoint form (POST /2/media/upload with command=INIT|APPEND|FINALIZE,
GET with command=STATUS). Video and GIF processing runs over sandbox time: pending for the
first second after finalize, in_progress until config x.media_processing_seconds, then succeeded. Images
need no processing. The sandbox checks the bytes (JPEG/PNG/GIF/WEBP magic, MP4 "ftyp").
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import Sandbox
from socialhub.sandbox.platform import json_response, read_json, read_params
from socialhub.sandbox.platforms.x.common import Ctx, XGuard, invalid_request, snowflake

MAX_SEGMENT = 5 * 1024 * 1024
MB = 1024 * 1024
# media_category -> (kind, allowed MIME types, max bytes, media_key prefix)
CATEGORIES: dict[str, tuple[str, frozenset[str], int, str]] = {
    "tweet_image": ("image", frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"}), 5 * MB, "3"),
    "tweet_gif": ("gif", frozenset({"image/gif"}), 15 * MB, "16"),
    "tweet_video": ("video", frozenset({"video/mp4", "video/quicktime"}), 512 * MB, "7"),
    "amplify_video": ("video", frozenset({"video/mp4", "video/quicktime"}), 512 * MB, "13"),
}
EXPIRES = {"image": 86400, "gif": 86400, "video": 1295999}


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return None


def _category(media_category: str | None, media_type: str | None) -> str:
    if media_category:
        if media_category not in CATEGORIES:
            raise invalid_request(
                f"media_category [{media_category}] is not one of [{', '.join(CATEGORIES)}]",
                {"media_category": [media_category]},
            )
        return media_category
    if media_type == "image/gif":
        return "tweet_gif"
    if (media_type or "").startswith("video/"):
        return "tweet_video"
    return "tweet_image"


class XMedia:
    """Media endpoints; mixed into the X module (uses self.sb, self.guard)."""

    sb: Sandbox
    guard: XGuard

    # --- state --------------------------------------------------------------------------
    def media(self, media_id: str) -> dict[str, Any] | None:
        return self.sb.store.get("x_media", media_id)

    def _owned(self, media_id: str | None, ctx: Ctx) -> dict[str, Any]:
        doc = self.media(str(media_id or ""))
        if doc is None or doc["owner"] != ctx.tok["account_id"] or doc["expires_at"] < self.sb.now_ts():
            raise invalid_request(
                f"The media_id [{media_id}] was not found or has expired.", {"media_id": [media_id]}
            )
        return doc

    def processing(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        if doc.get("failure"):
            # A rejected upload stays failed: STATUS reports why, never success.
            return {"state": "failed", "progress_percent": 0, "error": doc["failure"]}
        if doc["kind"] == "image" or doc.get("finalized_at") is None:
            return None
        elapsed = self.sb.now_ts() - doc["finalized_at"]
        if elapsed < 1:
            return {"state": "pending", "check_after_secs": 1}
        processing = float(self.sb.config("x.media_processing_seconds"))
        if elapsed < processing:
            return {
                "state": "in_progress",
                "check_after_secs": 1,
                "progress_percent": int(100 * elapsed / processing),
            }
        return {"state": "succeeded", "progress_percent": 100}

    def usable_media(self, media_id: str, owner: str) -> dict[str, Any] | None:
        """A media item a Tweet may attach: owned, unexpired, finalized and processed."""
        doc = self.media(media_id)
        if doc is None or doc["owner"] != owner or doc["expires_at"] < self.sb.now_ts():
            return None
        if doc.get("finalized_at") is None or doc.get("failure"):
            return None
        info = self.processing(doc)
        return doc if info is None or info["state"] == "succeeded" else None

    def _new(self, ctx: Ctx, category: str, media_type: str | None, total: int) -> dict[str, Any]:
        kind, _, cap, prefix = CATEGORIES[category]
        if total > cap:
            raise invalid_request(
                f"File size exceeds {cap // MB} MB for {category}.", {"total_bytes": [total]}
            )
        now = self.sb.now()
        media_id = snowflake(int(now.timestamp() * 1000), int(self.sb.new_id("x:media", 7)))
        doc = {
            "id": media_id,
            "media_key": f"{prefix}_{media_id}",
            "owner": ctx.tok["account_id"],
            "kind": kind,
            "category": category,
            "media_type": media_type,
            "total_bytes": total,
            "segments": {},
            "head": "",
            "finalized_at": None,
            "expires_at": self.sb.now_ts() + EXPIRES[kind],
        }
        self.sb.store.put("x_media", media_id, doc)
        return doc

    def _summary(self, doc: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"id": doc["id"], "media_key": doc["media_key"]}
        if full:
            out.update(
                size=sum(doc["segments"].values()) or doc["total_bytes"],
                expires_after_secs=max(0, int(doc["expires_at"] - self.sb.now_ts())),
            )
            if doc["kind"] == "image":
                out["image"] = {"image_type": doc.get("media_type") or "image/jpeg"}
        info = self.processing(doc)
        if info is not None:
            out["processing_info"] = info
        return out

    def _finalize(self, doc: dict[str, Any]) -> dict[str, Any]:
        if doc.get("finalized_at") is not None:
            return doc
        if doc.get("failure"):
            raise invalid_request(doc["failure"]["message"], {"media_id": [doc["id"]]})
        received = sum(doc["segments"].values())
        if received != doc["total_bytes"]:
            self._reject(
                doc, f"File size mismatch: expected {doc['total_bytes']} bytes, received {received}."
            )
        kind, allowed, _, _ = CATEGORIES[doc["category"]]
        found = sniff(bytes.fromhex(doc["head"]))
        if found is None or found not in allowed:
            self._reject(
                doc,
                "InvalidMedia: the uploaded bytes are not a supported "
                f"{'video' if kind == 'video' else 'image'} file.",
            )
        doc = (
            self.sb.store.update("x_media", doc["id"], finalized_at=self.sb.now_ts(), media_type=found) or doc
        )
        return doc

    def _reject(self, doc: dict[str, Any], message: str) -> None:
        """Record why FINALIZE refused the upload (STATUS reports it), then answer 400."""
        failure = {"code": 1, "name": "InvalidMedia", "message": message}
        self.sb.store.update("x_media", doc["id"], failure=failure)
        raise invalid_request(message, {"media_id": [doc["id"]]})

    def _check_segment(self, doc: dict[str, Any], index: Any, media: Any) -> int:
        if doc.get("finalized_at") is not None:
            raise invalid_request("The upload has already been finalized.", {"media_id": [doc["id"]]})
        try:
            idx = int(index)
        except (TypeError, ValueError) as exc:
            raise invalid_request(
                "segment_index must be an integer 0-999.", {"segment_index": [index]}
            ) from exc
        if not 0 <= idx <= 999:
            raise invalid_request("segment_index must be an integer 0-999.", {"segment_index": [index]})
        if not isinstance(media, UploadFile):
            raise invalid_request("media (multipart file) is required.", {"media": []})
        return idx

    # --- handlers -----------------------------------------------------------------------
    async def upload_simple(self, request: Request, ctx: Ctx) -> Response:
        form = await read_params(request)
        command = (form.get("command") or "").upper()
        if command:
            return await self._legacy(command, form, ctx)
        media = form.get("media")
        if not isinstance(media, UploadFile):
            raise invalid_request("media (multipart file) is required.", {"media": []})
        data = await media.read()
        category = _category(form.get("media_category"), form.get("media_type") or sniff(data[:16]))
        doc = self._new(ctx, category, form.get("media_type"), len(data))
        doc["segments"] = {"0": len(data)}
        doc["head"] = data[:16].hex()
        self.sb.store.put("x_media", doc["id"], doc)
        return json_response({"data": self._summary(self._finalize(doc))})

    async def initialize(self, request: Request, ctx: Ctx) -> Response:
        if "json" in request.headers.get("content-type", ""):
            try:
                body = await read_json(request)
            except ValueError as exc:
                raise invalid_request(str(exc)) from exc
        else:
            body = await read_params(request)
        return json_response({"data": self._init(body if isinstance(body, dict) else {}, ctx)})

    def _init(self, body: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        try:
            total = int(body.get("total_bytes"))
        except (TypeError, ValueError) as exc:
            raise invalid_request(
                "total_bytes is required.", {"total_bytes": [body.get("total_bytes")]}
            ) from exc
        media_type = body.get("media_type")
        if not media_type:
            raise invalid_request("media_type is required.", {"media_type": []})
        doc = self._new(ctx, _category(body.get("media_category"), media_type), media_type, total)
        return {
            "id": doc["id"],
            "media_key": doc["media_key"],
            "expires_after_secs": int(doc["expires_at"] - self.sb.now_ts()),
        }

    async def append(self, request: Request, ctx: Ctx) -> Response:
        doc = self._owned(request.path_params["id"], ctx)
        form = await read_params(request)
        await self._store_segment(doc, form.get("segment_index"), form.get("media"))
        return json_response({"data": {"expires_at": int(doc["expires_at"])}})

    async def _store_segment(self, doc: dict[str, Any], index: Any, media: Any) -> None:
        idx = self._check_segment(doc, index, media)
        data = await media.read()
        if len(data) > MAX_SEGMENT:
            raise invalid_request("Each segment must be 5 MB or smaller.", {"media": []})
        doc["segments"][str(idx)] = len(data)
        if idx == 0:
            doc["head"] = data[:16].hex()
        self.sb.store.put("x_media", doc["id"], doc)

    async def finalize(self, request: Request, ctx: Ctx) -> Response:
        doc = self._owned(request.path_params["id"], ctx)
        return json_response({"data": self._summary(self._finalize(doc))})

    async def status(self, request: Request, ctx: Ctx) -> Response:
        q = request.query_params
        if (q.get("command") or "").upper() != "STATUS":
            raise invalid_request("command must be STATUS.", {"command": [q.get("command")]})
        doc = self._owned(q.get("media_id"), ctx)
        summary = self._summary(doc, full=False)
        summary["expires_after_secs"] = max(0, int(doc["expires_at"] - self.sb.now_ts()))
        if "processing_info" not in summary:
            # Nothing left to process: an image, or a video not yet finalized.
            done = doc.get("finalized_at") is not None
            summary["processing_info"] = (
                {"state": "succeeded", "progress_percent": 100}
                if done
                else {"state": "pending", "check_after_secs": 1}
            )
        return json_response({"data": summary})

    async def _legacy(self, command: str, form: dict[str, Any], ctx: Ctx) -> Response:
        """The older v2 form: one endpoint with command=INIT|APPEND|FINALIZE."""
        if command == "INIT":
            return json_response({"data": self._init(form, ctx)})
        doc = self._owned(form.get("media_id"), ctx)
        if command == "APPEND":
            await self._store_segment(doc, form.get("segment_index"), form.get("media"))
            return Response(status_code=204)
        if command == "FINALIZE":
            return json_response({"data": self._summary(self._finalize(doc))})
        raise invalid_request("command must be INIT, APPEND or FINALIZE.", {"command": [command]})
