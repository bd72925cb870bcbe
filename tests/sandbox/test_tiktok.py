"""TikTok sandbox contract (CONTRACTS §3) over HTTP with raw httpx."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from tests.oauth_helpers import consent
from tests.servers import ThreadedServer

API = "open.tiktokapis.com"
CLIENT, SECRET = "sandbox-tiktok-client", "sandbox-tiktok-secret"
REDIRECT = "https://app.example.com/oauth/tiktok"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(4000)
MIB = 1024 * 1024


def accounts(sb) -> dict[str, dict]:
    return {a["username"]: a for a in sb.accounts("tiktok")}


def api(sb, method: str, path: str, token: str, **kw) -> httpx.Response:
    return httpx.request(
        method, sb.platform_url(API, path), headers={"Authorization": f"Bearer {token}"}, timeout=30, **kw
    )


def authorize_url(sb, **extra) -> str:
    params = {
        "client_key": CLIENT,
        "scope": "user.info.basic,video.list",
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "state": "st-1",
        **extra,
    }
    return sb.platform_url("www.tiktok.com", "/v2/auth/authorize/") + "?" + urlencode(params)


def token_call(sb, **form) -> httpx.Response:
    return httpx.post(
        sb.platform_url(API, "/v2/oauth/token/"), data={"client_key": CLIENT, "client_secret": SECRET, **form}
    )


def assert_error(resp: httpx.Response, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"]["code"] == code
    assert body["error"]["log_id"] and body["data"] == {}
    return body


def init_file(
    sb, token: str, data: bytes = MP4, privacy: str = "SELF_ONLY", title: str = "sandbox post", **source
):
    src = {
        "source": "FILE_UPLOAD",
        "video_size": len(data),
        "chunk_size": len(data),
        "total_chunk_count": 1,
        **source,
    }
    return api(
        sb,
        "POST",
        "/v2/post/publish/video/init/",
        token,
        json={"post_info": {"title": title, "privacy_level": privacy}, "source_info": src},
    )


def put(url: str, data: bytes, first: int, total: int, ctype: str = "video/mp4") -> httpx.Response:
    return httpx.put(
        url,
        content=data,
        headers={"Content-Type": ctype, "Content-Range": f"bytes {first}-{first + len(data) - 1}/{total}"},
    )


def status(sb, token: str, publish_id: str) -> dict:
    resp = api(sb, "POST", "/v2/post/publish/status/fetch/", token, json={"publish_id": publish_id})
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


# --- OAuth ------------------------------------------------------------------------------


def test_authorize_consent_and_token_exchange_with_pkce(sandbox):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    got = consent(authorize_url(sandbox, code_challenge=challenge, code_challenge_method="S256"))
    assert got["state"] == "st-1" and got["scopes"] == "user.info.basic,video.list"
    bad = token_call(
        sandbox,
        code=got["code"],
        grant_type="authorization_code",
        redirect_uri=REDIRECT,
        code_verifier="x" * 50,
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant" and bad.json()["log_id"]
    got = consent(authorize_url(sandbox, code_challenge=challenge, code_challenge_method="S256"))
    resp = token_call(
        sandbox,
        code=got["code"],
        grant_type="authorization_code",
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {
        "open_id",
        "scope",
        "access_token",
        "expires_in",
        "refresh_token",
        "refresh_expires_in",
        "token_type",
    }
    assert body["access_token"].startswith("act.") and body["refresh_token"].startswith("rft.")
    assert (body["expires_in"], body["refresh_expires_in"], body["token_type"]) == (7200, 15552000, "Bearer")
    assert body["scope"] == "user.info.basic,video.list"
    assert body["open_id"] == sandbox.accounts("tiktok")[0]["id"]
    replay = token_call(
        sandbox,
        code=got["code"],
        grant_type="authorization_code",
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert replay.json()["error"] == "invalid_grant"


def test_authorize_needs_client_key_and_deny_redirects_with_error(sandbox):
    wrong = httpx.get(authorize_url(sandbox).replace("client_key=", "client_id="))
    assert wrong.status_code == 400 and "client_key" in wrong.text and "location" not in wrong.headers
    denied = consent(authorize_url(sandbox), decision="deny")
    assert denied["error"] == "access_denied" and denied["error_description"] and denied["state"] == "st-1"
    bad_scope = httpx.get(authorize_url(sandbox, scope="user.info.basic,nope"))
    assert bad_scope.status_code == 302 and "error=invalid_scope" in bad_scope.headers["location"]


def test_token_endpoint_errors(sandbox):
    bad_client = httpx.post(
        sandbox.platform_url(API, "/v2/oauth/token/"),
        data={
            "client_key": CLIENT,
            "client_secret": "wrong",
            "grant_type": "authorization_code",
            "code": "x",
        },
    )
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    bad_grant = token_call(sandbox, grant_type="password")
    assert bad_grant.json()["error"] == "unsupported_grant_type"
    unknown_code = token_call(sandbox, grant_type="authorization_code", code="nope", redirect_uri=REDIRECT)
    assert unknown_code.json()["error"] == "invalid_grant"


def test_refresh_rotates_and_old_refresh_token_fails(sandbox):
    minted = sandbox.mint("tiktok", accounts(sandbox)["mika_bakes"]["id"])
    first = token_call(sandbox, grant_type="refresh_token", refresh_token=minted["refresh_token"])
    assert first.status_code == 200
    new = first.json()
    assert new["refresh_token"] != minted["refresh_token"] and new["access_token"] != minted["access_token"]
    again = token_call(sandbox, grant_type="refresh_token", refresh_token=minted["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (
        api(sandbox, "GET", "/v2/user/info/", new["access_token"], params={"fields": "open_id"}).status_code
        == 200
    )


def test_refresh_without_rotation_and_configured_lifetimes(fresh_sandbox):
    fresh_sandbox.set_config(
        **{
            "tiktok.refresh_rotates": False,
            "tiktok.access_token_seconds": 86400,
            "tiktok.refresh_token_seconds": 31536000,
        }
    )
    minted = fresh_sandbox.mint("tiktok", fresh_sandbox.accounts("tiktok")[0]["id"])
    assert (minted["expires_in"], minted["refresh_expires_in"]) == (86400, 31536000)
    for _ in range(2):
        body = token_call(
            fresh_sandbox, grant_type="refresh_token", refresh_token=minted["refresh_token"]
        ).json()
        assert body["refresh_token"] == minted["refresh_token"]


def test_access_token_expires_on_the_sandbox_clock(fresh_sandbox):
    minted = fresh_sandbox.mint("tiktok", fresh_sandbox.accounts("tiktok")[0]["id"])
    assert (
        api(
            fresh_sandbox, "GET", "/v2/user/info/", minted["access_token"], params={"fields": "open_id"}
        ).status_code
        == 200
    )
    fresh_sandbox.advance(7201)
    expired = api(
        fresh_sandbox, "GET", "/v2/user/info/", minted["access_token"], params={"fields": "open_id"}
    )
    assert_error(expired, 401, "access_token_invalid")
    fresh_sandbox.advance(15552000)
    late = token_call(fresh_sandbox, grant_type="refresh_token", refresh_token=minted["refresh_token"])
    assert late.json()["error"] == "invalid_grant"


def test_revoke_ends_the_authorization(sandbox):
    minted = sandbox.mint("tiktok", accounts(sandbox)["quiet.sam"]["id"])
    resp = httpx.post(
        sandbox.platform_url(API, "/v2/oauth/revoke/"),
        data={"client_key": CLIENT, "client_secret": SECRET, "token": minted["access_token"]},
    )
    assert resp.status_code == 200 and resp.json() == {}
    assert_error(
        api(sandbox, "GET", "/v2/user/info/", minted["access_token"], params={"fields": "open_id"}),
        401,
        "access_token_invalid",
    )
    assert (
        token_call(sandbox, grant_type="refresh_token", refresh_token=minted["refresh_token"]).json()["error"]
        == "invalid_grant"
    )


# --- Display API ------------------------------------------------------------------------


def test_user_info_fields_are_gated_by_scope(sandbox):
    acct = accounts(sandbox)["lena.rivers"]
    basic = sandbox.mint("tiktok", acct["id"], scopes=["user.info.basic"])["access_token"]
    ok = api(sandbox, "GET", "/v2/user/info/", basic, params={"fields": "open_id,display_name,avatar_url"})
    assert ok.status_code == 200 and ok.json()["error"]["code"] == "ok"
    assert ok.json()["data"]["user"] == {
        "open_id": acct["id"],
        "display_name": "Lena Rivers",
        "avatar_url": ok.json()["data"]["user"]["avatar_url"],
    }
    assert_error(
        api(sandbox, "GET", "/v2/user/info/", basic, params={"fields": "open_id,follower_count"}),
        401,
        "scope_not_authorized",
    )
    assert_error(api(sandbox, "GET", "/v2/user/info/", basic), 400, "invalid_params")
    assert_error(
        api(sandbox, "GET", "/v2/user/info/", basic, params={"fields": "open_id,shoe_size"}),
        400,
        "invalid_params",
    )
    full = sandbox.mint("tiktok", acct["id"])["access_token"]
    user = api(
        sandbox,
        "GET",
        "/v2/user/info/",
        full,
        params={"fields": "username,follower_count,video_count,is_verified"},
    ).json()["data"]["user"]
    assert (
        user["username"] == "lena.rivers" and user["follower_count"] > 100_000 and user["video_count"] >= 60
    )
    assert user["is_verified"] is True
    assert_error(
        api(sandbox, "GET", "/v2/user/info/", "act.not-a-token", params={"fields": "open_id"}),
        401,
        "access_token_invalid",
    )


def test_video_list_pages_with_the_cursor(sandbox):
    acct = accounts(sandbox)["mika_bakes"]
    token = sandbox.mint("tiktok", acct["id"])["access_token"]
    seen, cursor, pages = [], None, 0
    while True:
        body = {"max_count": 20} | ({"cursor": cursor} if cursor is not None else {})
        resp = api(
            sandbox,
            "POST",
            "/v2/video/list/",
            token,
            params={"fields": "id,title,create_time,share_url,view_count"},
            json=body,
        )
        data = resp.json()["data"]
        seen += data["videos"]
        pages += 1
        if not data["has_more"]:
            break
        cursor = data["cursor"]
        assert cursor == data["videos"][-1]["create_time"] * 1000 + cursor % 1000
    ids = [v["id"] for v in seen]
    assert len(ids) == len(set(ids)) >= 40 and pages >= 2
    assert all(len(i) == 19 and i.isdigit() for i in ids)
    assert [v["create_time"] for v in seen] == sorted((v["create_time"] for v in seen), reverse=True)
    assert seen[0]["share_url"] == f"https://www.tiktok.com/@mika_bakes/video/{seen[0]['id']}"
    assert set(seen[0]) == {"id", "title", "create_time", "share_url", "view_count"}
    assert_error(
        api(sandbox, "POST", "/v2/video/list/", token, params={"fields": "id"}, json={"max_count": 21}),
        400,
        "invalid_params",
    )
    no_scope = sandbox.mint("tiktok", acct["id"], scopes=["user.info.basic"])["access_token"]
    assert_error(
        api(sandbox, "POST", "/v2/video/list/", no_scope, params={"fields": "id"}, json={}),
        401,
        "scope_not_authorized",
    )


def test_video_query_limits_and_ownership(sandbox):
    accts = accounts(sandbox)
    token = sandbox.mint("tiktok", accts["lena.rivers"]["id"])["access_token"]
    mine = api(
        sandbox, "POST", "/v2/video/list/", token, params={"fields": "id"}, json={"max_count": 20}
    ).json()["data"]["videos"]
    other_token = sandbox.mint("tiktok", accts["mika_bakes"]["id"])["access_token"]
    other = api(
        sandbox, "POST", "/v2/video/list/", other_token, params={"fields": "id"}, json={"max_count": 1}
    ).json()["data"]["videos"]
    ids = [v["id"] for v in mine[:3]] + [other[0]["id"]]
    resp = api(
        sandbox,
        "POST",
        "/v2/video/query/",
        token,
        params={"fields": "id,view_count,like_count,comment_count,share_count"},
        json={"filters": {"video_ids": ids}},
    )
    videos = resp.json()["data"]["videos"]
    assert [v["id"] for v in videos] == ids[:3]  # another creator's video is not returned
    assert all(isinstance(v["view_count"], int) and v["view_count"] >= v["like_count"] for v in videos)
    too_many = api(
        sandbox,
        "POST",
        "/v2/video/query/",
        token,
        params={"fields": "id"},
        json={"filters": {"video_ids": [v["id"] for v in mine[:20]] + ["1" * 19]}},
    )
    assert_error(too_many, 400, "invalid_params")


def test_metrics_grow_with_sandbox_time(fresh_sandbox):
    token = fresh_sandbox.mint("tiktok", fresh_sandbox.accounts("tiktok")[0]["id"])["access_token"]

    def views() -> int:
        return api(
            fresh_sandbox,
            "POST",
            "/v2/video/list/",
            token,
            params={"fields": "id,view_count"},
            json={"max_count": 1},
        ).json()["data"]["videos"][0]["view_count"]

    before = views()
    fresh_sandbox.advance(3600)  # within the token's two hours
    assert views() > before


def test_display_rate_limit_is_a_sliding_minute_per_endpoint(fresh_sandbox):
    fresh_sandbox.set_config(**{"tiktok.display_per_minute": 3})
    token = fresh_sandbox.mint("tiktok", fresh_sandbox.accounts("tiktok")[0]["id"])["access_token"]
    calls = [
        api(fresh_sandbox, "GET", "/v2/user/info/", token, params={"fields": "open_id"}) for _ in range(4)
    ]
    assert [c.status_code for c in calls] == [200, 200, 200, 429]
    assert_error(calls[-1], 429, "rate_limit_exceeded")
    # Another endpoint has its own window.
    assert (
        api(fresh_sandbox, "POST", "/v2/video/list/", token, params={"fields": "id"}, json={}).status_code
        == 200
    )
    fresh_sandbox.advance(61)
    assert api(fresh_sandbox, "GET", "/v2/user/info/", token, params={"fields": "open_id"}).status_code == 200


# --- Content Posting --------------------------------------------------------------------


def test_creator_info_privacy_options(sandbox):
    accts = accounts(sandbox)
    public = api(
        sandbox,
        "POST",
        "/v2/post/publish/creator_info/query/",
        sandbox.mint("tiktok", accts["lena.rivers"]["id"])["access_token"],
    )
    data = public.json()["data"]
    assert "PUBLIC_TO_EVERYONE" in data["privacy_level_options"] and data["creator_username"] == "lena.rivers"
    assert data["max_video_post_duration_sec"] == 600
    private = api(
        sandbox,
        "POST",
        "/v2/post/publish/creator_info/query/",
        sandbox.mint("tiktok", accts["quiet.sam"]["id"])["access_token"],
    )
    assert "PUBLIC_TO_EVERYONE" not in private.json()["data"]["privacy_level_options"]
    no_scope = sandbox.mint("tiktok", accts["quiet.sam"]["id"], scopes=["user.info.basic"])["access_token"]
    assert_error(
        api(sandbox, "POST", "/v2/post/publish/creator_info/query/", no_scope), 401, "scope_not_authorized"
    )


def test_direct_post_file_upload_self_only(fresh_sandbox):
    acct = fresh_sandbox.accounts("tiktok")[1]
    token = fresh_sandbox.mint("tiktok", acct["id"])["access_token"]
    init = init_file(fresh_sandbox, token, title="Private hello #sandbox")
    data = init.json()["data"]
    assert (
        data["publish_id"].startswith("v_pub_file~v2")
        and "/open-upload.tiktokapis.com/video/?upload_id=" in data["upload_url"]
    )
    assert status(fresh_sandbox, token, data["publish_id"])["status"] == "PROCESSING_UPLOAD"
    assert put(data["upload_url"], MP4, 0, len(MP4)).status_code == 201
    assert status(fresh_sandbox, token, data["publish_id"])["uploaded_bytes"] == len(MP4)
    fresh_sandbox.advance(6)
    assert status(fresh_sandbox, token, data["publish_id"])["status"] == "PROCESSING_DOWNLOAD"
    fresh_sandbox.advance(6)
    done = status(fresh_sandbox, token, data["publish_id"])
    assert done["status"] == "PUBLISH_COMPLETE" and done["publicaly_available_post_id"] == []
    videos = api(
        fresh_sandbox, "POST", "/v2/video/list/", token, params={"fields": "id,title"}, json={"max_count": 1}
    ).json()["data"]["videos"]
    assert videos[0]["title"] == "Private hello #sandbox"
    assert fresh_sandbox.counters()[f"published:tiktok:{acct['id']}"] == 1
    status(fresh_sandbox, token, data["publish_id"])  # polling again does not publish again
    assert fresh_sandbox.counters()[f"published:tiktok:{acct['id']}"] == 1


def test_unaudited_app_may_only_post_privately_audited_gets_public_id(fresh_sandbox):
    acct = fresh_sandbox.accounts("tiktok")[0]
    token = fresh_sandbox.mint("tiktok", acct["id"])["access_token"]
    assert_error(
        init_file(fresh_sandbox, token, privacy="PUBLIC_TO_EVERYONE"),
        403,
        "unaudited_client_can_only_post_to_private_accounts",
    )
    fresh_sandbox.control.post(
        "/apps",
        json={"platform": "tiktok", "client_id": "audited-app", "client_secret": "s", "audited": True},
    ).raise_for_status()
    audited = fresh_sandbox.mint("tiktok", acct["id"], client_id="audited-app")["access_token"]
    data = init_file(fresh_sandbox, audited, privacy="PUBLIC_TO_EVERYONE", title="Public hello").json()[
        "data"
    ]
    assert put(data["upload_url"], MP4, 0, len(MP4)).status_code == 201
    fresh_sandbox.advance(11)
    done = status(fresh_sandbox, audited, data["publish_id"])
    [post_id] = done["publicaly_available_post_id"]
    assert isinstance(post_id, int) and len(str(post_id)) == 19
    query = api(
        fresh_sandbox,
        "POST",
        "/v2/video/query/",
        audited,
        params={"fields": "id,title"},
        json={"filters": {"video_ids": [str(post_id)]}},
    )
    assert query.json()["data"]["videos"] == [{"id": str(post_id), "title": "Public hello"}]


def test_privacy_level_must_be_among_creator_options(sandbox):
    token = sandbox.mint("tiktok", accounts(sandbox)["quiet.sam"]["id"])["access_token"]
    assert_error(
        init_file(sandbox, token, privacy="PUBLIC_TO_EVERYONE"), 400, "privacy_level_option_mismatch"
    )
    assert_error(init_file(sandbox, token, privacy="EVERYONE"), 400, "invalid_params")


@pytest.mark.parametrize(
    ("size", "chunk", "count"),
    [
        (4 * MIB, 1 * MIB, 4),  # under 5 MB must be one chunk
        (20 * MIB, 4 * MIB, 5),  # chunk below 5 MB
        (20 * MIB, 5 * MIB, 3),  # count is not floor(size / chunk)
        (200 * MIB, 65 * MIB, 3),  # chunk above 64 MB
    ],
)
def test_file_upload_plan_is_validated(sandbox, size, chunk, count):
    token = sandbox.mint("tiktok", accounts(sandbox)["lena.rivers"]["id"])["access_token"]
    resp = init_file(sandbox, token, video_size=size, chunk_size=chunk, total_chunk_count=count)
    assert_error(resp, 400, "invalid_params")


def test_chunked_upload_in_order_and_bad_file_fails(fresh_sandbox):
    token = fresh_sandbox.mint("tiktok", fresh_sandbox.accounts("tiktok")[0]["id"])["access_token"]
    video = MP4 + bytes(11 * MIB - len(MP4))
    data = init_file(fresh_sandbox, token, data=video, chunk_size=5 * MIB, total_chunk_count=2).json()["data"]
    url = data["upload_url"]
    assert put(url, video[5 * MIB :], 5 * MIB, len(video)).status_code == 400  # out of order
    assert put(url, video[: 5 * MIB], 0, len(video), ctype="image/png").status_code == 400
    first = put(url, video[: 5 * MIB], 0, len(video))
    assert first.status_code == 206
    assert status(fresh_sandbox, token, data["publish_id"])["uploaded_bytes"] == 5 * MIB
    assert put(url, video[5 * MIB :], 5 * MIB, len(video)).status_code == 201
    assert put(url, video[5 * MIB :], 5 * MIB, len(video)).status_code == 400  # already complete
    junk = b"not a video at all" * 10
    bad = init_file(fresh_sandbox, token, data=junk).json()["data"]
    assert put(bad["upload_url"], junk, 0, len(junk)).status_code == 201
    failed = status(fresh_sandbox, token, bad["publish_id"])
    assert failed["status"] == "FAILED" and failed["fail_reason"] == "file_format_check_failed"


@pytest.fixture
def media_server():
    async def video(request):
        return Response(MP4, media_type="video/mp4")

    async def text(request):
        return Response(b"<html>hello</html>", media_type="text/html")

    server = ThreadedServer(Starlette(routes=[Route("/v.mp4", video), Route("/page.html", text)])).start()
    yield server.url
    server.stop()


def test_pull_from_url_really_fetches_the_video(fresh_sandbox, media_server):
    token = fresh_sandbox.mint("tiktok", fresh_sandbox.accounts("tiktok")[0]["id"])["access_token"]

    def pull(url: str) -> dict:
        resp = api(
            fresh_sandbox,
            "POST",
            "/v2/post/publish/video/init/",
            token,
            json={
                "post_info": {"title": "pulled", "privacy_level": "SELF_ONLY"},
                "source_info": {"source": "PULL_FROM_URL", "video_url": url},
            },
        )
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]

    good = pull(media_server + "/v.mp4")
    assert good["publish_id"].startswith("v_pub_url~v2") and "upload_url" not in good
    assert status(fresh_sandbox, token, good["publish_id"])["status"] == "PROCESSING_DOWNLOAD"
    fresh_sandbox.advance(11)
    done = status(fresh_sandbox, token, good["publish_id"])
    assert done["status"] == "PUBLISH_COMPLETE" and done["downloaded_bytes"] == len(MP4)
    page = status(fresh_sandbox, token, pull(media_server + "/page.html")["publish_id"])
    assert (page["status"], page["fail_reason"]) == ("FAILED", "file_format_check_failed")
    missing = status(fresh_sandbox, token, pull(media_server + "/missing.mp4")["publish_id"])
    assert missing["fail_reason"] == "video_pull_failed"


def test_init_rate_limit_is_six_per_minute_per_token(sandbox):
    token = sandbox.mint("tiktok", accounts(sandbox)["lena.rivers"]["id"])["access_token"]
    codes = [init_file(sandbox, token).status_code for _ in range(7)]
    assert codes == [200] * 6 + [429]
    other = sandbox.mint("tiktok", accounts(sandbox)["lena.rivers"]["id"])["access_token"]
    assert init_file(sandbox, other).status_code == 200


def test_inbox_upload_pending_share_limit(fresh_sandbox):
    acct = fresh_sandbox.accounts("tiktok")[2]
    publish_only = fresh_sandbox.mint("tiktok", acct["id"], scopes=["video.publish"])["access_token"]
    body = {
        "source_info": {
            "source": "FILE_UPLOAD",
            "video_size": len(MP4),
            "chunk_size": len(MP4),
            "total_chunk_count": 1,
        }
    }
    assert_error(
        api(fresh_sandbox, "POST", "/v2/post/publish/inbox/video/init/", publish_only, json=body),
        401,
        "scope_not_authorized",
    )
    ids = []
    for _ in range(5):
        token = fresh_sandbox.mint("tiktok", acct["id"], scopes=["video.upload"])["access_token"]
        resp = api(fresh_sandbox, "POST", "/v2/post/publish/inbox/video/init/", token, json=body)
        ids.append(resp.json()["data"]["publish_id"])
        assert put(resp.json()["data"]["upload_url"], MP4, 0, len(MP4)).status_code == 201
    assert all(i.startswith("v_inbox_file~v2") for i in ids)
    sixth = api(fresh_sandbox, "POST", "/v2/post/publish/inbox/video/init/", token, json=body)
    assert_error(sixth, 403, "spam_risk_too_many_pending_share")
    fresh_sandbox.advance(11)
    assert status(fresh_sandbox, token, ids[-1])["status"] == "SEND_TO_USER_INBOX"
    fresh_sandbox.advance(86400)  # the pending shares age out of the 24-hour window
    token = fresh_sandbox.mint("tiktok", acct["id"], scopes=["video.upload"])["access_token"]
    assert (
        api(fresh_sandbox, "POST", "/v2/post/publish/inbox/video/init/", token, json=body).status_code == 200
    )


# --- errors -----------------------------------------------------------------------------


def test_unknown_paths_and_injected_faults_use_the_envelope(sandbox):
    token = sandbox.mint("tiktok", accounts(sandbox)["mika_bakes"]["id"])["access_token"]
    assert_error(api(sandbox, "GET", "/v2/no/such/thing/", token), 404, "not_found")
    assert_error(api(sandbox, "GET", "/v2/video/list/", token), 404, "not_found")  # wrong method
    for fault, http_status, code in [
        ("rate_limited", 429, "rate_limit_exceeded"),
        ("server_error", 500, "internal_error"),
        ("expired_token", 401, "access_token_invalid"),
        ("permission_denied", 401, "scope_not_authorized"),
    ]:
        sandbox.fault("tiktok", fault, count=1, endpoint="/v2/user/info/")
        assert_error(
            api(sandbox, "GET", "/v2/user/info/", token, params={"fields": "open_id"}), http_status, code
        )
    sandbox.fault("tiktok", "server_error", count=1, endpoint="/v2/oauth/token/")
    oauth = token_call(sandbox, grant_type="refresh_token", refresh_token="x")
    assert oauth.status_code == 500 and oauth.json()["error"] == "server_error"
