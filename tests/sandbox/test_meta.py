"""Meta sandbox contract (shared Graph behaviour): Facebook Login, tokens, errors, limits.

Instagram objects: test_instagram.py; Pages: test_facebook.py. Helpers and the media
server fixture here are imported by those modules and by the provider tests.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.oauth_helpers import consent, consent_accounts
from tests.servers import ThreadedServer

USER1, USER2, USER3 = "100087654321001", "100087654321002", "100087654321003"
PAGE1, PAGE2, PAGE3, PAGE4 = "108234567890101", "108234567890102", "108234567890201", "108234567890301"
IG1, IG2, IG3, IG4 = "17841400000000101", "17841400000000201", "17841400000000301", "17841400000000302"
IG_CLIENT, IG_SECRET = "sandbox-instagram-client", "sandbox-instagram-secret"
FB_CLIENT, FB_SECRET = "sandbox-facebook-client", "sandbox-facebook-secret"
REDIRECT = "https://app.example/callback/meta"


def graph(sb, path: str, host: str = "graph.facebook.com", version: str = "v21.0") -> str:
    return sb.platform_url(host, f"/{version}{path}")


def gget(sb, path: str, token: str | None, **params) -> httpx.Response:
    if token is not None:
        params["access_token"] = token
    return httpx.get(graph(sb, path), params=params, timeout=30)


def gpost(sb, path: str, token: str, host: str = "graph.facebook.com", **data) -> httpx.Response:
    return httpx.post(graph(sb, path, host), data={**data, "access_token": token}, timeout=30)


def error_of(resp: httpx.Response) -> dict:
    body = resp.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"message", "type", "code", "fbtrace_id"} <= set(err), err
    return err


def authorize_url(
    sb, client_id: str = IG_CLIENT, scope: str = "instagram_basic,pages_show_list", **extra
) -> str:
    query = {
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "state": "st-1",
        "scope": scope,
        "response_type": "code",
        **extra,
    }
    return f"{sb.platform_url('www.facebook.com', '/v21.0/dialog/oauth')}?{urlencode(query)}"


def exchange(sb, code: str, client_id: str = IG_CLIENT, secret: str = IG_SECRET, **over) -> httpx.Response:
    params = {"client_id": client_id, "redirect_uri": REDIRECT, "client_secret": secret, "code": code, **over}
    return httpx.get(graph(sb, "/oauth/access_token"), params=params, timeout=30)


def long_lived(sb, token: str, client_id: str = IG_CLIENT, secret: str = IG_SECRET) -> httpx.Response:
    return httpx.get(
        graph(sb, "/oauth/access_token"),
        params={
            "grant_type": "fb_exchange_token",
            "client_id": client_id,
            "client_secret": secret,
            "fb_exchange_token": token,
        },
        timeout=30,
    )


# --- media the sandbox fetches by URL -----------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(2000) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(500)


def mp4(seconds: float) -> bytes:
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"isom", 512, b"isom")
    payload = bytes(4) + struct.pack(">IIII", 0, 0, 1000, int(seconds * 1000)) + bytes(80)
    mvhd = struct.pack(">I4s", 8 + len(payload), b"mvhd") + payload
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    return ftyp + moov + bytes(200)


FILES = {
    "/photo.jpg": (JPEG, "image/jpeg"),
    "/photo2.jpg": (JPEG + b"2", "image/jpeg"),
    "/photo.png": (PNG, "image/png"),
    "/big.jpg": (b"\xff\xd8\xff" + bytes(8 * 1024 * 1024 + 10), "image/jpeg"),
    "/clip.mp4": (mp4(12), "video/mp4"),
    "/short.mp4": (mp4(1), "video/mp4"),
    "/text.mp4": (b"this is not a video at all" * 10, "video/mp4"),
}


def _media_app() -> Starlette:
    async def serve(request: Request) -> Response:
        item = FILES.get(request.url.path)
        if item is None:
            return PlainTextResponse("not found", 404)
        return Response(item[0], media_type=item[1])

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/health", health), Route("/{name:path}", serve)])


def serve_media() -> Iterator[str]:
    """Run a loopback server with JPEG, PNG, MP4 and broken files; yields its base URL.
    Other modules wrap it in their own `media_server` fixture."""
    server = ThreadedServer(_media_app()).start()
    try:
        yield server.url
    finally:
        server.stop()


# --- OAuth dialog -------------------------------------------------------------------------------


def test_dialog_lists_people_and_approve_redirects_with_code_and_fragment(sandbox):
    url = authorize_url(sandbox)
    assert consent_accounts(url) == [USER1, USER2, USER3]
    got = consent(url, account_id=USER2)
    assert got["_redirect"] == REDIRECT and got["state"] == "st-1" and got["code"]
    assert got["_fragment"] == "_"


def test_dialog_deny_uses_facebook_error_parameters(sandbox):
    got = consent(authorize_url(sandbox), decision="deny")
    assert got["error"] == "access_denied" and got["error_code"] == "200"
    assert got["error_description"] == "Permissions error" and got["error_reason"] == "user_denied"
    assert got["state"] == "st-1" and "code" not in got


@pytest.mark.parametrize(
    "change",
    [{"client_id": "nope"}, {"scope": "instagram_basic,no_such_scope"}, {"redirect_uri": "ftp://bad"}],
)
def test_dialog_errors_are_pages_not_redirects(sandbox, change):
    query = {
        "client_id": IG_CLIENT,
        "redirect_uri": REDIRECT,
        "state": "s",
        "scope": "instagram_basic",
        "response_type": "code",
        **change,
    }
    resp = httpx.get(sandbox.platform_url("www.facebook.com", "/v21.0/dialog/oauth"), params=query)
    assert resp.status_code == 400 and "location" not in resp.headers
    assert "text/html" in resp.headers["content-type"]


def test_code_exchange_then_long_lived_token(sandbox):
    code = consent(authorize_url(sandbox), account_id=USER1)["code"]
    short = exchange(sandbox, code)
    assert short.status_code == 200
    body = short.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["access_token"]
    long = long_lived(sandbox, body["access_token"]).json()
    assert long["expires_in"] == 5183944 and long["access_token"] != body["access_token"]
    me = gget(sandbox, "/me", long["access_token"], fields="id,name").json()
    assert me == {"id": USER1, "name": "Maya Lopez"}


def test_code_errors_use_graph_envelope(sandbox):
    code = consent(authorize_url(sandbox))["code"]
    wrong_secret = error_of(exchange(sandbox, code, secret="nope"))
    assert wrong_secret["code"] == 1
    wrong_redirect = error_of(exchange(sandbox, code, redirect_uri="https://app.example/other"))
    assert (wrong_redirect["code"], wrong_redirect["error_subcode"]) == (100, 36008)
    code2 = consent(authorize_url(sandbox))["code"]
    assert exchange(sandbox, code2).status_code == 200
    reused = error_of(exchange(sandbox, code2))
    assert (reused["code"], reused["error_subcode"]) == (100, 36009)
    unknown_app = error_of(exchange(sandbox, code2, client_id="who"))
    assert unknown_app["code"] == 101


def test_expired_short_token_cannot_be_exchanged(fresh_sandbox):
    code = consent(authorize_url(fresh_sandbox))["code"]
    short = exchange(fresh_sandbox, code).json()["access_token"]
    fresh_sandbox.advance(3601)
    resp = long_lived(fresh_sandbox, short)
    err = error_of(resp)
    assert resp.status_code == 400 and (err["code"], err["error_subcode"]) == (190, 463)


def test_long_lived_token_expires_after_60_days_but_page_token_does_not(fresh_sandbox):
    user = fresh_sandbox.mint("facebook", USER1)["access_token"]
    accounts = gget(fresh_sandbox, "/me/accounts", user).json()["data"]
    page_token = next(p["access_token"] for p in accounts if p["id"] == PAGE1)
    fresh_sandbox.advance(5183944 + 60)
    expired = gget(fresh_sandbox, "/me", user)
    err = error_of(expired)
    assert (err["code"], err["error_subcode"]) == (190, 463)
    assert "WWW-Authenticate" in expired.headers
    assert gget(fresh_sandbox, f"/{PAGE1}", page_token, fields="name").json()["name"] == "Maya Bakes"


def test_me_accounts_lists_pages_with_tokens_and_cursor_paging(sandbox):
    user = sandbox.mint("facebook", USER1)["access_token"]
    first = gget(sandbox, "/me/accounts", user, limit=1).json()
    assert [p["id"] for p in first["data"]] == [PAGE1]
    page = first["data"][0]
    assert {"access_token", "category", "category_list", "name", "tasks"} <= set(page)
    assert first["paging"]["cursors"]["after"] and first["paging"]["next"].startswith("http")
    second = httpx.get(first["paging"]["next"]).json()
    assert [p["id"] for p in second["data"]] == [PAGE2]
    assert "next" not in second["paging"]
    linked = gget(sandbox, f"/{PAGE1}", user, fields="instagram_business_account").json()
    assert linked == {"instagram_business_account": {"id": IG1}, "id": PAGE1}
    assert (
        "instagram_business_account"
        not in gget(sandbox, f"/{PAGE2}", user, fields="instagram_business_account").json()
    )


def test_me_accounts_is_empty_without_pages_show_list(sandbox):
    user = sandbox.mint("facebook", USER1, scopes=["public_profile"])["access_token"]
    assert gget(sandbox, "/me/accounts", user).json() == {"data": []}


def test_delete_permissions_deauthorizes_user_and_page_tokens(sandbox):
    user = sandbox.mint("facebook", USER2)["access_token"]
    page_token = gget(sandbox, "/me/accounts", user).json()["data"][0]["access_token"]
    resp = httpx.delete(graph(sandbox, "/me/permissions"), params={"access_token": user})
    assert resp.json() == {"success": True}
    for token in (user, page_token):
        err = error_of(gget(sandbox, "/me", token))
        assert (err["code"], err["error_subcode"]) == (190, 458)


def test_control_revocation_reaches_user_tokens_through_the_ig_account(sandbox):
    token = sandbox.mint("instagram", IG2)["access_token"]
    assert gget(sandbox, f"/{IG2}", token).status_code == 200
    sandbox.control.post(
        "/tokens/revoke", json={"platform": "instagram", "account_id": IG2}
    ).raise_for_status()
    err = error_of(gget(sandbox, f"/{IG2}", token))
    assert (err["code"], err["error_subcode"]) == (190, 460)


def test_debug_token_describes_user_and_page_tokens(sandbox):
    app_token = f"{FB_CLIENT}|{FB_SECRET}"
    minted = sandbox.mint("facebook", PAGE3)
    user = gget(sandbox, "/debug_token", app_token, input_token=minted["user_access_token"]).json()["data"]
    assert (
        user["is_valid"]
        and user["type"] == "USER"
        and user["user_id"] == USER2
        and user["app_id"] == FB_CLIENT
    )
    assert "pages_manage_posts" in user["scopes"] and user["expires_at"] > 0
    page = gget(sandbox, "/debug_token", app_token, input_token=minted["access_token"]).json()["data"]
    assert page["type"] == "PAGE" and page["expires_at"] == 0 and page["profile_id"] == PAGE3
    bogus = gget(sandbox, "/debug_token", app_token, input_token="EAAGnope").json()["data"]
    assert bogus["is_valid"] is False
    assert error_of(gget(sandbox, "/debug_token", f"{FB_CLIENT}|wrong", input_token="x"))["code"] == 190


def test_app_token_from_client_credentials(sandbox):
    resp = httpx.get(
        graph(sandbox, "/oauth/access_token"),
        params={"grant_type": "client_credentials", "client_id": FB_CLIENT, "client_secret": FB_SECRET},
    )
    assert resp.json() == {"access_token": f"{FB_CLIENT}|{FB_SECRET}", "token_type": "bearer"}


# --- tokens and errors on every call ------------------------------------------------------------


def test_token_problems(sandbox):
    assert error_of(gget(sandbox, "/me", None))["code"] == 104
    err = error_of(gget(sandbox, "/me", "EAAGnot-a-token"))
    assert (err["code"], err["error_subcode"], err["type"]) == (190, 467, "OAuthException")
    token = sandbox.mint("instagram", IG3)["access_token"]
    bearer = httpx.get(graph(sandbox, f"/{IG3}"), headers={"Authorization": f"Bearer {token}"})
    assert bearer.json() == {"id": IG3}


def test_unknown_paths_and_versions_answer_in_graph_envelope(sandbox):
    token = sandbox.mint("instagram", IG1)["access_token"]
    deep = gget(sandbox, f"/{IG1}/media/extra", token)
    assert deep.status_code == 400 and error_of(deep)["code"] == 2500
    edge = error_of(gget(sandbox, f"/{IG1}/no_such_edge", token))
    assert edge["code"] == 100 and "nonexisting field" in edge["message"]
    assert error_of(gget(sandbox, "/99999999999", token))["error_subcode"] == 33
    assert error_of(gget(sandbox, "/somealias", token))["code"] == 803
    # An expired version is served by the oldest available one (Meta's versioning guide);
    # only a version that never existed is an error.
    old = httpx.get(graph(sandbox, f"/{IG1}", version="v12.0"), params={"access_token": token})
    assert old.status_code == 200 and old.json() == {"id": IG1}
    never = httpx.get(graph(sandbox, f"/{IG1}", version="v99.0"), params={"access_token": token})
    assert never.status_code == 400 and error_of(never)["code"] == 803
    assert (
        httpx.get(graph(sandbox, f"/{IG1}", version="v25.0"), params={"access_token": token}).status_code
        == 200
    )
    www = httpx.get(sandbox.platform_url("www.facebook.com", "/nothing/here"))
    assert www.status_code == 404 and "text/html" in www.headers["content-type"]


def test_other_peoples_objects_are_not_visible(sandbox):
    token = sandbox.mint("instagram", IG1)["access_token"]
    err = error_of(gget(sandbox, f"/{IG2}", token, fields="username"))
    assert (err["code"], err["error_subcode"]) == (100, 33)


def test_multi_id_read_limits(sandbox):
    token = sandbox.mint("facebook", PAGE1)["access_token"]
    posts = gget(sandbox, f"/{PAGE1}/posts", token, limit=60).json()["data"]
    ids = [p["id"] for p in posts]
    assert len(ids) >= 51
    fifty = gget(sandbox, "/", token, ids=",".join(ids[:50]), fields="message")
    assert fifty.status_code == 200 and set(fifty.json()) == set(ids[:50])
    too_many = error_of(gget(sandbox, "/", token, ids=",".join(ids[:51]), fields="message"))
    assert too_many["code"] == 100 and "Maximum: 50" in too_many["message"]
    missing = error_of(gget(sandbox, "/", token, ids=f"{ids[0]},{PAGE1}_1", fields="message"))
    assert missing["code"] == 803 and f"{PAGE1}_1" in missing["message"]


# --- usage headers and rate limits ------------------------------------------------------------------


def _buc(resp: httpx.Response) -> dict:
    return json.loads(resp.headers["X-Business-Use-Case-Usage"])


def test_usage_headers_by_token_and_object(sandbox):
    ig = sandbox.mint("instagram", IG1)["access_token"]
    entry = _buc(gget(sandbox, f"/{IG1}", ig))[IG1][0]
    assert entry["type"] == "instagram"
    assert {"call_count", "total_cputime", "total_time", "estimated_time_to_regain_access"} <= set(entry)
    page = sandbox.mint("facebook", PAGE3)
    assert _buc(gget(sandbox, f"/{PAGE3}", page["access_token"]))[PAGE3][0]["type"] == "pages"
    app_usage = json.loads(gget(sandbox, "/me", page["user_access_token"]).headers["X-App-Usage"])
    assert set(app_usage) == {"call_count", "total_cputime", "total_time"}


def test_instagram_hourly_limit_per_account(fresh_sandbox):
    fresh_sandbox.set_config(**{"instagram.calls_per_hour": 3})
    token = fresh_sandbox.mint("instagram", IG1)["access_token"]
    for _ in range(3):
        assert gget(fresh_sandbox, f"/{IG1}", token).status_code == 200
    blocked = gget(fresh_sandbox, f"/{IG1}", token)
    err = error_of(blocked)
    assert blocked.status_code == 400 and err["code"] == 80002
    entry = _buc(blocked)[IG1][0]
    assert entry["call_count"] == 100 and entry["estimated_time_to_regain_access"] > 0
    fresh_sandbox.advance(3601)
    assert gget(fresh_sandbox, f"/{IG1}", token).status_code == 200


def test_page_token_limit_is_per_page(fresh_sandbox):
    fresh_sandbox.set_config(**{"facebook.calls_per_hour": 2})
    token = fresh_sandbox.mint("facebook", PAGE1)["access_token"]
    assert [gget(fresh_sandbox, f"/{PAGE1}", token).status_code for _ in range(2)] == [200, 200]
    assert error_of(gget(fresh_sandbox, f"/{PAGE1}", token))["code"] == 32


@pytest.mark.parametrize(
    ("fault", "status", "code", "sub"),
    [
        ("rate_limited", 400, 80002, None),
        ("server_error", 500, 2, None),
        ("expired_token", 400, 190, 463),
        ("revoked_token", 400, 190, 460),
        ("permission_denied", 400, 10, None),
        ("invalid_request", 400, 100, None),
    ],
)
def test_injected_faults_render_as_meta_errors(sandbox, fault, status, code, sub):
    token = sandbox.mint("instagram", IG4)["access_token"]
    sandbox.fault("instagram", fault, count=1)
    resp = gget(sandbox, f"/{IG4}", token)
    err = error_of(resp)
    assert resp.status_code == status and err["code"] == code and err.get("error_subcode") == sub
    if fault == "rate_limited":
        assert _buc(resp)[IG4][0]["estimated_time_to_regain_access"] > 0
    assert gget(sandbox, f"/{IG4}", token).status_code == 200


def test_calls_are_counted_per_platform(sandbox):
    before = sandbox.counters()
    ig = sandbox.mint("instagram", IG3)["access_token"]
    gget(sandbox, f"/{IG3}", ig)
    gget(sandbox, "/me", ig)
    after = sandbox.counters()
    assert (
        after.get(f"calls:instagram:GET /v21.0/{IG3}", 0)
        == before.get(f"calls:instagram:GET /v21.0/{IG3}", 0) + 1
    )
    assert after.get("calls:facebook:GET /v21.0/me", 0) == before.get("calls:facebook:GET /v21.0/me", 0) + 1
