"""Google OAuth 2.0 for YouTube: consent, code/refresh grants, revocation (CONTRACTS §4.1)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.core import OAuthError
from socialhub.sandbox.platform import (
    basic_credentials,
    consent_page,
    error_page,
    json_response,
    read_params,
    redirect_with,
)
from socialhub.sandbox.platforms.youtube.common import (
    ACCOUNTS_HOST,
    BRAND,
    COLOR,
    IDENTITY_SCOPES,
    OAUTH_HOST,
    PLATFORM,
    YOUTUBE_SCOPES,
    YouTubeBase,
)

AUTHORIZE_KEYS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "access_type",
    "prompt",
    "state",
    "include_granted_scopes",
    "login_hint",
    "code_challenge",
    "code_challenge_method",
)
GRANTS = "youtube_grants"  # per client+account: scopes granted so far, offline consent given
REVOKED_MESSAGE = "Token has been expired or revoked."
TESTING_REFRESH_SECONDS = 7 * 86400  # apps in "Testing" publishing status


class OAuthPart(YouTubeBase):
    """accounts.google.com consent and oauth2.googleapis.com token/revoke."""

    def oauth_routes(self) -> list[Route]:
        return [
            Route(f"/{ACCOUNTS_HOST}/o/oauth2/v2/auth", self.authorize, methods=["GET", "POST"]),
            Route(f"/{ACCOUNTS_HOST}/o/oauth2/auth", self.authorize, methods=["GET", "POST"]),
            Route(f"/{OAUTH_HOST}/token", self.token, methods=["POST"]),
            Route(f"/{OAUTH_HOST}/revoke", self.revoke, methods=["POST"]),
        ]

    # --- consent ----------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        params = await read_params(request)
        app = self.sb.app(PLATFORM, params.get("client_id", ""))
        if app is None:
            return error_page(BRAND, COLOR, "Error 401: invalid_client. The OAuth client was not found.", 401)
        redirect_uri = params.get("redirect_uri", "")
        if not self.sb.redirect_allowed(app, redirect_uri):
            return error_page(
                BRAND,
                COLOR,
                "Error 400: redirect_uri_mismatch. The redirect URI is not registered for this client.",
            )
        if params.get("response_type") != "code":
            return error_page(BRAND, COLOR, "Error 400: unsupported_response_type. Use response_type=code.")
        scopes = [s for s in params.get("scope", "").split() if s]
        bad = [s for s in scopes if s not in YOUTUBE_SCOPES + IDENTITY_SCOPES]
        if not scopes or bad:
            return error_page(
                BRAND,
                COLOR,
                f"Error 400: invalid_scope. Some requested scopes were invalid: {', '.join(bad) or '(none)'}.",
            )
        method = params.get("code_challenge_method") or ("plain" if params.get("code_challenge") else None)
        if method not in (None, "S256", "plain"):
            return error_page(BRAND, COLOR, "Error 400: invalid_request. Invalid code_challenge_method.")
        if request.method == "GET":
            return consent_page(
                brand=BRAND,
                color=COLOR,
                app_name=app.get("name", "App"),
                accounts=self.sb.accounts(PLATFORM),
                scopes=scopes,
                hidden={k: params[k] for k in AUTHORIZE_KEYS if k in params},
                action=f"/{ACCOUNTS_HOST}{request.url.path.split(ACCOUNTS_HOST, 1)[1]}",
            )
        state = params.get("state")
        if params.get("decision") != "approve":
            return redirect_with(
                redirect_uri, {"error": "access_denied", **({"state": state} if state else {})}
            )
        account = self.sb.account(PLATFORM, params.get("account_id", ""))
        if account is None:
            return error_page(BRAND, COLOR, "Choose an account to continue.")
        grant = self.sb.store.get(GRANTS, f"{app['client_id']}:{account['id']}") or {
            "scopes": [],
            "offline": False,
        }
        if params.get("include_granted_scopes") == "true":
            scopes = list(dict.fromkeys(grant["scopes"] + scopes))  # incremental authorization
        code = self.sb.issue_code(
            PLATFORM,
            client_id=app["client_id"],
            redirect_uri=redirect_uri,
            account_id=account["id"],
            scopes=scopes,
            code_challenge=params.get("code_challenge") or None,
            code_challenge_method=method,
            extra={
                "offline": params.get("access_type") == "offline",
                "consent": "consent" in params.get("prompt", "").split(),
            },
        )
        out = {"code": "4/0A" + code, "scope": " ".join(scopes), "authuser": "0", "prompt": "consent"}
        return redirect_with(redirect_uri, {**({"state": state} if state else {}), **out})

    # --- tokens -----------------------------------------------------------------------
    def issue(
        self,
        app: dict[str, Any],
        account_id: str,
        scopes: list[str],
        *,
        with_refresh: bool,
        code: str | None = None,
    ) -> dict[str, Any]:
        """An access token (and optionally a refresh token of the same grant) as Google returns them."""
        grant = secrets.token_hex(8)
        lifetime = float(self.sb.config("youtube.access_token_seconds"))
        access = self.sb.issue_token(
            PLATFORM,
            client_id=app["client_id"],
            account_id=account_id,
            scopes=scopes,
            lifetime=lifetime,
            prefix="ya29.",
            code=code,
            extra={"grant": grant},
        )
        body: dict[str, Any] = {"access_token": access["value"], "expires_in": int(lifetime)}
        if with_refresh:
            refresh_life = TESTING_REFRESH_SECONDS if app.get("publishing_status") == "testing" else None
            refresh = self.sb.issue_token(
                PLATFORM,
                client_id=app["client_id"],
                account_id=account_id,
                scopes=scopes,
                kind="refresh",
                lifetime=refresh_life,
                prefix="1//0",
                code=code,
                extra={"grant": grant},
            )
            body["refresh_token"] = refresh["value"]
        body.update(scope=" ".join(scopes), token_type="Bearer")
        return body

    def mint_token(
        self, platform: str, *, account_id: str, client_id: str | None, scopes: list[str] | None
    ) -> dict[str, Any]:
        if self.sb.account(PLATFORM, account_id) is None:
            raise ValueError(f"no youtube channel {account_id!r}")
        app = self.sb.app(PLATFORM, client_id or "")
        if app is None:
            raise ValueError(f"no youtube app {client_id!r}")
        return self.issue(
            app, account_id, list(scopes if scopes is not None else YOUTUBE_SCOPES), with_refresh=True
        )

    def _client(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        client_id, secret = params.get("client_id"), params.get("client_secret")
        if request.headers.get("authorization", "").lower().startswith("basic "):
            client_id, secret = basic_credentials(request)
        if self.sb.app(PLATFORM, client_id or "") is None:
            raise OAuthError("invalid_client", "The OAuth client was not found.")
        try:
            return self.sb.check_client(PLATFORM, client_id, secret)
        except OAuthError as exc:
            raise OAuthError("invalid_client", "Unauthorized") from exc

    async def token(self, request: Request) -> Response:
        params = await read_params(request)
        try:
            app = self._client(request, params)
            grant_type = params.get("grant_type")
            if grant_type == "authorization_code":
                return json_response(self._exchange(app, params))
            if grant_type == "refresh_token":
                return json_response(self._refresh(app, params))
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")
        except OAuthError as exc:
            status = 401 if exc.kind == "invalid_client" else 400
            return json_response({"error": exc.kind, "error_description": exc.description}, status)

    def _exchange(self, app: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        code_value = params.get("code", "")
        code_value = code_value[4:] if code_value.startswith("4/0A") else code_value
        try:
            code = self.sb.consume_code(
                PLATFORM,
                code_value,
                client_id=app["client_id"],
                redirect_uri=params.get("redirect_uri"),
                code_verifier=params.get("code_verifier"),
            )
        except OAuthError as exc:
            if "redirect_uri" in exc.description:
                raise OAuthError("redirect_uri_mismatch", "Bad Request") from exc
            raise
        key = f"{app['client_id']}:{code['account_id']}"
        grant = self.sb.store.get(GRANTS, key) or {"scopes": [], "offline": False}
        offline = bool(code["extra"].get("offline"))
        # A refresh token only on the first offline consent, or when consent was forced again.
        with_refresh = offline and (not grant["offline"] or bool(code["extra"].get("consent")))
        self.sb.store.put(
            GRANTS,
            key,
            {
                "scopes": list(dict.fromkeys(grant["scopes"] + code["scopes"])),
                "offline": grant["offline"] or offline,
            },
        )
        return self.issue(app, code["account_id"], code["scopes"], with_refresh=with_refresh, code=code_value)

    def _refresh(self, app: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        doc = self.sb.token(params.get("refresh_token"))
        if doc is None or doc["platform"] != PLATFORM or doc["kind"] != "refresh" or doc["revoked"]:
            raise OAuthError("invalid_grant", REVOKED_MESSAGE)
        if doc["expires_at"] is not None and doc["expires_at"] < self.sb.now_ts():
            raise OAuthError("invalid_grant", REVOKED_MESSAGE)
        if doc["client_id"] != app["client_id"]:
            raise OAuthError("unauthorized_client", "Unauthorized")
        scopes = doc["scopes"]
        if params.get("scope"):
            asked = params["scope"].split()
            if not set(asked) <= set(scopes):
                raise OAuthError("invalid_scope", "Some requested scopes were not granted by the user.")
            scopes = asked
        lifetime = float(self.sb.config("youtube.access_token_seconds"))
        access = self.sb.issue_token(
            PLATFORM,
            client_id=app["client_id"],
            account_id=doc["account_id"],
            scopes=scopes,
            lifetime=lifetime,
            prefix="ya29.",
            extra={"grant": doc["extra"].get("grant")},
        )
        return {
            "access_token": access["value"],
            "expires_in": int(lifetime),
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }

    async def revoke(self, request: Request) -> Response:
        params = await read_params(request)
        doc = self.sb.token(params.get("token"))
        expired = doc is not None and doc["expires_at"] is not None and doc["expires_at"] < self.sb.now_ts()
        if doc is None or doc["platform"] != PLATFORM or doc["revoked"] or expired:
            return json_response(
                {"error": "invalid_token", "error_description": "Token expired or revoked"}, 400
            )
        # Revoking either token of a grant ends the whole grant.
        self.sb.revoke_token(doc["value"], cascade=True)
        return json_response({})
