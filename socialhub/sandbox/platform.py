"""What every platform module of the sandbox provides, and helpers they share.

A module serves one or more real hosts under path prefixes: a real URL
`https://graph.facebook.com/v25.0/me` is served at `/graph.facebook.com/v25.0/me`.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any, ClassVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from socialhub.sandbox.core import Sandbox


class PlatformModule:
    """Base of a sandbox platform module. Subclasses set the class attributes and routes()."""

    # Platforms this module serves (instagram and facebook share the Graph API).
    platforms: ClassVar[tuple[str, ...]] = ()
    # Real hosts, each served under "/<host>" (e.g. "graph.facebook.com").
    hosts: ClassVar[tuple[str, ...]] = ()
    # Injectable error faults every module renders, plus its own platform-specific ones.
    common_faults: ClassVar[frozenset[str]] = frozenset(
        {
            "rate_limited",
            "server_error",
            "expired_token",
            "revoked_token",
            "permission_denied",
            "invalid_request",
            "malformed",
        }
    )
    extra_faults: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def fault_errors(cls) -> frozenset[str]:
        return cls.common_faults | cls.extra_faults

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def seed(self) -> None:
        """Create this module's seeded accounts and their history (called once per store)."""

    def platform_for(self, request: Request) -> str:
        """Which platform a request belongs to (for faults and counters)."""
        return self.platforms[0]

    def render_fault(self, error: str, request: Request) -> Response:
        """An injected error in the platform's own wire format. Kinds: rate_limited,
        server_error, expired_token, revoked_token, permission_denied, invalid_request."""
        raise NotImplementedError

    def mint_token(
        self, platform: str, *, account_id: str, client_id: str | None, scopes: list[str] | None
    ) -> dict[str, Any]:
        """Issue a token for a seeded account without the browser (control API; the server
        passes the default app's client id when none is given). Returns the platform's own
        token response body (access_token, expires_in, ...)."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Entry of GET / : prefixes and seeded accounts."""
        return {
            "platforms": list(self.platforms),
            "prefixes": [f"/{h}" for h in self.hosts],
            "accounts": {
                p: [
                    {k: a.get(k) for k in ("id", "username", "display_name", "kind") if k in a}
                    for a in self.sb.accounts(p)
                ]
                for p in self.platforms
            },
        }


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


async def read_params(request: Request) -> dict[str, str]:
    """Query string merged with a urlencoded or multipart form body (Graph-style APIs)."""
    params = dict(request.query_params)
    ctype = request.headers.get("content-type", "")
    if request.method in {"POST", "PUT", "DELETE"} and (
        "application/x-www-form-urlencoded" in ctype or "multipart/form-data" in ctype
    ):
        form = await request.form()
        for key, value in form.items():
            params[key] = value if isinstance(value, str) else value  # UploadFile kept as is
    return params


async def read_json(request: Request) -> Any:
    """The JSON body, or raise ValueError with a message fit for an invalid-request error."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"Request body is not valid JSON: {exc.msg}") from exc


def bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() in {"bearer", "oauth"} and value.strip():
        return value.strip()
    return None


def basic_credentials(request: Request) -> tuple[str | None, str | None]:
    """(client_id, client_secret) from an `Authorization: Basic` header, else (None, None)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None, None
    try:
        user, sep, password = base64.b64decode(value.strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None, None
    return (user, password) if sep else (None, None)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    """The RFC 6749 token-endpoint error body most platforms use."""
    return json_response({"error": error, "error_description": description}, status)


def redirect_with(uri: str, params: dict[str, str], fragment: str | None = None) -> RedirectResponse:
    sep = "&" if "?" in uri else "?"
    target = f"{uri}{sep}{urlencode(params)}"
    if fragment is not None:
        target += f"#{fragment}"
    return RedirectResponse(target, status_code=302)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5f7;margin:0;color:#1c1f24}}
.card{{max-width:460px;margin:48px auto;background:#fff;border-radius:14px;box-shadow:0 4px 24px #0001;padding:28px}}
.brand{{font-weight:700;font-size:20px;color:{color}}} .tag{{font-size:12px;background:#fff4cc;color:#7a5d00;border-radius:6px;padding:2px 8px;margin-left:8px}}
h1{{font-size:18px;margin:16px 0 6px}} p{{color:#555;line-height:1.45}} ul{{padding-left:20px;color:#333}}
.acct{{display:flex;align-items:center;gap:10px;border:1px solid #e3e5e8;border-radius:10px;padding:10px 12px;margin:8px 0;cursor:pointer}}
.acct input{{margin:0}} .who{{font-weight:600}} .sub{{font-size:13px;color:#666}}
.row{{display:flex;gap:10px;margin-top:18px}} button{{flex:1;padding:11px;border-radius:9px;border:0;font-size:15px;cursor:pointer}}
.ok{{background:{color};color:#fff}} .no{{background:#e9ebee;color:#222}} .err{{color:#b00020}}
</style></head><body><div class="card">
<div><span class="brand">{brand}</span><span class="tag">SocialHub sandbox</span></div>
{body}
</div></body></html>"""


def page(brand: str, color: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(title=html.escape(title), brand=html.escape(brand), color=color, body=body),
        status_code=status,
    )


def error_page(brand: str, color: str, message: str, status: int = 400) -> HTMLResponse:
    body = f'<h1>Something went wrong</h1><p class="err">{html.escape(message)}</p>'
    return page(brand, color, "Error", body, status)


def consent_page(
    *,
    brand: str,
    color: str,
    app_name: str,
    accounts: list[dict[str, Any]],
    scopes: list[str],
    hidden: dict[str, str],
    action: str,
) -> HTMLResponse:
    """The consent screen: pick an account, approve or deny. Posts back to `action`."""
    fields = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in hidden.items()
        if v is not None
    )
    rows = "".join(
        '<label class="acct"><input type="radio" name="account_id" value="{id}"{checked}>'
        '<span><span class="who">{name}</span><br><span class="sub">@{user}</span></span></label>'.format(
            id=html.escape(str(a["id"])),
            checked=" checked" if i == 0 else "",
            name=html.escape(a.get("display_name") or a.get("username") or str(a["id"])),
            user=html.escape(a.get("username") or str(a["id"])),
        )
        for i, a in enumerate(accounts)
    )
    scope_list = "".join(f"<li>{html.escape(s)}</li>" for s in scopes) or "<li>basic profile</li>"
    body = (
        f"<h1>{html.escape(app_name)} wants to access your {html.escape(brand)} account</h1>"
        f"<p>Choose the account to connect. The app will be allowed to:</p><ul>{scope_list}</ul>"
        f'<form method="post" action="{html.escape(action)}">{fields}{rows}'
        '<div class="row"><button class="no" name="decision" value="deny" type="submit">Deny</button>'
        '<button class="ok" name="decision" value="approve" type="submit">Approve</button></div></form>'
    )
    return page(brand, color, f"Connect {brand}", body)
