"""LinkedIn wire contract (CONTRACTS §5) against the sandbox over HTTP with raw httpx."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote, urlencode

import httpx
import pytest

from tests.oauth_helpers import consent

CLIENT, SECRET = "sandbox-linkedin-client", "sandbox-linkedin-secret"
REDIRECT = "https://app.example.com/oauth/linkedin/callback"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100


def members(sb) -> list[str]:
    return [a["id"] for a in sb.accounts("linkedin")]


def version(sb) -> str:
    return sb.sandbox.now().strftime("%Y%m")


def api(sb, token: str, **extra: str) -> httpx.Client:
    headers = {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": version(sb),
        "X-Restli-Protocol-Version": "2.0.0",
    }
    headers.update(extra)
    return httpx.Client(base_url=sb.platform_url("api.linkedin.com"), headers=headers, timeout=30)


def token_for(sb, index: int = 0, scopes: list[str] | None = None) -> tuple[str, str]:
    member = members(sb)[index]
    return member, sb.mint("linkedin", member, scopes)["access_token"]


def post_body(member: str, text: str, **extra) -> dict:
    return {
        "author": f"urn:li:person:{member}",
        "commentary": text,
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        **extra,
    }


def authorize_url(
    sb, scope: str = "openid profile email w_member_social", state: str = "st-1", **extra
) -> str:
    params = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "state": state,
        "scope": scope,
    }
    params.update(extra)
    return sb.platform_url("www.linkedin.com", "/oauth/v2/authorization?" + urlencode(params))


def exchange(sb, code: str, **overrides) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT,
        "client_secret": SECRET,
        "redirect_uri": REDIRECT,
        **overrides,
    }
    return httpx.post(sb.platform_url("www.linkedin.com", "/oauth/v2/accessToken"), data=form)


# --- OAuth -----------------------------------------------------------------------------------


def test_authorization_code_flow_token_shape(sandbox):
    back = consent(authorize_url(sandbox), account_id=members(sandbox)[1])
    assert back["state"] == "st-1" and back["_redirect"] == REDIRECT
    resp = exchange(sandbox, back["code"])
    assert resp.status_code == 200
    body = resp.json()
    assert body["expires_in"] == 5183999 and body["token_type"] == "Bearer"
    assert set(body["scope"].split(",")) == {"openid", "profile", "email", "w_member_social"}
    assert body["id_token"].count(".") == 2
    assert "refresh_token" not in body and "refresh_token_expires_in" not in body
    me = api(sandbox, body["access_token"]).get("/v2/userinfo").json()
    assert me["sub"] == members(sandbox)[1]
    # Codes are single use.
    again = exchange(sandbox, back["code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_request"


def test_deny_redirects_with_linkedin_cancel(sandbox):
    back = consent(authorize_url(sandbox, state="deny-me"), decision="deny")
    assert back["error"] == "user_cancelled_authorize"
    assert back["error_description"] and back["state"] == "deny-me" and "code" not in back


def test_authorize_rejects_unknown_client_and_scope(sandbox):
    bad_client = httpx.get(authorize_url(sandbox, client_id="nobody"))
    assert bad_client.status_code == 400 and "text/html" in bad_client.headers["content-type"]
    bad_redirect = httpx.get(authorize_url(sandbox, redirect_uri="ftp://evil"))
    assert bad_redirect.status_code == 400 and "location" not in bad_redirect.headers
    bad_scope = httpx.get(authorize_url(sandbox, scope="openid r_fullprofile"), follow_redirects=False)
    assert bad_scope.status_code == 302
    assert "error=unauthorized_scope_error" in bad_scope.headers["location"]
    assert "state=st-1" in bad_scope.headers["location"]


def test_token_endpoint_errors(sandbox):
    back = consent(authorize_url(sandbox))
    wrong_secret = exchange(sandbox, back["code"], client_secret="nope")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    wrong_redirect = exchange(sandbox, back["code"], redirect_uri=REDIRECT + "/other")
    assert wrong_redirect.status_code == 400 and "error_description" in wrong_redirect.json()
    missing = exchange(sandbox, "")
    assert missing.json() == {
        "error": "invalid_request",
        "error_description": 'A required parameter "code" is missing',
    }


def test_refresh_tokens_only_when_enabled_and_ttl_not_extended(fresh_sandbox):
    sb = fresh_sandbox
    assert "refresh_token" not in sb.mint("linkedin", members(sb)[0])
    sb.set_config(**{"linkedin.issue_refresh_tokens": True})
    body = exchange(sb, consent(authorize_url(sb))["code"]).json()
    assert body["refresh_token_expires_in"] == 31536000
    sb.advance(10 * 86400)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": body["refresh_token"],
        "client_id": CLIENT,
        "client_secret": SECRET,
    }
    url = sb.platform_url("www.linkedin.com", "/oauth/v2/accessToken")
    refreshed = httpx.post(url, data=form).json()
    assert refreshed["access_token"] != body["access_token"] and refreshed["expires_in"] == 5183999
    assert 31536000 - 10 * 86400 - 60 <= refreshed["refresh_token_expires_in"] <= 31536000 - 10 * 86400
    assert api(sb, refreshed["access_token"]).get("/v2/userinfo").status_code == 200
    sb.advance(360 * 86400)  # past the fixed 365 days
    dead = httpx.post(url, data=form)
    assert dead.status_code == 400 and "refresh token is invalid" in dead.json()["error_description"]


def test_access_token_expires_after_60_days(fresh_sandbox):
    _, token = token_for(fresh_sandbox)
    assert api(fresh_sandbox, token).get("/v2/userinfo").status_code == 200
    fresh_sandbox.advance(5183999 + 60)
    resp = api(fresh_sandbox, token).get("/v2/userinfo")
    assert resp.status_code == 401
    assert resp.json() == {
        "status": 401,
        "serviceErrorCode": 65602,
        "code": "EXPIRED_ACCESS_TOKEN",
        "message": "The token used in the request has expired",
    }


def test_revoke_and_introspect(sandbox):
    _, token = token_for(sandbox, 2)
    introspect = sandbox.platform_url("www.linkedin.com", "/oauth/v2/introspectToken")
    creds = {"client_id": CLIENT, "client_secret": SECRET, "token": token}
    live = httpx.post(introspect, data=creds).json()
    assert live["active"] is True and live["status"] == "active" and live["auth_type"] == "3L"
    revoked = httpx.post(sandbox.platform_url("www.linkedin.com", "/oauth/v2/revoke"), data=creds)
    assert revoked.status_code == 200
    assert httpx.post(introspect, data=creds).json()["active"] is False
    resp = api(sandbox, token).get("/v2/userinfo")
    assert resp.status_code == 401 and resp.json()["serviceErrorCode"] == 65601
    assert resp.json()["code"] == "REVOKED_ACCESS_TOKEN"


# --- userinfo, versions, scopes ------------------------------------------------------------------


def test_userinfo_fields_follow_scopes(sandbox):
    _, token = token_for(sandbox, 0, ["openid", "profile", "email"])
    body = api(sandbox, token).get("/v2/userinfo").json()
    assert set(body) == {
        "sub",
        "name",
        "given_name",
        "family_name",
        "picture",
        "email",
        "email_verified",
        "locale",
    }
    _, no_email = token_for(sandbox, 0, ["openid", "profile"])
    assert "email" not in api(sandbox, no_email).get("/v2/userinfo").json()
    _, no_openid = token_for(sandbox, 0, ["w_member_social"])
    denied = api(sandbox, no_openid).get("/v2/userinfo")
    assert denied.status_code == 403 and denied.json()["code"] == "ACCESS_DENIED"
    assert denied.json()["serviceErrorCode"] == 100


def test_versioned_api_needs_active_version(sandbox):
    member, token = token_for(sandbox)
    path = f"/rest/posts?q=author&author={quote(f'urn:li:person:{member}', safe='')}"
    client = api(sandbox, token)
    missing = client.get(path, headers={"LinkedIn-Version": ""})
    assert missing.status_code == 426 and missing.json()["code"] == "VERSION_MISSING"
    old = (sandbox.sandbox.now() - timedelta(days=400)).strftime("%Y%m")
    sunset = client.get(path, headers={"LinkedIn-Version": old})
    assert sunset.status_code == 426
    assert sunset.json() == {
        "status": 426,
        "code": "NONEXISTENT_VERSION",
        "message": f"Requested version {old} is not active",
    }
    future = (sandbox.sandbox.now() + timedelta(days=70)).strftime("%Y%m")
    assert client.get(path, headers={"LinkedIn-Version": future}).status_code == 426
    recent = (sandbox.sandbox.now() - timedelta(days=200)).strftime("%Y%m")
    assert client.get(path, headers={"LinkedIn-Version": recent}).status_code == 200


def test_unknown_path_and_missing_token(sandbox):
    _, token = token_for(sandbox)
    unknown = api(sandbox, token).get("/rest/nonsense")
    assert unknown.status_code == 404 and unknown.json()["message"] == "Resource nonsense does not exist"
    anonymous = httpx.get(sandbox.platform_url("api.linkedin.com", "/v2/userinfo"))
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "EMPTY_ACCESS_TOKEN"


# --- posts ---------------------------------------------------------------------------------------


def test_create_get_delete_post(sandbox):
    member, token = token_for(sandbox)
    client = api(sandbox, token)
    created = client.post("/rest/posts", json=post_body(member, "Contract test post \\(one\\)"))
    assert created.status_code == 201 and created.content == b""
    urn = created.headers["x-restli-id"]
    assert re.fullmatch(r"urn:li:share:\d{19}", urn)
    got = client.get(f"/rest/posts/{quote(urn, safe='')}")
    assert got.status_code == 200
    post = got.json()
    assert post["id"] == urn and post["author"] == f"urn:li:person:{member}"
    assert post["commentary"] == "Contract test post \\(one\\)" and post["lifecycleState"] == "PUBLISHED"
    assert isinstance(post["createdAt"], int) and post["visibility"] == "PUBLIC"
    assert client.delete(f"/rest/posts/{quote(urn, safe='')}").status_code == 204
    gone = client.get(f"/rest/posts/{quote(urn, safe='')}")
    assert gone.status_code == 404 and gone.json()["status"] == 404


def test_post_validation_rules(sandbox):
    member, token = token_for(sandbox, 1)
    client = api(sandbox, token)
    other = members(sandbox)[2]
    denied = client.post("/rest/posts", json=post_body(other, "Not mine"))
    assert denied.status_code == 403 and denied.json()["code"] == "ACCESS_DENIED"
    assert denied.json()["serviceErrorCode"] == 100
    too_long = client.post("/rest/posts", json=post_body(member, "x" * 3001))
    assert too_long.status_code == 422 and "3000" in too_long.json()["message"]
    assert client.post("/rest/posts", json=post_body(member, "y" * 3000)).status_code == 201
    bad_visibility = client.post("/rest/posts", json=post_body(member, "vis", visibility="EVERYONE"))
    assert bad_visibility.status_code == 422
    no_restli = client.post(
        "/rest/posts", json=post_body(member, "hdr"), headers={"X-Restli-Protocol-Version": ""}
    )
    assert no_restli.status_code == 400
    unknown_media = client.post(
        "/rest/posts", json=post_body(member, "img", content={"media": {"id": "urn:li:image:nope"}})
    )
    assert unknown_media.status_code == 422
    extra_field = client.post("/rest/posts", json=post_body(member, "extra", colour="red"))
    assert extra_field.status_code == 422 and "Unpermitted" in extra_field.json()["message"]


def test_duplicate_commentary_rejected(sandbox):
    member, token = token_for(sandbox, 2)
    client = api(sandbox, token)
    first = client.post("/rest/posts", json=post_body(member, "Duplicate detector check"))
    second = client.post("/rest/posts", json=post_body(member, "Duplicate detector check"))
    assert first.status_code == 201 and second.status_code == 422
    assert first.headers["x-restli-id"] in second.json()["message"]


def test_write_needs_w_member_social(sandbox):
    member, token = token_for(sandbox, 0, ["openid", "profile"])
    resp = api(sandbox, token).post("/rest/posts", json=post_body(member, "no scope"))
    assert resp.status_code == 403 and resp.json()["code"] == "ACCESS_DENIED"


def test_finder_pages_through_member_posts(sandbox):
    member, token = token_for(sandbox, 1)
    client = api(sandbox, token)
    author = quote(f"urn:li:person:{member}", safe="")
    seen: list[str] = []
    start, total = 0, None
    while True:
        page = client.get(f"/rest/posts?q=author&author={author}&count=10&start={start}").json()
        total = page["paging"]["total"]
        assert page["paging"]["start"] == start and page["paging"]["count"] == 10
        seen += [e["id"] for e in page["elements"]]
        if start + 10 >= total:
            break
        start += 10
    assert len(seen) == len(set(seen)) == total >= 36
    # Newest first: ids are time-ordered, so they decrease.
    numbers = [int(u.rsplit(":", 1)[1]) for u in seen if ":share:" in u]
    assert numbers == sorted(numbers, reverse=True)
    assert client.get(f"/rest/posts?q=author&author={author}&count=101").status_code == 400
    other = quote(f"urn:li:person:{members(sandbox)[0]}", safe="")
    assert client.get(f"/rest/posts?q=author&author={other}").status_code == 403


def test_image_upload_then_post(sandbox):
    member, token = token_for(sandbox)
    client = api(sandbox, token)
    init = client.post(
        "/rest/images?action=initializeUpload",
        json={"initializeUploadRequest": {"owner": f"urn:li:person:{member}"}},
    )
    value = init.json()["value"]
    assert value["image"].startswith("urn:li:image:") and value["uploadUrlExpiresAt"] > 0
    assert "/www.linkedin.com/dms-uploads/" in value["uploadUrl"]
    early = client.post(
        "/rest/posts", json=post_body(member, "too early", content={"media": {"id": value["image"]}})
    )
    assert early.status_code == 422
    bad = httpx.put(value["uploadUrl"], content=b"not an image", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400
    init2 = client.post(
        "/rest/images?action=initializeUpload",
        json={"initializeUploadRequest": {"owner": f"urn:li:person:{member}"}},
    ).json()["value"]
    anonymous = httpx.put(init2["uploadUrl"], content=JPEG)
    assert anonymous.status_code == 401
    put = httpx.put(init2["uploadUrl"], content=JPEG, headers={"Authorization": f"Bearer {token}"})
    assert put.status_code == 201
    assert client.get(f"/rest/images/{quote(init2['image'], safe='')}").json()["status"] == "AVAILABLE"
    posted = client.post(
        "/rest/posts", json=post_body(member, "with image", content={"media": {"id": init2["image"]}})
    )
    assert posted.status_code == 201
    got = client.get(f"/rest/posts/{quote(posted.headers['x-restli-id'], safe='')}").json()
    assert got["content"]["media"]["id"] == init2["image"]


def test_video_upload_finalize_and_processing(fresh_sandbox):
    sb = fresh_sandbox
    member, token = token_for(sb)
    client = api(sb, token)
    data = MP4 + b"\x01" * (5 * 1024 * 1024)  # two parts of at most 4 MB
    init = client.post(
        "/rest/videos?action=initializeUpload",
        json={
            "initializeUploadRequest": {
                "owner": f"urn:li:person:{member}",
                "fileSizeBytes": len(data),
                "uploadCaptions": False,
                "uploadThumbnail": False,
            }
        },
    ).json()["value"]
    assert len(init["uploadInstructions"]) == 2
    etags = []
    for part in init["uploadInstructions"]:
        resp = httpx.put(
            part["uploadUrl"],
            content=data[part["firstByte"] : part["lastByte"] + 1],
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status_code == 200
        etags.append(resp.headers["etag"])
    wrong = client.post(
        "/rest/videos?action=finalizeUpload",
        json={
            "finalizeUploadRequest": {
                "video": init["video"],
                "uploadToken": "",
                "uploadedPartIds": list(reversed(etags)),
            }
        },
    )
    assert wrong.status_code == 422
    done = client.post(
        "/rest/videos?action=finalizeUpload",
        json={"finalizeUploadRequest": {"video": init["video"], "uploadToken": "", "uploadedPartIds": etags}},
    )
    assert done.status_code == 200
    path = f"/rest/videos/{quote(init['video'], safe='')}"
    assert client.get(path).json()["status"] == "PROCESSING"
    processing = client.post(
        "/rest/posts", json=post_body(member, "video", content={"media": {"id": init["video"]}})
    )
    assert processing.status_code == 422
    sb.advance(5)
    assert client.get(path).json()["status"] == "AVAILABLE"
    assert (
        client.post(
            "/rest/posts", json=post_body(member, "video", content={"media": {"id": init["video"]}})
        ).status_code
        == 201
    )


# --- metrics, analytics, followers -------------------------------------------------------------------


def first_posts(sb, client, member: str, n: int) -> list[str]:
    author = quote(f"urn:li:person:{member}", safe="")
    return [e["id"] for e in client.get(f"/rest/posts?q=author&author={author}&count={n}").json()["elements"]]


def test_social_actions_single_and_batch(sandbox):
    member, token = token_for(sandbox)
    client = api(sandbox, token)
    urns = first_posts(sandbox, client, member, 21)
    single = client.get(f"/rest/socialActions/{quote(urns[5], safe='')}").json()
    assert single["target"] == urns[5]
    assert (
        single["likesSummary"]["totalLikes"] >= 0 and "aggregatedTotalComments" in single["commentsSummary"]
    )
    ids = ",".join(quote(u, safe="") for u in urns[:20])
    batch = client.get(f"/rest/socialActions?ids=List({ids})").json()
    assert set(batch["results"]) == set(urns[:20]) and batch["errors"] == {}
    assert batch["results"][urns[5]] == single
    too_many = client.get(f"/rest/socialActions?ids=List({ids},{quote(urns[20], safe='')})")
    assert too_many.status_code == 400


def test_member_post_analytics(sandbox):
    member, token = token_for(sandbox)
    client = api(sandbox, token)
    urn = first_posts(sandbox, client, member, 3)[2]
    kind = urn.split(":")[2]
    base = f"/rest/memberCreatorPostAnalytics?q=entity&entity=({kind}:{quote(urn, safe='')})"
    impressions = client.get(base + "&queryType=IMPRESSION").json()["elements"]
    reached = client.get(base + "&queryType=MEMBERS_REACHED").json()["elements"]
    key = "com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1"
    assert impressions[0]["metricType"][key] == "IMPRESSION" and impressions[0]["targetEntity"] == {kind: urn}
    assert 0 < reached[0]["count"] <= impressions[0]["count"]
    daily = client.get(base + "&queryType=IMPRESSION&aggregation=DAILY").json()["elements"]
    assert len(daily) == 7 and all("dateRange" in e for e in daily)
    me = client.get("/rest/memberCreatorPostAnalytics?q=me&queryType=REACTION").json()["elements"]
    single_reactions = client.get(base + "&queryType=REACTION").json()["elements"][0]["count"]
    assert me[0]["count"] > single_reactions and "targetEntity" not in me[0]  # summed over every post
    assert client.get(base + "&queryType=CLICKS").status_code == 400
    _, no_scope = token_for(sandbox, 0, ["openid", "w_member_social"])
    denied = api(sandbox, no_scope).get(base + "&queryType=IMPRESSION")
    assert denied.status_code == 403 and denied.json()["code"] == "ACCESS_DENIED"
    _, stranger = token_for(sandbox, 1, ["r_member_postAnalytics"])
    assert api(sandbox, stranger).get(base + "&queryType=IMPRESSION").status_code == 403


def test_organization_share_statistics(sandbox):
    admin, token = token_for(sandbox, 0, ["r_organization_social", "w_organization_social"])
    client = api(sandbox, token)
    org = "urn:li:organization:10482311"
    q = f"/rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={quote(org, safe='')}"
    lifetime = client.get(q).json()["elements"][0]["totalShareStatistics"]
    assert lifetime["impressionCount"] >= lifetime["uniqueImpressionsCount"] > 0
    posts = client.get(f"/rest/posts?q=author&author={quote(org, safe='')}&count=21").json()["elements"]
    shares = [p["id"] for p in posts if ":share:" in p["id"]]
    some = ",".join(quote(u, safe="") for u in shares[:3])
    per_share = client.get(q + f"&shares=List({some})").json()["elements"]
    assert [e["share"] for e in per_share] == shares[:3]
    assert len(posts) == 20
    everything = ",".join(quote(p["id"], safe="") for p in [*posts, posts[0]])
    assert client.get(q + f"&shares=List({everything})").status_code == 400  # 21 > 20
    _, outsider = token_for(sandbox, 1, ["r_organization_social"])
    assert api(sandbox, outsider).get(q).status_code == 403
    _, member_only = token_for(sandbox, 0, ["w_member_social"])
    assert api(sandbox, member_only).get(q).status_code == 403


def test_network_sizes(sandbox):
    member, token = token_for(sandbox, 1)
    client = api(sandbox, token)
    me = client.get(
        f"/rest/networkSizes/{quote(f'urn:li:person:{member}', safe='')}?edgeType=MEMBER_FOLLOWED_BY_MEMBER"
    )
    assert me.status_code == 200 and me.json()["firstDegreeSize"] >= 2300
    org = client.get(
        "/rest/networkSizes/urn%3Ali%3Aorganization%3A10482311?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
    )
    assert org.json()["firstDegreeSize"] >= 8800
    other = quote(f"urn:li:person:{members(sandbox)[0]}", safe="")
    assert client.get(f"/rest/networkSizes/{other}?edgeType=MEMBER_FOLLOWED_BY_MEMBER").status_code == 403
    assert client.get(f"/rest/networkSizes/{other}?edgeType=BOGUS").status_code == 400


def test_activity_lookup(sandbox):
    post = next(p for p in sandbox.sandbox.posts("linkedin", members(sandbox)[0]))
    _, token = token_for(sandbox)
    activity = f"urn:li:activity:{post['activity']}"
    body = api(sandbox, token).get(f"/v2/activities?ids=List({quote(activity, safe='')})").json()
    assert body["results"][activity]["domainEntity"] == f"urn:li:{post['urn_type']}:{post['id']}"


# --- limits and faults -------------------------------------------------------------------------------


def test_daily_member_limit_resets_at_utc_midnight(fresh_sandbox):
    sb = fresh_sandbox
    sb.set_config(**{"linkedin.daily_calls_per_member": 3})
    _, token = token_for(sb)
    client = api(sb, token)
    assert [client.get("/v2/userinfo").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get("/v2/userinfo")
    assert limited.status_code == 429
    assert limited.json()["code"] == "TOO_MANY_REQUESTS" and limited.json()["status"] == 429
    assert not [h for h in limited.headers if h.lower().startswith(("x-rate", "retry-after", "x-ratelimit"))]
    _, other = token_for(sb, 1)
    assert api(sb, other).get("/v2/userinfo").status_code == 200  # per member
    now = sb.sandbox.now()
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
    sb.advance((midnight - now).total_seconds())
    assert client.get("/v2/userinfo").status_code == 200


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        ("rate_limited", 429, "TOO_MANY_REQUESTS"),
        ("server_error", 500, "INTERNAL_SERVER_ERROR"),
        ("expired_token", 401, "EXPIRED_ACCESS_TOKEN"),
        ("revoked_token", 401, "REVOKED_ACCESS_TOKEN"),
        ("permission_denied", 403, "ACCESS_DENIED"),
        ("invalid_request", 400, "ILLEGAL_ARGUMENT"),
    ],
)
def test_injected_faults_use_linkedin_envelope(sandbox, error, status, code):
    _, token = token_for(sandbox)
    sandbox.fault("linkedin", error, count=1, endpoint="/v2/userinfo")
    resp = api(sandbox, token).get("/v2/userinfo")
    assert resp.status_code == status
    assert (
        resp.json()["code"] == code and resp.json()["status"] == status and "serviceErrorCode" in resp.json()
    )
