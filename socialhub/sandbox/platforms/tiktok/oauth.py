"""TikTok Login Kit v2: authorize (client_key, comma scopes), token, refresh, revoke (§3.1)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.core import OAuthError
from socialhub.sandbox.platform import consent_page, error_page, json_response, read_params, redirect_with
from socialhub.sandbox.platforms.tiktok.common import (
    API,
    BRAND,
    COLOR,
    PLATFORM,
    SCOPES,
    WEB,
    OAuthFailure,
    TikTokBase,
    oauth,
)

AUTHORIZE_PATH = "/v2/auth/authorize/"
AUTHORIZE_KEYS = (
    "client_key",
    "scope",
    "response_type",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "disable_auto_auth",
)


class OAuthPart(TikTokBase):
    """Consent page, code exchange, refresh with rotation, revocation."""

    def oauth_routes(self) -> list[Route]:
        return [
            Route(f"/{WEB}{AUTHORIZE_PATH}", self.authorize, methods=["GET", "POST"]),
            Route(f"/{API}/v2/oauth/token/", self.token, methods=["POST"]),
            Route(f"/{API}/v2/oauth/revoke/", self.revoke, methods=["POST"]),
        ]

    # --- authorize --------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        params = await read_params(request)
        app = self.sb.app(PLATFORM, params.get("client_key", ""))
        if app is None:
            # TikTok shows its own error screen for an unknown client_key (no redirect).
            return error_page(BRAND, COLOR, "client_key: this app is not registered with TikTok.")
        redirect_uri = params.get("redirect_uri", "")
        if not self.sb.redirect_allowed(app, redirect_uri):
            return error_page(BRAND, COLOR, "redirect_uri: this redirect URI is not registered for the app.")
        state = params.get("state", "")
        if params.get("response_type") != "code":
            return redirect_with(
                redirect_uri,
                {
                    "error": "unsupported_response_type",
                    "error_description": "response_type must be code.",
                    "state": state,
                },
            )
        scopes = [s.strip() for s in params.get("scope", "").split(",") if s.strip()]
        unknown = [s for s in scopes if s not in SCOPES]
        if not scopes or unknown:
            return redirect_with(
                redirect_uri,
                {
                    "error": "invalid_scope",
                    "error_description": f"Unknown or missing scope: {', '.join(unknown) or '(none)'}.",
                    "state": state,
                },
            )
        method = params.get("code_challenge_method")
        if params.get("code_challenge") and method not in (None, "", "S256"):
            return redirect_with(
                redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": "code_challenge_method must be S256.",
                    "state": state,
                },
            )
        if request.method == "GET":
            return consent_page(
                brand=BRAND,
                color=COLOR,
                app_name=app.get("name", "App"),
                accounts=self.sb.accounts(PLATFORM),
                scopes=scopes,
                hidden={k: params[k] for k in AUTHORIZE_KEYS if k in params},
                action=f"/{WEB}{AUTHORIZE_PATH}",
            )
        if params.get("decision") != "approve":
            return redirect_with(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "The user denied the authorization request.",
                    "state": state,
                },
            )
        account = self.sb.account(PLATFORM, params.get("account_id", ""))
        if account is None:
            return error_page(BRAND, COLOR, "Choose an account to continue.")
        code = self.sb.issue_code(
            PLATFORM,
            client_id=app["client_id"],
            redirect_uri=redirect_uri,
            account_id=account["id"],
            scopes=scopes,
            code_challenge=params.get("code_challenge") or None,
            code_challenge_method=(method or "S256") if params.get("code_challenge") else None,
        )
        # TikTok echoes the granted scopes (comma list) next to code and state.
        return redirect_with(redirect_uri, {"code": code, "scopes": ",".join(scopes), "state": state})

    # --- tokens -----------------------------------------------------------------------
    def issue_tokens(
        self, client_id: str, account_id: str, scopes: list[str], code: str | None = None
    ) -> dict[str, Any]:
        """A new access + refresh token pair (one grant) in TikTok's token response shape."""
        grant = secrets.token_hex(8)
        access_life = float(self.sb.config("tiktok.access_token_seconds"))
        refresh_life = float(self.sb.config("tiktok.refresh_token_seconds"))
        access = self.sb.issue_token(
            PLATFORM,
            client_id=client_id,
            account_id=account_id,
            scopes=scopes,
            lifetime=access_life,
            prefix="act.",
            code=code,
            extra={"grant": grant},
        )
        refresh = self.sb.issue_token(
            PLATFORM,
            client_id=client_id,
            account_id=account_id,
            scopes=scopes,
            kind="refresh",
            lifetime=refresh_life,
            prefix="rft.",
            code=code,
            extra={"grant": grant},
        )
        return self.token_body(access, refresh)

    def token_body(self, access: dict[str, Any], refresh: dict[str, Any]) -> dict[str, Any]:
        now = self.sb.now_ts()
        return {
            "open_id": access["account_id"],
            "scope": ",".join(access["scopes"]),
            "access_token": access["value"],
            "expires_in": int(round(access["expires_at"] - now)),
            "refresh_token": refresh["value"],
            "refresh_expires_in": int(round(refresh["expires_at"] - now)),
            "token_type": "Bearer",
        }

    def mint_token(
        self, platform: str, *, account_id: str, client_id: str | None, scopes: list[str] | None
    ) -> dict[str, Any]:
        if self.sb.account(PLATFORM, account_id) is None:
            raise ValueError(f"no tiktok account {account_id!r}")
        client = client_id or ""
        if self.sb.app(PLATFORM, client) is None:
            raise ValueError(f"no tiktok app {client!r}")
        return self.issue_tokens(client, account_id, list(scopes if scopes is not None else SCOPES))

    def _client(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            return self.sb.check_client(PLATFORM, params.get("client_key"), params.get("client_secret"))
        except OAuthError as exc:
            raise OAuthFailure("invalid_client", "Client key or secret is invalid.", 401) from exc

    @oauth
    async def token(self, request: Request) -> Response:
        params = await read_params(request)
        app = self._client(params)
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            try:
                code = self.sb.consume_code(
                    PLATFORM,
                    params.get("code"),
                    client_id=app["client_id"],
                    redirect_uri=params.get("redirect_uri"),
                    code_verifier=params.get("code_verifier"),
                )
            except OAuthError as exc:
                raise OAuthFailure(exc.kind, exc.description) from exc
            return json_response(
                self.issue_tokens(app["client_id"], code["account_id"], code["scopes"], params.get("code"))
            )
        if grant_type == "refresh_token":
            return json_response(self._refresh(app, params.get("refresh_token", "")))
        raise OAuthFailure(
            "unsupported_grant_type", "grant_type must be authorization_code or refresh_token."
        )

    def _refresh(self, app: dict[str, Any], value: str) -> dict[str, Any]:
        doc = self.sb.token(value)
        if (
            doc is None
            or doc["platform"] != PLATFORM
            or doc["kind"] != "refresh"
            or doc["client_id"] != app["client_id"]
        ):
            raise OAuthFailure("invalid_grant", "Refresh token is invalid or not found.")
        if doc["revoked"]:
            raise OAuthFailure("invalid_grant", "Refresh token has been revoked or already used.")
        if doc["expires_at"] is not None and doc["expires_at"] < self.sb.now_ts():
            raise OAuthFailure("invalid_grant", "Refresh token has expired.")
        grant = doc["extra"].get("grant")
        access = self.sb.issue_token(
            PLATFORM,
            client_id=doc["client_id"],
            account_id=doc["account_id"],
            scopes=doc["scopes"],
            lifetime=float(self.sb.config("tiktok.access_token_seconds")),
            prefix="act.",
            extra={"grant": grant},
        )
        if self.sb.config("tiktok.refresh_rotates"):
            # Rotation (2026-11 docs): the old refresh token stops working once a new one exists.
            self.sb.revoke_token(value, cascade=False)
            doc = self.sb.issue_token(
                PLATFORM,
                client_id=doc["client_id"],
                account_id=doc["account_id"],
                scopes=doc["scopes"],
                kind="refresh",
                lifetime=float(self.sb.config("tiktok.refresh_token_seconds")),
                prefix="rft.",
                extra={"grant": grant},
            )
        return self.token_body(access, doc)

    @oauth
    async def revoke(self, request: Request) -> Response:
        params = await read_params(request)
        app = self._client(params)
        doc = self.sb.token(params.get("token"))
        if not params.get("token"):
            raise OAuthFailure("invalid_request", "token is required.")
        if doc is not None and doc["platform"] == PLATFORM and doc["client_id"] == app["client_id"]:
            # Revoking ends the user's authorization of the app: every token of it stops working.
            self.sb.revoke_account_tokens(PLATFORM, doc["account_id"], app["client_id"])
        return json_response({})
