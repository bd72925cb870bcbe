"""Instagram Graph objects: IG users, media and their insights (reading side)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from socialhub.sandbox.core import parse_iso
from socialhub.sandbox.platforms.meta.common import (
    IG_INSIGHTS,
    IG_READ,
    Field,
    GraphError,
    bad_param,
    meta_time,
    paginate,
    parse_fields,
    split_list,
)
from socialhub.sandbox.platforms.meta.graph import Call, GraphBase, Node
from socialhub.sandbox.store import Doc

SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
IMPRESSIONS_CUTOFF = datetime(2024, 7, 2, tzinfo=UTC)

MEDIA_METRICS = {
    "FEED": {
        "views",
        "reach",
        "likes",
        "comments",
        "saved",
        "shares",
        "total_interactions",
        "follows",
        "profile_visits",
        "profile_activity",
        "reposts",
    },
    "REELS": {
        "views",
        "reach",
        "likes",
        "comments",
        "saved",
        "shares",
        "total_interactions",
        "reposts",
        "ig_reels_avg_watch_time",
        "ig_reels_video_view_total_time",
    },
    "STORY": {
        "views",
        "reach",
        "shares",
        "total_interactions",
        "follows",
        "profile_visits",
        "profile_activity",
        "navigation",
        "replies",
        "reposts",
    },
}
DEPRECATED_MEDIA_METRICS = {
    "plays",
    "clips_replays_count",
    "ig_reels_aggregated_all_plays_count",
    "video_views",
    "engagement",
    "carousel_album_impressions",
    "carousel_album_reach",
    "carousel_album_engagement",
    "carousel_album_saved",
    "carousel_album_video_views",
}
# breakdown -> (the one metric that supports it, its dimension values). Values as the IG Media
# Insights reference lists them for action_type; navigation values as live answers spell them.
MEDIA_BREAKDOWNS = {
    "action_type": ("profile_activity", ("BIO_LINK_CLICKED", "CALL", "DIRECTION", "EMAIL", "OTHER", "TEXT")),
    "story_navigation_action_type": ("navigation", ("tap_forward", "tap_back", "tap_exit", "swipe_forward")),
}
IG_USER_FIELDS = {
    "id",
    "ig_id",
    "username",
    "name",
    "biography",
    "followers_count",
    "follows_count",
    "media_count",
    "profile_picture_url",
    "website",
    "user_id",
    "account_type",
}
IG_MEDIA_FIELDS = {
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "permalink",
    "shortcode",
    "timestamp",
    "like_count",
    "comments_count",
    "media_url",
    "thumbnail_url",
    "username",
    "owner",
    "is_comment_enabled",
    "children",
    "insights",
}


def make_shortcode(rng: Any) -> str:
    """11 characters of Instagram's base-64 alphabet (real ones start with B, C or D)."""
    return rng.choice("CD") + "".join(rng.choice(SHORTCODE_ALPHABET) for _ in range(10))


def permalink(doc: Doc, username: str = "") -> str:
    if doc.get("media_product_type") == "STORY":
        return f"https://www.instagram.com/stories/{username}/{doc['id']}/"
    kind = "reel" if doc.get("media_product_type") == "REELS" else "p"
    return f"https://www.instagram.com/{kind}/{doc['shortcode']}/"


def nonexisting(name: str, node_type: str) -> GraphError:
    return GraphError(f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})", 100)


