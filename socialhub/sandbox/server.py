"""The sandbox ASGI app: every platform on one port, plus the control API.

Routing: `/<real host>/<real path>` for the platforms; `/_sandbox/...` for control
(bearer sandbox admin token, see control.py); `GET /` lists platforms, prefixes and seeded
accounts (JSON, or the readable page in home.py for a browser, also at `/_sandbox/`).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from socialhub.sandbox import home
from socialhub.sandbox.control import control_routes
from socialhub.sandbox.core import Sandbox
from socialhub.sandbox.platform import PlatformModule, json_response
from socialhub.sandbox.store import Store

log = logging.getLogger(__name__)


def load_modules(sandbox: Sandbox) -> list[PlatformModule]:
    from socialhub.sandbox.platforms import MODULES

    return [cls(sandbox) for cls in MODULES]


class FaultMiddleware(BaseHTTPMiddleware):
    """Counts every platform call and applies injected latency, errors and outages."""

    def __init__(self, app, sandbox: Sandbox, modules: list[PlatformModule]) -> None:
        super().__init__(app)
        self.sb = sandbox
        self.by_host = {h: m for m in modules for h in m.hosts}

    async def dispatch(self, request: Request, call_next):
        path = request.url.path
        host, _, rest = path.lstrip("/").partition("/")
        module = self.by_host.get(host)
        if module is None:
            return await call_next(request)
        platform = module.platform_for(request)
        self.sb.incr(f"calls:{platform}:{request.method} /{rest}")
        self.sb.incr(f"calls:{platform}")
        if platform in self.sb.down:
            return Response("Service Unavailable", status_code=503, media_type="text/plain")
        fault = self.sb.take_fault(platform, "/" + rest)
        if fault is not None:
            if fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if fault.kind == "down":
                return Response("Service Unavailable", status_code=503, media_type="text/plain")
            if fault.error == "malformed":
                return Response('{"data": [ {"id": ', status_code=200, media_type="application/json")
            if fault.error:
                return module.render_fault(fault.error, request)
        try:
            return await call_next(request)
        except Exception:  # a bug in a module must still look like the platform's 500
            log.exception("sandbox handler failed for %s", path)
            return module.render_fault("server_error", request)


class LostResponseMiddleware:
    """The "response lost after accept" fault: the platform handler runs to completion (a post
    is created and counted), then the connection closes before the answer's body, so the
    client sees a transport error (httpx: RemoteProtocolError), as when a network drops.

    Pure ASGI on purpose: it must withhold the answer, which BaseHTTPMiddleware cannot do.
    """

    def __init__(self, app, sandbox: Sandbox, modules: list[PlatformModule]) -> None:
        self.app = app
        self.sb = sandbox
        self.by_host = {h: m for m in modules for h in m.hosts}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host, _, rest = scope["path"].lstrip("/").partition("/")
        module = self.by_host.get(host)
        if module is None:
            await self.app(scope, receive, send)
            return
        fault = self.sb.take_fault(module.platform_for(Request(scope)), "/" + rest, lost=True)
        if fault is None:
            await self.app(scope, receive, send)
            return

        captured: list[dict] = []

        async def keep(message) -> None:  # the handler's answer is held back
            captured.append(message)

        await self.app(scope, receive, keep)
        self.sb.incr(f"lost_responses:{module.platform_for(Request(scope))}")
        # The status line and headers go out with a Content-Length the body never meets; the
        # server then closes the connection (an app that returns without completing its
        # response). The client sees a broken transfer, never a usable answer. Sending nothing
        # at all is not possible: the server would answer 500 on the app's behalf.
        start = next((m for m in captured if m["type"] == "http.response.start"), None)
        body = b"".join(m.get("body", b"") for m in captured if m["type"] == "http.response.body")
        headers = [(k, v) for k, v in (start or {}).get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body) + 1).encode()))
        await send(
            {"type": "http.response.start", "status": (start or {}).get("status", 200), "headers": headers}
        )


def create_app(
    db_path: Path | str | None = None,
    *,
    admin_token: str,
    seed: int = 42,
    app_urls: list[str] | None = None,
) -> Starlette:
    store = Store(db_path)
    sandbox = Sandbox(store, seed=seed, app_urls=app_urls)
    modules = load_modules(sandbox)
    if not sandbox.seeded:
        for module in modules:
            module.seed()
        sandbox.mark_seeded()

    async def index(request: Request) -> Response:
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(home.render(sandbox, modules, str(request.base_url).rstrip("/")))
        return json_response(
            {
                "name": "SocialHub platform sandbox",
                "clock": sandbox.now().isoformat(),
                "platforms": [m.describe() for m in modules],
                "control": "/_sandbox (Authorization: Bearer <sandbox admin token>)",
                "page": "GET / with Accept: text/html, or /_sandbox/ in a browser",
            }
        )

    async def page(request: Request) -> Response:
        return HTMLResponse(home.render(sandbox, modules, str(request.base_url).rstrip("/")))

    async def health(request: Request) -> Response:
        return json_response({"status": "ok", "clock": sandbox.now().isoformat()})

    routes: list[Any] = [
        Route("/", index),
        Route("/health", health),
        Route("/_sandbox/", page),
        Mount("/_sandbox", routes=control_routes(sandbox, modules, admin_token)),
    ]
    for module in modules:
        routes.extend(module.routes())

    app = Starlette(routes=routes)
    app.add_middleware(FaultMiddleware, sandbox=sandbox, modules=modules)
    app.add_middleware(LostResponseMiddleware, sandbox=sandbox, modules=modules)
    app.state.sandbox = sandbox
    app.state.modules = modules
    return app


def app_from_settings() -> Starlette:
    """The sandbox as configured by SocialHub's settings (used by `socialhub sandbox`)."""
    from socialhub.config import get_settings

    settings = get_settings()
    settings.ensure_data_dir()
    return create_app(
        settings.sandbox_db_path,
        admin_token=settings.get_sandbox_admin_token(),
        seed=settings.sandbox_seed,
        app_urls=[settings.base_url],
    )
