"""TikTokProvider against the sandbox over HTTP: OAuth, reading, publishing, errors, URLs."""

from __future__ import annotations

import copy
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from socialhub.providers.base import (
    AuthExpired,
    AuthRevoked,
    Credentials,
    InvalidPostUrl,
    InvalidRequest,
    MediaRef,
    NotFound,
    PermissionMissing,
    PublishRequest,
    RateLimited,
    StepPending,
    TransientError,
    utcnow,
)
from socialhub.providers.tiktok import TikTokProvider
from tests.oauth_helpers import consent
from tests.providers.crash import Crash, Db
from tests.providers.driver import publish
from tests.servers import ThreadedServer

REDIRECT = "https://app.example.com/oauth/tiktok/callback"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(3000)
MIB = 1024 * 1024
INIT = "calls:tiktok:POST /v2/post/publish/video/init/"
PUT = "calls:tiktok:PUT /video/"


def make_provider(sb, **kw) -> TikTokProvider:
    provider = TikTokProvider(
        client_id=kw.pop("client_id", "sandbox-tiktok-client"),
        client_secret=kw.pop("client_secret", "sandbox-tiktok-secret"),
        base_url=sb.url,
        **kw,
    )
    provider.poll_interval = 0.05
    return provider


def creds_for(sb, username: str, **extra) -> Credentials:
    acct = next(a for a in sb.accounts("tiktok") if a["username"] == username)
    minted = sb.mint("tiktok", acct["id"], client_id=extra.pop("client_id", None))
    return Credentials(
        access_token=minted["access_token"],
        refresh_token=minted["refresh_token"],
        account_id=acct["id"],
        extra=extra,
    )


def video_file(tmp_path, data: bytes = MP4):
    path = tmp_path / f"clip-{secrets.token_hex(3)}.mp4"
    path.write_bytes(data)
    return MediaRef(
        kind="video", mime_type="video/mp4", size_bytes=len(data), path=str(path), duration_seconds=12
    )


def counter(sb, name: str) -> int:
    return sb.counters().get(name, 0)


@pytest.fixture
def provider(sandbox):
    p = make_provider(sandbox)
    yield p
    p.close()


@pytest.fixture
def publishing(fresh_sandbox):
    fresh_sandbox.set_config(**{"tiktok.processing_seconds": 0})
    p = make_provider(fresh_sandbox)
    yield fresh_sandbox, p
    p.close()


# --- OAuth ------------------------------------------------------------------------------


def test_connect_flow_uses_client_key_comma_scopes_and_pkce(sandbox, provider):
    verifier = secrets.token_urlsafe(48)
    url = provider.authorization_url(state="state-1", redirect_uri=REDIRECT, code_verifier=verifier)
    query = parse_qs(urlsplit(url).query)
    assert query["client_key"] == ["sandbox-tiktok-client"] and "client_id" not in query
    assert query["scope"] == [",".join(TikTokProvider.SCOPES)] and query["code_challenge_method"] == ["S256"]
    target = sandbox.accounts("tiktok")[1]
    back = consent(url, account_id=target["id"])
    assert back["state"] == "state-1"
    [connected] = provider.connect(code=back["code"], redirect_uri=REDIRECT, code_verifier=verifier)
    assert connected.account.account_id == target["id"] and connected.account.username == "mika_bakes"
    assert connected.account.followers and connected.account.posts_count >= 40
    assert connected.account.profile_url == "https://www.tiktok.com/@mika_bakes"
    tokens = connected.tokens
    assert tokens.access_token.startswith("act.") and tokens.refresh_token.startswith("rft.")
    assert set(tokens.scopes) == set(TikTokProvider.SCOPES)
    assert timedelta(hours=1.9) < tokens.expires_at - datetime.now(UTC) <= timedelta(hours=2)
    assert tokens.refresh_expires_at - datetime.now(UTC) > timedelta(days=170)


def test_refresh_rotates_and_the_old_refresh_token_is_refused(sandbox, provider):
    creds = creds_for(sandbox, "lena.rivers")
    fresh = provider.refresh(creds)
    assert fresh.refresh_token != creds.refresh_token and fresh.access_token != creds.access_token
    assert (
        provider.get_account(
            Credentials(access_token=fresh.access_token, account_id=creds.account_id)
        ).username
        == "lena.rivers"
    )
    with pytest.raises(AuthRevoked):
        provider.refresh(creds)


