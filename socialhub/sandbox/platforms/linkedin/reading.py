"""LinkedIn reading endpoints: userinfo, activities, socialActions, post analytics, networkSizes.

Shapes the sandbox chose where LinkedIn's pages are thin (CONTRACTS §5.3 [unverified]):
- GET /rest/socialActions/{urn} -> {"likesSummary":{"totalLikes","aggregatedTotalLikes","likedByCurrentUser"},
  "commentsSummary":{"aggregatedTotalComments","totalFirstLevelComments"},"target"}; BATCH_GET
  /rest/socialActions?ids=List(urn,...) (at most BATCH_LIMIT=20 ids) -> {"results":{urn:{...}},"statuses","errors"}.
- GET /rest/memberCreatorPostAnalytics?q=entity&entity=(share:urn:li:share:N)&queryType=IMPRESSION|
  MEMBERS_REACHED|RESHARE|REACTION|COMMENT|POST_SAVE[&aggregation=TOTAL|DAILY] (scope r_member_postAnalytics,
  own posts only) -> {"paging":{...},"elements":[{"count":N,"metricType":{"com.linkedin.adsexternalapi.
  memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1":"IMPRESSION"},"targetEntity":{"share":urn}}]};
  q=me sums over all the member's posts. DAILY adds "dateRange" per element (last 7 days).
- GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=<org urn>
  [&shares=List(...)][&ugcPosts=List(...)] (at most 20 URNs together; r_organization_social or
  rw_organization_admin, member must admin the org) -> elements[].totalShareStatistics.
- GET /rest/networkSizes/<urn>?edgeType=...: organizations COMPANY_FOLLOWED_BY_MEMBER (any token);
  members MEMBER_FOLLOWED_BY_MEMBER (sandbox choice; only the member's own token) -> {"firstDegreeSize": N}.
- GET /v2/activities?ids=List(urn:li:activity:N) -> {"results":{urn:{"domainEntity":"urn:li:share:M"}}}
  (legacy lookup the provider uses to resolve activity URLs).
"""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import Sandbox, iso, parse_iso
from socialhub.sandbox.platform import json_response
from socialhub.sandbox.platforms.linkedin.common import (
    BATCH_LIMIT,
    MEMBER_READ,
    ORG_READ,
    PLATFORM,
    ApiAuth,
    LiError,
    access_denied,
    bad_request,
    not_found,
    parse_list,
    parse_urn,
    person_urn,
)

METRIC_TYPE_KEY = "com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1"
QUERY_TYPES = {
    "IMPRESSION": "views",
    "MEMBERS_REACHED": "reach",
    "RESHARE": "shares",
    "REACTION": "likes",
    "COMMENT": "comments",
    "POST_SAVE": "saves",
}
SOCIAL_SCOPES = MEMBER_READ + ORG_READ + ("r_member_postAnalytics",)


