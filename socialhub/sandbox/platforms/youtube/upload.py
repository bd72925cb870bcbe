"""videos.insert over the resumable upload protocol (CONTRACTS §4.3).

POST starts a session (200 + Location), PUTs send the bytes whole or in chunks
(308 Resume Incomplete + Range while partial, 201 + the video when done), and
`Content-Range: bytes */<total>` asks how far the session got.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.core import parse_iso
from socialhub.sandbox.platform import json_response, read_json
from socialhub.sandbox.platforms.youtube.common import (
    PLATFORM,
    UPLOAD_SCOPES,
    WWW,
    GoogleError,
    YouTubeBase,
    api,
    param_error,
)
from socialhub.sandbox.platforms.youtube.data import DataPart

SESSIONS = "youtube_uploads"
SESSION_SECONDS = 7 * 86400  # a resumable session URI stays usable for a week
CHUNK_MULTIPLE = 256 * 1024
PRIVACY = ("private", "public", "unlisted")
ID_CHARS = string.ascii_letters + string.digits + "-_"
_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")


def looks_like_video(head: bytes) -> bool:
    """Containers YouTube takes that we can recognise by their first bytes."""
    return (
        head[4:8] == b"ftyp"  # MP4 / MOV / 3GP
        or head[:4] == b"\x1a\x45\xdf\xa3"  # WebM / MKV
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
        or head[:3] == b"FLV"
        or head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")  # MPEG-PS
        or head[:1] == b"\x47"  # MPEG-TS sync byte
    )


def video_error(reason: str, message: str) -> GoogleError:
    return GoogleError(400, reason, message, domain="youtube.video")


def check_metadata(body: Any, now_ts: float) -> dict[str, Any]:
    """Validate the video resource of videos.insert; returns the fields we store."""
    if not isinstance(body, dict):
        raise GoogleError(400, "parseError", "Parse Error")
    snippet, status = body.get("snippet") or {}, body.get("status") or {}
    title = snippet.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 100 or "<" in title or ">" in title:
        raise video_error("invalidTitle", "The request metadata specifies an invalid or empty video title.")
    description = snippet.get("description", "")
    if (
        not isinstance(description, str)
        or len(description.encode()) > 5000
        or "<" in description
        or ">" in description
    ):
        raise video_error(
            "invalidDescription", "The request metadata specifies an invalid video description."
        )
    tags = snippet.get("tags") or []
    if not isinstance(tags, list) or sum(len(str(t)) for t in tags) > 500:
        raise video_error("invalidTags", "The request metadata specifies invalid video keywords.")
    privacy = status.get("privacyStatus", "public")
    if privacy not in PRIVACY:
        raise video_error(
            "invalidVideoMetadata",
            "The request metadata is invalid: privacyStatus must be private, public or unlisted.",
        )
    publish_at = status.get("publishAt")
    if publish_at is not None:
        try:
            when = parse_iso(str(publish_at))
        except ValueError:
            when = None
        if privacy != "private" or when is None or when.tzinfo is None or when.timestamp() <= now_ts:
            raise video_error(
                "invalidPublishAt", "The request metadata specifies an invalid scheduled publishing time."
            )
        publish_at = when.isoformat().replace("+00:00", "Z")
    return {
        "caption": title,
        "description": description,
        "tags": [str(t) for t in tags],
        "category_id": str(snippet.get("categoryId", "22")),
        "privacy": privacy,
        "publish_at": publish_at,
        "made_for_kids": bool(status.get("selfDeclaredMadeForKids", False)),
    }


class UploadPart(DataPart, YouTubeBase):
    """The resumable upload endpoint under www.googleapis.com/upload/youtube/v3."""

    def upload_routes(self) -> list[Route]:
        path = f"/{WWW}/upload/youtube/v3/videos"
        return [
            Route(path, self.upload_start, methods=["POST"]),
            Route(path, self.upload_put, methods=["PUT"]),
        ]

    @api
    async def upload_start(self, request: Request) -> Response:
        token = self.authorize_token(request, UPLOAD_SCOPES)
        self.charge(token, "videos.insert")
        self.count_channel_upload(token["account_id"])
        q = request.query_params
        if q.get("uploadType") != "resumable":
            raise param_error(
                "invalidParameter",
                "The sandbox serves uploadType=resumable only.",
                "uploadType",
                domain="global",
            )
        parts = [p for p in q.get("part", "").split(",") if p]
        if not parts:
            raise param_error("required", "Required parameter: part", "part", domain="global")
        media_type = (
            request.headers.get("x-upload-content-type", "application/octet-stream").split(";")[0].strip()
        )
        if not (media_type.startswith("video/") or media_type == "application/octet-stream"):
            raise GoogleError(
                400,
                "badContent",
                f"Media type '{media_type}' is not supported. Valid media types: [video/*, application/octet-stream]",
            )
        length = request.headers.get("x-upload-content-length")
        if length is not None and (not length.isdigit() or int(length) <= 0):
            raise GoogleError(
                400, "badRequest", "X-Upload-Content-Length must be a positive number of bytes."
            )
        try:
            body = await read_json(request)
        except ValueError as exc:
            raise GoogleError(400, "parseError", "Parse Error") from exc
        meta = check_metadata(body, self.sb.now_ts())
        upload_id = "AUEU" + secrets.token_urlsafe(36)
        self.sb.store.put(
            SESSIONS,
            upload_id,
            {
                "client_id": token["client_id"],
                "account_id": token["account_id"],
                "meta": meta,
                "parts": parts,
                "total": int(length) if length else None,
                "received": 0,
                "head": "",
                "created_ts": self.sb.now_ts(),
                "video_id": None,
            },
        )
        root = str(request.base_url).rstrip("/")
        query = urlencode({"uploadType": "resumable", "upload_id": upload_id, "part": ",".join(parts)})
        return Response(
            status_code=200,
            headers={
                "Location": f"{root}/{WWW}/upload/youtube/v3/videos?{query}",
                "X-GUploader-UploadID": upload_id,
            },
        )

    def count_channel_upload(self, channel_id: str) -> None:
        """The per-channel daily upload cap (videos.insert reference: 400 uploadLimitExceeded),
        apart from the project's quota; it resets at midnight Pacific like the quota."""
        key = "uploads:" + self.quota_key(channel_id, "channel")
        if self.sb.counter(key) >= int(self.sb.config("youtube.channel_uploads_per_day")):
            raise GoogleError(
                400,
                "uploadLimitExceeded",
                "The user has exceeded the number of videos they may upload.",
                domain="youtube.video",
            )
        self.sb.incr(key)

    @api
    async def upload_put(self, request: Request) -> Response:
        upload_id = request.query_params.get("upload_id", "")
        doc = self.sb.store.get(SESSIONS, upload_id)
        if doc is None or self.sb.now_ts() - doc["created_ts"] > SESSION_SECONDS:
            raise GoogleError(404, "notFound", "The upload session was not found or has expired.")
        body = await request.body()
        if doc["video_id"]:
            return self._done(doc, 200)
        header = request.headers.get("content-range")
        if header is None:
            first, last, total = 0, len(body) - 1, doc["total"] if doc["total"] is not None else len(body)
            probe = False
        else:
            m = _RANGE.match(header.strip())
            if not m:
                raise GoogleError(
                    400, "badRequest", "Content-Range must be 'bytes first-last/total' or 'bytes */total'."
                )
            probe = m.group(1) is None
            first = int(m.group(1)) if m.group(1) else 0
            last = int(m.group(2)) if m.group(2) else -1
            total = int(m.group(3)) if m.group(3) != "*" else doc["total"]
        if doc["total"] is not None and total is not None and total != doc["total"]:
            raise GoogleError(
                400, "badRequest", f"The upload was announced as {doc['total']} bytes, not {total}."
            )
        if probe:
            return self._incomplete(doc)
        if last - first + 1 != len(body):
            raise GoogleError(400, "badRequest", "The body length does not match Content-Range.")
        if first != doc["received"]:
            return self._incomplete(doc)  # tell the client where to resume
        final = total is not None and last + 1 == total
        if not final and len(body) % CHUNK_MULTIPLE:
            raise GoogleError(
                400, "badRequest", f"Chunks other than the last must be a multiple of {CHUNK_MULTIPLE} bytes."
            )
        if total is not None and last + 1 > total:
            raise GoogleError(400, "badRequest", "Content-Range goes past the announced total.")
        changes: dict[str, Any] = {"received": doc["received"] + len(body), "total": total}
        if first == 0:
            changes["head"] = body[:16].hex()
        doc.update(changes)
        if final:
            doc["video_id"] = self._create_video(doc)
        self.sb.store.put(SESSIONS, upload_id, doc)
        return self._done(doc, 201) if final else self._incomplete(doc)

    def _incomplete(self, doc: dict[str, Any]) -> Response:
        headers = {"Range": f"bytes=0-{doc['received'] - 1}"} if doc["received"] else {}
        return Response(status_code=308, headers=headers)

    def _done(self, doc: dict[str, Any], status: int) -> Response:
        post = self.sb.post(PLATFORM, doc["video_id"]) or {}
        return json_response(self.video_resource(post, ["snippet", "status", *doc["parts"]]), status)

    def _create_video(self, doc: dict[str, Any]) -> str:
        rng = self.sb.rand("youtube:upload", self.sb.new_id("youtube:upload", 12))
        video_id = "".join(rng.choice(ID_CHARS) for _ in range(11))
        ok = looks_like_video(bytes.fromhex(doc["head"]))
        self.sb.add_post(
            PLATFORM,
            video_id,
            doc["account_id"],
            count_publish=ok,
            **doc["meta"],
            duration=rng.randint(15, 900),
            upload_status="uploaded" if ok else "failed",
            failure_reason=None if ok else "invalidFile",
        )
        return video_id
