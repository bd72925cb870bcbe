"""LinkedIn OAuth 2.0 (3-legged): authorization page, accessToken, refresh, revoke, introspect.

CONTRACTS §5.1. Access tokens live 60 days (config linkedin.access_token_seconds). Refresh
tokens are issued only when config linkedin.issue_refresh_tokens is true (approved partners);
their 365-day TTL is fixed at first issue and a refresh does not extend it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import OAuthError, Sandbox, TokenError
from socialhub.sandbox.platform import (
    basic_credentials,
    consent_page,
    error_page,
    json_response,
    oauth_error,
    read_params,
    redirect_with,
)
from socialhub.sandbox.platforms.linkedin.common import ALL_SCOPES, BRAND, COLOR, DEFAULT_SCOPES, PLATFORM


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class LinkedInOAuth:
    """OAuth endpoints; mixed into the LinkedIn module (uses self.sb)."""

    sb: Sandbox

    # --- authorization ------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        params = await read_params(request)
        app = self.sb.app(PLATFORM, params.get("client_id", ""))
        if app is None:
            return error_page(BRAND, COLOR, "The passed in client_id is invalid.", 400)
        redirect_uri = params.get("redirect_uri", "")
        if not self.sb.redirect_allowed(app, redirect_uri):
            return error_page(BRAND, COLOR, "The redirect_uri does not match the registered value.", 400)
        state = params.get("state")

        def back(**fields: str) -> Response:
            if state is not None:
                fields["state"] = state
            return redirect_with(redirect_uri, fields)

        if params.get("response_type") != "code":
            return back(error="invalid_request", error_description="The response_type must be code.")
        scopes = [s for s in params.get("scope", "").replace(",", " ").split() if s]
        unknown = [s for s in scopes if s not in ALL_SCOPES]
        if not scopes:
            return back(error="invalid_scope", error_description="The scope parameter is required.")
        if unknown:
            return back(
                error="unauthorized_scope_error",
                error_description=f'Scope "{unknown[0]}" is not authorized for your application',
            )
        members = [a for a in self.sb.accounts(PLATFORM) if a.get("kind") == "member"]
        if request.method == "GET":
            hidden = {k: v for k, v in request.query_params.items() if k not in {"account_id", "decision"}}
            return consent_page(
                brand=BRAND,
                color=COLOR,
                app_name=str(app.get("name", "An app")),
                accounts=members,
                scopes=scopes,
                hidden=hidden,
                action=request.url.path,
            )
        if params.get("decision") != "approve":
            # LinkedIn's documented cancel: the member declined the permission request.
            return back(
                error="user_cancelled_authorize", error_description="The user cancelled the authorization"
            )
        account_id = params.get("account_id", "")
        if account_id not in {m["id"] for m in members}:
            return error_page(BRAND, COLOR, "Choose an account to continue.", 400)
        code = self.sb.issue_code(
            PLATFORM,
            client_id=app["client_id"],
            redirect_uri=redirect_uri,
            account_id=account_id,
            scopes=scopes,
        )
        return back(code=code)

    # --- tokens -------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        form = await read_params(request)
        basic_id, basic_secret = basic_credentials(request)
        client_id = form.get("client_id") or basic_id
        client_secret = form.get("client_secret") or basic_secret
        grant_type = form.get("grant_type")
        if not grant_type:
            return oauth_error("invalid_request", 'A required parameter "grant_type" is missing')
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if not value:
                return oauth_error("invalid_request", f'A required parameter "{name}" is missing')
        try:
            app = self.sb.check_client(PLATFORM, client_id, client_secret)
        except OAuthError:
            return oauth_error("invalid_client", "Client authentication failed", 401)
        if grant_type == "authorization_code":
            for name in ("code", "redirect_uri"):
                if not form.get(name):
                    return oauth_error("invalid_request", f'A required parameter "{name}" is missing')
            try:
                code = self.sb.consume_code(
                    PLATFORM,
                    form["code"],
                    client_id=app["client_id"],
                    redirect_uri=form["redirect_uri"],
                    code_verifier=form.get("code_verifier"),
                )
            except OAuthError:
                return oauth_error(
                    "invalid_request",
                    "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization "
                    "code. Or authorization code expired. Or external member binding exists",
                )
            return json_response(
                self.issue_tokens(app, code["account_id"], code["scopes"], code=form["code"])
            )
        if grant_type == "refresh_token":
            return self._refresh(app, form.get("refresh_token"))
        return oauth_error("unsupported_grant_type", f"The grant_type {grant_type} is not supported")

    def issue_tokens(
        self, app: dict[str, Any], account_id: str, scopes: list[str], *, code: str | None = None
    ) -> dict[str, Any]:
        """The accessToken response body (refresh token only when partners' refresh is on)."""
        grant = secrets.token_hex(8)
        life = int(self.sb.config("linkedin.access_token_seconds"))
        access = self.sb.issue_token(
            PLATFORM,
            client_id=app["client_id"],
            account_id=account_id,
            scopes=scopes,
            lifetime=life,
            prefix="AQV",
            code=code,
            extra={"grant": grant},
        )
        body: dict[str, Any] = {
            "access_token": access["value"],
            "expires_in": life,
            "scope": ",".join(scopes),
            "token_type": "Bearer",
        }
        if "openid" in scopes:
            body["id_token"] = self._id_token(app, account_id, scopes)
        if self.sb.config("linkedin.issue_refresh_tokens"):
            rlife = int(self.sb.config("linkedin.refresh_token_seconds"))
            refresh = self.sb.issue_token(
                PLATFORM,
                client_id=app["client_id"],
                account_id=account_id,
                scopes=scopes,
                kind="refresh",
                lifetime=rlife,
                prefix="AQX",
                code=code,
                extra={"grant": grant},
            )
            body["refresh_token"] = refresh["value"]
            body["refresh_token_expires_in"] = rlife
        return body

    def _refresh(self, app: dict[str, Any], value: str | None) -> Response:
        if not value:
            return oauth_error("invalid_request", 'A required parameter "refresh_token" is missing')
        try:
            doc = self.sb.check_token(PLATFORM, value, kind="refresh")
        except TokenError:
            doc = None
        if doc is None or doc["client_id"] != app["client_id"]:
            return oauth_error(
                "invalid_request",
                "The provided authorization grant or refresh token is invalid, expired or revoked.",
            )
        life = int(self.sb.config("linkedin.access_token_seconds"))
        access = self.sb.issue_token(
            PLATFORM,
            client_id=app["client_id"],
            account_id=doc["account_id"],
            scopes=doc["scopes"],
            lifetime=life,
            prefix="AQV",
            extra={"grant": doc["extra"].get("grant")},
        )
        # The refresh token keeps its original expiry: refreshing never extends the 365 days.
        remaining = max(0, int(doc["expires_at"] - self.sb.now_ts())) if doc["expires_at"] else None
        body: dict[str, Any] = {
            "access_token": access["value"],
            "expires_in": life,
            "refresh_token": value,
            "refresh_token_expires_in": remaining,
            "scope": ",".join(doc["scopes"]),
            "token_type": "Bearer",
        }
        return json_response(body)

    def _id_token(self, app: dict[str, Any], account_id: str, scopes: list[str]) -> str:
        """An OpenID id_token (HS256 with the client secret; LinkedIn signs RS256 with its JWKS)."""
        account = self.sb.account(PLATFORM, account_id) or {}
        now = int(self.sb.now_ts())
        claims: dict[str, Any] = {
            "iss": "https://www.linkedin.com/oauth",
            "aud": app["client_id"],
            "sub": account_id,
            "iat": now,
            "exp": now + 3600,
        }
        if "profile" in scopes:
            claims.update(
                name=account.get("display_name"),
                given_name=account.get("given_name"),
                family_name=account.get("family_name"),
                picture=account.get("picture"),
            )
        if "email" in scopes:
            claims.update(email=account.get("email"), email_verified=True)
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = hmac.new(
            str(app["client_secret"]).encode(), f"{header}.{payload}".encode(), hashlib.sha256
        ).digest()
        return f"{header}.{payload}.{_b64(sig)}"

    # --- revoke / introspect ----------------------------------------------------------------
    async def _client_and_token(
        self, request: Request
    ) -> tuple[dict[str, Any] | None, str | None, Response | None]:
        form = await read_params(request)
        basic_id, basic_secret = basic_credentials(request)
        try:
            app = self.sb.check_client(
                PLATFORM, form.get("client_id") or basic_id, form.get("client_secret") or basic_secret
            )
        except OAuthError:
            return None, None, oauth_error("invalid_client", "Client authentication failed", 401)
        token = form.get("token")
        if not token:
            return app, None, oauth_error("invalid_request", 'A required parameter "token" is missing')
        return app, token, None

    async def revoke(self, request: Request) -> Response:
        app, token, failure = await self._client_and_token(request)
        if failure is not None:
            return failure
        doc = self.sb.token(token)
        if doc is not None and doc["platform"] == PLATFORM and doc["client_id"] == app["client_id"]:
            self.sb.revoke_token(token, cascade=True)
        return Response(status_code=200)

    async def introspect(self, request: Request) -> Response:
        app, token, failure = await self._client_and_token(request)
        if failure is not None:
            return failure
        doc = self.sb.token(token)
        if doc is None or doc["platform"] != PLATFORM or doc["client_id"] != app["client_id"]:
            return json_response({"active": False})
        now = self.sb.now_ts()
        expired = doc["expires_at"] is not None and doc["expires_at"] < now
        status = "revoked" if doc["revoked"] else "expired" if expired else "active"
        body: dict[str, Any] = {
            "active": status == "active",
            "client_id": doc["client_id"],
            "authorized_at": int(doc["issued_at"]),
            "created_at": int(doc["issued_at"]),
            "status": status,
            "expires_at": int(doc["expires_at"]) if doc["expires_at"] else None,
            "scope": ",".join(doc["scopes"]),
            "auth_type": "3L",
        }
        return json_response(body)

    # --- control API ----------------------------------------------------------------------
    def mint_token(
        self, platform: str, *, account_id: str, client_id: str | None, scopes: list[str] | None
    ) -> dict[str, Any]:
        """Tokens for a seeded member without the browser (default: the default app, DEFAULT_SCOPES)."""
        account = self.sb.account(PLATFORM, account_id)
        if account is None or account.get("kind") != "member":
            raise ValueError(f"no LinkedIn member {account_id!r}")
        app = self.sb.app(PLATFORM, client_id or "")
        if app is None:
            raise ValueError(f"unknown LinkedIn client {client_id!r}")
        unknown = [s for s in scopes or [] if s not in ALL_SCOPES]
        if unknown:
            raise ValueError(f"unknown LinkedIn scopes: {', '.join(unknown)}")
        return self.issue_tokens(app, account_id, list(scopes if scopes is not None else DEFAULT_SCOPES))
