"""Instagram account insights: GET /<ig-user-id>/insights (total values and time series)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from socialhub.sandbox.core import parse_iso
from socialhub.sandbox.platforms.meta.common import IG_INSIGHTS, bad_param, meta_time, split_list
from socialhub.sandbox.platforms.meta.graph import Call, GraphBase, Node
from socialhub.sandbox.store import Doc

USER_TOTAL_VALUE = {
    "views",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
    "profile_links_taps",
    "follows_and_unfollows",
    "website_clicks",
}
USER_SERIES = {"reach", "follower_count"}
DEPRECATED_USER_METRICS = {
    "impressions",
    "profile_views",
    "email_contacts",
    "phone_call_clicks",
    "text_message_clicks",
    "get_directions_clicks",
}


class InstagramInsightsMixin(GraphBase):
    def ig_user__insights__get(self, call: Call, node: Node) -> dict[str, Any]:
        self.require_scopes(call, IG_INSIGHTS, code=10)
        metrics = split_list(call.params.get("metric"))
        period = call.params.get("period")
        if not metrics:
            raise bad_param("The parameter metric is required")
        if period not in {"day", "week", "days_28", "lifetime"}:
            raise bad_param("period must be one of the following values: day, week, days_28, lifetime")
        now = self.sb.now_ts()
        until = _ts(call.params.get("until"), now)
        since = _ts(call.params.get("since"), until - 86400)
        if until - since > 30 * 86400:
            raise bad_param("There cannot be more than 30 days (2592000 s) between since and until")
        total = call.params.get("metric_type") == "total_value"
        for m in metrics:
            if m in DEPRECATED_USER_METRICS:
                raise bad_param(
                    f"The {m} metric is no longer supported; use views with metric_type=total_value."
                )
            if m not in USER_TOTAL_VALUE | USER_SERIES:
                raise bad_param(
                    "metric[0] must be one of the following values: "
                    + ", ".join(sorted(USER_TOTAL_VALUE | USER_SERIES))
                )
            if m in USER_TOTAL_VALUE and not total:
                raise bad_param(
                    f"The following metrics ({m}) should be specified with parameter metric_type=total_value"
                )
        return {"data": [self._user_metric(node.doc, m, period, since, until, total) for m in metrics]}

    def _user_metric(
        self, doc: Doc, metric: str, period: str, since: float, until: float, total: bool
    ) -> dict:
        base = {
            "name": metric,
            "period": period,
            "title": metric.replace("_", " ").title(),
            "description": f"The {metric.replace('_', ' ')} of the account.",
            "id": f"{doc['id']}/insights/{metric}/{period}",
        }
        followers = self.sb.followers(doc)
        if metric == "follower_count":
            if followers < 100:
                return {**base, "values": []}
            days = max(1, int((until - since) // 86400))
            values = []
            for d in range(days):
                end = since + (d + 1) * 86400
                gain = max(
                    0,
                    int(
                        float(doc.get("followers_per_day", 5))
                        + self.sb.rand("igf", doc["id"], int(end // 86400)).uniform(-3, 3)
                    ),
                )
                values.append({"value": gain, "end_time": meta_time(end)})
            return {**base, "values": values}
        posts = [
            p
            for p in self.sb.posts("instagram", doc["id"])
            if since <= parse_iso(p["created_at"]).timestamp() <= until
        ]
        sums = {
            k: sum(self.sb.metrics(p)[k] for p in posts)
            for k in ("views", "reach", "likes", "comments", "shares", "saves")
        }
        days = max(1.0, (until - since) / 86400)
        background = int(followers * 0.03 * days)  # older posts keep being seen
        values = {
            "views": sums["views"] + background,
            "reach": sums["reach"] + background // 2,
            "accounts_engaged": (sums["likes"] + sums["comments"]) // 2 + background // 40,
            "total_interactions": sums["likes"] + sums["comments"] + sums["shares"] + sums["saves"],
            "likes": sums["likes"],
            "comments": sums["comments"],
            "shares": sums["shares"],
            "saves": sums["saves"],
            "replies": sums["comments"] // 4,
            "profile_links_taps": background // 100,
            "follows_and_unfollows": int(float(doc.get("followers_per_day", 5)) * days),
            "website_clicks": background // 120,
        }
        if total:
            return {**base, "total_value": {"value": values[metric]}}
        return {**base, "values": [{"value": values[metric], "end_time": meta_time(until)}]}


def _ts(raw: Any, default: float) -> float:
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except (TypeError, ValueError):
        try:
            return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()
        except ValueError as exc:
            raise bad_param("since and until must be unix timestamps or ISO-8601 dates") from exc