def test_platform_revocation_is_detected_on_next_use(sandbox, provider):
    creds = creds_for(sandbox, "quiet.sam")
    sandbox.control.post(
        "/tokens/revoke", json={"platform": "tiktok", "account_id": creds.account_id}
    ).raise_for_status()
    with pytest.raises((AuthRevoked, AuthExpired)) as err:
        provider.get_account(creds)
    assert "reconnect" in str(err.value).lower()
    with pytest.raises(AuthRevoked):
        provider.refresh(creds)


def test_disconnect_revokes_at_tiktok(sandbox, provider):
    creds = creds_for(sandbox, "quiet.sam")
    assert provider.get_account(creds).username == "quiet.sam"
    assert provider.revoke(creds) is True
    with pytest.raises((AuthRevoked, AuthExpired)):
        provider.get_account(creds)


# --- reading ----------------------------------------------------------------------------


def test_list_posts_walks_every_page(sandbox, provider):
    creds = creds_for(sandbox, "mika_bakes")
    total = provider.get_account(creds).posts_count
    seen, cursor = [], None
    while True:
        page = provider.list_posts(creds, cursor=cursor, limit=15)
        assert len(page.posts) <= 15
        seen += page.posts
        cursor = page.next_cursor
        if not cursor:
            break
    assert len({p.post_id for p in seen}) == len(seen) == total
    assert all(p.url.endswith(p.post_id) and p.created_at and p.caption for p in seen)


def test_fetch_metrics_batches_twenty_ids_per_call(sandbox, provider):
    creds = creds_for(sandbox, "lena.rivers")
    ids, cursor = [], None
    while len(ids) < 45:
        page = provider.list_posts(creds, cursor=cursor, limit=20)
        ids += [p.post_id for p in page.posts]
        cursor = page.next_cursor
    ids = ids[:45]
    before = counter(sandbox, "calls:tiktok:POST /v2/video/query/")
    metrics = provider.fetch_metrics(creds, ids)
    assert counter(sandbox, "calls:tiktok:POST /v2/video/query/") - before == 3
    assert set(metrics) == set(ids)
    assert all(m.views >= m.likes >= 0 and m.shares is not None and m.saves is None for m in metrics.values())


def test_resolve_post_only_for_own_videos(sandbox, provider):
    creds = creds_for(sandbox, "lena.rivers")
    own = provider.list_posts(creds, limit=1).posts[0]
    ref = TikTokProvider.parse_post_url(own.url)
    assert provider.resolve_post(creds, ref).post_id == own.post_id
    other = provider.list_posts(creds_for(sandbox, "mika_bakes"), limit=1).posts[0]
    with pytest.raises(NotFound):
        provider.resolve_post(creds, TikTokProvider.parse_post_url(other.url))


# --- publishing -------------------------------------------------------------------------


def test_publish_file_upload_private_post_found_in_video_list(publishing, tmp_path):
    sb, p = publishing
    creds = creds_for(sb, "mika_bakes")
    request = PublishRequest(
        caption=f"Private via SocialHub {secrets.token_hex(3)} #sandbox", media=[video_file(tmp_path)]
    )
    saved: list[dict] = []
    before_init = counter(sb, INIT)
    result = publish(p, creds, request, {}, lambda s: saved.append(dict(s)))
    assert result.status == "published"
    assert saved[-1]["created"]["post_id"] == result.post_id
    assert saved[0]["source"] == "FILE_UPLOAD" and "creating_at" not in saved[0]  # prepared, then
    assert saved[1].keys() - saved[0].keys() == {"creating_at"}  # the marker before init
    inited = saved[2]
    assert inited["publish_id"] and "uploaded" not in inited  # recorded before any byte was sent
    assert inited["created"] == {"status": "created", "post_id": inited["publish_id"], "url": None}
    assert inited["privacy_level"] == "SELF_ONLY"  # the default app is unaudited
    assert counter(sb, INIT) - before_init == 2  # public refused for unaudited apps, then private
    newest = p.list_posts(creds, limit=1).posts[0]
    assert (newest.post_id, newest.caption) == (result.post_id, request.caption)
    assert result.url == f"https://www.tiktok.com/@mika_bakes/video/{result.post_id}"
    assert counter(sb, f"published:tiktok:{creds.account_id}") == 1
    assert counter(sb, f"duplicates:tiktok:{creds.account_id}") == 0
    found = p.find_published(creds, request, datetime.now(UTC) - timedelta(minutes=10))
    assert found is not None and found.post_id == result.post_id
    other = PublishRequest(caption="never posted", media=request.media)
    assert p.find_published(creds, other, datetime.now(UTC) - timedelta(minutes=10)) is None


