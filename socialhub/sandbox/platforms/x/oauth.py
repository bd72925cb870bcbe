"""X OAuth 2.0 Authorization Code with PKCE (CONTRACTS §6.1).

PKCE is required (S256 or plain). Confidential clients (every app with a secret unless
registered with "public": true) authenticate with HTTP Basic on the token and revoke
endpoints. Refresh tokens come only with offline.access and are single use: a refresh
returns a new pair and the old refresh token is dead.
"""

from __future__ import annotations

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
from socialhub.sandbox.platforms.x.common import ALL_SCOPES, BRAND, COLOR, DEFAULT_SCOPES, PLATFORM


class XOAuth:
    """OAuth endpoints; mixed into the X module (uses self.sb)."""

    sb: Sandbox

    async def authorize(self, request: Request) -> Response:
        params = await read_params(request)
        app = self.sb.app(PLATFORM, params.get("client_id", ""))
        fail = "Something went wrong. You weren't able to give access to the App. "
        if app is None:
            return error_page(BRAND, COLOR, fail + "The client_id is not valid.", 400)
        redirect_uri = params.get("redirect_uri", "")
        if not self.sb.redirect_allowed(app, redirect_uri):
            return error_page(
                BRAND, COLOR, fail + "The redirect_uri does not match the App's callback URLs.", 400
            )
        if params.get("response_type") != "code":
            return error_page(BRAND, COLOR, fail + "response_type must be code.", 400)
        scopes = [s for s in params.get("scope", "").split() if s]
        if not scopes or any(s not in ALL_SCOPES for s in scopes):
            return error_page(BRAND, COLOR, fail + "The requested scope is not valid.", 400)
        method = params.get("code_challenge_method", "plain")
        if not params.get("code_challenge") or method not in {"S256", "plain"}:
            return error_page(BRAND, COLOR, fail + "PKCE code_challenge (S256 or plain) is required.", 400)
        if not params.get("state"):
            return error_page(BRAND, COLOR, fail + "The state parameter is required.", 400)
        if request.method == "GET":
            hidden = {k: v for k, v in request.query_params.items() if k not in {"account_id", "decision"}}
            return consent_page(
                brand=BRAND,
                color=COLOR,
                app_name=str(app.get("name", "An app")),
                accounts=self.sb.accounts(PLATFORM),
                scopes=scopes,
                hidden=hidden,
                action=request.url.path,
            )
        if params.get("decision") != "approve":
            return redirect_with(redirect_uri, {"error": "access_denied", "state": params["state"]})
        account_id = params.get("account_id", "")
        if self.sb.account(PLATFORM, account_id) is None:
            return error_page(BRAND, COLOR, "Choose an account to continue.", 400)
        code = self.sb.issue_code(
            PLATFORM,
            client_id=app["client_id"],
            redirect_uri=redirect_uri,
            account_id=account_id,
            scopes=scopes,
            code_challenge=params["code_challenge"],
            code_challenge_method=method,
        )
        return redirect_with(redirect_uri, {"state": params["state"], "code": code})

    def _client(self, request: Request, form: dict[str, Any]) -> dict[str, Any] | Response:
        """The calling app: HTTP Basic for confidential clients, client_id alone for public ones."""
        basic_id, basic_secret = basic_credentials(request)
        client_id = basic_id or form.get("client_id")
        app = self.sb.app(PLATFORM, client_id or "")
        if app is None:
            return oauth_error("unauthorized_client", "Missing valid authorization header", 401)
        if app.get("public"):
            return app
        try:
            return self.sb.check_client(PLATFORM, basic_id, basic_secret)
        except OAuthError:
            return oauth_error("unauthorized_client", "Missing valid authorization header", 401)

    async def token(self, request: Request) -> Response:
        form = await read_params(request)
        app = self._client(request, form)
        if isinstance(app, Response):
            return app
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            for name in ("code", "redirect_uri", "code_verifier"):
                if not form.get(name):
                    return oauth_error("invalid_request", f"Missing required parameter [{name}].")
            try:
                code = self.sb.consume_code(
                    PLATFORM,
                    form["code"],
                    client_id=app["client_id"],
                    redirect_uri=form["redirect_uri"],
                    code_verifier=form["code_verifier"],
                    pkce_required=True,
                )
            except OAuthError:
                return oauth_error("invalid_request", "Value passed for the authorization code was invalid.")
            return json_response(
                self.issue_tokens(app, code["account_id"], code["scopes"], code=form["code"])
            )
        if grant_type == "refresh_token":
            value = form.get("refresh_token")
            if not value:
                return oauth_error("invalid_request", "Missing required parameter [refresh_token].")
            try:
                old = self.sb.check_token(PLATFORM, value, kind="refresh")
            except TokenError:
                old = None
            if old is None or old["client_id"] != app["client_id"]:
                return oauth_error("invalid_request", "Value passed for the token was invalid.")
            # Single use: the presented refresh token dies, a new one takes its place.
            self.sb.revoke_token(value, cascade=False)
            return json_response(
                self.issue_tokens(app, old["account_id"], old["scopes"], grant=old["extra"].get("grant"))
            )
        return oauth_error(
            "unsupported_grant_type", "grant_type must be authorization_code or refresh_token."
        )

    def issue_tokens(
        self,
        app: dict[str, Any],
        account_id: str,
        scopes: list[str],
        *,
        code: str | None = None,
        grant: str | None = None,
    ) -> dict[str, Any]:
        """The token response body; refresh_token only with offline.access."""
        grant = grant or secrets.token_hex(8)
        life = int(self.sb.config("x.access_token_seconds"))
        access = self.sb.issue_token(
            PLATFORM,
            client_id=app["client_id"],
            account_id=account_id,
            scopes=scopes,
            lifetime=life,
            code=code,
            extra={"grant": grant},
        )
        body: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": life,
            "access_token": access["value"],
            "scope": " ".join(scopes),
        }
        if "offline.access" in scopes:
            refresh = self.sb.issue_token(
                PLATFORM,
                client_id=app["client_id"],
                account_id=account_id,
                scopes=scopes,
                kind="refresh",
                lifetime=None,
                code=code,
                extra={"grant": grant},
            )
            body["refresh_token"] = refresh["value"]
        return body

    async def revoke(self, request: Request) -> Response:
        form = await read_params(request)
        app = self._client(request, form)
        if isinstance(app, Response):
            return app
        token = form.get("token")
        if not token:
            return oauth_error("invalid_request", "Missing required parameter [token].")
        doc = self.sb.token(token)
        if doc is not None and doc["platform"] == PLATFORM and doc["client_id"] == app["client_id"]:
            self.sb.revoke_token(token, cascade=True)
        return json_response({"revoked": True})

    def mint_token(
        self, platform: str, *, account_id: str, client_id: str | None, scopes: list[str] | None
    ) -> dict[str, Any]:
        """Tokens for a seeded user without the browser (default app, DEFAULT_SCOPES)."""
        if self.sb.account(PLATFORM, account_id) is None:
            raise ValueError(f"no X user {account_id!r}")
        app = self.sb.app(PLATFORM, client_id or "")
        if app is None:
            raise ValueError(f"unknown X client {client_id!r}")
        unknown = [s for s in scopes or [] if s not in ALL_SCOPES]
        if unknown:
            raise ValueError(f"unknown X scopes: {', '.join(unknown)}")
        return self.issue_tokens(app, account_id, list(scopes if scopes is not None else DEFAULT_SCOPES))
