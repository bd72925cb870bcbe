"""YouTube sandbox contract (CONTRACTS §4) over HTTP with raw httpx."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.oauth_helpers import consent

WWW = "www.googleapis.com"
CLIENT, SECRET = "sandbox-youtube-client", "sandbox-youtube-secret"
REDIRECT = "https://app.example.com/oauth/youtube"
AUTH = "https://www.googleapis.com/auth/"
READ, UPLOAD, ANALYTICS = AUTH + "youtube.readonly", AUTH + "youtube.upload", AUTH + "yt-analytics.readonly"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
KIB256 = 256 * 1024


def channel(sb, index: int = 0) -> dict:
    return sb.accounts("youtube")[index]


def get(sb, path: str, token: str, host: str = WWW, **params) -> httpx.Response:
    return httpx.get(
        sb.platform_url(host, path), params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def google_error(resp: httpx.Response, code: int, reason: str) -> dict:
    assert resp.status_code == code, resp.text
    err = resp.json()["error"]
    assert err["code"] == code and err["errors"][0]["reason"] == reason and err["message"]
    assert "domain" in err["errors"][0] and err["status"]
    return err


def authorize_url(sb, **extra) -> str:
    params = {
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": f"{READ} {UPLOAD}",
        "access_type": "offline",
        "state": "s1",
        **extra,
    }
    return sb.platform_url("accounts.google.com", "/o/oauth2/v2/auth") + "?" + urlencode(params)


def exchange(sb, code: str, **extra) -> httpx.Response:
    return httpx.post(
        sb.platform_url("oauth2.googleapis.com", "/token"),
        data={
            "code": code,
            "client_id": CLIENT,
            "client_secret": SECRET,
            "redirect_uri": REDIRECT,
            "grant_type": "authorization_code",
            **extra,
        },
    )


def refresh(sb, refresh_token: str, **extra) -> httpx.Response:
    return httpx.post(
        sb.platform_url("oauth2.googleapis.com", "/token"),
        data={
            "refresh_token": refresh_token,
            "client_id": CLIENT,
            "client_secret": SECRET,
            "grant_type": "refresh_token",
            **extra,
        },
    )


def start_upload(
    sb, token: str, size: int, metadata: dict | None = None, ctype: str = "video/mp4"
) -> httpx.Response:
    meta = (
        metadata
        if metadata is not None
        else {
            "snippet": {"title": "Sandbox upload", "description": "d"},
            "status": {"privacyStatus": "public"},
        }
    )
    return httpx.post(
        sb.platform_url(WWW, "/upload/youtube/v3/videos"),
        params={"uploadType": "resumable", "part": "snippet,status"},
        json=meta,
        headers={
            "Authorization": f"Bearer {token}",
            "X-Upload-Content-Length": str(size),
            "X-Upload-Content-Type": ctype,
        },
    )


def put(url: str, token: str, data: bytes, content_range: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "video/mp4"}
    if content_range:
        headers["Content-Range"] = content_range
    return httpx.put(url, content=data, headers=headers, timeout=30)


# --- OAuth ------------------------------------------------------------------------------


def test_consent_exchange_refresh_token_only_on_first_offline_consent(fresh_sandbox):
    sb = fresh_sandbox
    verifier = "w" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    got = consent(authorize_url(sb, code_challenge=challenge, code_challenge_method="S256"))
    assert got["state"] == "s1" and got["scope"] == f"{READ} {UPLOAD}" and got["code"].startswith("4/0A")
    body = exchange(sb, got["code"], code_verifier=verifier).json()
    assert set(body) == {"access_token", "expires_in", "refresh_token", "scope", "token_type"}
    assert body["access_token"].startswith("ya29.") and body["refresh_token"].startswith("1//")
    assert (body["expires_in"], body["token_type"]) == (3599, "Bearer")
    assert exchange(sb, got["code"], code_verifier=verifier).json()["error"] == "invalid_grant"  # single use
    second = exchange(sb, consent(authorize_url(sb))["code"]).json()
    assert "refresh_token" not in second  # already consented offline
    forced = exchange(sb, consent(authorize_url(sb, prompt="consent"))["code"]).json()
    assert forced["refresh_token"].startswith("1//")
    grown = consent(authorize_url(sb, scope=ANALYTICS, include_granted_scopes="true"))
    assert set(grown["scope"].split()) == {READ, UPLOAD, ANALYTICS}


def test_pkce_and_redirect_checks(sandbox):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 50).digest()).rstrip(b"=").decode()
    got = consent(authorize_url(sandbox, code_challenge=challenge, code_challenge_method="S256"))
    assert exchange(sandbox, got["code"], code_verifier="u" * 50).json()["error"] == "invalid_grant"
    got = consent(authorize_url(sandbox))
    mismatch = httpx.post(
        sandbox.platform_url("oauth2.googleapis.com", "/token"),
        data={
            "code": got["code"],
            "client_id": CLIENT,
            "client_secret": SECRET,
            "redirect_uri": REDIRECT + "/other",
            "grant_type": "authorization_code",
        },
    )
    assert mismatch.status_code == 400 and mismatch.json()["error"] == "redirect_uri_mismatch"
    unknown = httpx.get(authorize_url(sandbox).replace(CLIENT, "who-is-this"))
    assert (
        unknown.status_code == 401 and "invalid_client" in unknown.text and "location" not in unknown.headers
    )
    bad_scope = httpx.get(authorize_url(sandbox, scope="https://www.googleapis.com/auth/drive"))
    assert bad_scope.status_code == 400 and "invalid_scope" in bad_scope.text
    denied = consent(authorize_url(sandbox), decision="deny")
    assert denied["error"] == "access_denied" and denied["state"] == "s1" and "code" not in denied
    wrong_secret = httpx.post(
        sandbox.platform_url("oauth2.googleapis.com", "/token"),
        data={"code": "x", "client_id": CLIENT, "client_secret": "nope", "grant_type": "authorization_code"},
    )
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"


def test_refresh_keeps_the_refresh_token_and_accepts_basic_auth(sandbox):
    minted = sandbox.mint("youtube", channel(sandbox)["id"])
    body = refresh(sandbox, minted["refresh_token"]).json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"} and body["expires_in"] == 3599
    basic = base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
    again = httpx.post(
        sandbox.platform_url("oauth2.googleapis.com", "/token"),
        headers={"Authorization": f"Basic {basic}"},
        data={"grant_type": "refresh_token", "refresh_token": minted["refresh_token"]},
    )
    assert again.status_code == 200 and again.json()["access_token"] != body["access_token"]
    narrowed = refresh(sandbox, minted["refresh_token"], scope=READ).json()
    assert narrowed["scope"] == READ
    assert refresh(sandbox, minted["refresh_token"], scope=AUTH + "drive").json()["error"] == "invalid_scope"


@pytest.mark.parametrize("which", ["refresh_token", "access_token"])
def test_revoking_either_token_kills_the_grant(sandbox, which):
    minted = sandbox.mint("youtube", channel(sandbox, 1)["id"])
    refreshed = refresh(sandbox, minted["refresh_token"]).json()["access_token"]
    resp = httpx.post(
        sandbox.platform_url("oauth2.googleapis.com", "/revoke"), params={"token": minted[which]}
    )
    assert resp.status_code == 200
    for token in (minted["access_token"], refreshed):
        google_error(get(sandbox, "/youtube/v3/channels", token, part="id", mine="true"), 401, "authError")
    dead = refresh(sandbox, minted["refresh_token"])
    assert dead.status_code == 400 and dead.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    again = httpx.post(
        sandbox.platform_url("oauth2.googleapis.com", "/revoke"), params={"token": minted[which]}
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"


def test_access_token_expires_after_an_hour(fresh_sandbox):
    minted = fresh_sandbox.mint("youtube", channel(fresh_sandbox)["id"])
    assert (
        get(fresh_sandbox, "/youtube/v3/channels", minted["access_token"], part="id", mine="true").status_code
        == 200
    )
    fresh_sandbox.advance(3600)
    resp = get(fresh_sandbox, "/youtube/v3/channels", minted["access_token"], part="id", mine="true")
    err = google_error(resp, 401, "authError")
    assert err["status"] == "UNAUTHENTICATED" and 'error="invalid_token"' in resp.headers["www-authenticate"]
    assert refresh(fresh_sandbox, minted["refresh_token"]).status_code == 200  # refresh tokens are long-lived


# --- Data API -----------------------------------------------------------------------------


def test_channels_mine_counts_are_strings_and_scope_is_enforced(sandbox):
    ch = channel(sandbox)
    token = sandbox.mint("youtube", ch["id"])["access_token"]
    resp = get(sandbox, "/youtube/v3/channels", token, part="snippet,statistics,contentDetails", mine="true")
    [item] = resp.json()["items"]
    assert (
        resp.json()["kind"] == "youtube#channelListResponse"
        and item["id"] == ch["id"]
        and item["id"].startswith("UC")
    )
    stats = item["statistics"]
    assert all(
        isinstance(stats[k], str) and stats[k].isdigit()
        for k in ("viewCount", "subscriberCount", "videoCount")
    )
    assert int(stats["subscriberCount"]) > 400_000 and stats["hiddenSubscriberCount"] is False
    assert item["contentDetails"]["relatedPlaylists"]["uploads"] == "UU" + ch["id"][2:]
    assert item["snippet"]["customUrl"] == "@northwindkitchen"
    upload_only = sandbox.mint("youtube", ch["id"], scopes=[UPLOAD])["access_token"]
    err = google_error(
        get(sandbox, "/youtube/v3/channels", upload_only, part="id", mine="true"),
        403,
        "insufficientPermissions",
    )
    assert err["status"] == "PERMISSION_DENIED"
    google_error(get(sandbox, "/youtube/v3/channels", token, mine="true"), 400, "required")
    google_error(get(sandbox, "/youtube/v3/channels", token, part="id"), 400, "missingRequiredParameter")
    google_error(get(sandbox, "/youtube/v3/channels", token, part="bogus", mine="true"), 400, "unknownPart")


def test_playlist_items_pagination(sandbox):
    ch = channel(sandbox, 1)
    token = sandbox.mint("youtube", ch["id"])["access_token"]
    uploads = "UU" + ch["id"][2:]
    default = get(
        sandbox, "/youtube/v3/playlistItems", token, part="contentDetails", playlistId=uploads
    ).json()
    assert (
        len(default["items"]) == 5
        and default["pageInfo"]["resultsPerPage"] == 5
        and "nextPageToken" in default
    )
    ids, page_token = [], None
    while True:
        params = {"part": "snippet,contentDetails", "playlistId": uploads, "maxResults": 50}
        if page_token:
            params["pageToken"] = page_token
        body = get(sandbox, "/youtube/v3/playlistItems", token, **params).json()
        ids += [i["contentDetails"]["videoId"] for i in body["items"]]
        page_token = body.get("nextPageToken")
        if not page_token:
            break
    assert len(ids) == len(set(ids)) == body["pageInfo"]["totalResults"] >= 36
    assert all(len(i) == 11 for i in ids)
    small = get(
        sandbox, "/youtube/v3/playlistItems", token, part="id", playlistId=uploads, maxResults=10
    ).json()
    second = get(
        sandbox,
        "/youtube/v3/playlistItems",
        token,
        part="contentDetails",
        playlistId=uploads,
        maxResults=10,
        pageToken=small["nextPageToken"],
    ).json()
    assert [i["contentDetails"]["videoId"] for i in second["items"]] == ids[
        10:20
    ] and "prevPageToken" in second
    google_error(
        get(sandbox, "/youtube/v3/playlistItems", token, part="id", playlistId=uploads, pageToken="garbage"),
        400,
        "invalidPageToken",
    )
    google_error(
        get(sandbox, "/youtube/v3/playlistItems", token, part="id", playlistId=uploads, maxResults=51),
        400,
        "invalidParameter",
    )
    google_error(
        get(sandbox, "/youtube/v3/playlistItems", token, part="id", playlistId="UUnope"),
        404,
        "playlistNotFound",
    )
    other = sandbox.mint("youtube", channel(sandbox, 2)["id"])["access_token"]
    public_only = get(
        sandbox, "/youtube/v3/playlistItems", other, part="id", playlistId=uploads, maxResults=50
    ).json()
    assert public_only["pageInfo"]["totalResults"] < len(ids)  # private and unlisted uploads are the owner's


def test_videos_list_statistics_and_batch_limit(sandbox):
    ch = channel(sandbox)
    token = sandbox.mint("youtube", ch["id"])["access_token"]
    items = get(
        sandbox,
        "/youtube/v3/playlistItems",
        token,
        part="contentDetails",
        playlistId="UU" + ch["id"][2:],
        maxResults=50,
    ).json()["items"]
    ids = [i["contentDetails"]["videoId"] for i in items]
    body = get(
        sandbox,
        "/youtube/v3/videos",
        token,
        part="snippet,statistics,status,contentDetails",
        id=",".join(ids + ["zzzzzzzzzzz"]),
    ).json()
    assert (
        body["kind"] == "youtube#videoListResponse" and [v["id"] for v in body["items"]] == ids
    )  # unknown id left out
    stats = [v["statistics"] for v in body["items"]]
    assert all(s["favoriteCount"] == "0" and s["viewCount"].isdigit() for s in stats)
    assert any("likeCount" not in s for s in stats) and any("commentCount" not in s for s in stats)
    assert all(v["contentDetails"]["duration"].startswith("PT") for v in body["items"])
    google_error(
        get(sandbox, "/youtube/v3/videos", token, part="id", id=",".join(ids[:1] * 51)), 400, "invalidFilters"
    )
    google_error(get(sandbox, "/youtube/v3/videos", token, part="id"), 400, "missingRequiredParameter")
    private = [v["id"] for v in body["items"] if v["status"]["privacyStatus"] == "private"]
    stranger = sandbox.mint("youtube", channel(sandbox, 2)["id"])["access_token"]
    assert (
        private
        and get(sandbox, "/youtube/v3/videos", stranger, part="id", id=private[0]).json()["items"] == []
    )


# --- quota --------------------------------------------------------------------------------


def test_daily_quota_resets_at_midnight_pacific(fresh_sandbox):
    sb = fresh_sandbox
    sb.set_config(**{"youtube.quota_units_per_day": 3})
    token = sb.mint("youtube", channel(sb)["id"])["access_token"]
    codes = [get(sb, "/youtube/v3/channels", token, part="id", mine="true").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    err = google_error(get(sb, "/youtube/v3/videos", token, part="id", id="x"), 403, "quotaExceeded")
    assert err["errors"][0]["domain"] == "youtube.quota" and "quota" in err["message"]
    now = datetime.fromtimestamp(sb.control.get("/clock").json()["now_ts"], ZoneInfo("America/Los_Angeles"))
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    sb.advance((midnight - now).total_seconds() + 1)
    token = sb.mint("youtube", channel(sb)["id"])["access_token"]
    assert get(sb, "/youtube/v3/channels", token, part="id", mine="true").status_code == 200


def test_insert_has_its_own_bucket_or_legacy_cost(fresh_sandbox):
    sb = fresh_sandbox
    sb.set_config(**{"youtube.insert_calls_per_day": 1})
    token = sb.mint("youtube", channel(sb)["id"])["access_token"]
    assert start_upload(sb, token, 100).status_code == 200
    google_error(start_upload(sb, token, 100), 403, "quotaExceeded")
    assert (
        get(sb, "/youtube/v3/channels", token, part="id", mine="true").status_code == 200
    )  # reads unaffected
    sb.set_config(**{"youtube.legacy_insert_cost": 1600, "youtube.quota_units_per_day": 2000})
    assert start_upload(sb, token, 100).status_code == 200  # 1600 of the 2000 units
    google_error(start_upload(sb, token, 100), 403, "quotaExceeded")


# --- upload -------------------------------------------------------------------------------


def test_resumable_upload_in_chunks_with_status_probe(fresh_sandbox):
    sb = fresh_sandbox
    ch = channel(sb, 2)
    token = sb.mint("youtube", ch["id"])["access_token"]
    video = MP4 + bytes(KIB256 + 1000 - len(MP4))
    started = start_upload(sb, token, len(video))
    assert started.status_code == 200 and started.content == b""
    location = started.headers["location"]
    assert "/www.googleapis.com/upload/youtube/v3/videos?" in location and "upload_id=" in location
    assert parse_qs(urlsplit(location).query)["uploadType"] == ["resumable"]
    assert (
        put(location, token, video[:1000], f"bytes 0-999/{len(video)}").status_code == 400
    )  # not a 256 KiB multiple
    first = put(location, token, video[:KIB256], f"bytes 0-{KIB256 - 1}/{len(video)}")
    assert first.status_code == 308 and first.headers["range"] == f"bytes=0-{KIB256 - 1}"
    probe = put(location, token, b"", f"bytes */{len(video)}")
    assert probe.status_code == 308 and probe.headers["range"] == f"bytes=0-{KIB256 - 1}"
    done = put(location, token, video[KIB256:], f"bytes {KIB256}-{len(video) - 1}/{len(video)}")
    assert done.status_code == 201, done.text
    resource = done.json()
    assert len(resource["id"]) == 11 and resource["status"]["uploadStatus"] == "uploaded"
    assert (
        resource["snippet"]["title"] == "Sandbox upload" and resource["status"]["privacyStatus"] == "public"
    )
    again = put(location, token, b"", f"bytes */{len(video)}")
    assert again.status_code == 200 and again.json()["id"] == resource["id"]
    first_item = get(
        sb, "/youtube/v3/playlistItems", token, part="contentDetails", playlistId="UU" + ch["id"][2:]
    ).json()["items"][0]
    assert first_item["contentDetails"]["videoId"] == resource["id"]
    assert sb.counters()[f"published:youtube:{ch['id']}"] == 1


def test_whole_upload_and_unknown_session(sandbox):
    token = sandbox.mint("youtube", channel(sandbox, 1)["id"])["access_token"]
    location = start_upload(sandbox, token, len(MP4)).headers["location"]
    done = put(location, token, MP4, None)
    assert done.status_code == 201 and done.json()["kind"] == "youtube#video"
    google_error(
        put(location.replace("upload_id=", "upload_id=x"), token, b"", f"bytes */{len(MP4)}"), 404, "notFound"
    )


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"snippet": {"title": "x" * 101}}, "invalidTitle"),
        ({"snippet": {"title": "a <b> title"}}, "invalidTitle"),
        ({"snippet": {"title": ""}}, "invalidTitle"),
        ({"snippet": {"title": "ok", "description": "é" * 2501}}, "invalidDescription"),
        (
            {
                "snippet": {"title": "ok"},
                "status": {"privacyStatus": "public", "publishAt": "2099-01-01T00:00:00Z"},
            },
            "invalidPublishAt",
        ),
        (
            {
                "snippet": {"title": "ok"},
                "status": {"privacyStatus": "private", "publishAt": "2001-01-01T00:00:00Z"},
            },
            "invalidPublishAt",
        ),
    ],
)
def test_upload_metadata_is_validated(sandbox, metadata, reason):
    token = sandbox.mint("youtube", channel(sandbox)["id"])["access_token"]
    google_error(start_upload(sandbox, token, 100, metadata), 400, reason)


def test_upload_needs_upload_scope_and_a_video_type(sandbox):
    ch = channel(sandbox)
    readonly = sandbox.mint("youtube", ch["id"], scopes=[READ])["access_token"]
    google_error(start_upload(sandbox, readonly, 100), 403, "insufficientPermissions")
    token = sandbox.mint("youtube", ch["id"])["access_token"]
    google_error(start_upload(sandbox, token, 100, ctype="image/png"), 400, "badContent")


def test_scheduled_upload_turns_public_at_publish_at(fresh_sandbox):
    sb = fresh_sandbox
    token = sb.mint("youtube", channel(sb)["id"])["access_token"]
    when = datetime.fromtimestamp(sb.control.get("/clock").json()["now_ts"] + 7200).astimezone().isoformat()
    meta = {"snippet": {"title": "Later"}, "status": {"privacyStatus": "private", "publishAt": when}}
    location = start_upload(sb, token, len(MP4), meta).headers["location"]
    video = put(location, token, MP4, None).json()
    assert video["status"]["privacyStatus"] == "private" and video["status"]["publishAt"]
    sb.advance(7300)
    token = sb.mint("youtube", channel(sb)["id"])["access_token"]
    status = get(sb, "/youtube/v3/videos", token, part="status", id=video["id"]).json()["items"][0]["status"]
    assert status["privacyStatus"] == "public" and status["uploadStatus"] == "processed"


# --- analytics ----------------------------------------------------------------------------


def test_analytics_reports_by_day_and_by_video(sandbox):
    ch = channel(sandbox, 1)
    token = sandbox.mint("youtube", ch["id"])["access_token"]
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    start, end = (today - timedelta(days=29)).isoformat(), today.isoformat()
    common = {"ids": "channel==MINE", "startDate": start, "endDate": end}
    by_day = get(
        sandbox,
        "/v2/reports",
        token,
        "youtubeanalytics.googleapis.com",
        metrics="views,likes",
        dimensions="day",
        **common,
    ).json()
    assert by_day["kind"] == "youtubeAnalytics#resultTable"
    assert [h["name"] for h in by_day["columnHeaders"]] == ["day", "views", "likes"]
    assert (
        by_day["columnHeaders"][0]["columnType"] == "DIMENSION"
        and by_day["columnHeaders"][1]["columnType"] == "METRIC"
    )
    assert len(by_day["rows"]) == 30 and by_day["rows"][0][0] == start
    total = get(
        sandbox, "/v2/reports", token, "youtubeanalytics.googleapis.com", metrics="views", **common
    ).json()
    assert total["rows"][0][0] == sum(r[1] for r in by_day["rows"]) > 0
    top = get(
        sandbox,
        "/v2/reports",
        token,
        "youtubeanalytics.googleapis.com",
        metrics="views,estimatedMinutesWatched",
        dimensions="video",
        sort="-views",
        maxResults=5,
        **common,
    ).json()["rows"]
    assert len(top) == 5 and [r[1] for r in top] == sorted((r[1] for r in top), reverse=True)
    picked = get(
        sandbox,
        "/v2/reports",
        token,
        "youtubeanalytics.googleapis.com",
        metrics="views",
        dimensions="video",
        filters=f"video=={top[0][0]},{top[1][0]}",
        maxResults=10,
        sort="-views",
        **common,
    ).json()["rows"]
    assert {r[0] for r in picked} == {top[0][0], top[1][0]}
    google_error(
        get(sandbox, "/v2/reports", token, "youtubeanalytics.googleapis.com", metrics="bogus", **common),
        400,
        "badRequest",
    )
    google_error(
        get(
            sandbox,
            "/v2/reports",
            token,
            "youtubeanalytics.googleapis.com",
            ids="channel==MINE",
            startDate=start,
            endDate=end,
        ),
        400,
        "required",
    )
    no_scope = sandbox.mint("youtube", ch["id"], scopes=[READ])["access_token"]
    google_error(
        get(sandbox, "/v2/reports", no_scope, "youtubeanalytics.googleapis.com", metrics="views", **common),
        403,
        "insufficientPermissions",
    )


# --- errors -------------------------------------------------------------------------------


def test_unknown_paths_and_faults_use_googles_envelope(sandbox):
    token = sandbox.mint("youtube", channel(sandbox)["id"])["access_token"]
    google_error(get(sandbox, "/youtube/v3/nothing", token), 404, "notFound")
    for fault, code, reason in [
        ("rate_limited", 403, "rateLimitExceeded"),
        ("server_error", 500, "backendError"),
        ("expired_token", 401, "authError"),
        ("permission_denied", 403, "insufficientPermissions"),
    ]:
        sandbox.fault("youtube", fault, count=1, endpoint="/youtube/v3/channels")
        google_error(get(sandbox, "/youtube/v3/channels", token, part="id", mine="true"), code, reason)
    sandbox.fault("youtube", "revoked_token", count=1, endpoint="/token")
    dead = refresh(sandbox, "1//whatever")
    assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant"
