"""The sandbox ASGI app: every platform on one port, plus the control API.

Routing: `/<real host>/<real path>` for the platforms; `/_sandbox/...` for control
(bearer sandbox admin token); `GET /` lists platforms, prefixes and seeded accounts.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from socialhub.sandbox.core import PLATFORMS, Fault, Sandbox, default_app
from socialhub.sandbox.platform import PlatformModule, bearer_token, json_response, read_json
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


def create_app(
    db_path: Path | str | None = None,
    *,
    admin_token: str,
    seed: int = 42,
) -> Starlette:
    store = Store(db_path)
    sandbox = Sandbox(store, seed=seed)
    modules = load_modules(sandbox)
    if not sandbox.seeded:
        for module in modules:
            module.seed()
        sandbox.mark_seeded()

    def authorized(request: Request) -> bool:
        token = bearer_token(request) or ""
        return secrets.compare_digest(token.encode(), admin_token.encode())

    def control(handler):
        async def wrapped(request: Request) -> Response:
            if not authorized(request):
                return json_response({"error": "sandbox admin token required"}, 401)
            try:
                body = await read_json(request) if request.method in {"POST", "PUT", "DELETE"} else {}
                return json_response(await handler(request, body or {}))
            except (KeyError, ValueError, TypeError) as exc:
                return json_response({"error": f"bad control request: {exc}"}, 400)

        return wrapped

    async def index(request: Request) -> Response:
        return json_response(
            {
                "name": "SocialHub platform sandbox",
                "clock": sandbox.now().isoformat(),
                "platforms": [m.describe() for m in modules],
                "control": "/_sandbox (Authorization: Bearer <sandbox admin token>)",
            }
        )

    async def health(request: Request) -> Response:
        return json_response({"status": "ok", "clock": sandbox.now().isoformat()})

    # --- control endpoints ------------------------------------------------------------
    async def mint_token(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        platform = _platform(body)
        module = _module_for(modules, platform)
        minted = module.mint_token(  # type: ignore[attr-defined]
            platform,
            account_id=str(body["account_id"]),
            client_id=body.get("client_id") or default_app(platform)["client_id"],
            scopes=body.get("scopes"),
        )
        return minted

    async def token_action(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        action = request.path_params["action"]
        if action == "expire":
            return {"ok": sandbox.expire_token(str(body["token"]))}
        if action == "revoke":
            if "token" in body:
                return {"ok": sandbox.revoke_token(str(body["token"]))}
            n = sandbox.revoke_account_tokens(_platform(body), str(body["account_id"]), body.get("client_id"))
            return {"ok": n > 0, "revoked": n}
        raise ValueError(f"unknown token action {action!r}")

    async def faults(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        if request.method == "DELETE":
            sandbox.clear_faults(body.get("platform"))
            return {"ok": True}
        if request.method == "POST":
            platform = _platform(body)
            fault = sandbox.add_fault(
                platform,
                Fault(
                    kind=body.get("kind", "error"),
                    error=body.get("error"),
                    latency_ms=int(body.get("latency_ms", 0)),
                    remaining=body.get("count"),
                    rate=body.get("rate"),
                    endpoint=body.get("endpoint"),
                ),
            )
            return {"ok": True, "id": fault.id}
        return {p: [vars(f) for f in fs] for p, fs in sandbox.faults.items()}

    async def down(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        platform = request.path_params["platform"]
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        sandbox.set_down(platform, bool(body.get("down", True)))
        return {"down": sorted(sandbox.down)}

    async def clock(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        if request.method == "POST":
            sandbox.advance(float(body.get("advance_seconds", 0)))
        return {"now": sandbox.now().isoformat(), "now_ts": sandbox.now_ts()}

    async def counters(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return sandbox.counters()

    async def config(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        if request.method == "POST":
            return sandbox.set_config(body)
        return sandbox.all_config()

    async def apps(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        platform = _platform(body)
        fields = {k: v for k, v in body.items() if k != "platform"}
        return sandbox.register_app(platform, **fields)

    async def accounts(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return {p: sandbox.accounts(p) for p in PLATFORMS}

    async def reset(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        sandbox.reset()
        for module in modules:
            module.seed()
        sandbox.mark_seeded()
        return {"ok": True}

    control_routes = [
        Route("/tokens", control(mint_token), methods=["POST"]),
        Route("/tokens/{action}", control(token_action), methods=["POST"]),
        Route("/faults", control(faults), methods=["GET", "POST", "DELETE"]),
        Route("/platforms/{platform}/down", control(down), methods=["POST"]),
        Route("/clock", control(clock), methods=["GET", "POST"]),
        Route("/counters", control(counters), methods=["GET"]),
        Route("/config", control(config), methods=["GET", "POST"]),
        Route("/apps", control(apps), methods=["POST"]),
        Route("/accounts", control(accounts), methods=["GET"]),
        Route("/reset", control(reset), methods=["POST"]),
    ]

    routes: list[Any] = [
        Route("/", index),
        Route("/health", health),
        Mount("/_sandbox", routes=control_routes),
    ]
    for module in modules:
        routes.extend(module.routes())

    app = Starlette(routes=routes)
    app.add_middleware(FaultMiddleware, sandbox=sandbox, modules=modules)
    app.state.sandbox = sandbox
    app.state.modules = modules
    return app


def _platform(body: dict[str, Any]) -> str:
    platform = str(body.get("platform", ""))
    if platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}")
    return platform


def _module_for(modules: list[PlatformModule], platform: str) -> PlatformModule:
    for module in modules:
        if platform in module.platforms:
            return module
    raise ValueError(f"no sandbox module serves {platform}")


def app_from_settings() -> Starlette:
    """The sandbox as configured by SocialHub's settings (used by `socialhub sandbox`)."""
    from socialhub.config import get_settings

    settings = get_settings()
    settings.ensure_data_dir()
    return create_app(
        settings.sandbox_db_path,
        admin_token=settings.get_sandbox_admin_token(),
        seed=settings.sandbox_seed,
    )