def test_publish_resumes_after_a_crash_mid_upload(publishing, tmp_path):
    sb, p = publishing
    p.upload_chunk_size = 5 * MIB
    creds = creds_for(sb, "lena.rivers", privacy_level="SELF_ONLY")
    data = MP4 + bytes(11 * MIB - len(MP4))
    request = PublishRequest(caption="Chunked and resumed", media=[video_file(tmp_path, data)])
    steps: dict = {}

    def crash(s: dict) -> None:
        steps.update(s)
        if "created" in s:  # init answered and was recorded; the worker dies before the upload
            raise RuntimeError("worker died")

    with pytest.raises(RuntimeError):
        publish(p, creds, request, steps, crash)
    assert steps["total_chunk_count"] == 2 and steps["chunk_size"] == 5 * MIB
    # The first chunk made it to TikTok before the crash.
    first = httpx.put(
        steps["upload_url"],
        content=data[: 5 * MIB],
        headers={"Content-Type": "video/mp4", "Content-Range": f"bytes 0-{5 * MIB - 1}/{len(data)}"},
    )
    assert first.status_code == 206
    init_before, put_before = counter(sb, INIT), counter(sb, PUT)
    result = publish(p, creds, request, steps, steps.update)
    assert counter(sb, INIT) == init_before  # never initialised twice
    assert counter(sb, PUT) - put_before == 1  # only the missing chunk was sent
    assert counter(sb, f"published:tiktok:{creds.account_id}") == 1
    assert (
        publish(p, creds, request, steps, steps.update).post_id == result.post_id
    )  # done: nothing more is sent
    assert counter(sb, f"published:tiktok:{creds.account_id}") == 1


def test_retry_after_a_lost_result_finds_the_same_private_post(publishing, tmp_path):
    sb, p = publishing
    creds = creds_for(sb, "quiet.sam", privacy_level="SELF_ONLY")
    request = PublishRequest(caption="Result lost on the way back", media=[video_file(tmp_path)])
    stored: dict = {}  # what the job's database holds

    def lose_the_result(s: dict) -> None:
        if (s.get("created") or {}).get("status") == "published":
            raise RuntimeError("database down")
        stored.update(copy.deepcopy(s))

    with pytest.raises(RuntimeError):
        publish(p, creds, request, {}, lose_the_result)
    init_before, put_before = counter(sb, INIT), counter(sb, PUT)
    steps = dict(stored)
    result = publish(p, creds, request, steps, steps.update)
    assert (counter(sb, INIT), counter(sb, PUT)) == (init_before, put_before)
    assert result.post_id == p.list_posts(creds, limit=1).posts[0].post_id
    assert counter(sb, f"published:tiktok:{creds.account_id}") == 1


def test_publish_is_pending_then_resumes_polling_later(fresh_sandbox, tmp_path):
    fresh_sandbox.set_config(**{"tiktok.processing_seconds": 600})
    p = make_provider(fresh_sandbox)
    creds = creds_for(fresh_sandbox, "mika_bakes", privacy_level="SELF_ONLY")
    request = PublishRequest(caption="Slow processing", media=[video_file(tmp_path)])
    steps: dict = {}
    with pytest.raises(StepPending) as pending:
        p.publish(creds, request, steps, steps.update)
    assert pending.value.retry_at > utcnow()
    assert steps["uploaded"] is True
    fresh_sandbox.advance(601)
    creds.access_token = p.refresh(creds).access_token
    init_before = counter(fresh_sandbox, INIT)
    result = publish(p, creds, request, steps, steps.update)
    assert result.post_id and counter(fresh_sandbox, INIT) == init_before
    assert counter(fresh_sandbox, f"published:tiktok:{creds.account_id}") == 1
    p.close()


