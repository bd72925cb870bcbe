"""X API v2 wire contract (CONTRACTS §6) against the sandbox over HTTP with raw httpx."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

import httpx
import pytest

from tests.oauth_helpers import consent

CLIENT, SECRET = "sandbox-x-client", "sandbox-x-secret"
REDIRECT = "https://app.example.com/oauth/x/callback"
BASIC = {"Authorization": "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()}
VERIFIER = "v" * 50
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 300
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100
RATE_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")


def users(sb) -> list[str]:
    return [a["id"] for a in sb.accounts("x")]


def token_for(sb, index: int = 0, scopes: list[str] | None = None) -> tuple[str, str]:
    user = users(sb)[index]
    return user, sb.mint("x", user, scopes)["access_token"]


def api(sb, token: str, host: str = "api.x.com") -> httpx.Client:
    return httpx.Client(
        base_url=sb.platform_url(host), headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def authorize_url(
    sb, host: str = "x.com", scope: str = "tweet.read users.read offline.access", **extra
) -> str:
    params = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "xyz",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **extra,
    }
    return sb.platform_url(
        host, "/i/oauth2/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})
    )


def token_call(sb, form: dict, headers: dict | None = None, host: str = "api.x.com") -> httpx.Response:
    return httpx.post(
        sb.platform_url(host, "/2/oauth2/token"), data=form, headers=BASIC if headers is None else headers
    )


def code_form(code: str, **extra) -> dict:
    return {
        "code": code,
        "grant_type": "authorization_code",
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
        **extra,
    }


# --- OAuth -------------------------------------------------------------------------------------


def test_pkce_flow_and_token_shape(sandbox):
    back = consent(authorize_url(sandbox), account_id=users(sandbox)[1])
    assert back["state"] == "xyz"
    resp = token_call(sandbox, code_form(back["code"]))
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 7200
    assert body["scope"].split() == ["tweet.read", "users.read", "offline.access"]
    assert body["refresh_token"] and body["access_token"]
    me = api(sandbox, body["access_token"]).get("/2/users/me").json()
    assert me["data"]["id"] == users(sandbox)[1]


def test_twitter_hosts_work_too_and_no_refresh_without_offline_access(sandbox):
    back = consent(authorize_url(sandbox, host="twitter.com", scope="tweet.read users.read"))
    body = token_call(sandbox, code_form(back["code"]), host="api.twitter.com").json()
    assert "refresh_token" not in body
    assert api(sandbox, body["access_token"], host="api.twitter.com").get("/2/users/me").status_code == 200


def test_pkce_is_required_and_checked(sandbox):
    missing = httpx.get(authorize_url(sandbox, code_challenge=None))
    assert missing.status_code == 400 and "location" not in missing.headers
    back = consent(authorize_url(sandbox))
    wrong = token_call(sandbox, code_form(back["code"], code_verifier="w" * 50))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_request"
    no_verifier = token_call(sandbox, code_form(consent(authorize_url(sandbox))["code"], code_verifier=""))
    assert no_verifier.json()["error_description"] == "Missing required parameter [code_verifier]."


def test_plain_pkce_accepted(sandbox):
    back = consent(
        authorize_url(sandbox, code_challenge="plain-challenge-123", code_challenge_method="plain")
    )
    assert (
        token_call(sandbox, code_form(back["code"], code_verifier="plain-challenge-123")).status_code == 200
    )


def test_confidential_client_needs_basic_auth(sandbox):
    back = consent(authorize_url(sandbox))
    resp = token_call(sandbox, code_form(back["code"]), headers={})
    assert resp.status_code == 401
    assert resp.json() == {
        "error": "unauthorized_client",
        "error_description": "Missing valid authorization header",
    }


def test_deny_redirects_access_denied(sandbox):
    back = consent(authorize_url(sandbox), decision="deny")
    assert back["error"] == "access_denied" and back["state"] == "xyz" and "code" not in back


def test_refresh_rotates_single_use(sandbox):
    back = consent(authorize_url(sandbox))
    first = token_call(sandbox, code_form(back["code"])).json()
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": CLIENT}
    second = token_call(sandbox, form).json()
    assert (
        second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    )
    reused = token_call(sandbox, form)
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_request",
        "error_description": "Value passed for the token was invalid.",
    }
    third = token_call(sandbox, {**form, "refresh_token": second["refresh_token"]})
    assert third.status_code == 200


def test_revoke_and_expiry(fresh_sandbox):
    sb = fresh_sandbox
    _, token = token_for(sb)
    revoked = httpx.post(
        sb.platform_url("api.x.com", "/2/oauth2/revoke"),
        data={"token": token, "token_type_hint": "access_token", "client_id": CLIENT},
        headers=BASIC,
    )
    assert revoked.json() == {"revoked": True}
    resp = api(sb, token).get("/2/users/me")
    assert resp.status_code == 401
    assert resp.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    assert all(h in resp.headers for h in RATE_HEADERS)
    _, live = token_for(sb)
    sb.advance(7201)
    assert api(sb, live).get("/2/users/me").status_code == 401


# --- users and tweets ------------------------------------------------------------------------------


def test_users_me_fields_and_rate_headers(sandbox):
    user, token = token_for(sandbox)
    resp = api(sandbox, token).get(
        "/2/users/me", params={"user.fields": "public_metrics,username,name,profile_image_url"}
    )
    data = resp.json()["data"]
    assert data["id"] == user and data["username"] == "maya_builds" and data["profile_image_url"]
    metrics = data["public_metrics"]
    assert metrics["followers_count"] >= 48200 and metrics["tweet_count"] >= 8400
    assert set(metrics) >= {"followers_count", "following_count", "tweet_count", "listed_count"}
    assert resp.headers["x-rate-limit-limit"] == "75"
    remaining = int(resp.headers["x-rate-limit-remaining"])
    again = api(sandbox, token).get("/2/users/me")
    assert int(again.headers["x-rate-limit-remaining"]) == remaining - 1
    bad = api(sandbox, token).get("/2/users/me", params={"user.fields": "shoe_size"})
    assert bad.status_code == 400 and bad.json()["type"].endswith("/invalid-request")
    assert all(h in bad.headers for h in RATE_HEADERS)


def test_create_tweet_shape_and_weighted_length(sandbox):
    _, token = token_for(sandbox, 2)
    client = api(sandbox, token)
    created = client.post("/2/tweets", json={"text": "Hello from the contract tests " + "a" * 10})
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["edit_history_tweet_ids"] == [data["id"]] and data["id"].isdigit()
    assert all(
        h in created.headers for h in RATE_HEADERS + ("x-app-limit-24hour-limit", "x-user-limit-24hour-reset")
    )
    assert client.post("/2/tweets", json={"text": "b" * 280}).status_code == 201
    too_long = client.post("/2/tweets", json={"text": "c" * 281})
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["parameters"] == {"text": ["c" * 281]}
    assert client.post("/2/tweets", json={"text": "日" * 140}).status_code == 201  # CJK weighs 2
    assert client.post("/2/tweets", json={"text": "本" * 141}).status_code == 400
    url = "https://example.com/" + "p" * 80
    assert client.post("/2/tweets", json={"text": "d" * 256 + " " + url}).status_code == 201  # URL weighs 23
    assert client.post("/2/tweets", json={"text": "e" * 257 + " " + url}).status_code == 400


def test_duplicate_and_scope_errors(sandbox):
    _, token = token_for(sandbox, 1)
    client = api(sandbox, token)
    assert client.post("/2/tweets", json={"text": "Only once please 7781"}).status_code == 201
    dup = client.post("/2/tweets", json={"text": "Only once please 7781"})
    assert dup.status_code == 403
    assert dup.json()["detail"] == "You are not allowed to create a Tweet with duplicate content."
    _, read_only = token_for(sandbox, 1, ["tweet.read", "users.read"])
    denied = api(sandbox, read_only).post("/2/tweets", json={"text": "no write scope"})
    assert denied.status_code == 403 and "tweet.write" in denied.json()["detail"]
    assert all(h in denied.headers for h in RATE_HEADERS)


def test_tweet_rate_window_15_minutes(fresh_sandbox):
    sb = fresh_sandbox
    sb.set_config(**{"x.tweets_per_15min_user": 2})
    _, token = token_for(sb)
    client = api(sb, token)
    assert [client.post("/2/tweets", json={"text": f"window {i}"}).status_code for i in range(2)] == [
        201,
        201,
    ]
    limited = client.post("/2/tweets", json={"text": "window 3"})
    assert limited.status_code == 429
    assert limited.json() == {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }
    assert limited.headers["x-rate-limit-remaining"] == "0" and limited.headers["x-rate-limit-limit"] == "2"
    assert int(limited.headers["x-rate-limit-reset"]) <= sb.sandbox.now_ts() + 900
    assert "retry-after" not in limited.headers
    sb.advance(901)
    assert client.post("/2/tweets", json={"text": "window 4"}).status_code == 201


def test_tweet_app_cap_24_hours(fresh_sandbox):
    sb = fresh_sandbox
    sb.set_config(**{"x.tweets_per_24h_app": 2})
    _, token = token_for(sb)
    _, other = token_for(sb, 1)
    assert api(sb, token).post("/2/tweets", json={"text": "cap 1"}).status_code == 201
    assert api(sb, other).post("/2/tweets", json={"text": "cap 2"}).status_code == 201
    capped = api(sb, token).post("/2/tweets", json={"text": "cap 3"})
    assert capped.status_code == 429 and capped.headers["x-app-limit-24hour-remaining"] == "0"
    assert capped.headers["x-rate-limit-remaining"] != "0"


def test_lookup_batch_limits_missing_ids_and_metrics(sandbox):
    user, token = token_for(sandbox)
    client = api(sandbox, token)
    ids = [t["id"] for t in sandbox.sandbox.posts("x", user)[:3]]
    body = client.get(
        "/2/tweets",
        params={"ids": ",".join([*ids, "1"]), "tweet.fields": "public_metrics,created_at,author_id"},
    ).json()
    assert [t["id"] for t in body["data"]] == ids
    metrics = body["data"][0]["public_metrics"]
    assert set(metrics) == {
        "retweet_count",
        "reply_count",
        "like_count",
        "quote_count",
        "bookmark_count",
        "impression_count",
    }
    assert body["data"][0]["author_id"] == user and body["data"][0]["created_at"].endswith("Z")
    assert body["errors"][0]["type"] == "https://api.twitter.com/2/problems/resource-not-found"
    assert body["errors"][0]["value"] == "1"
    too_many = client.get("/2/tweets", params={"ids": ",".join(str(i) for i in range(1, 102))})
    assert too_many.status_code == 400 and "between 1 and 100" in too_many.json()["errors"][0]["message"]
    single_missing = client.get("/2/tweets/12345")
    assert single_missing.status_code == 200 and "data" not in single_missing.json()


def test_impressions_private_when_configured(fresh_sandbox):
    sb = fresh_sandbox
    sb.set_config(**{"x.public_impressions": False})
    user, token = token_for(sb)
    mine = sb.sandbox.posts("x", user)[0]["id"]
    theirs = sb.sandbox.posts("x", users(sb)[1])[0]["id"]
    body = (
        api(sb, token)
        .get(
            "/2/tweets",
            params={"ids": f"{mine},{theirs}", "tweet.fields": "public_metrics,non_public_metrics"},
        )
        .json()
    )
    by_id = {t["id"]: t for t in body["data"]}
    assert "impression_count" not in by_id[mine]["public_metrics"]
    assert by_id[mine]["non_public_metrics"]["impression_count"] > 0
    assert "non_public_metrics" not in by_id[theirs]
    assert body["errors"][0]["type"].endswith("/not-authorized-for-field")


def test_user_timeline_pagination(sandbox):
    user, token = token_for(sandbox, 1)
    client = api(sandbox, token)
    assert client.get(f"/2/users/{user}/tweets", params={"max_results": 4}).status_code == 400
    assert client.get(f"/2/users/{user}/tweets", params={"max_results": 101}).status_code == 400
    seen, token_param, pages = [], None, []
    while True:
        params = {"max_results": 15, "tweet.fields": "created_at"}
        if token_param:
            params["pagination_token"] = token_param
        resp = client.get(f"/2/users/{user}/tweets", params=params)
        assert all(h in resp.headers for h in RATE_HEADERS)
        body = resp.json()
        meta = body["meta"]
        assert meta["result_count"] == len(body["data"])
        assert meta["newest_id"] == body["data"][0]["id"] and meta["oldest_id"] == body["data"][-1]["id"]
        seen += [t["id"] for t in body["data"]]
        pages.append(body)
        token_param = meta.get("next_token")
        if not token_param:
            break
    expected = [
        t["id"] for t in sorted(sandbox.sandbox.posts("x", user), key=lambda t: int(t["id"]), reverse=True)
    ]
    assert seen == expected and len(seen) >= 40
    back = client.get(
        f"/2/users/{user}/tweets",
        params={"max_results": 15, "pagination_token": pages[1]["meta"]["previous_token"]},
    ).json()
    assert [t["id"] for t in back["data"]] == [t["id"] for t in pages[0]["data"]]


def test_delete_own_tweet_only(sandbox):
    _, token = token_for(sandbox, 2)
    client = api(sandbox, token)
    tweet_id = client.post("/2/tweets", json={"text": "delete me 5521"}).json()["data"]["id"]
    assert client.delete(f"/2/tweets/{tweet_id}").json() == {"data": {"deleted": True}}
    assert "data" not in client.get(f"/2/tweets/{tweet_id}").json()
    someone_elses = sandbox.sandbox.posts("x", users(sandbox)[0])[0]["id"]
    assert client.delete(f"/2/tweets/{someone_elses}").status_code == 403


# --- media ---------------------------------------------------------------------------------------------


def test_simple_image_upload_and_tweet(sandbox):
    _, token = token_for(sandbox, 2)
    client = api(sandbox, token)
    up = client.post(
        "/2/media/upload",
        files={"media": ("a.jpg", JPEG, "image/jpeg")},
        data={"media_category": "tweet_image"},
    )
    assert up.status_code == 200
    media = up.json()["data"]
    assert media["media_key"] == f"3_{media['id']}" and "processing_info" not in media
    tweet = client.post(
        "/2/tweets", json={"text": "with a picture 991", "media": {"media_ids": [media["id"]]}}
    )
    assert tweet.status_code == 201
    bad = client.post(
        "/2/media/upload",
        files={"media": ("a.jpg", b"nope" * 10, "image/jpeg")},
        data={"media_category": "tweet_image"},
    )
    assert bad.status_code == 400
    unknown = client.post("/2/tweets", json={"text": "ghost media", "media": {"media_ids": ["123"]}})
    assert (
        unknown.status_code == 400 and unknown.json()["errors"][0]["message"] == "Your media IDs are invalid."
    )
    five = client.post("/2/tweets", json={"text": "five", "media": {"media_ids": [media["id"]] * 5}})
    assert five.status_code == 400
    _, no_media_scope = token_for(sandbox, 2, ["tweet.read", "tweet.write", "users.read"])
    denied = api(sandbox, no_media_scope).post(
        "/2/media/upload", files={"media": ("a.jpg", JPEG, "image/jpeg")}
    )
    assert denied.status_code == 403


def test_chunked_video_processing_over_time(fresh_sandbox):
    sb = fresh_sandbox
    _, token = token_for(sb)
    client = api(sb, token)
    data = MP4 + b"\x02" * 3000
    init = client.post(
        "/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": len(data), "media_category": "tweet_video"},
    )
    media = init.json()["data"]
    assert (
        set(media) == {"id", "media_key", "expires_after_secs"} and media["media_key"] == f"7_{media['id']}"
    )
    for index, offset in enumerate(range(0, len(data), 2000)):
        part = client.post(
            f"/2/media/upload/{media['id']}/append",
            data={"segment_index": str(index)},
            files={"media": ("chunk", data[offset : offset + 2000], "application/octet-stream")},
        )
        assert part.status_code == 200
    final = client.post(f"/2/media/upload/{media['id']}/finalize").json()["data"]
    assert final["processing_info"]["state"] == "pending"
    early = client.post("/2/tweets", json={"text": "video too soon", "media": {"media_ids": [media["id"]]}})
    assert early.status_code == 400
    status = {"command": "STATUS", "media_id": media["id"]}
    sb.advance(1.5)
    assert (
        client.get("/2/media/upload", params=status).json()["data"]["processing_info"]["state"]
        == "in_progress"
    )
    sb.advance(3)
    assert (
        client.get("/2/media/upload", params=status).json()["data"]["processing_info"]["state"] == "succeeded"
    )
    assert (
        client.post(
            "/2/tweets", json={"text": "video ready", "media": {"media_ids": [media["id"]]}}
        ).status_code
        == 201
    )


def test_size_mismatch_and_legacy_command_form(sandbox):
    _, token = token_for(sandbox)
    client = api(sandbox, token)
    init = client.post(
        "/2/media/upload",
        files={
            "command": (None, "INIT"),
            "media_type": (None, "image/png"),
            "total_bytes": (None, "500"),
            "media_category": (None, "tweet_image"),
        },
    )
    media_id = init.json()["data"]["id"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 92
    append = client.post(
        "/2/media/upload",
        files={
            "command": (None, "APPEND"),
            "media_id": (None, media_id),
            "segment_index": (None, "0"),
            "media": ("c", png),
        },
    )
    assert append.status_code == 204
    mismatch = client.post(
        "/2/media/upload", files={"command": (None, "FINALIZE"), "media_id": (None, media_id)}
    )
    assert mismatch.status_code == 400 and "mismatch" in mismatch.json()["errors"][0]["message"]


# --- faults and unknown paths --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("rate_limited", 429),
        ("server_error", 503),
        ("expired_token", 401),
        ("revoked_token", 401),
        ("permission_denied", 403),
        ("invalid_request", 400),
    ],
)
def test_injected_faults_use_problem_json(sandbox, error, status):
    _, token = token_for(sandbox)
    sandbox.fault("x", error, count=1, endpoint="/2/users/me")
    resp = api(sandbox, token).get("/2/users/me")
    assert resp.status_code == status and resp.headers["content-type"].startswith("application/problem+json")
    assert "title" in resp.json() and "type" in resp.json()
    if error == "rate_limited":
        assert resp.headers["x-rate-limit-remaining"] == "0"


def test_unknown_path(sandbox):
    _, token = token_for(sandbox)
    resp = api(sandbox, token).get("/2/not/a/thing")
    assert resp.status_code == 404 and resp.json()["errors"][0]["code"] == 34
    assert all(h in resp.headers for h in RATE_HEADERS)
