"""The one web route platforms fetch media from: GET /media/<token>/<name>.

Instagram, Facebook and TikTok (PULL_FROM_URL) download media from a public URL. The app
serves each file only through a grant (services/media.py): unknown, expired or no longer
needed tokens get a plain 404, the same answer whichever it is. The grant is checked on
every request, before the store is touched.

Where the bytes come from depends on the media store (README "Media storage"): the local
store sends the file; with S3, `SOCIALHUB_MEDIA_S3_DELIVERY=proxy` streams the object through
the app, and `redirect` answers 302 to a presigned URL of the store that expires after
`SOCIALHUB_MEDIA_S3_PRESIGN_SECONDS` (never later than the grant itself).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from socialhub.config import get_settings
from socialhub.db import session_scope
from socialhub.models import utcnow
from socialhub.services import media, media_store

_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
_SINGLE_RANGE = re.compile(r"^bytes=(\d+-\d*|-\d+)$")


def _not_found() -> Response:
    return PlainTextResponse("Not found", status_code=404)


def _chunks(body) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(1024 * 1024)
    finally:
        body.close()


async def serve(request: Request) -> Response:
    token = request.path_params["token"]

    def lookup():
        with session_scope() as s:
            return media.resolve(s, token)

    found = await asyncio.to_thread(lookup)
    if found is None:
        return _not_found()
    store = media_store.get_store()
    if isinstance(store, media_store.LocalStore):
        path = store.path(found.key)
        if not path.exists():
            return _not_found()
        return FileResponse(path, media_type=found.mime_type, headers=_HEADERS)
    settings = get_settings()
    if settings.media_s3_delivery == "redirect":
        left = int((found.expires_at - utcnow()).total_seconds())
        seconds = max(1, min(settings.media_s3_presign_seconds, left))
        url = store.presigned_url(
            found.key, seconds=seconds, method=request.method, mime_type=found.mime_type
        )
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    if request.method == "HEAD":
        size = await asyncio.to_thread(store.size, found.key)
        if size is None:
            return _not_found()
        return Response(
            headers={
                **_HEADERS,
                "Content-Length": str(size),
                "Content-Type": found.mime_type,
                "Accept-Ranges": "bytes",
            }
        )
    asked = request.headers.get("range", "")
    byte_range = asked if _SINGLE_RANGE.match(asked) else None  # several ranges: the whole file
    try:
        body, size, content_range = await asyncio.to_thread(store.open, found.key, byte_range)
    except media_store.MediaMissing:
        return _not_found()
    except media_store.RangeNotSatisfiable as exc:
        return Response(status_code=416, headers={**_HEADERS, "Content-Range": f"bytes */{exc.size}"})
    headers = {**_HEADERS, "Content-Length": str(size), "Accept-Ranges": "bytes"}
    if content_range:
        headers["Content-Range"] = content_range
    return StreamingResponse(
        _chunks(body),
        status_code=206 if content_range else 200,
        media_type=found.mime_type,
        headers=headers,
    )


def create_media_app() -> Starlette:
    return Starlette(routes=[Route("/media/{token}/{name}", serve, methods=["GET", "HEAD"])])