@pytest.fixture
def media_url():
    async def video(request):
        return Response(MP4, media_type="video/mp4")

    server = ThreadedServer(Starlette(routes=[Route("/clip.mp4", video)])).start()
    yield server.url + "/clip.mp4"
    server.stop()


def test_publish_pull_from_url_public_on_an_audited_app(publishing, media_url):
    sb, _ = publishing
    sb.control.post(
        "/apps", json={"platform": "tiktok", "client_id": "audited", "client_secret": "shh", "audited": True}
    ).raise_for_status()
    p = make_provider(sb, client_id="audited", client_secret="shh")
    creds = creds_for(sb, "lena.rivers", client_id="audited")
    media = MediaRef(
        kind="video", mime_type="video/mp4", size_bytes=len(MP4), url=media_url, duration_seconds=10
    )
    steps: dict = {}
    result = publish(p, creds, PublishRequest(caption="Public from URL", media=[media]), steps, steps.update)
    assert steps["source"] == "PULL_FROM_URL" and steps["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert result.url == f"https://www.tiktok.com/@lena.rivers/video/{result.post_id}"
    assert p.fetch_metrics(creds, [result.post_id])[result.post_id].views is not None
    p.close()


def test_find_published_answers_from_the_saved_publish_id(publishing, media_url):
    sb, _ = publishing
    sb.control.post(
        "/apps", json={"platform": "tiktok", "client_id": "audited", "client_secret": "shh", "audited": True}
    ).raise_for_status()
    p = make_provider(sb, client_id="audited", client_secret="shh")
    creds = creds_for(sb, "lena.rivers", client_id="audited")
    media = MediaRef(
        kind="video", mime_type="video/mp4", size_bytes=len(MP4), url=media_url, duration_seconds=10
    )
    request = PublishRequest(caption="Status says it all", media=[media])
    # Init was recorded; the worker died writing the final result.
    db = Db(crash=lambda s: (s.get("created") or {}).get("status") == "published")
    with pytest.raises(Crash):
        publish(p, creds, request, {}, db)
    kept = db.kept
    assert kept["created"] == {"status": "created", "post_id": kept["publish_id"], "url": None}
    lists = counter(sb, "calls:tiktok:POST /v2/video/list/")
    found = p.find_published(creds, request, p.marker_time(kept), kept)
    assert counter(sb, "calls:tiktok:POST /v2/video/list/") == lists  # no listing needed
    assert found is not None and found.url == f"https://www.tiktok.com/@lena.rivers/video/{found.post_id}"
    assert found.post_id == publish(p, creds, request, kept, db).post_id  # the retry agrees, sends nothing
    assert counter(sb, INIT) == 1 and counter(sb, f"published:tiktok:{creds.account_id}") == 1
    p.close()


def test_publish_of_a_bad_file_fails_with_the_reason(publishing, tmp_path):
    sb, p = publishing
    creds = creds_for(sb, "quiet.sam")
    bad = video_file(tmp_path, b"this is not a video" * 20)
    with pytest.raises(InvalidRequest) as err:
        publish(p, creds, PublishRequest(caption="broken", media=[bad]), {}, lambda s: None)
    assert "not a video TikTok can read" in str(err.value)
    assert counter(sb, f"published:tiktok:{creds.account_id}") == 0


# --- errors and quota --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("rate_limited", RateLimited),
        ("server_error", TransientError),
        ("malformed", TransientError),
        ("expired_token", AuthExpired),
        ("revoked_token", AuthRevoked),
        ("permission_denied", PermissionMissing),
    ],
)
def test_injected_faults_map_to_our_errors(sandbox, fault, error):
    readings = []
    p = make_provider(sandbox, quota_sink=lambda platform, r: readings.append((platform, r)))
    sandbox.fault("tiktok", fault, count=1, endpoint="/v2/video/list/")
    with pytest.raises(error) as err:
        p.list_posts(creds_for(sandbox, "lena.rivers"))
    assert str(err.value)
    if error is RateLimited:
        assert err.value.retry_at > datetime.now(UTC)
        [(platform, reading)] = readings
        assert (
            platform == "tiktok"
            and reading.bucket == "video.list"
            and reading.blocked_until > datetime.now(UTC)
        )
    p.close()


