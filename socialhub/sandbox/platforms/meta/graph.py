"""The Graph API dispatcher: version segment, tokens, object access and usage metering.

One catch-all route per Graph host parses `/<version>/<id>/<edge>` itself, so every path
under the host (known or not) answers in Meta's error envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import Sandbox, TokenError
from socialhub.sandbox.platform import bearer_token, json_response, read_json, read_params
from socialhub.sandbox.platforms.meta import versions
from socialhub.sandbox.platforms.meta.common import (
    GraphError,
    app_usage_header,
    buc_header,
    not_found,
    unknown_path,
    usage_numbers,
)
from socialhub.sandbox.store import Doc

META_PLATFORMS = ("instagram", "facebook")
IG_GRAPH_HOST = "graph.instagram.com"
# Instagram Login grants instagram_business_* permissions; Page permissions do not apply.
IG_LOGIN_SCOPES = {
    "instagram_basic": "instagram_business_basic",
    "instagram_content_publish": "instagram_business_content_publish",
    "instagram_manage_insights": "instagram_business_manage_insights",
}


@dataclass
class Call:
    """One Graph request being served."""

    request: Request
    host: str
    version: str
    segments: list[str]
    params: dict[str, Any]
    token: Doc | None = None
    headers: dict[str, str] = field(default_factory=dict)
    buc: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def ttype(self) -> str:
        """user | page | app"""
        return (self.token or {}).get("extra", {}).get("type", "user")


@dataclass
class Node:
    kind: str  # fb_user | page | ig_user | ig_media | ig_container | fb_post | photo | video
    doc: Doc

    @property
    def id(self) -> str:
        return str(self.doc["id"])


class GraphBase:
    """Shared state access for the Meta sandbox mixins."""

    sb: Sandbox

    # --- objects ------------------------------------------------------------------------
    def user(self, user_id: str) -> Doc | None:
        return self.sb.store.get("meta_users", user_id)

    def users(self) -> list[Doc]:
        return sorted(self.sb.store.all("meta_users"), key=lambda d: d.get("order", 0))

    def page(self, page_id: str) -> Doc | None:
        return self.sb.account("facebook", page_id)

    def ig_user(self, ig_id: str) -> Doc | None:
        return self.sb.account("instagram", ig_id)

    def container(self, cid: str) -> Doc | None:
        return self.sb.store.get("meta_containers", cid)

    def find_node(self, obj_id: str) -> Node | None:
        """What an id names; None when nothing does."""
        if "_" in obj_id:
            post = self.sb.post("facebook", obj_id)
            return Node("fb_post", post) if post and not post.get("deleted") else None
        for kind, getter in (
            ("ig_user", self.ig_user),
            ("page", self.page),
            ("fb_user", self.user),
            ("ig_container", self.container),
        ):
            doc = getter(obj_id)
            if doc is not None:
                return Node(kind, doc)
        media = self.sb.post("instagram", obj_id)
        if media is not None and not media.get("deleted"):
            return Node("ig_media", media)
        obj = self.sb.store.get("meta_objects", obj_id)
        if obj is not None:
            return Node(obj["type"], obj)
        return None

    def node_platform(self, obj_id: str) -> str:
        node = self.find_node(obj_id)
        return "instagram" if node and node.kind.startswith("ig_") else "facebook"

    def owner_page_id(self, node: Node) -> str | None:
        """The Page an object belongs to (IG objects through their linked Page)."""
        doc = node.doc
        if node.kind == "page":
            return node.id
        if node.kind == "ig_user":
            return doc.get("page_id")
        if node.kind == "ig_media":
            ig = self.ig_user(doc["account_id"])
            return ig.get("page_id") if ig else None
        if node.kind == "ig_container":
            ig = self.ig_user(doc["ig_user_id"])
            return ig.get("page_id") if ig else None
        if node.kind == "fb_post":
            return doc["account_id"]
        if node.kind in {"photo", "video"}:
            return doc["page_id"]
        return None

    def ig_of(self, node: Node) -> str | None:
        if node.kind == "ig_user":
            return node.id
        if node.kind == "ig_media":
            return node.doc["account_id"]
        if node.kind == "ig_container":
            return node.doc["ig_user_id"]
        return None

    # --- tokens -------------------------------------------------------------------------
    def authenticate(self, call: Call) -> Doc:
        """The caller's token document, or the Graph error explaining why it is unusable."""
        value = call.params.get("access_token") or bearer_token(call.request)
        if not value:
            raise GraphError("An access token is required to request this resource.", 104)
        value = str(value)
        if "|" in value:  # app access token "app_id|app_secret"
            client_id, _, secret = value.partition("|")
            app = self.app_for(client_id)
            if app is None or app["client_secret"] != secret:
                raise GraphError("Invalid OAuth access token signature.", 190)
            return {
                "value": value,
                "client_id": client_id,
                "platform": app["platform"],
                "scopes": [],
                "extra": {"type": "app"},
                "account_id": client_id,
            }
        try:
            doc = self.sb.check_token(META_PLATFORMS, value)
        except TokenError as exc:
            raise self.token_error(exc.kind, self.sb.token(value)) from exc
        # Instagram Login tokens work on graph.instagram.com only, Facebook Login tokens elsewhere.
        if (doc.get("extra", {}).get("type") == "ig_user") != (call.host == IG_GRAPH_HOST):
            raise GraphError("Invalid OAuth access token - Cannot parse access token", 190, subcode=467)
        grant = doc.get("extra", {}).get("grant")
        if grant and self.grant_revoked(grant):
            raise self.token_error("revoked", doc)
        call.token = doc
        return doc

    def grant_revoked(self, grant: str) -> bool:
        info = self.sb.store.get("meta_grants", grant) or {}
        if info.get("deauthorized"):
            return True
        # Markers stand for the grant under each account id so the control API's
        # "revoke every token of account X" reaches user tokens, which name a person.
        for marker in info.get("markers", []):
            doc = self.sb.token(marker)
            if doc is not None and doc.get("revoked"):
                return True
        return False

    def token_error(self, kind: str, doc: Doc | None) -> GraphError:
        if kind == "expired" and doc is not None:
            exp = datetime.fromtimestamp(doc["expires_at"], UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")
            now = self.sb.now().strftime("%A, %d-%b-%y %H:%M:%S UTC")
            return GraphError(
                f"Error validating access token: Session has expired on {exp}. The current time is {now}.",
                190,
                subcode=463,
                status=400,
            )
        if kind == "revoked" and doc is not None:
            grant = doc.get("extra", {}).get("grant")
            info = self.sb.store.get("meta_grants", grant or "") or {}
            if info.get("deauthorized"):
                return GraphError(
                    f"Error validating access token: User {info.get('fb_user')} has not authorized application "
                    f"{doc.get('client_id')}.",
                    190,
                    subcode=458,
                )
            return GraphError(
                "Error validating access token: The session has been invalidated because the user changed their "
                "password or Facebook has changed the session for security reasons.",
                190,
                subcode=460,
            )
        return GraphError("Invalid OAuth access token - Cannot parse access token", 190, subcode=467)

    def require_scopes(self, call: Call, scopes: tuple[str, ...], *, code: int = 200) -> None:
        token = call.token or {}
        if token.get("extra", {}).get("type") == "app":
            raise GraphError("(#200) This endpoint requires a user or Page access token.", 200)
        if token.get("extra", {}).get("type") == "ig_user":
            scopes = tuple(IG_LOGIN_SCOPES[s] for s in scopes if IG_LOGIN_SCOPES.get(s))
        missing = [s for s in scopes if s not in token.get("scopes", [])]
        if not missing:
            return
        if code == 10:
            raise GraphError(
                "(#10) Application does not have permission for this action",
                10,
                user_msg=f"Missing permission: {', '.join(missing)}",
            )
        raise GraphError(
            f"(#200) Requires {' and '.join(missing)} permission to manage the object",
            200,
            user_msg=f"Missing permission: {', '.join(missing)}",
        )

    def can_access(self, call: Call, node: Node) -> bool:
        token = call.token or {}
        extra = token.get("extra", {})
        if node.kind == "fb_user":
            return extra.get("type") == "user" and token.get("account_id") == node.id
        if extra.get("type") == "ig_user":
            return self.ig_of(node) == token.get("account_id")
        page_id = self.owner_page_id(node)
        if page_id is None:
            return False
        if extra.get("type") == "page":
            return token.get("account_id") == page_id
        if extra.get("type") == "user":
            page = self.page(page_id)
            return bool(page and page.get("owner") == token.get("account_id"))
        return False

    def app_for(self, client_id: str) -> Doc | None:
        for platform in ("facebook", "instagram"):
            app = self.sb.app(platform, client_id)
            if app is not None:
                return app
        return None

    # --- usage metering -------------------------------------------------------------------
    def meter(self, call: Call, kind: str, obj_id: str) -> None:
        """Count one call against Instagram BUC, Pages BUC or the app's Platform limit."""
        if kind == "instagram":
            limit, key = int(self.sb.config("instagram.calls_per_hour")), f"meta:buc:ig:{obj_id}"
        elif kind == "pages":
            limit, key = int(self.sb.config("facebook.calls_per_hour")), f"meta:buc:page:{obj_id}"
        else:
            # Platform limit: 200 calls per hour times the app's users.
            users = max(1, len(self.users()))
            limit, key = int(self.sb.config("facebook.calls_per_hour")) * users, f"meta:app:{obj_id}"
        allowed, remaining, reset = self.sb.rate_hit(key, limit, 3600)
        used = limit - remaining if allowed else limit
        numbers = usage_numbers(used, limit)
        wait = 0 if allowed else max(1, int((reset - self.sb.now_ts() + 59) // 60))
        if kind == "app":
            call.headers.update(app_usage_header(numbers))
        else:
            call.buc[obj_id] = {"type": kind, **numbers, "estimated_time_to_regain_access": wait}
            call.headers.update(buc_header(call.buc))
        if not allowed:
            raise rate_error(kind)

    def meter_user(self, call: Call) -> None:
        """The per-user Platform limit (code 17), when the setting turns it on."""
        limit = int(self.sb.config("meta.user_calls_per_hour"))
        if limit <= 0 or call.ttype != "user" or call.token is None:
            return
        key = f"meta:user:{call.token['client_id']}:{call.token['account_id']}"
        allowed, remaining, _ = self.sb.rate_hit(key, limit, 3600)
        call.headers.update(app_usage_header(usage_numbers(limit - remaining if allowed else limit, limit)))
        if not allowed:
            raise GraphError("(#17) User request limit reached", 17, transient=True)

    def meter_node(self, call: Call, node: Node) -> None:
        ig = self.ig_of(node)
        if ig is not None:
            self.meter(call, "instagram", ig)
        elif call.ttype == "page" and node.kind != "fb_user":
            self.meter(call, "pages", self.owner_page_id(node) or node.id)
        else:
            self.meter(call, "app", str((call.token or {}).get("client_id", "")))

    # --- dispatch -------------------------------------------------------------------------
    async def serve_graph(self, request: Request) -> Response:
        host, _, rest = request.url.path.lstrip("/").partition("/")
        segments = [s for s in rest.split("/") if s]
        call = Call(request=request, host=host, version="", segments=segments, params={})
        try:
            call.params = await read_params(request)
            if "application/json" in request.headers.get("content-type", "") and request.method != "GET":
                body = await read_json(request)
                if isinstance(body, dict):
                    call.params.update({k: v for k, v in body.items() if k not in call.params})
            if segments and versions.looks_like_version(segments[0]):
                served = versions.serving_version(segments[0], self.sb.now())
                if served is None:
                    # Not a version Meta ever released: the segment reads as an unknown alias.
                    raise GraphError(
                        f"(#803) Some of the aliases you requested do not exist: {segments[0]}", 803
                    )
                call.version, call.segments = served, segments[1:]
            else:
                call.version = versions.available(self.sb.now())[0]
            # Real responses name the version that served the call (an expired one is served
            # by the oldest available version, per Meta's versioning guide).
            call.headers["facebook-api-version"] = call.version
            body = await self.route(call)
            if isinstance(body, Response):
                body.headers.update(call.headers)
                return body
            return json_response(body, headers=call.headers)
        except ValueError as exc:
            return GraphError(f"(#100) {exc}", 100).render(call.headers)
        except GraphError as exc:
            return exc.render(call.headers)

    async def route(self, call: Call) -> Any:
        segs = call.segments
        if call.host == IG_GRAPH_HOST and segs in (["access_token"], ["refresh_access_token"]):
            return self.ig_long_lived(call)  # type: ignore[attr-defined]
        if segs[:2] == ["oauth", "access_token"] and len(segs) == 2 and call.host != IG_GRAPH_HOST:
            return await self.token_endpoint(call)  # type: ignore[attr-defined]
        if segs == ["debug_token"]:
            return self.debug_token(call)  # type: ignore[attr-defined]
        self.authenticate(call)
        self.meter_user(call)
        if not segs:
            if call.method == "GET" and call.params.get("ids"):
                return self.multi_read(call)  # type: ignore[attr-defined]
            raise GraphError("(#100) Missing 'ids' parameter or a node id in the path.", 100)
        if len(segs) > 2:
            raise unknown_path("/" + "/".join(segs[2:]))
        obj_id = segs[0]
        if obj_id == "me":
            if call.ttype == "app":
                raise GraphError(
                    "An active access token must be used to query information about the current user.", 2500
                )
            obj_id = str(call.token["account_id"])  # type: ignore[index]
        node = self.find_node(obj_id)
        if node is None or not self.can_access(call, node):
            if not obj_id.replace("_", "").isdigit():
                raise GraphError(f"(#803) Some of the aliases you requested do not exist: {obj_id}", 803)
            raise not_found(obj_id)
        self.meter_node(call, node)
        edge = segs[1] if len(segs) == 2 else ""
        handler = getattr(self, f"{node.kind}__{edge or 'node'}__{call.method.lower()}", None)
        if handler is None:
            if edge:
                raise GraphError(
                    f"(#100) Tried accessing nonexisting field ({edge}) on node type "
                    f"({_TYPE_NAMES[node.kind]})",
                    100,
                )
            raise GraphError(
                f"Unsupported {call.method.lower()} request. Object with ID '{obj_id}' does not "
                "support this operation.",
                100,
                subcode=33,
                type_="GraphMethodException",
            )
        result = handler(call, node)
        if hasattr(result, "__await__"):
            result = await result
        return result


_TYPE_NAMES = {
    "fb_user": "User",
    "page": "Page",
    "ig_user": "IGUser",
    "ig_media": "IGMedia",
    "ig_container": "ShadowIGMediaBuilder",
    "fb_post": "Post",
    "photo": "Photo",
    "video": "Video",
}


def type_name(kind: str) -> str:
    return _TYPE_NAMES.get(kind, kind)


def rate_error(kind: str) -> GraphError:
    if kind == "instagram":
        return GraphError(
            "There have been too many calls to this Instagram account. Wait a bit and try again.",
            80002,
            transient=True,
        )
    if kind == "pages":
        return GraphError("(#32) Page request limit reached", 32, transient=True)
    return GraphError("(#4) Application request limit reached", 4, transient=True)