class InstagramMixin(GraphBase):
    # --- rendering --------------------------------------------------------------------------
    def render_ig_user(self, call: Call, doc: Doc, fields: list[Field]) -> dict[str, Any]:
        self.require_scopes(call, IG_READ, code=10)
        out: dict[str, Any] = {}
        for f in fields or [Field("id")]:
            if f.name not in IG_USER_FIELDS:
                raise nonexisting(f.name, "IGUser")
            if f.name == "followers_count":
                out[f.name] = self.sb.followers(doc)
            elif f.name == "media_count":
                out[f.name] = len(self.sb.posts("instagram", doc["id"]))
            elif f.name == "user_id":
                out[f.name] = doc["id"]
            elif f.name == "account_type":
                out[f.name] = "BUSINESS"
            elif f.name == "ig_id":
                out[f.name] = int(doc["ig_id"])
            elif f.name in doc:
                out[f.name] = doc[f.name]
        out["id"] = doc["id"]
        return out

    def render_ig_media(self, call: Call, doc: Doc, fields: list[Field]) -> dict[str, Any]:
        self.require_scopes(call, IG_READ, code=10)
        out: dict[str, Any] = {}
        counts = self.sb.metrics(doc)
        owner = self.ig_user(doc["account_id"]) or {}
        for f in fields or [Field("id")]:
            name = f.name
            if name not in IG_MEDIA_FIELDS:
                raise nonexisting(name, "IGMedia")
            if name == "like_count":
                out[name] = counts["likes"]
            elif name == "comments_count":
                out[name] = counts["comments"]
            elif name == "timestamp":
                out[name] = meta_time(parse_iso(doc["created_at"]))
            elif name == "permalink":
                out[name] = permalink(doc, owner.get("username", ""))
            elif name == "username":
                out[name] = owner.get("username")
            elif name == "owner":
                out[name] = {"id": doc["account_id"]}
            elif name == "is_comment_enabled":
                out[name] = True
            elif name == "children":
                if doc.get("children"):
                    out[name] = {"data": [{"id": c["id"]} for c in doc["children"]]}
            elif name == "insights":
                self.require_scopes(call, IG_INSIGHTS, code=10)
                metrics = split_list(f.mods.get("metric"))
                if not metrics:
                    raise bad_param("The parameter metric is required")
                out[name] = {"data": self.media_insights(doc, metrics, split_list(f.mods.get("breakdown")))}
            elif name == "caption":
                if doc.get("caption"):
                    out[name] = doc["caption"]
            elif name in doc:
                out[name] = doc[name]
        out["id"] = doc["id"]
        return out

    def render_ig_container(self, call: Call, doc: Doc, fields: list[Field]) -> dict[str, Any]:
        self.require_scopes(call, IG_READ, code=10)
        status = self.container_status(doc)
        out: dict[str, Any] = {}
        for f in fields or [Field("id")]:
            if f.name == "status_code":
                out["status_code"] = status
            elif f.name == "status":
                out["status"] = self.container_status_text(doc, status)
            elif f.name == "copyright_check_status":
                done = status in {"FINISHED", "PUBLISHED"}
                out[f.name] = {"matches_found": False, "status": "completed" if done else "in_progress"}
            elif f.name != "id":
                raise nonexisting(f.name, "ShadowIGMediaBuilder")
        out["id"] = doc["id"]
        return out

    # --- media insights ---------------------------------------------------------------------
    def media_insights(
        self, doc: Doc, metrics: list[str], breakdowns: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """All or nothing, like Meta: one bad metric fails the request."""
        breakdowns = breakdowns or []
        for bd in breakdowns:
            if bd not in MEDIA_BREAKDOWNS:
                raise bad_param(
                    "breakdown[0] must be one of the following values: " + ", ".join(sorted(MEDIA_BREAKDOWNS))
                )
            # A breakdown asked with a metric that does not support it: Meta's documented answer.
            if any(m != MEDIA_BREAKDOWNS[bd][0] for m in metrics):
                raise GraphError("An unknown error has occurred.", 1, type_="OAuthException", transient=False)
        product = doc.get("media_product_type", "FEED")
        allowed = MEDIA_METRICS.get(product, MEDIA_METRICS["FEED"])
        created = parse_iso(doc["created_at"])
        for i, metric in enumerate(metrics):
            if metric == "impressions" and created < IMPRESSIONS_CUTOFF and product == "FEED":
                continue
            if metric in DEPRECATED_MEDIA_METRICS or metric == "impressions":
                raise bad_param(
                    f"Starting from version v22.0 and for all versions starting April 21, 2025, the {metric} metric "
                    "is no longer supported for media created after July 2, 2024; use views instead."
                )
            if metric not in set().union(*MEDIA_METRICS.values()):
                raise bad_param(
                    f"metric[{i}] must be one of the following values: "
                    + ", ".join(sorted(set().union(*MEDIA_METRICS.values())))
                )
            if metric not in allowed:
                raise bad_param(
                    f"The Media Insights API does not support the {metric} metric for this media "
                    "product type."
                )
        counts = self.sb.metrics(doc)
        if product == "STORY" and counts["views"] < 5:
            raise GraphError("(#10) Not enough viewers for the media to show insights", 10)
        rng = self.sb.rand("ig_watch", doc["id"])
        avg_watch = rng.randint(3500, 14000)
        values = {
            "views": counts["views"],
            "reach": counts["reach"],
            "likes": counts["likes"],
            "comments": counts["comments"],
            "saved": counts["saves"],
            "shares": counts["shares"],
            "total_interactions": counts["likes"] + counts["comments"] + counts["saves"] + counts["shares"],
            "follows": counts["views"] // 500,
            "profile_visits": counts["views"] // 100,
            "profile_activity": counts["views"] // 150,
            "reposts": counts["shares"] // 3,
            "navigation": counts["views"],
            "replies": counts["comments"],
            "impressions": counts["views"],
            "ig_reels_avg_watch_time": avg_watch,
            "ig_reels_video_view_total_time": avg_watch * counts["views"],
        }
        out = []
        for m in metrics:
            item: dict[str, Any] = {"name": m, "period": "lifetime"}
            if breakdowns:
                item["total_value"] = {
                    "value": values[m],
                    "breakdowns": [self._breakdown(doc, bd, values[m]) for bd in breakdowns],
                }
            else:
                item["values"] = [{"value": values[m]}]
            item["title"] = m.replace("_", " ").title()
            item["description"] = f"The {m.replace('_', ' ')} of this media."
            item["id"] = f"{doc['id']}/insights/{m}/lifetime"
            out.append(item)
        return out

    def _breakdown(self, doc: Doc, breakdown: str, total: int) -> dict[str, Any]:
        """Split `total` over the breakdown's dimension values (deterministic per media)."""
        keys = MEDIA_BREAKDOWNS[breakdown][1]
        rng = self.sb.rand("ig_breakdown", doc["id"], breakdown)
        weights = [rng.uniform(0.2, 1.0) for _ in keys]
        parts = [int(total * w / sum(weights)) for w in weights]
        parts[0] += total - sum(parts)
        results = [{"dimension_values": [k], "value": v} for k, v in zip(keys, parts, strict=True) if v]
        return {"dimension_keys": [breakdown], "results": results}

    # --- handlers ---------------------------------------------------------------------------
    def ig_user__node__get(self, call: Call, node: Node) -> dict[str, Any]:
        return self.render_ig_user(call, node.doc, parse_fields(call.params.get("fields")))

    def ig_media__node__get(self, call: Call, node: Node) -> dict[str, Any]:
        return self.render_ig_media(call, node.doc, parse_fields(call.params.get("fields")))

    def ig_container__node__get(self, call: Call, node: Node) -> dict[str, Any]:
        return self.render_ig_container(call, node.doc, parse_fields(call.params.get("fields")))

    def ig_user__media__get(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, IG_READ, code=10)
        items = [m for m in self.sb.posts("instagram", node.id) if m.get("media_product_type") != "STORY"]
        return self._media_page(call, items)

    def ig_user__stories__get(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, IG_READ, code=10)
        cutoff = self.sb.now() - timedelta(hours=24)
        items = [
            m
            for m in self.sb.posts("instagram", node.id)
            if m.get("media_product_type") == "STORY" and parse_iso(m["created_at"]) > cutoff
        ]
        return self._media_page(call, items)

    def _media_page(self, call: Call, items: list[Doc]) -> dict[str, Any]:
        page, paging = paginate(items, call.params, call.request)
        fields = parse_fields(call.params.get("fields"))
        data = [self.render_ig_media(call, m, fields) for m in page]
        return {"data": data, "paging": paging} if paging else {"data": data}

    def ig_media__children__get(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, IG_READ, code=10)
        wanted = {f.name for f in parse_fields(call.params.get("fields"))} or {"id"}
        data = [
            {k: v for k, v in c.items() if k in wanted or k == "id"} for c in node.doc.get("children", [])
        ]
        return {"data": data}

    def ig_media__insights__get(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, IG_INSIGHTS, code=10)
        metrics = split_list(call.params.get("metric"))
        if not metrics:
            raise bad_param("The parameter metric is required")
        if call.params.get("period") not in (None, "", "lifetime"):
            raise bad_param("Media insights are only available for period lifetime")
        breakdowns = split_list(call.params.get("breakdown"))
        return {"data": self.media_insights(node.doc, metrics, breakdowns)}
