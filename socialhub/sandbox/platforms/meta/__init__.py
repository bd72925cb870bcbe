"""Meta's Graph API in the sandbox: Instagram (via Facebook Login) and Facebook Pages.

Hosts: www.facebook.com (OAuth dialog), graph.facebook.com and graph-video.facebook.com
(Graph API); graph.instagram.com, api.instagram.com and www.instagram.com for Instagram
Login (Business Login for Instagram). Instagram objects (IG users, media, containers) count
as platform "instagram"; Pages, posts, people and Facebook Login as "facebook".
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.platform import PlatformModule, error_page
from socialhub.sandbox.platforms.meta import seed as seeding
from socialhub.sandbox.platforms.meta.common import (
    MAX_IDS,
    Field,
    GraphError,
    app_usage_header,
    buc_header,
    parse_fields,
    split_list,
    usage_numbers,
)
from socialhub.sandbox.platforms.meta.graph import Call, Node
from socialhub.sandbox.platforms.meta.ig_insights import InstagramInsightsMixin
from socialhub.sandbox.platforms.meta.ig_login import IG_BRAND, IG_COLOR, InstagramLoginMixin, ig_oauth_error
from socialhub.sandbox.platforms.meta.ig_publish import InstagramPublishMixin
from socialhub.sandbox.platforms.meta.instagram import InstagramMixin
from socialhub.sandbox.platforms.meta.oauth import BRAND, COLOR, DEFAULT_SCOPES, OAuthMixin
from socialhub.sandbox.platforms.meta.page_publish import PagePublishMixin
from socialhub.sandbox.platforms.meta.pages import PagesMixin

GRAPH_HOSTS = ("graph.facebook.com", "graph-video.facebook.com", "graph.instagram.com")
IG_LOGIN_HOSTS = ("www.instagram.com", "api.instagram.com")
METHODS = ["GET", "POST", "DELETE"]


class MetaGraph(
    PagePublishMixin,
    PagesMixin,
    InstagramPublishMixin,
    InstagramInsightsMixin,
    InstagramMixin,
    InstagramLoginMixin,
    OAuthMixin,
    PlatformModule,
):
    platforms = ("instagram", "facebook")
    hosts = ("www.facebook.com", *GRAPH_HOSTS, *IG_LOGIN_HOSTS)
    extra_faults = frozenset({"user_rate_limited"})

    def routes(self) -> list[Route]:
        routes = [
            Route("/www.facebook.com/{version}/dialog/oauth", self.dialog, methods=["GET", "POST"]),
            Route("/www.facebook.com/dialog/oauth", self.dialog, methods=["GET", "POST"]),
            Route("/www.facebook.com/{rest:path}", self.www_not_found, methods=METHODS),
        ]
        for host in IG_LOGIN_HOSTS:
            routes.append(Route(f"/{host}/oauth/authorize", self.ig_dialog, methods=["GET", "POST"]))
            routes.append(Route(f"/{host}/oauth/authorize/", self.ig_dialog, methods=["GET", "POST"]))
        routes.append(Route("/api.instagram.com/oauth/access_token", self.ig_code_exchange, methods=["POST"]))
        for host in IG_LOGIN_HOSTS:
            routes.append(Route(f"/{host}/{{rest:path}}", self.ig_not_found, methods=METHODS))
        for host in GRAPH_HOSTS:
            routes.append(Route(f"/{host}", self.serve_graph, methods=METHODS))
            routes.append(Route(f"/{host}/{{rest:path}}", self.serve_graph, methods=METHODS))
        return routes

    async def www_not_found(self, request: Request) -> Response:
        return error_page(BRAND, COLOR, "This page isn't available.", status=404)

    async def ig_not_found(self, request: Request) -> Response:
        if request.url.path.startswith("/api.instagram.com/"):
            return ig_oauth_error("Sorry, this page isn't available.", 404)
        return error_page(IG_BRAND, IG_COLOR, "Sorry, this page isn't available.", status=404)

    def seed(self) -> None:
        seeding.seed(self.sb)

    def platform_for(self, request: Request) -> str:
        host, _, rest = request.url.path.lstrip("/").partition("/")
        if host in IG_LOGIN_HOSTS or host == "graph.instagram.com":
            return "instagram"
        if host not in GRAPH_HOSTS:
            return "facebook"
        segments = [s for s in rest.split("/") if s]
        if segments and segments[0].startswith("v") and "." in segments[0]:
            segments = segments[1:]
        if not segments:
            ids = _query_ids(request)
            return self.node_platform(ids[0]) if ids else "facebook"
        if segments[0] in {"me", "oauth", "debug_token"}:
            return "facebook"
        return self.node_platform(segments[0])

    def render_fault(self, error: str, request: Request) -> Response:
        platform = self.platform_for(request)
        headers: dict[str, str] = {}
        if error == "rate_limited":
            if platform == "instagram":
                obj = self._fault_object(request)
                headers = buc_header(
                    {obj: {"type": "instagram", **usage_numbers(1, 1), "estimated_time_to_regain_access": 10}}
                )
                err = GraphError(
                    "There have been too many calls to this Instagram account. Wait a bit and try again.",
                    80002,
                    transient=True,
                )
            else:
                headers = buc_header(
                    {
                        self._fault_object(request): {
                            "type": "pages",
                            **usage_numbers(1, 1),
                            "estimated_time_to_regain_access": 10,
                        }
                    }
                )
                headers.update(app_usage_header(usage_numbers(1, 1)))
                err = GraphError("(#32) Page request limit reached", 32, transient=True)
        elif error == "user_rate_limited":
            headers = app_usage_header(usage_numbers(1, 1))
            err = GraphError("(#17) User request limit reached", 17, transient=True)
        elif error == "server_error":
            err = GraphError(
                "An unexpected error has occurred. Please retry your request later.",
                2,
                transient=True,
                status=500,
            )
        elif error == "expired_token":
            err = GraphError("Error validating access token: Session has expired.", 190, subcode=463)
        elif error == "revoked_token":
            err = GraphError(
                "Error validating access token: The session has been invalidated because the user "
                "changed their password or Facebook has changed the session for security reasons.",
                190,
                subcode=460,
            )
        elif error == "permission_denied":
            err = (
                GraphError("(#10) Application does not have permission for this action", 10)
                if platform == "instagram"
                else GraphError("(#200) Permissions error", 200)
            )
        else:
            err = GraphError("(#100) Invalid parameter", 100)
        return err.render(headers)

    @staticmethod
    def _fault_object(request: Request) -> str:
        parts = [s for s in request.url.path.split("/")[2:] if s and not (s.startswith("v") and "." in s)]
        if parts:
            return parts[0]
        ids = _query_ids(request)
        return ids[0] if ids else "0"

    def mint_token(
        self, platform: str, *, account_id: str, client_id: str | None, scopes: list[str] | None
    ) -> dict[str, Any]:
        """Instagram: a long-lived user token of the Page owner. Facebook: the Page token
        (plus `user_access_token`); a Facebook person id gives a user token."""
        app = self.sb.app(platform, client_id or "")
        if app is None:
            raise ValueError(f"unknown {platform} client_id {client_id!r}")
        scopes = list(scopes) if scopes is not None else list(DEFAULT_SCOPES[platform])
        user = self.user(account_id)
        page = None
        if user is None:
            ig = self.ig_user(account_id) if platform == "instagram" else None
            page = self.page(ig["page_id"] if ig else account_id)
            user = self.user(page["owner"]) if page else None
        if user is None:
            raise ValueError(f"no seeded {platform} account {account_id!r}")
        token = self.issue_user_token(platform, app["client_id"], user["id"], scopes, long=True)
        life = int(self.sb.config("meta.long_token_seconds"))
        if platform == "facebook" and page is not None:
            return {
                "access_token": self.page_token(token, page),
                "token_type": "bearer",
                "user_access_token": token["value"],
                "expires_in": life,
                "page_id": page["id"],
            }
        return {
            "access_token": token["value"],
            "token_type": "bearer",
            "expires_in": life,
            "user_id": user["id"],
        }

    # --- reading shared by both platforms -----------------------------------------------------
    def render_node(self, call: Call, node: Node, fields: list[Field]) -> dict[str, Any]:
        return getattr(self, f"render_{node.kind}")(call, node.doc, fields)

    def multi_read(self, call: Call) -> dict[str, Any]:
        """GET /?ids=a,b&fields=... : up to 50 objects in one call."""
        ids = list(dict.fromkeys(split_list(call.params.get("ids"))))
        if len(ids) > MAX_IDS:
            raise GraphError(f"(#100) Too many IDs. Maximum: {MAX_IDS}. Provided: {len(ids)}.", 100)
        nodes, missing = {}, []
        for obj_id in ids:
            node = self.find_node(obj_id)
            if node is None or not self.can_access(call, node):
                missing.append(obj_id)
            else:
                nodes[obj_id] = node
        if missing:
            raise GraphError(
                f"(#803) Some of the aliases you requested do not exist: {','.join(missing)}", 803
            )
        metered: set[tuple[str, str]] = set()
        for node in nodes.values():
            ig = self.ig_of(node)
            key = (
                ("instagram", ig)
                if ig
                else (
                    ("pages", self.owner_page_id(node) or node.id)
                    if call.ttype == "page"
                    else ("app", str((call.token or {}).get("client_id", "")))
                )
            )
            if key not in metered:
                metered.add(key)
                self.meter(call, *key)
        fields = parse_fields(call.params.get("fields"))
        return {obj_id: self.render_node(call, node, fields) for obj_id, node in nodes.items()}


def _query_ids(request: Request) -> list[str]:
    """`ids` for routing a call to a platform; a malformed list is the handler's to refuse."""
    try:
        return split_list(request.query_params.get("ids"))
    except GraphError:
        return []


__all__ = ["MetaGraph"]
