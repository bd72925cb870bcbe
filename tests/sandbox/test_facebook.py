"""Facebook Pages in the Meta sandbox: Page reads, posting, scheduling, media, metrics."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.sandbox.test_meta import (
    JPEG,
    PAGE1,
    PAGE2,
    PAGE3,
    PAGE4,
    error_of,
    gget,
    gpost,
    graph,
    serve_media,
)


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    yield from serve_media()


META_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


def page_token(sb, page: str = PAGE1, scopes: list[str] | None = None) -> str:
    return sb.mint("facebook", page, scopes=scopes)["access_token"]


def listed(sb, page: str, tok: str, edge: str = "posts") -> list[str]:
    return [p["id"] for p in gget(sb, f"/{page}/{edge}", tok, limit=100).json()["data"]]


def test_page_fields(sandbox):
    body = gget(
        sandbox,
        f"/{PAGE1}",
        page_token(sandbox),
        fields="followers_count,fan_count,name,link,picture,username",
    ).json()
    assert body["name"] == "Maya Bakes" and body["link"] == "https://www.facebook.com/mayabakes"
    assert body["followers_count"] > 30000 and 0 < body["fan_count"] < body["followers_count"]
    assert body["picture"]["data"]["url"].startswith("https://")
    assert gget(sandbox, f"/{PAGE1}", page_token(sandbox)).json() == {"name": "Maya Bakes", "id": PAGE1}


def test_posts_paginate_newest_first(sandbox):
    tok = page_token(sandbox, PAGE4)
    body = gget(
        sandbox, f"/{PAGE4}/posts", tok, fields="id,message,created_time,permalink_url", limit=10
    ).json()
    ids = [p["id"] for p in body["data"]]
    times = [p["created_time"] for p in body["data"]]
    while "next" in body["paging"]:
        body = httpx.get(body["paging"]["next"]).json()
        ids += [p["id"] for p in body["data"]]
    assert len(ids) == len(set(ids)) == 24 and all(i.startswith(f"{PAGE4}_") for i in ids)
    assert times == sorted(times, reverse=True) and all(META_TIME.match(t) for t in times)
    feed = gget(sandbox, f"/{PAGE4}/feed", tok, limit=3).json()["data"]
    assert [p["id"] for p in feed] == ids[:3]


def test_post_fields_with_summaries_and_insights(sandbox):
    tok = page_token(sandbox)
    post = gget(sandbox, f"/{PAGE1}/posts", tok, limit=1).json()["data"][0]["id"]
    body = gget(
        sandbox,
        f"/{post}",
        tok,
        fields="message,permalink_url,shares,reactions.summary(total_count).limit(0),"
        "comments.summary(total_count),created_time",
    ).json()
    assert body["reactions"]["summary"]["total_count"] > 0 and body["comments"]["data"] == []
    assert "/posts/pfbid" in body["permalink_url"]
    data = gget(
        sandbox,
        f"/{post}/insights",
        tok,
        metric="post_media_view,post_total_media_view_unique,post_reactions_by_type_total,post_clicks",
    ).json()
    values = {d["name"]: d["values"][0]["value"] for d in data["data"]}
    assert values["post_media_view"] >= values["post_total_media_view_unique"] > 0
    assert sum(values["post_reactions_by_type_total"].values()) == body["reactions"]["summary"]["total_count"]


@pytest.mark.parametrize(
    "metric", ["post_impressions", "post_impressions_unique", "post_engaged_users", "nope"]
)
def test_deprecated_post_metrics(sandbox, metric):
    tok = page_token(sandbox)
    post = gget(sandbox, f"/{PAGE1}/posts", tok, limit=1).json()["data"][0]["id"]
    err = error_of(gget(sandbox, f"/{post}/insights", tok, metric=metric))
    assert err["code"] == 100 and "valid insights metric" in err["message"]


def test_page_insights(sandbox):
    tok = page_token(sandbox)
    data = gget(
        sandbox, f"/{PAGE1}/insights", tok, metric="page_media_view,page_follows", period="day"
    ).json()["data"]
    assert [d["name"] for d in data] == ["page_media_view", "page_follows"]
    assert len(data[0]["values"]) == 2 and META_TIME.match(data[0]["values"][0]["end_time"])
    for old in ("page_fans", "page_impressions", "page_impressions_unique"):
        assert error_of(gget(sandbox, f"/{PAGE1}/insights", tok, metric=old, period="day"))["code"] == 100


def test_insights_need_read_insights(sandbox):
    tok = page_token(sandbox, PAGE2, scopes=["pages_show_list", "pages_read_engagement"])
    assert error_of(gget(sandbox, f"/{PAGE2}/insights", tok, metric="page_media_view"))["code"] == 200


def test_text_post_with_page_token(fresh_sandbox):
    tok = page_token(fresh_sandbox)
    resp = gpost(fresh_sandbox, f"/{PAGE1}/feed", tok, message="Open on Sunday!")
    post_id = resp.json()["id"]
    assert re.match(rf"^{PAGE1}_\d+$", post_id)
    assert listed(fresh_sandbox, PAGE1, tok)[0] == post_id
    assert fresh_sandbox.counters()[f"published:facebook:{PAGE1}"] == 1
    gpost(fresh_sandbox, f"/{PAGE1}/feed", tok, message="Open on Sunday!")
    assert fresh_sandbox.counters()[f"duplicates:facebook:{PAGE1}"] == 1


def test_page_writes_need_the_page_token(sandbox):
    minted = sandbox.mint("facebook", PAGE3)
    err = error_of(gpost(sandbox, f"/{PAGE3}/feed", minted["user_access_token"], message="x"))
    assert err["code"] == 200 and "access token" in err["error_user_msg"]
    other = error_of(gpost(sandbox, f"/{PAGE3}/feed", page_token(sandbox, PAGE1), message="x"))
    assert other["error_subcode"] == 33  # another Page's token cannot even see this Page
    no_scope = page_token(sandbox, PAGE3, scopes=["pages_show_list", "pages_read_engagement"])
    assert error_of(gpost(sandbox, f"/{PAGE3}/feed", no_scope, message="x"))["code"] == 200
    assert error_of(gpost(sandbox, f"/{PAGE3}/feed", page_token(sandbox, PAGE3)))["code"] == 100


def test_scheduled_post_appears_at_its_time(fresh_sandbox):
    tok = page_token(fresh_sandbox, PAGE2)
    when = int(fresh_sandbox.sandbox.now_ts()) + 3600
    post_id = gpost(
        fresh_sandbox,
        f"/{PAGE2}/feed",
        tok,
        message="Later",
        published="false",
        scheduled_publish_time=str(when),
    ).json()["id"]
    assert post_id not in listed(fresh_sandbox, PAGE2, tok)
    scheduled = gget(
        fresh_sandbox, f"/{PAGE2}/scheduled_posts", tok, fields="id,scheduled_publish_time,is_published"
    ).json()["data"]
    assert scheduled == [{"id": post_id, "scheduled_publish_time": when, "is_published": False}]
    fresh_sandbox.advance(3700)
    assert listed(fresh_sandbox, PAGE2, tok)[0] == post_id
    assert gget(fresh_sandbox, f"/{PAGE2}/scheduled_posts", tok).json()["data"] == []


@pytest.mark.parametrize("ahead", [60, 31 * 86400])
def test_schedule_window(sandbox, ahead):
    tok = page_token(sandbox, PAGE2)
    err = error_of(
        gpost(
            sandbox,
            f"/{PAGE2}/feed",
            tok,
            message="x",
            published="false",
            scheduled_publish_time=str(int(time.time()) + ahead),
        )
    )
    assert err["code"] == 100 and "10 minutes and 30 days" in err["error_user_msg"]
    published = error_of(
        gpost(
            sandbox, f"/{PAGE2}/feed", tok, message="x", scheduled_publish_time=str(int(time.time()) + 3600)
        )
    )
    assert published["code"] == 100


def test_schedule_window_follows_config(fresh_sandbox):
    fresh_sandbox.set_config(**{"facebook.schedule_max_seconds": 180 * 86400})
    tok = page_token(fresh_sandbox, PAGE2)
    resp = gpost(
        fresh_sandbox,
        f"/{PAGE2}/feed",
        tok,
        message="x",
        published="false",
        scheduled_publish_time=str(int(fresh_sandbox.sandbox.now_ts()) + 90 * 86400),
    )
    assert resp.status_code == 200


def test_photo_by_url_and_by_upload(fresh_sandbox, media_server):
    tok = page_token(fresh_sandbox)
    body = gpost(
        fresh_sandbox, f"/{PAGE1}/photos", tok, url=f"{media_server}/photo.jpg", caption="Croissants"
    ).json()
    assert set(body) == {"id", "post_id"} and body["post_id"].startswith(f"{PAGE1}_")
    upload = httpx.post(
        graph(fresh_sandbox, f"/{PAGE1}/photos"),
        data={"caption": "upload", "access_token": tok},
        files={"source": ("a.jpg", JPEG, "image/jpeg")},
    ).json()
    assert upload["post_id"] in listed(fresh_sandbox, PAGE1, tok)
    photo = gget(fresh_sandbox, f"/{body['id']}", tok, fields="page_story_id,name").json()
    assert photo["page_story_id"] == body["post_id"]
    bad = error_of(gpost(fresh_sandbox, f"/{PAGE1}/photos", tok, url=f"{media_server}/text.mp4"))
    assert bad["code"] == 324
    assert (
        error_of(gpost(fresh_sandbox, f"/{PAGE1}/photos", tok, url=f"{media_server}/gone.jpg"))["code"] == 324
    )


def test_multi_photo_post(fresh_sandbox, media_server):
    tok = page_token(fresh_sandbox)
    photos = [
        gpost(
            fresh_sandbox, f"/{PAGE1}/photos", tok, url=f"{media_server}/photo.jpg", published="false"
        ).json()
        for _ in range(2)
    ]
    assert all(set(p) == {"id"} for p in photos)
    assert fresh_sandbox.counters().get(f"published:facebook:{PAGE1}", 0) == 0
    data = {
        "message": "Two photos",
        **{f"attached_media[{i}]": f'{{"media_fbid":"{p["id"]}"}}' for i, p in enumerate(photos)},
    }
    post = gpost(fresh_sandbox, f"/{PAGE1}/feed", tok, **data).json()["id"]
    assert gget(fresh_sandbox, f"/{post}", tok, fields="status_type").json()["status_type"] == "added_photos"
    assert fresh_sandbox.counters()[f"published:facebook:{PAGE1}"] == 1


def test_video_on_graph_video_host(fresh_sandbox, media_server):
    tok = page_token(fresh_sandbox)
    resp = gpost(
        fresh_sandbox,
        f"/{PAGE1}/videos",
        tok,
        host="graph-video.facebook.com",
        file_url=f"{media_server}/clip.mp4",
        description="Timelapse",
        title="Dough",
    )
    video_id = resp.json()["id"]
    post_id = gget(fresh_sandbox, f"/{video_id}", tok, fields="post_id").json()["post_id"]
    assert post_id in listed(fresh_sandbox, PAGE1, tok)
    bad = error_of(
        gpost(
            fresh_sandbox,
            f"/{PAGE1}/videos",
            tok,
            host="graph-video.facebook.com",
            file_url=f"{media_server}/photo.jpg",
        )
    )
    assert bad["code"] == 352


def test_delete_post(fresh_sandbox):
    tok = page_token(fresh_sandbox)
    post_id = gpost(fresh_sandbox, f"/{PAGE1}/feed", tok, message="oops").json()["id"]
    assert httpx.delete(graph(fresh_sandbox, f"/{post_id}"), params={"access_token": tok}).json() == {
        "success": True
    }
    assert error_of(gget(fresh_sandbox, f"/{post_id}", tok))["error_subcode"] == 33
    assert post_id not in listed(fresh_sandbox, PAGE1, tok)
