"""Security headers and CSP (issue 12: no Content-Security-Policy, no frame protection).
The middleware is the one the app installs (rx.App api_transformer); here it wraps a small
Starlette app served over HTTP by httpx's ASGI transport. The browser suite checks the real
app end to end (tests/browser/test_security_live.py).
These tests run their own event loop (asyncio.run) instead of the anyio plugin's shared one,
so no other test's loop handling can leave them with a closed runner."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import hashlib

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from socialhub.config import Settings
from socialhub.http_security import SecurityHeaders, allowed_origins

INLINE = "window.__reactRouterContext = {};"
PAGE = f"<!doctype html><html><head><script>{INLINE}</script><script type=module src=/a.js></script></head></html>"


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


async def page(request):
    return HTMLResponse(PAGE)


async def streamed(request):
    async def parts():
        yield b"<html><script>var a"
        yield b" = 1;</script></html>"

    return StreamingResponse(parts(), media_type="text/html; charset=utf-8")


async def zipped(request):
    return Response(
        gzip.compress(PAGE.encode()), media_type="text/html", headers={"Content-Encoding": "gzip"}
    )


async def ping(request):
    return JSONResponse(True, headers={"X-Frame-Options": "SAMEORIGIN"})


@contextlib.asynccontextmanager
async def make_client():
    inner = Starlette(
        routes=[
            Route("/", page),
            Route("/streamed", streamed),
            Route("/ping", ping),
            Route("/zipped", zipped),
        ]
    )
    app = SecurityHeaders(inner, origins=["https://hub.example.org"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://hub.example.org"
    ) as c:
        yield c


def _policy(response) -> dict[str, list[str]]:
    return {
        d.split()[0]: d.split()[1:]
        for d in response.headers["content-security-policy"].split(";")
        if d.strip()
    }


def test_pages_carry_csp_with_the_hash_of_their_inline_scripts():
    async def run(client):
        response = await client.get("/")
        assert response.text == PAGE
        policy = _policy(response)
        assert policy["script-src"] == ["'self'", "'unsafe-eval'", _sha(INLINE)]
        assert "'unsafe-inline'" not in policy["script-src"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert "wss://hub.example.org" in policy["connect-src"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"

    async def main():
        async with make_client() as client:
            await run(client)

    asyncio.run(main())


def test_streamed_html_is_hashed_whole():
    async def run(client):
        response = await client.get("/streamed")
        assert _policy(response)["script-src"] == ["'self'", "'unsafe-eval'", _sha("var a = 1;")]

    async def main():
        async with make_client() as client:
            await run(client)

    asyncio.run(main())


def test_precompressed_pages_are_hashed_from_their_text():
    async def run(client):
        """Reflex serves its build gzip-compressed: the hashes must come from the decoded page."""
        response = await client.get("/zipped")
        assert response.text == PAGE  # httpx decodes
        assert _policy(response)["script-src"] == ["'self'", "'unsafe-eval'", _sha(INLINE)]

    async def main():
        async with make_client() as client:
            await run(client)

    asyncio.run(main())


def test_not_modified_keeps_the_cached_pages_policy(tmp_path):
    async def run():
        """A reload revalidates the page (304): a CSP on the 304 would replace the cached page's
        and block its inline scripts (the page hung at "Checking your session")."""
        from starlette.staticfiles import StaticFiles

        (tmp_path / "index.html").write_text(PAGE)
        app = SecurityHeaders(StaticFiles(directory=tmp_path, html=True), origins=["http://127.0.0.1:3000"])
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:3000"
        ) as c:
            first = await c.get("/")
            again = await c.get("/", headers={"If-None-Match": first.headers["etag"]})
        assert _sha(INLINE) in first.headers["content-security-policy"]
        assert again.status_code == 304
        assert "content-security-policy" not in again.headers
        assert again.headers["x-frame-options"] == "DENY"

    asyncio.run(run())


def test_other_responses_get_the_headers_once():
    async def run(client):
        response = await client.get("/ping")
        assert response.json() is True
        assert response.headers.get_list("x-frame-options") == ["DENY"]
        assert _policy(response)["script-src"] == ["'self'", "'unsafe-eval'"]

    async def main():
        async with make_client() as client:
            await run(client)

    asyncio.run(main())


def test_allowed_origins_are_the_public_url_and_its_loopback_twin():
    assert allowed_origins(Settings(SOCIALHUB_PUBLIC_URL="https://hub.example.org/")) == [
        "https://hub.example.org"
    ]
    assert allowed_origins(Settings(SOCIALHUB_HOST="127.0.0.1", SOCIALHUB_PORT=3000)) == [
        "http://127.0.0.1:3000",
        "http://localhost:3000",
    ]
    extra = Settings(
        SOCIALHUB_PUBLIC_URL="https://a.example", SOCIALHUB_ALLOWED_ORIGINS="https://b.example/, "
    )
    assert allowed_origins(extra) == ["https://a.example", "https://b.example"]


@pytest.mark.timeout(30)
def test_static_html_sent_by_path_is_still_hashed(tmp_path):
    async def run():
        """Granian offers ASGI "pathsend": FileResponse would hand over a path, not bytes, and
        the page's inline scripts would go unhashed (and blocked). The middleware hides it."""
        from starlette.staticfiles import StaticFiles

        (tmp_path / "index.html").write_text(PAGE)
        app = SecurityHeaders(StaticFiles(directory=tmp_path, html=True), origins=["http://127.0.0.1:3000"])
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "raw_path": b"/",
            "root_path": "",
            "query_string": b"",
            "headers": [],
            "scheme": "http",
            "server": ("127.0.0.1", 3000),
            "http_version": "1.1",
            "extensions": {"http.response.pathsend": {}},
        }
        sent = []
        requested = False

        async def receive():
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)  # the client stays connected

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
        headers = dict(sent[0]["headers"])
        assert _sha(INLINE).encode() in headers[b"content-security-policy"]
        assert sent[1]["body"] == PAGE.encode()

    asyncio.run(run())
