"""Issue 13, YouTube, X and TikTok deviations, and the sandbox's independence from the app.

Each test here failed against the sandbox before its fix; docs/sandbox-contracts.md names
the source of every rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.sandbox.test_tiktok import assert_error, init_file
from tests.sandbox.test_x import JPEG, MP4, api, token_for
from tests.sandbox.test_youtube import READ, UPLOAD, channel, get, google_error, start_upload

SANDBOX_DIR = Path(__file__).resolve().parents[2] / "socialhub" / "sandbox"


# --- independence -------------------------------------------------------------------------------


def test_the_sandbox_imports_none_of_the_apps_code():
    """A contract test of a rule cannot fail if the sandbox checks it with the app's own code."""
    offenders = []
    for path in SANDBOX_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                if name.startswith(("socialhub.providers", "socialhub.services", "socialhub.models")):
                    offenders.append(f"{path.relative_to(SANDBOX_DIR)}: {name}")
    assert offenders == []


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        # twitter-text config v3 (X's counting-characters page): a flag is one emoji, weight 2.
        ("🇫🇷" * 140, True),
        ("🇫🇷" * 141, False),
        # Any valid TLD makes a URL of weight 23: 3 URLs + 2 spaces = 71, then 209 more.
        ("http://t.co/x www.a.co foo.bar " + "a" * 208, True),
        ("http://t.co/x www.a.co foo.bar " + "a" * 209, False),
    ],
)
def test_x_weighted_length_follows_twitter_text(sandbox, text, ok):
    _, token = token_for(sandbox, 2)
    resp = api(sandbox, token).post("/2/tweets", json={"text": text})
    assert resp.status_code == (201 if ok else 400), resp.text


# --- YouTube search.list -------------------------------------------------------------------------


def yt_token(sb, index: int = 0, scopes: list[str] | None = None) -> str:
    return sb.mint("youtube", channel(sb, index)["id"], scopes or [READ, UPLOAD])["access_token"]


def test_search_for_mine_videos_newest_first_with_paging(sandbox):
    tok = yt_token(sandbox)
    mine = channel(sandbox)["id"]
    first = get(
        sandbox, "/youtube/v3/search", tok, part="snippet", forMine="true", type="video", order="date"
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["kind"] == "youtube#searchListResponse" and body["pageInfo"]["resultsPerPage"] == 5
    items = body["items"]
    assert len(items) == 5 and all(i["kind"] == "youtube#searchResult" for i in items)
    assert all(i["id"]["kind"] == "youtube#video" and i["snippet"]["channelId"] == mine for i in items)
    dates = [i["snippet"]["publishedAt"] for i in items]
    assert dates == sorted(dates, reverse=True)
    second = get(
        sandbox,
        "/youtube/v3/search",
        tok,
        part="snippet",
        forMine="true",
        type="video",
        order="date",
        pageToken=body["nextPageToken"],
    ).json()
    assert second["prevPageToken"] and not {i["id"]["videoId"] for i in items} & {
        i["id"]["videoId"] for i in second["items"]
    }
    assert second["items"][0]["snippet"]["publishedAt"] <= dates[-1]


def test_search_by_channel_id_lists_public_videos_only(sandbox):
    tok = yt_token(sandbox, 1)
    other = channel(sandbox, 0)["id"]
    body = get(
        sandbox, "/youtube/v3/search", tok, part="id", channelId=other, type="video", maxResults=50
    ).json()
    ids = [i["id"]["videoId"] for i in body["items"]]
    assert ids and "snippet" not in body["items"][0]
    status = get(sandbox, "/youtube/v3/videos", tok, part="status", id=",".join(ids)).json()["items"]
    assert {v["status"]["privacyStatus"] for v in status} == {"public"}


def test_search_errors_in_googles_envelope(sandbox):
    tok = yt_token(sandbox)
    google_error(
        get(sandbox, "/youtube/v3/search", tok, part="snippet", forMine="true"), 400, "invalidSearchFilter"
    )
    google_error(
        get(sandbox, "/youtube/v3/search", tok, part="snippet", pageToken="nope"), 400, "invalidPageToken"
    )
    google_error(get(sandbox, "/youtube/v3/search", tok), 400, "required")


def test_search_has_its_own_quota(fresh_sandbox):
    sb = fresh_sandbox
    tok = yt_token(sb)
    sb.set_config(**{"youtube.search_calls_per_day": 2})
    args = {"part": "id", "forMine": "true", "type": "video"}
    assert [get(sb, "/youtube/v3/search", tok, **args).status_code for _ in range(2)] == [200, 200]
    google_error(get(sb, "/youtube/v3/search", tok, **args), 403, "quotaExceeded")
    assert get(sb, "/youtube/v3/channels", tok, part="id", mine="true").status_code == 200
    # Legacy model: 100 units of the 10,000 default bucket.
    sb.set_config(**{"youtube.legacy_search_cost": 100, "youtube.quota_units_per_day": 250})
    codes = [get(sb, "/youtube/v3/search", tok, **args).status_code for _ in range(3)]
    assert codes[:2] == [200, 200] and codes[2] == 403


def test_upload_limit_exceeded_is_not_quota_exceeded(fresh_sandbox):
    sb = fresh_sandbox
    tok = yt_token(sb)
    sb.set_config(**{"youtube.channel_uploads_per_day": 1})
    assert start_upload(sb, tok, 100).status_code == 200
    err = google_error(start_upload(sb, tok, 100), 400, "uploadLimitExceeded")
    assert err["errors"][0]["domain"] == "youtube.video"
    sb.fault("youtube", "upload_limit_exceeded", count=1, endpoint="/upload/")
    other = yt_token(sb, 1)
    google_error(start_upload(sb, other, 100), 400, "uploadLimitExceeded")
    assert start_upload(sb, other, 100).status_code == 200


# --- X media STATUS and the usage cap -------------------------------------------------------------


def test_x_status_after_rejected_finalize_is_failed(sandbox):
    _, token = token_for(sandbox)
    client = api(sandbox, token)
    init = client.post(
        "/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": 5000, "media_category": "tweet_video"},
    ).json()["data"]
    client.post(
        f"/2/media/upload/{init['id']}/append",
        data={"segment_index": "0"},
        files={"media": ("c", MP4 + b"\x00" * 100, "application/octet-stream")},
    )
    rejected = client.post(f"/2/media/upload/{init['id']}/finalize")
    assert rejected.status_code == 400
    status = client.get("/2/media/upload", params={"command": "STATUS", "media_id": init["id"]}).json()[
        "data"
    ]
    info = status["processing_info"]
    assert info["state"] == "failed" and info["error"]["name"] == "InvalidMedia" and info["error"]["message"]
    assert status["expires_after_secs"] > 0
    tweet = client.post("/2/tweets", json={"text": "with failed media", "media": {"media_ids": [init["id"]]}})
    assert tweet.status_code == 400


