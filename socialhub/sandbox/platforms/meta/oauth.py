"""Facebook Login: the OAuth dialog, the token endpoint (code and fb_exchange_token),
debug_token, /me, /me/accounts (Page tokens) and /me/permissions (deauthorize)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import OAuthError, TokenError
from socialhub.sandbox.platform import consent_page, error_page, read_params, redirect_with
from socialhub.sandbox.platforms.meta.common import (
    KNOWN_SCOPES,
    PAGE_LIST,
    GraphError,
    paginate,
    parse_fields,
    split_csv,
)
from socialhub.sandbox.platforms.meta.graph import Call, GraphBase, Node
from socialhub.sandbox.store import Doc

BRAND, COLOR = "Facebook", "#1877f2"
DEFAULT_SCOPES = {
    "instagram": [
        "public_profile",
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_insights",
        "pages_show_list",
        "pages_read_engagement",
        "business_management",
    ],
    "facebook": [
        "public_profile",
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "publish_video",
        "read_insights",
        "business_management",
    ],
}


class OAuthMixin(GraphBase):
    # --- the dialog -------------------------------------------------------------------------
    def _dialog_check(self, params: dict[str, Any]) -> tuple[Doc | None, Response | None]:
        app = self.app_for(str(params.get("client_id", "")))
        if app is None:
            return None, error_page(
                BRAND, COLOR, "Invalid App ID: The provided app ID does not look like a valid app ID."
            )
        if not self.sb.redirect_allowed(app, str(params.get("redirect_uri", ""))):
            return None, error_page(
                BRAND,
                COLOR,
                "URL Blocked: This redirect failed because the redirect URI is not whitelisted in the "
                "app's Client OAuth Settings.",
            )
        if params.get("response_type", "code") not in {"code", "code granted_scopes"}:
            return None, error_page(BRAND, COLOR, "This sandbox supports response_type=code only.")
        unknown = [
            s for s in split_csv(str(params.get("scope", "")).replace(" ", ",")) if s not in KNOWN_SCOPES
        ]
        if unknown:
            return None, error_page(
                BRAND,
                COLOR,
                f"Invalid Scopes: {', '.join(unknown)}. This message is only shown to developers.",
            )
        return app, None

    async def dialog(self, request: Request) -> Response:
        params = await read_params(request)
        app, problem = self._dialog_check(params)
        if problem is not None:
            return problem
        scopes = self._requested(params)
        if request.method == "GET":
            accounts = [
                {"id": u["id"], "display_name": u["name"], "username": u["username"]} for u in self.users()
            ]
            hidden = {k: str(v) for k, v in params.items() if k not in {"account_id", "decision"}}
            return consent_page(
                brand=BRAND,
                color=COLOR,
                app_name=app["name"],
                accounts=accounts,
                scopes=scopes,
                hidden=hidden,
                action=request.url.path,
            )
        state = str(params.get("state", ""))
        redirect_uri = str(params["redirect_uri"])
        if params.get("decision") != "approve":
            return redirect_with(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_code": "200",
                    "error_description": "Permissions error",
                    "error_reason": "user_denied",
                    "state": state,
                },
                fragment="_",
            )
        user = self.user(str(params.get("account_id", "")))
        if user is None:
            return error_page(BRAND, COLOR, "Choose the Facebook account to continue with.")
        code = self.sb.issue_code(
            app["platform"],
            client_id=app["client_id"],
            redirect_uri=redirect_uri,
            account_id=user["id"],
            scopes=scopes,
        )
        return redirect_with(redirect_uri, {"code": code, "state": state}, fragment="_")

    @staticmethod
    def _requested(params: dict[str, Any]) -> list[str]:
        scopes = split_csv(str(params.get("scope", "")).replace(" ", ","))
        return ["public_profile", *[s for s in dict.fromkeys(scopes) if s != "public_profile"]]

    # --- tokens ---------------------------------------------------------------------------
    def issue_user_token(
        self,
        platform: str,
        client_id: str,
        user_id: str,
        scopes: list[str],
        *,
        long: bool,
        grant: str | None = None,
        code: str | None = None,
    ) -> Doc:
        if grant is None:
            grant = secrets.token_hex(8)
            self._new_grant(grant, platform, client_id, user_id)
        life = self.sb.config("meta.long_token_seconds" if long else "meta.short_token_seconds")
        return self.sb.issue_token(
            platform,
            client_id=client_id,
            account_id=user_id,
            scopes=scopes,
            lifetime=life,
            prefix="EAAG",
            code=code,
            extra={"type": "user", "grant": grant, "fb_user": user_id, "long": long},
        )

    def _new_grant(self, grant: str, platform: str, client_id: str, user_id: str) -> None:
        # One marker token per account id the grant reaches (IG accounts for the Instagram
        # app, Pages for the Facebook app), named by that id: see GraphBase.grant_revoked.
        user = self.user(user_id) or {}
        ids = []
        for page_id in user.get("pages", []):
            page = self.page(page_id) or {}
            target = page.get("instagram_business_account") if platform == "instagram" else page_id
            if target:
                ids.append(target)
        markers = []
        for obj_id in ids:
            value = f"marker:{grant}:{obj_id}"
            self.sb.store.put(
                "tokens",
                value,
                {
                    "value": value,
                    "platform": platform,
                    "client_id": client_id,
                    "account_id": obj_id,
                    "scopes": [],
                    "kind": "meta_marker",
                    "issued_at": self.sb.now_ts(),
                    "expires_at": None,
                    "revoked": False,
                    "code": None,
                    "extra": {"grant": grant},
                },
            )
            markers.append(value)
        self.sb.store.put(
            "meta_grants", grant, {"fb_user": user_id, "client_id": client_id, "markers": markers}
        )

    def page_token(self, user_token: Doc, page: Doc) -> str:
        """The Page token a user token gives (one per grant and Page, reused)."""
        grant = user_token["extra"]["grant"]
        key = f"{grant}:{page['id']}"
        known = self.sb.store.get("meta_page_tokens", key)
        if known:
            doc = self.sb.token(known["value"])
            if (
                doc
                and not doc["revoked"]
                and (doc["expires_at"] is None or doc["expires_at"] > self.sb.now_ts())
            ):
                return known["value"]
        # Page tokens from a long-lived user token never expire; from a short one they
        # live as long as it does.
        life = (
            None if user_token["extra"].get("long") else max(1.0, user_token["expires_at"] - self.sb.now_ts())
        )
        doc = self.sb.issue_token(
            user_token["platform"],
            client_id=user_token["client_id"],
            account_id=page["id"],
            scopes=user_token["scopes"],
            lifetime=life,
            prefix="EAAG",
            extra={
                "type": "page",
                "grant": grant,
                "fb_user": user_token["account_id"],
                "page_id": page["id"],
            },
        )
        self.sb.store.put("meta_page_tokens", key, {"value": doc["value"]})
        return doc["value"]

    def _client(self, params: dict[str, Any]) -> Doc:
        app = self.app_for(str(params.get("client_id", "")))
        if app is None:
            raise GraphError("Error validating application. Invalid application ID.", 101)
        if params.get("client_secret") != app["client_secret"]:
            raise GraphError("Error validating client secret.", 1)
        return app

    async def token_endpoint(self, call: Call) -> dict[str, Any]:
        params = call.params
        grant_type = params.get("grant_type", "")
        if grant_type == "client_credentials":
            app = self._client(params)
            return {"access_token": f"{app['client_id']}|{app['client_secret']}", "token_type": "bearer"}
        if grant_type == "fb_exchange_token":
            app = self._client(params)
            value = params.get("fb_exchange_token")
            if not value:
                raise GraphError("(#100) The parameter fb_exchange_token is required", 100)
            try:
                doc = self.sb.check_token(app["platform"], str(value))
            except TokenError as exc:
                raise self.token_error(exc.kind, self.sb.token(str(value))) from exc
            if doc["extra"].get("type") != "user" or doc["client_id"] != app["client_id"]:
                raise GraphError("Invalid OAuth access token - Cannot parse access token", 190, subcode=467)
            if self.grant_revoked(doc["extra"]["grant"]):
                raise self.token_error("revoked", doc)
            new = self.issue_user_token(
                app["platform"],
                app["client_id"],
                doc["account_id"],
                doc["scopes"],
                long=True,
                grant=doc["extra"]["grant"],
            )
            return {
                "access_token": new["value"],
                "token_type": "bearer",
                "expires_in": int(self.sb.config("meta.long_token_seconds")),
            }
        for name in ("client_id", "redirect_uri", "client_secret", "code"):
            if not params.get(name):
                raise GraphError(f"Missing {name} parameter.", 100 if name != "client_id" else 101)
        app = self._client(params)
        try:
            grant = self.sb.consume_code(
                app["platform"],
                str(params["code"]),
                client_id=app["client_id"],
                redirect_uri=str(params["redirect_uri"]),
            )
        except OAuthError as exc:
            raise _code_error(exc.description) from exc
        doc = self.issue_user_token(
            app["platform"],
            app["client_id"],
            grant["account_id"],
            grant["scopes"],
            long=False,
            code=str(params["code"]),
        )
        return {
            "access_token": doc["value"],
            "token_type": "bearer",
            "expires_in": int(self.sb.config("meta.short_token_seconds")),
        }

    def debug_token(self, call: Call) -> dict[str, Any]:
        self.authenticate(call)  # app token (or any valid token of the app) required
        value = str(call.params.get("input_token", ""))
        if not value:
            raise GraphError("(#100) The parameter input_token is required", 100)
        doc = self.sb.token(value)
        if doc is None or doc.get("kind") != "access":
            return {
                "data": {
                    "error": {"code": 190, "message": "Invalid OAuth access token."},
                    "is_valid": False,
                    "scopes": [],
                }
            }
        extra = doc.get("extra", {})
        app = self.app_for(doc["client_id"]) or {}
        valid = (
            not doc["revoked"]
            and not self.grant_revoked(extra.get("grant", ""))
            and (doc["expires_at"] is None or doc["expires_at"] > self.sb.now_ts())
        )
        data: dict[str, Any] = {
            "app_id": doc["client_id"],
            "type": extra.get("type", "user").upper(),
            "application": app.get("name", ""),
            "data_access_expires_at": int(doc["issued_at"] + 90 * 86400),
            "expires_at": int(doc["expires_at"] or 0),
            "is_valid": valid,
            "issued_at": int(doc["issued_at"]),
            "scopes": doc["scopes"],
            "user_id": extra.get("fb_user", doc["account_id"]),
        }
        if extra.get("type") == "page":
            data["profile_id"] = doc["account_id"]
        if not valid:
            err = self.token_error(
                "revoked" if doc["revoked"] or self.grant_revoked(extra.get("grant", "")) else "expired", doc
            )
            data["error"] = {"code": 190, "message": err.message, "subcode": err.subcode}
        return {"data": data}

    # --- /me (a person) ---------------------------------------------------------------------
    def fb_user__node__get(self, call: Call, node: Node) -> dict[str, Any]:
        return self.render_node(call, node, parse_fields(call.params.get("fields")))  # type: ignore[attr-defined]

    def fb_user__accounts__get(self, call: Call, node: Node) -> dict[str, Any]:
        scopes = (call.token or {}).get("scopes", [])
        if any(s not in scopes for s in PAGE_LIST):  # like Meta: no permission, no Pages listed
            return {"data": []}
        pages = [p for p in (self.page(pid) for pid in node.doc.get("pages", [])) if p]
        page, paging = paginate(pages, call.params, call.request)
        fields = parse_fields(
            call.params.get("fields") or "access_token,category,category_list,name,id,tasks"
        )
        data = [self.render_node(call, Node("page", p), fields) for p in page]  # type: ignore[attr-defined]
        return {"data": data, "paging": paging} if paging else {"data": data}

    def fb_user__permissions__get(self, call: Call, node: Node) -> dict[str, Any]:
        return {
            "data": [{"permission": s, "status": "granted"} for s in (call.token or {}).get("scopes", [])]
        }

    def fb_user__permissions__delete(self, call: Call, node: Node) -> dict[str, Any]:
        self.deauthorize(call.token or {})
        return {"success": True}

    def page__permissions__delete(self, call: Call, node: Node) -> dict[str, Any]:
        # Sandbox choice: a Page token may deauthorize too; it acts for the person whose
        # grant produced it (documented in the provider).
        self.deauthorize(call.token or {})
        return {"success": True}

    def deauthorize(self, token: Doc) -> None:
        """The person removes the app: every token of that person and app stops working."""
        extra = token.get("extra", {})
        user_id, client_id = extra.get("fb_user"), token.get("client_id")
        for doc in self.sb.store.find(
            "tokens",
            where=lambda d: d.get("extra", {}).get("fb_user") == user_id and d.get("client_id") == client_id,
        ):
            self.sb.store.update("tokens", doc["value"], revoked=True)
            grant = doc.get("extra", {}).get("grant")
            if grant:
                self.sb.store.update("meta_grants", grant, deauthorized=True)


def _code_error(description: str) -> GraphError:
    text = description.lower()
    if "already been used" in text:
        return GraphError("This authorization code has been used.", 100, subcode=36009)
    if "expired" in text:
        return GraphError("This authorization code has expired.", 100, subcode=36007)
    if "redirect_uri" in text:
        return GraphError(
            "Error validating verification code. Please make sure your redirect_uri is identical "
            "to the one you used in the OAuth dialog request",
            100,
            subcode=36008,
        )
    return GraphError("Invalid verification code format.", 100, subcode=36010)