def test_get_account_falls_back_to_basic_fields_without_profile_scopes(sandbox, provider):
    acct = sandbox.accounts("tiktok")[0]
    minted = sandbox.mint("tiktok", acct["id"], scopes=["user.info.basic", "video.list"])
    info = provider.get_account(Credentials(access_token=minted["access_token"], account_id=""))
    assert info.account_id == acct["id"] and info.display_name == "Lena Rivers" and info.followers is None


def test_per_user_rate_limit_reading_names_the_account(fresh_sandbox):
    readings = []
    p = make_provider(fresh_sandbox, quota_sink=lambda platform, r: readings.append(r))
    creds = creds_for(fresh_sandbox, "mika_bakes")
    for _ in range(20):
        p._api("POST", "/v2/post/publish/creator_info/query/", creds, json={})
    with pytest.raises(RateLimited):
        p._api("POST", "/v2/post/publish/creator_info/query/", creds, json={})
    assert readings[-1].bucket == "post.creator_info" and readings[-1].account_key == creds.account_id
    p.close()


# --- content limits and URLs ---------------------------------------------------------------


def test_validate_content_limits(provider):
    ok = MediaRef(kind="video", mime_type="video/mp4", size_bytes=1000, duration_seconds=30)
    assert provider.validate(PublishRequest(caption="fine", media=[ok])) == []
    assert provider.validate(PublishRequest(caption="😀" * 1100, media=[ok])) == []  # 2200 UTF-16 units
    assert provider.validate(PublishRequest(caption="😀" * 1101, media=[ok]))
    assert provider.validate(PublishRequest(caption="no media"))
    image = MediaRef(kind="image", mime_type="image/jpeg", size_bytes=1000)
    assert provider.validate(PublishRequest(caption="x", media=[image]))
    for bad in (
        MediaRef(kind="video", mime_type="video/mp4", size_bytes=1000, duration_seconds=2),
        MediaRef(kind="video", mime_type="video/mp4", size_bytes=1000, duration_seconds=601),
        MediaRef(kind="video", mime_type="video/x-msvideo", size_bytes=1000, duration_seconds=30),
        MediaRef(kind="video", mime_type="video/mp4", size_bytes=5 * 1024**3, duration_seconds=30),
    ):
        assert provider.validate(PublishRequest(caption="x", media=[bad])), bad


@pytest.mark.parametrize(
    ("url", "key", "user"),
    [
        (
            "https://www.tiktok.com/@lena.rivers/video/7233244653738585230",
            "7233244653738585230",
            "lena.rivers",
        ),
        (
            "https://www.tiktok.com/@lena.rivers/video/7233244653738585230?is_from_webapp=1&sender_device=pc",
            "7233244653738585230",
            "lena.rivers",
        ),
        ("tiktok.com/@mika_bakes/photo/7119850654886763064", "7119850654886763064", "mika_bakes"),
        ("https://m.tiktok.com/@quiet.sam/video/7119850654886763064/", "7119850654886763064", "quiet.sam"),
        ("https://m.tiktok.com/v/7119850654886763064.html?u_code=abc", "7119850654886763064", None),
    ],
)
def test_parse_post_url_forms(url, key, user):
    ref = TikTokProvider.parse_post_url(url)
    assert (ref.platform, ref.key, ref.key_type, ref.username) == ("tiktok", key, "id", user)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://vm.tiktok.com/ZMabc123/", "short link"),
        ("https://www.tiktok.com/t/ZTRabc123/", "short link"),
        ("https://www.tiktok.com/@lena.rivers", "does not point to a video"),
        ("https://www.tiktok.com/@lena.rivers/video/12abc", "does not point to a video"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "not a TikTok link"),
        ("", "not a TikTok link"),
    ],
)
def test_parse_post_url_rejects_with_a_clear_message(url, words):
    with pytest.raises(InvalidPostUrl) as err:
        TikTokProvider.parse_post_url(url)
    assert words in str(err.value)
