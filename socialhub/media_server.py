"""The one web route platforms fetch media from: GET /media/<token>/<name>.

Instagram, Facebook and TikTok (PULL_FROM_URL) download media from a public URL. The app
serves each file only through a grant (services/media.py): unknown, expired or no longer
needed tokens get a plain 404, the same answer whichever it is.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from socialhub.db import session_scope
from socialhub.services import media


async def serve(request: Request) -> Response:
    import asyncio

    token = request.path_params["token"]

    def lookup():
        with session_scope() as s:
            return media.resolve(s, token)

    found = await asyncio.to_thread(lookup)
    if found is None:
        return PlainTextResponse("Not found", status_code=404)
    return FileResponse(
        found.path,
        media_type=found.mime_type,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


def create_media_app() -> Starlette:
    return Starlette(routes=[Route("/media/{token}/{name}", serve, methods=["GET", "HEAD"])])
