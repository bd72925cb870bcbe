"""Instagram Graph objects in the Meta sandbox: profile, media, insights, publishing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.oauth_helpers import consent
from tests.sandbox.test_meta import IG1, IG2, IG3, IG4, error_of, gget, gpost, serve_media


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    yield from serve_media()


SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{11}$")
META_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


def token(sb, ig: str = IG1, scopes: list[str] | None = None) -> str:
    return sb.mint("instagram", ig, scopes=scopes)["access_token"]


@pytest.fixture
def quick(fresh_sandbox):
    """A private sandbox whose containers need 60 s of sandbox time to process."""
    fresh_sandbox.set_config(**{"instagram.container_processing_seconds": 60})
    return fresh_sandbox


def create(sb, tok: str, ig: str = IG1, **params) -> httpx.Response:
    return gpost(sb, f"/{ig}/media", tok, **params)


def status(sb, tok: str, container: str) -> dict:
    return gget(sb, f"/{container}", tok, fields="status_code,status").json()


# --- reading ------------------------------------------------------------------------------------


def test_profile_fields(sandbox):
    body = gget(
        sandbox,
        f"/{IG2}",
        token(sandbox, IG2),
        fields="id,username,followers_count,follows_count,media_count,name,profile_picture_url,biography",
    ).json()
    assert body["id"] == IG2 and body["username"] == "okafor.fit"
    assert body["followers_count"] > 12000 and body["media_count"] == 36
    assert {"follows_count", "name", "profile_picture_url", "biography"} <= set(body)
    err = error_of(gget(sandbox, f"/{IG2}", token(sandbox, IG2), fields="id,password"))
    assert err["code"] == 100 and "nonexisting field (password)" in err["message"]


def test_media_list_paginates_with_cursors_and_next_urls(sandbox):
    tok = token(sandbox, IG3)
    first = gget(
        sandbox,
        f"/{IG3}/media",
        tok,
        fields="id,shortcode,permalink,timestamp,media_type,media_product_type",
        limit=7,
    ).json()
    assert (
        len(first["data"]) == 7 and first["paging"]["cursors"]["before"] and "previous" not in first["paging"]
    )
    seen, body = [m["id"] for m in first["data"]], first
    while "next" in body["paging"]:
        body = httpx.get(body["paging"]["next"]).json()
        seen += [m["id"] for m in body["data"]]
    assert len(seen) == len(set(seen)) == 30
    after = gget(sandbox, f"/{IG3}/media", tok, limit=7, after=first["paging"]["cursors"]["after"]).json()
    assert [m["id"] for m in after["data"]] == seen[7:14] and "previous" in after["paging"]
    media = first["data"][0]
    assert SHORTCODE.match(media["shortcode"]) and META_TIME.match(media["timestamp"])
    kind = "reel" if media["media_product_type"] == "REELS" else "p"
    assert media["permalink"] == f"https://www.instagram.com/{kind}/{media['shortcode']}/"
    default = gget(sandbox, f"/{IG3}/media", tok).json()
    assert len(default["data"]) == 25 and set(default["data"][0]) == {"id"}


def test_media_fields_and_insights(sandbox):
    tok = token(sandbox, IG1)
    media_id = gget(sandbox, f"/{IG1}/media", tok, limit=1).json()["data"][0]["id"]
    body = gget(sandbox, f"/{media_id}", tok, fields="like_count,comments_count,caption,media_type").json()
    assert body["like_count"] > 0 and body["comments_count"] >= 0 and body["id"] == media_id
    metrics = "views,reach,likes,comments,saved,shares,total_interactions"
    data = gget(sandbox, f"/{media_id}/insights", tok, metric=metrics).json()["data"]
    values = {d["name"]: d["values"][0]["value"] for d in data}
    assert [d["name"] for d in data] == metrics.split(",")
    assert values["likes"] == body["like_count"] and values["views"] >= values["reach"] > 0
    assert (
        values["total_interactions"]
        == values["likes"] + values["comments"] + values["saved"] + values["shares"]
    )
    assert all(
        d["period"] == "lifetime" and d["id"] == f"{media_id}/insights/{d['name']}/lifetime" for d in data
    )


@pytest.mark.parametrize("metric", ["impressions", "plays", "video_views", "engagement", "bogus"])
def test_deprecated_and_unknown_media_metrics_fail(sandbox, metric):
    tok = token(sandbox, IG1)
    media_id = gget(sandbox, f"/{IG1}/media", tok, limit=1).json()["data"][0]["id"]
    err = error_of(gget(sandbox, f"/{media_id}/insights", tok, metric=f"reach,{metric}"))
    assert err["code"] == 100


def test_insights_need_permission(sandbox):
    tok = token(sandbox, IG4, scopes=["instagram_basic", "pages_show_list"])
    media_id = gget(sandbox, f"/{IG4}/media", tok, limit=1).json()["data"][0]["id"]
    assert error_of(gget(sandbox, f"/{media_id}/insights", tok, metric="reach"))["code"] == 10
    no_basic = token(sandbox, IG4, scopes=["pages_show_list"])
    assert error_of(gget(sandbox, f"/{IG4}", no_basic, fields="username"))["code"] == 10


def test_field_expansion_in_lists_and_multi_id_reads(sandbox):
    tok = token(sandbox, IG1)
    listing = gget(
        sandbox,
        f"/{IG1}/media",
        tok,
        limit=3,
        fields="id,like_count,insights.metric(views,reach,saved,shares)",
    ).json()["data"]
    assert all(
        [i["name"] for i in m["insights"]["data"]] == ["views", "reach", "saved", "shares"] for m in listing
    )
    ids = ",".join(m["id"] for m in listing)
    multi = gget(sandbox, "/", tok, ids=ids, fields="like_count,insights.metric(views)").json()
    assert list(multi) == ids.split(",")
    assert multi[listing[0]["id"]]["like_count"] == listing[0]["like_count"]
    assert error_of(gget(sandbox, "/", tok, ids=ids, fields="insights.metric(views,plays)"))["code"] == 100


def test_account_insights(sandbox):
    tok = token(sandbox, IG1)
    total = gget(
        sandbox,
        f"/{IG1}/insights",
        tok,
        metric="views,likes,accounts_engaged",
        period="day",
        metric_type="total_value",
    ).json()["data"]
    assert [d["name"] for d in total] == ["views", "likes", "accounts_engaged"]
    assert total[0]["total_value"]["value"] > 0 and total[0]["id"] == f"{IG1}/insights/views/day"
    err = error_of(gget(sandbox, f"/{IG1}/insights", tok, metric="likes", period="day"))
    assert err["code"] == 100 and "metric_type=total_value" in err["message"]
    assert error_of(gget(sandbox, f"/{IG1}/insights", tok, metric="impressions", period="day"))["code"] == 100
    series = gget(
        sandbox,
        f"/{IG1}/insights",
        tok,
        metric="follower_count",
        period="day",
        since=1_790_000_000,
        until=1_790_000_000 + 5 * 86400,
    ).json()["data"][0]
    assert len(series["values"]) == 5 and all("end_time" in v for v in series["values"])
    too_long = error_of(
        gget(
            sandbox,
            f"/{IG1}/insights",
            tok,
            metric="follower_count",
            period="day",
            since=1_790_000_000,
            until=1_790_000_000 + 31 * 86400,
        )
    )
    assert too_long["code"] == 100


# --- publishing -----------------------------------------------------------------------------------


def test_image_container_processes_then_publishes_once(quick, media_server):
    tok = token(quick)
    made = create(quick, tok, image_url=f"{media_server}/photo.jpg", caption="Fresh loaves #sandbox")
    assert made.status_code == 200 and set(made.json()) == {"id"}
    container = made.json()["id"]
    assert status(quick, tok, container)["status_code"] == "IN_PROGRESS"
    early = error_of(gpost(quick, f"/{IG1}/media_publish", tok, creation_id=container))
    assert (early["code"], early["error_subcode"]) == (9007, 2207027)
    quick.advance(61)
    assert status(quick, tok, container)["status_code"] == "FINISHED"
    media_id = gpost(quick, f"/{IG1}/media_publish", tok, creation_id=container).json()["id"]
    again = gpost(quick, f"/{IG1}/media_publish", tok, creation_id=container).json()["id"]
    assert again == media_id  # documented sandbox choice: same media, no second post
    assert status(quick, tok, container)["status_code"] == "PUBLISHED"
    counters = quick.counters()
    assert counters[f"published:instagram:{IG1}"] == 1 and counters.get(f"duplicates:instagram:{IG1}", 0) == 0
    media = gget(
        quick,
        f"/{media_id}",
        tok,
        fields="id,permalink,shortcode,media_type,media_product_type,timestamp,"
        "caption,like_count,comments_count",
    ).json()
    assert media["permalink"] == f"https://www.instagram.com/p/{media['shortcode']}/"
    assert (media["media_type"], media["media_product_type"], media["caption"]) == (
        "IMAGE",
        "FEED",
        "Fresh loaves #sandbox",
    )
    newest = gget(quick, f"/{IG1}/media", tok, limit=1).json()["data"][0]["id"]
    assert newest == media_id


def test_reel_container(quick, media_server):
    tok = token(quick)
    container = create(
        quick, tok, media_type="REELS", video_url=f"{media_server}/clip.mp4", caption="reel"
    ).json()["id"]
    quick.advance(61)
    media_id = gpost(quick, f"/{IG1}/media_publish", tok, creation_id=container).json()["id"]
    media = gget(quick, f"/{media_id}", tok, fields="media_type,media_product_type,permalink").json()
    assert (media["media_type"], media["media_product_type"]) == ("VIDEO", "REELS")
    assert "/reel/" in media["permalink"]


@pytest.mark.parametrize(
    ("params", "code", "sub"),
    [
        ({"image_url": "{m}/missing.jpg"}, 9004, 2207052),
        ({"image_url": "http://127.0.0.1:9/nothing.jpg"}, 9004, 2207052),
        ({"image_url": "{m}/big.jpg"}, 36000, 2207004),
        ({}, 100, None),
        ({"media_type": "REELS"}, 100, None),
    ],
)
def test_container_creation_errors(sandbox, media_server, params, code, sub):
    tok = token(sandbox, IG3)
    resp = create(sandbox, tok, ig=IG3, **{k: v.format(m=media_server) for k, v in params.items()})
    err = error_of(resp)
    assert resp.status_code == 400 and (err["code"], err.get("error_subcode")) == (code, sub)
    if code == 36000:
        assert err["error_user_msg"] == "The image is too large to download. It should be less than 8 MiB."


@pytest.mark.parametrize(
    ("params", "sub"),
    [
        ({"image_url": "{m}/photo.png"}, "2207052"),
        ({"media_type": "REELS", "video_url": "{m}/text.mp4"}, "2207026"),
        ({"media_type": "REELS", "video_url": "{m}/short.mp4"}, "2207026"),
    ],
)
def test_bad_media_ends_in_error_status(quick, media_server, params, sub):
    tok = token(quick)
    container = create(quick, tok, **{k: v.format(m=media_server) for k, v in params.items()}).json()["id"]
    quick.advance(61)
    got = status(quick, tok, container)
    assert got["status_code"] == "ERROR" and sub in got["status"]
    assert error_of(gpost(quick, f"/{IG1}/media_publish", tok, creation_id=container))["code"] == -1


def test_container_expires_after_24_hours(quick, media_server):
    tok = token(quick)
    container = create(quick, tok, image_url=f"{media_server}/photo.jpg").json()["id"]
    quick.advance(86400 + 5)
    assert status(quick, tok, container)["status_code"] == "EXPIRED"
    err = error_of(gpost(quick, f"/{IG1}/media_publish", tok, creation_id=container))
    assert (err["code"], err["error_subcode"]) == (-2, 2207020)


def test_carousel(quick, media_server):
    tok = token(quick)
    kids = [
        create(quick, tok, image_url=f"{media_server}/photo.jpg", is_carousel_item="true").json()["id"]
        for _ in range(2)
    ]
    one = error_of(create(quick, tok, media_type="CAROUSEL", children=kids[0]))
    assert one["code"] == 100
    parent = create(quick, tok, media_type="CAROUSEL", children=",".join(kids), caption="album").json()["id"]
    assert error_of(gpost(quick, f"/{IG1}/media_publish", tok, creation_id=kids[0]))["code"] == 100
    quick.advance(61)
    media_id = gpost(quick, f"/{IG1}/media_publish", tok, creation_id=parent).json()["id"]
    media = gget(quick, f"/{media_id}", tok, fields="media_type,children").json()
    assert media["media_type"] == "CAROUSEL_ALBUM" and len(media["children"]["data"]) == 2
    assert quick.counters()[f"published:instagram:{IG1}"] == 1


def test_carousel_child_limit_follows_config(quick, media_server):
    quick.set_config(**{"instagram.carousel_max_children": 3})
    tok = token(quick)
    kids = [
        create(quick, tok, image_url=f"{media_server}/photo.jpg", is_carousel_item="true").json()["id"]
        for _ in range(4)
    ]
    err = error_of(create(quick, tok, media_type="CAROUSEL", children=",".join(kids)))
    assert err["code"] == 100 and "between 2 and 3" in err["message"]


def test_publishing_quota(quick, media_server):
    quick.set_config(**{"instagram.publish_quota_total": 2})
    tok = token(quick)
    containers = [
        create(quick, tok, image_url=f"{media_server}/photo.jpg", caption=f"post {i}").json()["id"]
        for i in range(3)
    ]
    quick.advance(61)
    for container in containers[:2]:
        assert gpost(quick, f"/{IG1}/media_publish", tok, creation_id=container).status_code == 200
    limit = gget(quick, f"/{IG1}/content_publishing_limit", tok, fields="quota_usage,config").json()
    assert limit == {"data": [{"quota_usage": 2, "config": {"quota_total": 2, "quota_duration": 86400}}]}
    err = error_of(gpost(quick, f"/{IG1}/media_publish", tok, creation_id=containers[2]))
    assert (err["code"], err["error_subcode"]) == (9, 2207042)
    quick.advance(86400)
    usage = gget(quick, f"/{IG1}/content_publishing_limit", tok).json()["data"][0]
    assert usage == {"quota_usage": 0}


def test_container_limit_per_24_hours(quick, media_server):
    quick.set_config(**{"instagram.container_limit_24h": 2})
    tok = token(quick)
    for _ in range(2):
        assert create(quick, tok, image_url=f"{media_server}/photo.jpg").status_code == 200
    assert error_of(create(quick, tok, image_url=f"{media_server}/photo.jpg"))["code"] == 9


def test_publishing_needs_content_publish_permission(sandbox, media_server):
    tok = token(sandbox, IG2, scopes=["instagram_basic", "pages_show_list", "pages_read_engagement"])
    err = error_of(create(sandbox, tok, ig=IG2, image_url=f"{media_server}/photo.jpg"))
    assert err["code"] == 10


# --- Instagram Login (graph.instagram.com) --------------------------------------------------------

IG_LOGIN_SCOPES = (
    "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_insights"
)


def ig_login_token(sb, ig: str = IG3) -> dict:
    query = {
        "client_id": "sandbox-instagram-client",
        "redirect_uri": "https://app.example/ig",
        "state": "s1",
        "scope": IG_LOGIN_SCOPES,
        "response_type": "code",
    }
    url = str(httpx.URL(sb.platform_url("www.instagram.com", "/oauth/authorize"), params=query))
    got = consent(url, account_id=ig)
    assert got["state"] == "s1" and got["_fragment"] == "_"
    resp = httpx.post(
        sb.platform_url("api.instagram.com", "/oauth/access_token"),
        data={
            "client_id": "sandbox-instagram-client",
            "client_secret": "sandbox-instagram-secret",
            "grant_type": "authorization_code",
            "redirect_uri": "https://app.example/ig",
            "code": got["code"],
        },
    )
    return resp.json()


def ig_graph(sb, path: str, token: str, **params) -> httpx.Response:
    return httpx.get(
        sb.platform_url("graph.instagram.com", f"/v21.0{path}"), params={**params, "access_token": token}
    )


def test_instagram_login_flow(sandbox, media_server):
    short = ig_login_token(sandbox)["data"][0]
    assert short["user_id"] == IG3 and "instagram_business_basic" in short["permissions"]
    long = httpx.get(
        sandbox.platform_url("graph.instagram.com", "/access_token"),
        params={
            "grant_type": "ig_exchange_token",
            "client_secret": "sandbox-instagram-secret",
            "access_token": short["access_token"],
        },
    ).json()
    assert long["token_type"] == "bearer" and long["expires_in"] == 5183944
    me = ig_graph(sandbox, "/me", long["access_token"], fields="user_id,username,account_type").json()
    assert me == {"user_id": IG3, "username": "lena.studio", "account_type": "BUSINESS", "id": IG3}
    assert ig_graph(sandbox, f"/{IG3}/media", long["access_token"], limit=2).status_code == 200
    made = httpx.post(
        sandbox.platform_url("graph.instagram.com", f"/v21.0/{IG3}/media"),
        data={"image_url": f"{media_server}/photo.jpg", "access_token": long["access_token"]},
    )
    assert made.status_code == 200 and made.json()["id"]
    refreshed = httpx.get(
        sandbox.platform_url("graph.instagram.com", "/refresh_access_token"),
        params={"grant_type": "ig_refresh_token", "access_token": long["access_token"]},
    ).json()
    assert refreshed["expires_in"] == 5183944 and refreshed["access_token"] != long["access_token"]
    # Tokens stay on their own host.
    assert error_of(gget(sandbox, f"/{IG3}", long["access_token"]))["code"] == 190
    fb_login = token(sandbox, IG3)
    assert error_of(ig_graph(sandbox, f"/{IG3}", fb_login))["code"] == 190
    assert error_of(ig_graph(sandbox, f"/{IG1}", long["access_token"]))["error_subcode"] == 33


def test_instagram_login_errors(sandbox):
    bad = httpx.post(
        sandbox.platform_url("api.instagram.com", "/oauth/access_token"),
        data={
            "client_id": "sandbox-instagram-client",
            "client_secret": "sandbox-instagram-secret",
            "grant_type": "authorization_code",
            "redirect_uri": "https://app.example/ig",
            "code": "nope",
        },
    )
    assert bad.status_code == 400 and bad.json()["error_type"] == "OAuthException"
    short = ig_login_token(sandbox, IG4)["data"][0]["access_token"]
    err = error_of(
        httpx.get(
            sandbox.platform_url("graph.instagram.com", "/refresh_access_token"),
            params={"grant_type": "ig_refresh_token", "access_token": short},
        )
    )
    assert err["code"] == 190  # only long-lived tokens can be refreshed
