"""Instagram Login (Business Login for Instagram): the authorize page on www.instagram.com /
api.instagram.com, the code exchange on api.instagram.com, and long-lived token exchange and
refresh on graph.instagram.com. The Graph objects themselves are served by the dispatcher."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import OAuthError, TokenError
from socialhub.sandbox.platform import consent_page, error_page, json_response, read_params, redirect_with
from socialhub.sandbox.platforms.meta.common import GraphError, split_csv
from socialhub.sandbox.platforms.meta.graph import Call, GraphBase

IG_BRAND, IG_COLOR = "Instagram", "#d62976"
IG_LOGIN_KNOWN = frozenset(
    {
        "instagram_business_basic",
        "instagram_business_content_publish",
        "instagram_business_manage_comments",
        "instagram_business_manage_messages",
        "instagram_business_manage_insights",
    }
)


def ig_oauth_error(message: str, status: int = 400) -> Response:
    """api.instagram.com's own error shape (not the Graph envelope)."""
    return json_response({"error_type": "OAuthException", "code": status, "error_message": message}, status)


class InstagramLoginMixin(GraphBase):
    async def ig_dialog(self, request: Request) -> Response:
        params = await read_params(request)
        app = self.sb.app("instagram", str(params.get("client_id", "")))
        if app is None:
            return error_page(IG_BRAND, IG_COLOR, "Invalid platform app")
        redirect_uri = str(params.get("redirect_uri", ""))
        if not self.sb.redirect_allowed(app, redirect_uri):
            return error_page(IG_BRAND, IG_COLOR, "Invalid redirect_uri")
        scopes = split_csv(str(params.get("scope", "")).replace(" ", ","))
        unknown = [s for s in scopes if s not in IG_LOGIN_KNOWN]
        if unknown or "instagram_business_basic" not in scopes:
            return error_page(
                IG_BRAND,
                IG_COLOR,
                f"Invalid scope: {', '.join(unknown) or 'instagram_business_basic is required'}",
            )
        if request.method == "GET":
            accounts = [
                {"id": a["id"], "display_name": a["display_name"], "username": a["username"]}
                for a in self.sb.accounts("instagram")
            ]
            hidden = {k: str(v) for k, v in params.items() if k not in {"account_id", "decision"}}
            return consent_page(
                brand=IG_BRAND,
                color=IG_COLOR,
                app_name=app["name"],
                accounts=accounts,
                scopes=scopes,
                hidden=hidden,
                action=request.url.path,
            )
        state = str(params.get("state", ""))
        if params.get("decision") != "approve":
            denied = {
                "error": "access_denied",
                "error_reason": "user_denied",
                "error_description": "The user denied your request.",
                "state": state,
            }
            return redirect_with(redirect_uri, denied, fragment="_")
        if self.ig_user(str(params.get("account_id", ""))) is None:
            return error_page(IG_BRAND, IG_COLOR, "Choose the Instagram account to continue with.")
        code = self.sb.issue_code(
            "instagram",
            client_id=app["client_id"],
            redirect_uri=redirect_uri,
            account_id=str(params["account_id"]),
            scopes=scopes,
            extra={"login": "instagram"},
        )
        return redirect_with(redirect_uri, {"code": code, "state": state}, fragment="_")

    async def ig_code_exchange(self, request: Request) -> Response:
        """POST api.instagram.com/oauth/access_token -> {"data":[{access_token,user_id,permissions}]}."""
        params = await read_params(request)
        try:
            app = self.sb.check_client("instagram", params.get("client_id"), params.get("client_secret"))
        except OAuthError:
            return ig_oauth_error("Invalid Client Secret" if params.get("client_id") else "Missing client_id")
        if params.get("grant_type") != "authorization_code":
            return ig_oauth_error("Invalid grant_type: only authorization_code is supported")
        code = str(params.get("code", "")).split("#", 1)[0]
        try:
            grant = self.sb.consume_code(
                "instagram", code, client_id=app["client_id"], redirect_uri=params.get("redirect_uri")
            )
        except OAuthError as exc:
            return ig_oauth_error(
                "Error validating verification code. Please make sure your redirect_uri is identical to the one "
                "you used in the OAuth dialog request"
                if "redirect_uri" in exc.description
                else "Invalid authorization code"
            )
        doc = self.sb.issue_token(
            "instagram",
            client_id=app["client_id"],
            account_id=grant["account_id"],
            scopes=grant["scopes"],
            lifetime=self.sb.config("meta.short_token_seconds"),
            prefix="IGAA",
            code=code,
            extra={"type": "ig_user", "long": False},
        )
        item = {
            "access_token": doc["value"],
            "user_id": grant["account_id"],
            "permissions": ",".join(grant["scopes"]),
        }
        return json_response({"data": [item]})

    def ig_long_lived(self, call: Call) -> dict[str, Any]:
        """GET graph.instagram.com/access_token (ig_exchange_token) and /refresh_access_token."""
        p = call.params
        refresh = call.segments == ["refresh_access_token"]
        wanted = "ig_refresh_token" if refresh else "ig_exchange_token"
        if p.get("grant_type") != wanted:
            raise GraphError(f"(#100) grant_type must be {wanted}", 100)
        value = str(p.get("access_token") or "")
        if not refresh:
            known = self.sb.token(value)
            app = self.sb.app("instagram", known["client_id"]) if known else None
            if app is not None and p.get("client_secret") != app["client_secret"]:
                raise GraphError("Error validating client secret.", 1)
        try:
            doc = self.sb.check_token("instagram", value)
        except TokenError as exc:
            raise self.token_error(exc.kind, self.sb.token(value)) from exc
        extra = doc.get("extra", {})
        if extra.get("type") != "ig_user" or (refresh and not extra.get("long")):
            raise GraphError("Invalid OAuth access token - Cannot parse access token", 190, subcode=467)
        life = int(self.sb.config("meta.long_token_seconds"))
        new = self.sb.issue_token(
            "instagram",
            client_id=doc["client_id"],
            account_id=doc["account_id"],
            scopes=doc["scopes"],
            lifetime=life,
            prefix="IGAA",
            extra={"type": "ig_user", "long": True},
        )
        body: dict[str, Any] = {"access_token": new["value"], "token_type": "bearer", "expires_in": life}
        if refresh:
            body["permissions"] = ",".join(doc["scopes"])
        return body
