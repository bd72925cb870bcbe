"""The sandbox's control API (`/_sandbox/...`, bearer sandbox admin token).

Every body is checked before anything changes: it must be one JSON object of known fields
with the right types, or the answer is 400 with `{"error": "..."}`. No handler lets an
exception reach the client as a traceback; an unexpected one answers 500 in JSON.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.core import DEFAULT_CONFIG, PLATFORMS, Fault, Sandbox, default_app
from socialhub.sandbox.platform import PlatformModule, bearer_token, json_response

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 8
FAULT_KINDS = ("error", "latency", "down", "lost")
MAX_ADVANCE_SECONDS = 20 * 366 * 86400
Body = dict[str, Any]
Handler = Callable[[Request, Body], Awaitable[Any]]


class BadControl(ValueError):
    """A control request that cannot be applied; answered 400 (or `status`)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --- body checks ------------------------------------------------------------------------------


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, stopping once past `limit`."""
    if limit < 0:
        return 1
    if isinstance(value, dict):
        return 1 + max((_depth(v, limit - 1) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v, limit - 1) for v in value), default=0)
    return 0


async def read_body(request: Request) -> Body:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise BadControl(f"body is larger than {MAX_BODY_BYTES} bytes", 413)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except RecursionError as exc:
        raise BadControl(f"body is nested more than {MAX_DEPTH} levels deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadControl(f"body is not valid JSON: {str(exc)[:120]}") from exc
    if not isinstance(body, dict):
        raise BadControl(f"body must be a JSON object, not {type(body).__name__}")
    if _depth(body, MAX_DEPTH) > MAX_DEPTH:
        raise BadControl(f"body is nested more than {MAX_DEPTH} levels deep")
    return body


def only(body: Body, *allowed: str) -> None:
    unknown = sorted(k for k in body if k not in allowed)
    if unknown:
        raise BadControl(f"unknown field(s): {', '.join(unknown)}; expected: {', '.join(allowed)}")


def text(body: Body, key: str, *, required: bool = False, max_len: int = 500) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise BadControl(f"{key} is required")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # numeric account ids are fine as numbers
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise BadControl(f"{key} must be a non-empty string of at most {max_len} characters")
    return value


def number(
    body: Body, key: str, *, lo: float, hi: float, integer: bool = False, default: float | None = None
) -> float | None:
    value = body.get(key, default)
    if value is None:
        return None
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer and float(value) != int(value):
        ok = False
    if not ok or not lo <= value <= hi:
        kind = "an integer" if integer else "a number"
        raise BadControl(f"{key} must be {kind} between {lo:g} and {hi:g}")
    return int(value) if integer else float(value)


def flag(body: Body, key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise BadControl(f"{key} must be true or false")
    return value


def strings(body: Body, key: str, *, max_items: int = 50) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > max_items
        or not all(isinstance(v, str) and 0 < len(v) <= 500 for v in value)
    ):
        raise BadControl(f"{key} must be a list of at most {max_items} non-empty strings")
    return value


def platform_of(body: Body, key: str = "platform", *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if value not in PLATFORMS:
        raise BadControl(f"{key} must be one of {', '.join(PLATFORMS)}")
    return str(value)


def redirect_uri(value: str) -> str:
    if not value.startswith(("http://", "https://")) or any(c.isspace() for c in value) or "#" in value:
        raise BadControl("a redirect URI must be an absolute http(s) URL without spaces or fragment")
    return value


def config_changes(body: Body) -> Body:
    """Known keys only: a switch takes true/false, a number a finite number >= 0."""
    unknown = sorted(k for k in body if k not in DEFAULT_CONFIG)
    if unknown:
        raise BadControl(f"unknown config key(s): {', '.join(unknown)[:300]}")
    for key, value in body.items():
        if isinstance(DEFAULT_CONFIG[key], bool):
            if not isinstance(value, bool):
                raise BadControl(f"{key} must be true or false")
        elif (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
            or not 0 <= value <= 10**12
        ):
            raise BadControl(f"{key} must be a number between 0 and 1e12")
    return body


# --- the routes -------------------------------------------------------------------------------


def control_routes(sandbox: Sandbox, modules: list[PlatformModule], admin_token: str) -> list[Route]:
    def module_for(platform: str) -> PlatformModule:
        for module in modules:
            if platform in module.platforms:
                return module
        raise BadControl(f"no sandbox module serves {platform}")

    def control(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            token = bearer_token(request) or ""
            if not secrets.compare_digest(token.encode(), admin_token.encode()):
                return json_response({"error": "sandbox admin token required"}, 401)
            try:
                body = await read_body(request) if request.method in {"POST", "PUT", "DELETE"} else {}
                return json_response(await handler(request, body))
            except BadControl as exc:
                return json_response({"error": str(exc)}, exc.status)
            except (KeyError, ValueError, TypeError) as exc:  # a module refusing a value
                return json_response({"error": f"bad control request: {str(exc)[:300]}"}, 400)
            except Exception:  # never a traceback on the wire
                log.exception("sandbox control %s failed", request.url.path)
                return json_response({"error": "internal sandbox error"}, 500)

        return wrapped

    async def mint_token(request: Request, body: Body) -> Any:
        only(body, "platform", "account_id", "client_id", "scopes")
        platform = platform_of(body)
        assert platform is not None
        return module_for(platform).mint_token(
            platform,
            account_id=text(body, "account_id", required=True) or "",
            client_id=text(body, "client_id") or default_app(platform)["client_id"],
            scopes=strings(body, "scopes", max_items=100),
        )

    async def token_action(request: Request, body: Body) -> Any:
        action = request.path_params["action"]
        if action not in {"expire", "revoke"}:
            raise BadControl(f"unknown token action {action[:40]!r}; expected expire or revoke", 404)
        only(body, "token", "platform", "account_id", "client_id")
        token = text(body, "token", max_len=4000)
        if action == "expire":
            if token is None:
                raise BadControl("token is required")
            return {"ok": sandbox.expire_token(token)}
        if token is not None:
            return {"ok": sandbox.revoke_token(token)}
        platform = platform_of(body)
        account = text(body, "account_id", required=True) or ""
        n = sandbox.revoke_account_tokens(platform or "", account, text(body, "client_id"))
        return {"ok": n > 0, "revoked": n}

    async def faults(request: Request, body: Body) -> Any:
        if request.method == "DELETE":
            only(body, "platform")
            sandbox.clear_faults(platform_of(body, required=False))
            return {"ok": True}
        if request.method == "POST":
            only(body, "platform", "kind", "error", "latency_ms", "count", "rate", "endpoint")
            platform = platform_of(body)
            assert platform is not None
            # No kind given: a latency-only fault when only a delay is asked for, else an error.
            kind = body.get("kind") or (
                "latency" if body.get("error") is None and body.get("latency_ms") else "error"
            )
            if kind not in FAULT_KINDS:
                raise BadControl(f"kind must be one of {', '.join(FAULT_KINDS)}")
            error = body.get("error")
            allowed = module_for(platform).fault_errors()
            if error is not None and error not in allowed:
                raise BadControl(f"error for {platform} must be one of {', '.join(sorted(allowed))}")
            if kind == "error" and error is None:
                raise BadControl("error is required for kind error")
            count = number(body, "count", lo=1, hi=10**6, integer=True)
            fault = sandbox.add_fault(
                platform,
                Fault(
                    kind=kind,
                    error=error if kind in {"error", "latency"} else None,
                    latency_ms=int(number(body, "latency_ms", lo=0, hi=60_000, integer=True, default=0) or 0),
                    remaining=None if count is None else int(count),
                    rate=number(body, "rate", lo=0.0, hi=1.0),
                    endpoint=text(body, "endpoint", max_len=300),
                ),
            )
            return {"ok": True, "id": fault.id}
        return {p: [vars(f) for f in fs] for p, fs in sandbox.faults.items()}

    async def down(request: Request, body: Body) -> Any:
        platform = request.path_params["platform"]
        if platform not in PLATFORMS:
            raise BadControl(f"unknown platform {platform[:40]!r}", 404)
        only(body, "down")
        sandbox.set_down(platform, flag(body, "down", True))
        return {"down": sorted(sandbox.down)}

    async def clock(request: Request, body: Body) -> Any:
        if request.method == "POST":
            only(body, "advance_seconds")
            seconds = number(body, "advance_seconds", lo=0, hi=MAX_ADVANCE_SECONDS, default=0)
            sandbox.advance(seconds or 0)
        return {"now": sandbox.now().isoformat(), "now_ts": sandbox.now_ts()}

    async def counters(request: Request, body: Body) -> Any:
        return sandbox.counters()

    async def config(request: Request, body: Body) -> Any:
        if request.method == "POST":
            return sandbox.set_config(config_changes(body))
        return sandbox.all_config()

    async def apps(request: Request, body: Body) -> Any:
        only(
            body,
            "platform",
            "client_id",
            "client_secret",
            "redirect_uris",
            "audited",
            "name",
            "verified_domains",
        )
        platform = platform_of(body)
        assert platform is not None
        fields: Body = {"client_id": text(body, "client_id", required=True, max_len=200)}
        fields["client_secret"] = text(body, "client_secret", required=True, max_len=200)
        uris = strings(body, "redirect_uris")
        if uris is not None:
            fields["redirect_uris"] = [redirect_uri(u) for u in uris]
        if "audited" in body:
            fields["audited"] = flag(body, "audited", False)
        if "name" in body:
            fields["name"] = text(body, "name", max_len=200)
        domains = strings(body, "verified_domains")
        if domains is not None:
            fields["verified_domains"] = domains
        return sandbox.register_app(platform, **fields)

    async def redirect_uris(request: Request, body: Body) -> Any:
        if request.method == "GET":
            return {p: sandbox.redirect_uris(p, default_app(p)["client_id"]) for p in PLATFORMS}
        only(body, "platform", "client_id", "redirect_uri", "redirect_uris")
        platform = platform_of(body)
        assert platform is not None
        uris = strings(body, "redirect_uris") or []
        single = text(body, "redirect_uri", max_len=500)
        if single:
            uris.append(single)
        if not uris:
            raise BadControl("redirect_uri or redirect_uris is required")
        client_id = text(body, "client_id", max_len=200) or default_app(platform)["client_id"]
        if sandbox.app(platform, client_id) is None:
            raise BadControl(f"unknown {platform} client_id {client_id!r}")
        return {
            "redirect_uris": sandbox.add_redirect_uris(platform, client_id, [redirect_uri(u) for u in uris])
        }

    async def accounts(request: Request, body: Body) -> Any:
        return {p: sandbox.accounts(p) for p in PLATFORMS}

    async def seed_posts(request: Request, body: Body) -> Any:
        """More past posts for an existing account (benchmarks): {platform, account_id, count}."""
        only(body, "platform", "account_id", "count", "days")
        platform = platform_of(body)
        assert platform is not None
        account = text(body, "account_id", required=True) or ""
        if sandbox.account(platform, account) is None:
            raise BadControl(f"unknown {platform} account {account[:60]!r}", 404)
        count = int(number(body, "count", lo=1, hi=100_000, integer=True) or 0)
        if count < 1:
            raise BadControl("count is required")
        days = int(number(body, "days", lo=1, hi=3650, integer=True, default=90) or 90)
        try:
            posts = sandbox.seed_posts(platform, account, count=count, days=days)
        except ValueError as exc:
            raise BadControl(str(exc)) from exc
        return {"created": len(posts), "posts": [{"id": i, "created_at": at} for i, at in posts]}

    async def reset(request: Request, body: Body) -> Any:
        only(body)
        sandbox.reset()
        for module in modules:
            module.seed()
        sandbox.mark_seeded()
        return {"ok": True}

    return [
        Route("/tokens", control(mint_token), methods=["POST"]),
        Route("/tokens/{action}", control(token_action), methods=["POST"]),
        Route("/faults", control(faults), methods=["GET", "POST", "DELETE"]),
        Route("/platforms/{platform}/down", control(down), methods=["POST"]),
        Route("/clock", control(clock), methods=["GET", "POST"]),
        Route("/counters", control(counters), methods=["GET"]),
        Route("/config", control(config), methods=["GET", "POST"]),
        Route("/apps", control(apps), methods=["POST"]),
        Route("/redirect_uris", control(redirect_uris), methods=["GET", "POST"]),
        Route("/accounts", control(accounts), methods=["GET"]),
        Route("/reset", control(reset), methods=["POST"]),
        Route("/seed_posts", control(seed_posts), methods=["POST"]),
    ]
