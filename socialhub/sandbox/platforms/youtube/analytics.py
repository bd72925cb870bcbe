"""YouTube Analytics API v2 reports (CONTRACTS §4.5): a resultTable per channel, by day or video.

Values are differences of each video's counters between the report's Pacific-time day
boundaries, so they agree with videos.list statistics over the same window.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialhub.sandbox.platform import json_response
from socialhub.sandbox.platforms.youtube.common import (
    ANALYTICS,
    ANALYTICS_SCOPES,
    PACIFIC,
    PLATFORM,
    GoogleError,
    YouTubeBase,
    api,
)

METRICS = (
    "views",
    "estimatedMinutesWatched",
    "averageViewDuration",
    "likes",
    "comments",
    "shares",
    "subscribersGained",
    "subscribersLost",
)
DIMENSIONS = ("day", "video")
MAX_VIDEO_ROWS = 200


def bad(message: str, reason: str = "badRequest") -> GoogleError:
    return GoogleError(400, reason, message)


def _csv(raw: str | None) -> list[str]:
    return [x.strip() for x in (raw or "").split(",") if x.strip()]


class AnalyticsPart(YouTubeBase):
    """GET youtubeanalytics.googleapis.com/v2/reports."""

    def analytics_routes(self) -> list[Route]:
        return [Route(f"/{ANALYTICS}/v2/reports", self.reports, methods=["GET"])]

    @api
    async def reports(self, request: Request) -> Response:
        token = self.authorize_token(request, ANALYTICS_SCOPES)
        q = request.query_params
        for name in ("ids", "startDate", "endDate", "metrics"):
            if not q.get(name):
                raise GoogleError(
                    400, "required", f"Required parameter: {name}", locationType="parameter", location=name
                )
        ids = q["ids"]
        if ids not in ("channel==MINE", f"channel=={token['account_id']}"):
            raise GoogleError(403, "forbidden", "Forbidden")
        try:
            start, end = date.fromisoformat(q["startDate"]), date.fromisoformat(q["endDate"])
        except ValueError as exc:
            raise bad("Invalid date: startDate and endDate use YYYY-MM-DD.") from exc
        if start > end:
            raise bad("The query is not supported: startDate must not be after endDate.")
        metrics = _csv(q["metrics"])
        dims = _csv(q.get("dimensions"))
        for name, allowed, field in ((metrics, METRICS, "metrics"), (dims, DIMENSIONS, "dimensions")):
            unknown = [x for x in name if x not in allowed]
            if unknown:
                raise bad(f"Unknown identifier ({unknown[0]}) given in field parameters.{field}.")
        if len(dims) > 1:
            raise bad(
                "The query is not supported. Check the documentation for supported dimension combinations."
            )
        video_filter = self._filter(q.get("filters"))
        max_results = q.get("maxResults")
        if dims == ["video"] and (
            not max_results or not max_results.isdigit() or int(max_results) > MAX_VIDEO_ROWS
        ):
            raise bad(
                f"The query is not supported: video reports need maxResults of at most {MAX_VIDEO_ROWS} and a sort."
            )
        posts = [
            p
            for p in self.sb.posts(PLATFORM, token["account_id"])
            if video_filter is None or p["id"] in video_filter
        ]
        rows = self._rows(posts, start, end, dims, metrics)
        rows = self._sort(rows, q.get("sort"), dims, metrics)
        start_index = int(q.get("startIndex", "1") or 1)
        rows = rows[start_index - 1 :]
        if max_results and max_results.isdigit():
            rows = rows[: int(max_results)]
        headers = [{"name": d, "columnType": "DIMENSION", "dataType": "STRING"} for d in dims] + [
            {"name": m, "columnType": "METRIC", "dataType": "INTEGER"} for m in metrics
        ]
        body: dict[str, Any] = {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers}
        if rows:
            body["rows"] = rows
        return json_response(body)

    def _filter(self, raw: str | None) -> set[str] | None:
        if not raw:
            return None
        wanted: set[str] | None = None
        for clause in raw.split(";"):
            key, _, values = clause.partition("==")
            if key != "video" or not values:
                raise bad(f"The query is not supported: unknown filter '{key}'.", "invalidFilters")
            wanted = set(_csv(values))
        return wanted

    def _window(self, day: date) -> tuple[datetime, datetime]:
        start = datetime.combine(day, time(), PACIFIC)
        return start, min(start + timedelta(days=1), self.sb.now())

    def _values(self, posts: list[dict[str, Any]], t0: datetime, t1: datetime) -> dict[str, float]:
        total = dict.fromkeys(("views", "likes", "comments", "shares", "seconds"), 0.0)
        if t1 <= t0:
            return {**total, "subscribers": 0.0}
        for post in posts:
            a, b = self.sb.metrics(post, at=t0), self.sb.metrics(post, at=t1)
            views = b["views"] - a["views"]
            for k in ("views", "likes", "comments", "shares"):
                total[k] += b[k] - a[k]
            watched = self.sb.rand("yt:watch", post["id"]).uniform(0.3, 0.6)  # share of the video watched
            total["seconds"] += views * float(post.get("duration", 120)) * watched
        return {**total, "subscribers": total["views"] * 0.004}

    def _metric(self, name: str, v: dict[str, float]) -> int:
        if name == "estimatedMinutesWatched":
            return int(v["seconds"] / 60)
        if name == "averageViewDuration":
            return int(v["seconds"] / v["views"]) if v["views"] else 0
        if name == "subscribersGained":
            return int(v["subscribers"])
        if name == "subscribersLost":
            return int(v["subscribers"] * 0.15)
        return int(v[name])

    def _rows(
        self, posts: list[dict[str, Any]], start: date, end: date, dims: list[str], metrics: list[str]
    ) -> list[list[Any]]:
        today = self.sb.now().astimezone(PACIFIC).date()
        last = min(end, today)
        t0 = datetime.combine(start, time(), PACIFIC)
        t1 = min(datetime.combine(end + timedelta(days=1), time(), PACIFIC), self.sb.now())
        if dims == ["day"]:
            rows, day = [], start
            while day <= last:
                a, b = self._window(day)
                values = self._values(posts, a, b)
                rows.append([day.isoformat(), *[self._metric(m, values) for m in metrics]])
                day += timedelta(days=1)
            return rows
        if dims == ["video"]:
            rows = []
            for post in posts:
                values = self._values([post], t0, t1)
                if values["views"] > 0:
                    rows.append([post["id"], *[self._metric(m, values) for m in metrics]])
            return rows
        values = self._values(posts, t0, t1)
        return [[self._metric(m, values) for m in metrics]] if start <= last else []

    def _sort(
        self, rows: list[list[Any]], raw: str | None, dims: list[str], metrics: list[str]
    ) -> list[list[Any]]:
        columns = dims + metrics
        for key in reversed(_csv(raw)):
            name = key.lstrip("-")
            if name not in columns:
                raise bad(f"The query is not supported: cannot sort by '{name}'.")
            rows.sort(key=lambda r, i=columns.index(name): r[i], reverse=key.startswith("-"))
        return rows