def test_x_status_carries_expires_after_secs(sandbox):
    _, token = token_for(sandbox)
    client = api(sandbox, token)
    media = client.post(
        "/2/media/upload",
        files={"media": ("a.jpg", JPEG, "image/jpeg")},
        data={"media_category": "tweet_image"},
    ).json()["data"]
    status = client.get("/2/media/upload", params={"command": "STATUS", "media_id": media["id"]}).json()[
        "data"
    ]
    assert status["processing_info"]["state"] == "succeeded" and status["expires_after_secs"] > 0


USAGE_CAPPED = {
    "title": "UsageCapExceeded",
    "detail": "Usage cap exceeded: Monthly product cap",
    "type": "https://api.twitter.com/2/problems/usage-capped",
    "period": "Monthly",
    "scope": "Product",
}


def test_x_usage_cap_by_its_real_cause(fresh_sandbox):
    sb = fresh_sandbox
    user, token = token_for(sb)
    client = api(sb, token)
    sb.set_config(**{"x.monthly_post_reads": 12})
    first = client.get(f"/2/users/{user}/tweets", params={"max_results": 10})
    assert first.status_code == 200 and first.json()["meta"]["result_count"] == 10
    assert client.get(f"/2/users/{user}/tweets", params={"max_results": 5}).status_code == 200
    capped = client.get(f"/2/users/{user}/tweets", params={"max_results": 5})
    assert capped.status_code == 429 and capped.json() == USAGE_CAPPED
    assert client.get("/2/users/me").status_code == 200  # user lookups are not post reads
    sb.advance(32 * 86400)  # a new month
    _, fresh = token_for(sb)
    assert api(sb, fresh).get(f"/2/users/{user}/tweets", params={"max_results": 5}).status_code == 200


def test_x_usage_cap_by_control_api_differs_from_the_15_minute_429(sandbox):
    _, token = token_for(sandbox)
    client = api(sandbox, token)
    sandbox.fault("x", "usage_capped", count=1)
    capped = client.get("/2/users/me")
    assert capped.status_code == 429 and capped.json() == USAGE_CAPPED
    sandbox.fault("x", "rate_limited", count=1)
    window = client.get("/2/users/me")
    assert window.status_code == 429 and window.json()["title"] == "Too Many Requests"


# --- TikTok daily post cap --------------------------------------------------------------------------


def test_tiktok_spam_risk_too_many_posts_by_its_real_cause(fresh_sandbox):
    sb = fresh_sandbox
    sb.set_config(**{"tiktok.direct_posts_per_day": 2})
    acct = sb.accounts("tiktok")[0]
    token = sb.mint("tiktok", acct["id"])["access_token"]
    assert [init_file(sb, token).status_code for _ in range(2)] == [200, 200]
    body = assert_error(init_file(sb, token), 403, "spam_risk_too_many_posts")
    assert body["error"]["message"]
    sb.advance(86401)
    token = sb.mint("tiktok", acct["id"])["access_token"]
    assert init_file(sb, token).status_code == 200


def test_tiktok_spam_risk_by_control_api(sandbox):
    acct = sandbox.accounts("tiktok")[1]
    token = sandbox.mint("tiktok", acct["id"])["access_token"]
    sandbox.fault("tiktok", "spam_risk_too_many_posts", count=1, endpoint="/v2/post/publish/")
    assert_error(init_file(sandbox, token), 403, "spam_risk_too_many_posts")
