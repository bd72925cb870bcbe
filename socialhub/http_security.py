"""Security headers on every HTTP response of the web app (pages, assets, /ping, uploads).

An ASGI middleware, installed through rx.App(api_transformer=...): in single-port mode the
backend serves the built frontend too, so one wrapper covers pages and API alike.

The Content-Security-Policy allows scripts from this origin plus the inline scripts of the
page itself, by hash: React Router's prerendered pages carry small inline bootstrap scripts,
and hashing them at response time keeps 'unsafe-inline' out of script-src. Reflex evaluates
the scripts its backend sends (toasts, call_script), hence 'unsafe-eval'. Styles need
'unsafe-inline' (Radix and Emotion inject <style> elements and style attributes).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import zlib
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC_ATTR = re.compile(rb"\bsrc\s*=", re.IGNORECASE)
# Pages are a few kilobytes; anything larger is not rewritten (and gets no inline script).
_MAX_HASHED_BODY = 4 * 1024 * 1024


def websocket_origin(origin: str) -> str:
    """The ws(s):// form of an http(s) origin (CSP 'self' covers it in CSP3, older browsers not)."""
    parts = urlsplit(origin)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}"


def inline_script_hashes(html: bytes) -> list[str]:
    hashes = []
    for attrs, body in _INLINE_SCRIPT.findall(html):
        if _SRC_ATTR.search(attrs) or not body.strip():
            continue
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return sorted(set(hashes))


def content_security_policy(origins: Iterable[str], script_hashes: Iterable[str] = ()) -> str:
    origins = list(origins)
    connect = ["'self'", *origins, *(websocket_origin(o) for o in origins)]
    directives = {
        "default-src": ["'self'"],
        # 'unsafe-eval': Reflex runs what the backend sends over its websocket (rx.toast,
        # rx.call_script) with eval(). That code comes from our server only; injected markup
        # still cannot run, since inline scripts and handlers need a hash ('unsafe-inline' is out).
        "script-src": ["'self'", "'unsafe-eval'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        # Avatars and thumbnails come from the platforms' (or the sandbox's) hosts.
        "img-src": ["'self'", "data:", "blob:", "https:", "http:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": connect,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class SecurityHeaders:
    """Adds BASE_HEADERS and a CSP to HTTP responses; HTML bodies get their script hashes."""

    def __init__(self, app: ASGIApp, *, origins: Iterable[str]) -> None:
        self.app = app
        self.origins = [o.rstrip("/") for o in origins if o]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Static pages must pass through as bytes to be hashed: without the server's
        # "pathsend" extension, Starlette's FileResponse sends body chunks instead of a path.
        extensions = {
            k: v for k, v in (scope.get("extensions") or {}).items() if k != "http.response.pathsend"
        }
        scope = {**scope, "extensions": extensions}
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = _without(message.get("headers", []), {*BASE_HEADERS, "content-security-policy"})
                headers += [(k.encode(), v.encode()) for k, v in BASE_HEADERS.items()]
                message = {**message, "headers": headers}
                if message.get("status") == 304:
                    # The browser keeps the cached page and merges these headers into it: a
                    # CSP here (with no body to hash) would replace the page's own and block
                    # its inline scripts. The cached response keeps the CSP it came with.
                    await send(message)
                    return
                if _is_html(headers) and scope.get("method") != "HEAD":
                    start = message  # held back until the body is complete and hashed
                    return
                message["headers"] = headers + [_csp(self.origins, [])]
                await send(message)
                return
            if start is None:
                await send(message)
                return
            if message["type"] != "http.response.body":  # an extension we did not expect
                held, start = start, None
                await send({**held, "headers": [*held["headers"], _csp(self.origins, [])]})
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False) and sum(map(len, chunks)) <= _MAX_HASHED_BODY:
                return
            body = b"".join(chunks)
            more = message.get("more_body", False)
            hashes = [] if more else inline_script_hashes(_decoded(body, start["headers"]))
            await send({**start, "headers": [*start["headers"], _csp(self.origins, hashes)]})
            start = None
            await send({"type": "http.response.body", "body": body, "more_body": more})

        await self.app(scope, receive, send_with_headers)


def _without(headers: list[tuple[bytes, bytes]], names: set[str]) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.decode("latin-1").lower() not in names]


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.lower().startswith(b"text/html") for k, v in headers)


def _decoded(body: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The page as text: Reflex serves its build pre-compressed (gzip, rxconfig pins it)."""
    encoding = next((v.lower().strip() for k, v in headers if k.lower() == b"content-encoding"), b"")
    try:
        if encoding in (b"gzip", b"x-gzip"):
            return gzip.decompress(body)
        if encoding == b"deflate":
            return zlib.decompress(body)
    except (OSError, EOFError, zlib.error):
        return b""
    return body if encoding in (b"", b"identity") else b""


def _csp(origins: list[str], hashes: list[str]) -> tuple[bytes, bytes]:
    return b"content-security-policy", content_security_policy(origins, hashes).encode()


def allowed_origins(settings) -> list[str]:
    """The browser origins that may use the app: its public URL (both loopback names when it
    is served on loopback) and SOCIALHUB_ALLOWED_ORIGINS."""
    origins = [settings.base_url]
    parts = urlsplit(settings.base_url)
    loopback = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
    if parts.hostname in loopback:
        port = f":{parts.port}" if parts.port else ""
        origins.append(f"{parts.scheme}://{loopback[parts.hostname]}{port}")
    origins += [o.strip().rstrip("/") for o in settings.allowed_origins.split(",") if o.strip()]
    return list(dict.fromkeys(o.rstrip("/") for o in origins))
