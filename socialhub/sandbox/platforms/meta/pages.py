"""Facebook Pages: Page and post reading, metrics and insights."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from socialhub.sandbox.core import parse_iso
from socialhub.sandbox.platforms.meta.common import (
    PAGE_INSIGHTS,
    PAGE_READ,
    Field,
    GraphError,
    bad_param,
    meta_time,
    paginate,
    parse_fields,
    split_list,
)
from socialhub.sandbox.platforms.meta.graph import Call, GraphBase, Node
from socialhub.sandbox.platforms.meta.instagram import nonexisting
from socialhub.sandbox.store import Doc

PAGE_FIELDS = {
    "id",
    "name",
    "username",
    "link",
    "category",
    "category_list",
    "about",
    "followers_count",
    "fan_count",
    "picture",
    "instagram_business_account",
    "access_token",
    "tasks",
    "website",
    "verification_status",
}
POST_FIELDS = {
    "id",
    "message",
    "created_time",
    "updated_time",
    "permalink_url",
    "is_published",
    "scheduled_publish_time",
    "status_type",
    "full_picture",
    "shares",
    "reactions",
    "comments",
    "likes",
    "insights",
    "from",
    "object_id",
    "is_hidden",
    "story",
}
OBJECT_FIELDS = {
    "id",
    "created_time",
    "name",
    "title",
    "description",
    "post_id",
    "page_story_id",
    "permalink_url",
    "link",
    "published",
    "source",
    "from",
}
POST_METRICS = {
    "post_media_view",
    "post_total_media_view_unique",
    "post_reactions_by_type_total",
    "post_clicks",
    "post_clicks_by_type",
    "post_reactions_like_total",
    "post_reactions_love_total",
    "post_video_views",
}
PAGE_METRICS = {
    "page_media_view",
    "page_total_media_view_unique",
    "page_follows",
    "page_daily_follows",
    "page_daily_follows_unique",
    "page_daily_unfollows_unique",
    "page_post_engagements",
    "page_views_total",
    "page_video_views",
    "page_actions_post_reactions_total",
}
REACTION_SHARES = (
    ("like", 0.74),
    ("love", 0.15),
    ("haha", 0.04),
    ("wow", 0.03),
    ("sad", 0.02),
    ("angry", 0.02),
)


def invalid_metric() -> GraphError:
    return bad_param("The value must be a valid insights metric")


class PagesMixin(GraphBase):
    # --- rendering ----------------------------------------------------------------------------
    def render_fb_user(self, call: Call, doc: Doc, fields: list[Field]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields or [Field("name"), Field("id")]:
            if f.name == "picture":
                out["picture"] = {
                    "data": {"height": 50, "is_silhouette": False, "url": doc["picture_url"], "width": 50}
                }
            elif f.name in {"id", "name", "first_name", "last_name", "short_name"}:
                out[f.name] = (
                    doc["name"].split()[0] if f.name == "first_name" else doc.get(f.name, doc["name"])
                )
            else:
                raise nonexisting(f.name, "User")
        out["id"] = doc["id"]
        return out

    def render_page(self, call: Call, doc: Doc, fields: list[Field]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields or [Field("name"), Field("id")]:
            name = f.name
            if name not in PAGE_FIELDS:
                raise nonexisting(name, "Page")
            if name == "followers_count":
                out[name] = self.sb.followers(doc)
            elif name == "fan_count":
                out[name] = int(self.sb.followers(doc) * 0.93)
            elif name == "picture":
                out[name] = {
                    "data": {"height": 50, "is_silhouette": False, "url": doc["picture_url"], "width": 50}
                }
            elif name == "link":
                out[name] = f"https://www.facebook.com/{doc['username']}"
            elif name == "category_list":
                out[name] = [{"id": doc["category_id"], "name": doc["category"]}]
            elif name == "tasks":
                out[name] = ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]
            elif name == "access_token":
                token = call.token or {}
                if token.get("extra", {}).get("type") == "user":
                    out[name] = self.page_token(token, doc)  # type: ignore[attr-defined]
                elif token.get("extra", {}).get("type") == "page":
                    out[name] = token["value"]
            elif name == "instagram_business_account":
                ig = self.ig_user(doc.get("instagram_business_account") or "")
                if ig is not None:
                    out[name] = self.render_ig_user(call, ig, f.sub) if f.sub else {"id": ig["id"]}  # type: ignore[attr-defined]
            elif name in doc:
                out[name] = doc[name]
        out["id"] = doc["id"]
        return out

    def render_fb_post(self, call: Call, doc: Doc, fields: list[Field]) -> dict[str, Any]:
        self.require_scopes(call, PAGE_READ)
        counts = self.sb.metrics(doc)
        created = parse_iso(doc["created_at"])
        published = created <= self.sb.now() and not doc.get("hidden")
        page = self.page(doc["account_id"]) or {}
        out: dict[str, Any] = {}
        for f in fields or [Field("created_time"), Field("message"), Field("id")]:
            name = f.name
            if name not in POST_FIELDS:
                raise nonexisting(name, "Post")
            if name in {"created_time", "updated_time"}:
                out[name] = meta_time(created)
            elif name == "is_published":
                out[name] = published
            elif name == "scheduled_publish_time":
                if doc.get("scheduled"):
                    out[name] = int(created.timestamp())
            elif name == "shares":
                if counts["shares"]:
                    out[name] = {"count": counts["shares"]}
            elif name in {"reactions", "likes"}:
                out[name] = _edge_summary(
                    f, counts["likes"], {"viewer_reaction": "NONE"} if name == "reactions" else {}
                )
            elif name == "comments":
                out[name] = _edge_summary(f, counts["comments"], {"order": "ranked", "can_comment": True})
            elif name == "insights":
                self.require_scopes(call, PAGE_INSIGHTS)
                out[name] = {"data": self.post_insights(doc, split_list(f.mods.get("metric")))}
            elif name == "from":
                out[name] = {"name": page.get("name"), "id": doc["account_id"]}
            elif name == "is_hidden":
                out[name] = False
            elif name == "message":
                if doc.get("message"):
                    out[name] = doc["message"]
            elif name in doc:
                out[name] = doc[name]
        out["id"] = doc["id"]
        return out

    def render_photo(self, call: Call, doc: Doc, fields: list[Field]) -> dict[str, Any]:
        return self._render_object(call, doc, fields, "Photo")

    def render_video(self, call: Call, doc: Doc, fields: list[Field]) -> dict[str, Any]:
        return self._render_object(call, doc, fields, "Video")

    def _render_object(self, call: Call, doc: Doc, fields: list[Field], type_name: str) -> dict[str, Any]:
        self.require_scopes(call, PAGE_READ)
        out: dict[str, Any] = {}
        for f in fields or [Field("created_time"), Field("id")]:
            if f.name not in OBJECT_FIELDS:
                raise nonexisting(f.name, type_name)
            if f.name == "created_time":
                out[f.name] = meta_time(parse_iso(doc["created_at"]))
            elif f.name in {"post_id", "page_story_id"}:
                if doc.get("post_id"):
                    out[f.name] = doc["post_id"]
            elif f.name == "from":
                out[f.name] = {"id": doc["page_id"]}
            elif f.name in doc:
                out[f.name] = doc[f.name]
        out["id"] = doc["id"]
        return out

    # --- insights -------------------------------------------------------------------------------
    def post_insights(self, doc: Doc, metrics: list[str]) -> list[dict[str, Any]]:
        if not metrics:
            raise bad_param("The parameter metric is required")
        if any(m not in POST_METRICS for m in metrics):
            raise invalid_metric()
        counts = self.sb.metrics(doc)
        by_type = {name: int(counts["likes"] * share) for name, share in REACTION_SHARES}
        by_type["like"] += counts["likes"] - sum(by_type.values())
        clicks = int(counts["views"] * 0.03)
        values: dict[str, Any] = {
            "post_media_view": counts["views"],
            "post_total_media_view_unique": counts["reach"],
            "post_reactions_by_type_total": {k: v for k, v in by_type.items() if v},
            "post_clicks": clicks,
            "post_clicks_by_type": {"other clicks": clicks - clicks // 3, "link clicks": clicks // 3},
            "post_reactions_like_total": by_type["like"],
            "post_reactions_love_total": by_type["love"],
            "post_video_views": counts["views"] if doc.get("status_type") == "added_video" else 0,
        }
        return [
            {
                "name": m,
                "period": "lifetime",
                "values": [{"value": values[m]}],
                "title": m.replace("_", " ").title(),
                "description": f"Lifetime: {m.replace('_', ' ')}.",
                "id": f"{doc['id']}/insights/{m}/lifetime",
            }
            for m in metrics
        ]

    def fb_post__insights__get(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, PAGE_INSIGHTS)
        return {
            "data": self.post_insights(node.doc, split_list(call.params.get("metric"))),
            "paging": {"previous": "", "next": ""},
        }

    def page__insights__get(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, PAGE_INSIGHTS)
        metrics = split_list(call.params.get("metric"))
        if not metrics:
            raise bad_param("The parameter metric is required")
        if any(m not in PAGE_METRICS for m in metrics):
            raise invalid_metric()
        period = call.params.get("period") or "day"
        span = {"day": 1, "week": 7, "days_28": 28}.get(period)
        if span is None:
            raise bad_param("period must be one of the following values: day, week, days_28")
        now = self.sb.now()
        until = now.replace(hour=7, minute=0, second=0, microsecond=0)
        days = 2
        if call.params.get("since") and call.params.get("until"):
            try:
                since_ts, until_ts = float(call.params["since"]), float(call.params["until"])
            except ValueError as exc:
                raise bad_param("since and until must be unix timestamps") from exc
            if until_ts - since_ts > 93 * 86400:
                raise bad_param("There cannot be more than 93 days (8035200 s) between since and until")
            until = until.fromtimestamp(until_ts, now.tzinfo)
            days = max(1, int((until_ts - since_ts) // 86400))
        followers = self.sb.followers(node.doc)
        data = []
        for m in metrics:
            values = []
            for d in range(days - 1, -1, -1):
                end = until - timedelta(days=d)
                rng = self.sb.rand("page_insight", node.id, m, int(end.timestamp() // 86400), period)
                daily = followers * rng.uniform(0.05, 0.12)
                value = {
                    "page_media_view": int(daily * span),
                    "page_total_media_view_unique": int(daily * span * 0.7),
                    "page_follows": followers,
                    "page_daily_follows": int(rng.uniform(0, 6) * span),
                    "page_daily_follows_unique": int(rng.uniform(0, 5) * span),
                    "page_daily_unfollows_unique": int(rng.uniform(0, 2) * span),
                    "page_post_engagements": int(daily * span * 0.06),
                    "page_views_total": int(daily * span * 0.1),
                    "page_video_views": int(daily * span * 0.3),
                    "page_actions_post_reactions_total": {
                        "like": int(daily * span * 0.04),
                        "love": int(daily * span * 0.01),
                    },
                }[m]
                values.append({"value": value, "end_time": meta_time(end)})
            data.append(
                {
                    "name": m,
                    "period": period,
                    "values": values,
                    "title": m.replace("_", " ").title(),
                    "description": f"{period}: {m.replace('_', ' ')}.",
                    "id": f"{node.id}/insights/{m}/{period}",
                }
            )
        return {"data": data, "paging": self._insights_paging(call, until, days)}

    @staticmethod
    def _insights_paging(call: Call, until: datetime, days: int) -> dict[str, str]:
        """Graph's insights paging: the same query over the window before and after this one."""
        span = days * 86400
        until_ts = int(until.timestamp())
        since_ts = until_ts - span
        base = str(call.request.url).split("?")[0]
        keep = {k: v for k, v in call.request.query_params.items() if k not in {"since", "until"}}
        return {
            "previous": f"{base}?{urlencode({**keep, 'since': since_ts - span, 'until': since_ts})}",
            "next": f"{base}?{urlencode({**keep, 'since': until_ts, 'until': until_ts + span})}",
        }

    # --- reading handlers ------------------------------------------------------------------------
    def page__node__get(self, call: Call, node: Node) -> dict[str, Any]:
        return self.render_page(call, node.doc, parse_fields(call.params.get("fields")))

    def fb_post__node__get(self, call: Call, node: Node) -> dict[str, Any]:
        return self.render_fb_post(call, node.doc, parse_fields(call.params.get("fields")))

    def photo__node__get(self, call: Call, node: Node) -> dict[str, Any]:
        return self.render_photo(call, node.doc, parse_fields(call.params.get("fields")))

    def video__node__get(self, call: Call, node: Node) -> dict[str, Any]:
        return self.render_video(call, node.doc, parse_fields(call.params.get("fields")))

    def page__posts__get(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, PAGE_READ)
        posts = [p for p in self.sb.posts("facebook", node.id) if not p.get("hidden")]
        return self._post_page(call, posts)

    page__feed__get = page__posts__get
    page__published_posts__get = page__posts__get

    def page__scheduled_posts__get(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, PAGE_READ)
        now = self.sb.now()
        posts = [
            p
            for p in self.sb.store.find("posts", platform="facebook", account_id=node.id)
            if p.get("scheduled") and not p.get("deleted") and parse_iso(p["created_at"]) > now
        ]
        posts.sort(key=lambda d: (d["created_at"], d["id"]))
        return self._post_page(call, posts)

    def _post_page(self, call: Call, posts: list[Doc]) -> dict[str, Any]:
        page, paging = paginate(posts, call.params, call.request)
        fields = parse_fields(call.params.get("fields"))
        data = [self.render_fb_post(call, p, fields) for p in page]
        return {"data": data, "paging": paging} if paging else {"data": data}


def _edge_summary(f: Field, total: int, summary_extra: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"data": []}
    if "summary" in f.mods and f.mods["summary"].lower() not in {"false", "0"}:
        out["summary"] = {"total_count": total, **summary_extra}
    return out