class LinkedInReading:
    """Reading endpoints; mixed into the LinkedIn module (uses self.sb, self.auth, find_post...)."""

    sb: Sandbox
    auth: ApiAuth

    async def userinfo(self, request: Request, tok: dict[str, Any]) -> Response:
        if "openid" not in tok["scopes"]:
            raise access_denied("Not enough permissions to access: userinfo.GET.NO_VERSION")
        account = self.sb.account(PLATFORM, tok["account_id"]) or {}
        body: dict[str, Any] = {"sub": tok["account_id"]}
        if "profile" in tok["scopes"]:
            body.update(
                name=account.get("display_name"),
                given_name=account.get("given_name"),
                family_name=account.get("family_name"),
                picture=account.get("picture"),
                locale=account.get("locale", "en-US"),
            )
        if "email" in tok["scopes"]:
            body.update(email=account.get("email"), email_verified=True)
        return json_response(body)

    async def activities(self, request: Request, tok: dict[str, Any]) -> Response:
        self.auth.require_any(tok, MEMBER_READ + ORG_READ, "activities.BATCH_GET")
        ids = parse_list(request.query_params.get("ids"))
        if not ids or len(ids) > BATCH_LIMIT:
            raise bad_request(f"ids must list 1 to {BATCH_LIMIT} activity URNs.")
        results, errors = {}, {}
        for urn in ids:
            parsed = parse_urn(urn)
            found = None
            if parsed and parsed[0] == "activity":
                found = next(iter(self.sb.store.find("posts", platform=PLATFORM, activity=parsed[1])), None)
            if found is None or found.get("deleted"):
                errors[urn] = {"status": 404, "message": f"Activity {urn} does not exist"}
            else:
                results[urn] = {"domainEntity": self.post_urn(found), "actor": found["author"]}  # type: ignore[attr-defined]
        return json_response({"results": results, "statuses": {}, "errors": errors})

    # --- social actions --------------------------------------------------------------------
    def _social(self, doc: dict[str, Any]) -> dict[str, Any]:
        m = self.sb.metrics(doc)
        first_level = int(m["comments"] * 0.8)
        return {
            "likesSummary": {
                "totalLikes": m["likes"],
                "aggregatedTotalLikes": m["likes"],
                "likedByCurrentUser": False,
            },
            "commentsSummary": {
                "aggregatedTotalComments": m["comments"],
                "totalFirstLevelComments": first_level,
            },
            "target": self.post_urn(doc),  # type: ignore[attr-defined]
        }

    async def social_action(self, request: Request, tok: dict[str, Any]) -> Response:
        self.auth.require_any(tok, SOCIAL_SCOPES, "socialActions.GET")
        return json_response(self._social(self.find_post(request.path_params["urn"])))  # type: ignore[attr-defined]

    async def social_actions_batch(self, request: Request, tok: dict[str, Any]) -> Response:
        self.auth.require_any(tok, SOCIAL_SCOPES, "socialActions.BATCH_GET")
        ids = parse_list(request.query_params.get("ids"))
        if not ids:
            raise bad_request("ids is required: ids=List(urn,...).")
        if len(ids) > BATCH_LIMIT:
            raise bad_request(f"Too many ids: {len(ids)}; at most {BATCH_LIMIT} per request.")
        results, statuses, errors = {}, {}, {}
        for urn in ids:
            try:
                results[urn] = self._social(self.find_post(urn))  # type: ignore[attr-defined]
                statuses[urn] = 200
            except LiError as err:
                statuses[urn] = err.status
                errors[urn] = {"status": err.status, "code": err.code, "message": err.message}
        return json_response({"results": results, "statuses": statuses, "errors": errors})

    # --- member post analytics ------------------------------------------------------------------
    async def member_analytics(self, request: Request, tok: dict[str, Any]) -> Response:
        if "r_member_postAnalytics" not in tok["scopes"]:
            raise access_denied("Not enough permissions to access: memberCreatorPostAnalytics.FINDER")
        q = request.query_params
        query_type = q.get("queryType", "")
        if query_type not in QUERY_TYPES:
            raise bad_request(f"queryType must be one of {', '.join(QUERY_TYPES)}.")
        aggregation = q.get("aggregation", "TOTAL")
        if aggregation not in {"TOTAL", "DAILY"}:
            raise bad_request("aggregation must be TOTAL or DAILY.")
        metric = QUERY_TYPES[query_type]
        if q.get("q") == "entity":
            match = re.fullmatch(
                r"\(?(?:(share|ugcPost):)?(urn:li:(?:share|ugcPost):\d+)\)?", q.get("entity", "")
            )
            if not match:
                raise bad_request("entity must be (share:urn:li:share:N) or (ugcPost:urn:li:ugcPost:N).")
            doc = self.find_post(match.group(2))  # type: ignore[attr-defined]
            if doc["author"] != person_urn(tok["account_id"]):
                raise access_denied(f"Not enough permissions to access analytics of {match.group(2)}")
            docs = [doc]
            target = {doc.get("urn_type", "share"): self.post_urn(doc)}  # type: ignore[attr-defined]
        elif q.get("q") == "me":
            docs = self.sb.posts(PLATFORM, tok["account_id"])
            target = None
        else:
            raise bad_request("Finder q must be entity or me.")
        elements = []
        if aggregation == "TOTAL":
            elements.append(self._element(sum(self.sb.metrics(d)[metric] for d in docs), query_type, target))
        else:
            today = self.sb.now().replace(hour=0, minute=0, second=0, microsecond=0)
            for back in range(7, 0, -1):
                start, end = today - timedelta(days=back), today - timedelta(days=back - 1)
                value = sum(self._at(d, end)[metric] - self._at(d, start)[metric] for d in docs)
                element = self._element(max(0, value), query_type, target)
                element["dateRange"] = {"start": _ymd(start), "end": _ymd(end)}
                elements.append(element)
        return json_response(
            {"paging": {"start": 0, "count": len(elements), "links": []}, "elements": elements}
        )

    @staticmethod
    def _element(count: int, query_type: str, target: dict[str, str] | None) -> dict[str, Any]:
        element: dict[str, Any] = {"count": count, "metricType": {METRIC_TYPE_KEY: query_type}}
        if target:
            element["targetEntity"] = target
        return element

    def _at(self, doc: dict[str, Any], when) -> dict[str, int]:
        """Metrics the post had at an earlier moment (shift its birth by the same distance)."""
        if when <= parse_iso(doc["created_at"]):
            return {k: 0 for k in ("views", "likes", "comments", "shares", "saves", "reach")}
        shifted = copy.copy(doc)
        shifted["created_at"] = iso(parse_iso(doc["created_at"]) + (self.sb.now() - when))
        return self.sb.metrics(shifted)

    # --- organization share statistics ------------------------------------------------------------
    async def org_share_stats(self, request: Request, tok: dict[str, Any]) -> Response:
        q = request.query_params
        if q.get("q") != "organizationalEntity":
            raise bad_request("Finder q must be organizationalEntity.")
        org = q.get("organizationalEntity", "")
        if not org.startswith("urn:li:organization:"):
            raise bad_request("organizationalEntity must be an organization URN.")
        if not {"r_organization_social", "rw_organization_admin"} & set(tok["scopes"]):
            raise access_denied(
                "Not enough permissions to access: organizationalEntityShareStatistics.FINDER"
            )
        if org not in self.auth.admin_orgs(tok["account_id"]):
            raise access_denied(f"Not enough permissions to access statistics of {org}")
        urns = parse_list(q.get("shares")) + parse_list(q.get("ugcPosts"))
        if len(urns) > BATCH_LIMIT:
            raise bad_request(f"Too many shares/ugcPosts: {len(urns)}; at most {BATCH_LIMIT} per request.")
        elements = []
        if not urns:
            totals = self._share_stats(self.sb.posts(PLATFORM, org))
            elements.append({"organizationalEntity": org, "totalShareStatistics": totals})
        for urn in urns:
            doc = self.find_post(urn)  # type: ignore[attr-defined]
            if doc["author"] != org:
                raise bad_request(f"{urn} is not a post of {org}.")
            elements.append(
                {
                    "organizationalEntity": org,
                    doc.get("urn_type", "share"): urn,
                    "totalShareStatistics": self._share_stats([doc]),
                }
            )
        return json_response(
            {"paging": {"start": 0, "count": len(elements), "links": []}, "elements": elements}
        )

    def _share_stats(self, docs: list[dict[str, Any]]) -> dict[str, Any]:
        total = {"views": 0, "likes": 0, "comments": 0, "shares": 0, "reach": 0}
        for doc in docs:
            m = self.sb.metrics(doc)
            for key in total:
                total[key] += m[key]
        clicks = total["views"] // 60
        engaged = total["likes"] + total["comments"] + total["shares"] + clicks
        return {
            "uniqueImpressionsCount": total["reach"],
            "shareCount": total["shares"],
            "clickCount": clicks,
            "likeCount": total["likes"],
            "impressionCount": total["views"],
            "commentCount": total["comments"],
            "engagement": round(engaged / total["views"], 6) if total["views"] else 0.0,
            "shareMentionsCount": 0,
            "commentMentionsCount": 0,
        }

    # --- network sizes --------------------------------------------------------------------------
    async def network_size(self, request: Request, tok: dict[str, Any]) -> Response:
        urn = request.path_params["urn"]
        edge = request.query_params.get("edgeType", "")
        parsed = parse_urn(urn)
        if parsed is None or parsed[0] not in {"person", "organization"}:
            raise bad_request(f"{urn} is not a person or organization URN.")
        if parsed[0] == "organization":
            if edge not in {"COMPANY_FOLLOWED_BY_MEMBER", "CompanyFollowedByMember"}:
                raise bad_request("edgeType must be COMPANY_FOLLOWED_BY_MEMBER for organizations.")
            org = self.sb.store.get("li_orgs", urn)
            if org is None:
                raise not_found(f"{urn} does not exist.")
            return json_response({"firstDegreeSize": self.sb.followers(org)})
        if edge != "MEMBER_FOLLOWED_BY_MEMBER":
            raise bad_request("edgeType must be MEMBER_FOLLOWED_BY_MEMBER for members.")
        if parsed[1] != tok["account_id"]:
            raise access_denied(f"Not enough permissions to access: networkSizes.GET {urn}")
        self.auth.require_any(
            tok, ("profile", "r_member_social", "r_member_postAnalytics"), "networkSizes.GET"
        )
        account = self.sb.account(PLATFORM, parsed[1])
        if account is None:
            raise not_found(f"{urn} does not exist.")
        return json_response({"firstDegreeSize": self.sb.followers(account)})


def _ymd(dt) -> dict[str, int]:
    return {"year": dt.year, "month": dt.month, "day": dt.day}
