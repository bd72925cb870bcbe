"""LinkedInProvider end to end against the sandbox over HTTP (no mocks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from socialhub.providers.base import (
    AuthExpired,
    AuthRevoked,
    Credentials,
    InvalidPostUrl,
    InvalidRequest,
    MediaRef,
    NotFound,
    PermissionMissing,
    PostRef,
    PublishRequest,
    RateLimited,
    TransientError,
)
from socialhub.providers.linkedin import LinkedInProvider, escape_commentary, unescape_commentary
from tests.oauth_helpers import consent
from tests.providers.driver import publish

REDIRECT = "https://app.example.com/oauth/linkedin/callback"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 400
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 600


def make(sb, **kw) -> LinkedInProvider:
    return LinkedInProvider(
        client_id="sandbox-linkedin-client", client_secret="sandbox-linkedin-secret", base_url=sb.url, **kw
    )


@pytest.fixture
def provider(sandbox):
    p = make(sandbox)
    yield p
    p.close()


def member(sb, index: int = 0) -> str:
    return sb.accounts("linkedin")[index]["id"]


def creds_for(sb, index: int = 0, scopes: list[str] | None = None) -> Credentials:
    m = member(sb, index)
    tok = sb.mint("linkedin", m, scopes)
    return Credentials(
        access_token=tok["access_token"], account_id=m, extra={"person_urn": f"urn:li:person:{m}"}
    )


def calls(sb, key: str) -> int:
    return sb.counters().get(f"calls:linkedin:{key}", 0)


def steps_log():
    saved: list[dict] = []
    return saved, lambda steps: saved.append(dict(steps))


# --- connect, refresh, revoke -------------------------------------------------------------------


def test_connect_flow(provider, sandbox):
    url = provider.authorization_url(state="s-42", redirect_uri=REDIRECT, code_verifier=None)
    query = parse_qs(urlsplit(url).query)
    assert query["scope"][0].split() == [
        "openid",
        "profile",
        "email",
        "w_member_social",
        "r_member_postAnalytics",
    ]
    assert urlsplit(url).path == "/www.linkedin.com/oauth/v2/authorization"
    back = consent(url, account_id=member(sandbox, 1))
    assert back["state"] == "s-42"
    [connected] = provider.connect(code=back["code"], redirect_uri=REDIRECT, code_verifier=None)
    account, tokens = connected.account, connected.tokens
    assert account.account_id == member(sandbox, 1)
    assert account.extra == {"person_urn": f"urn:li:person:{member(sandbox, 1)}"}
    assert account.display_name == "Marcus Okafor" and account.followers >= 2300
    assert tokens.refresh_token is None and "w_member_social" in tokens.scopes
    life = tokens.expires_at - datetime.now(UTC)
    assert timedelta(days=59) < life <= timedelta(days=60)
    # The refresh job flags a 60-day token 7 days before it ends.
    assert tokens.expires_at - provider.REFRESH_MARGIN - datetime.now(UTC) < timedelta(days=53, minutes=1)


def test_refresh_without_refresh_token_asks_to_reconnect(provider, sandbox):
    with pytest.raises(AuthExpired, match="reconnect"):
        provider.refresh(creds_for(sandbox))


def test_refresh_for_partner_apps_and_refresh_failure(fresh_sandbox):
    sb = fresh_sandbox
    sb.set_config(**{"linkedin.issue_refresh_tokens": True})
    p = make(sb)
    back = consent(p.authorization_url(state="s", redirect_uri=REDIRECT, code_verifier=None))
    [connected] = p.connect(code=back["code"], redirect_uri=REDIRECT, code_verifier=None)
    assert connected.tokens.refresh_token and connected.tokens.refresh_expires_at is not None
    creds = Credentials(
        access_token=connected.tokens.access_token,
        account_id=connected.account.account_id,
        refresh_token=connected.tokens.refresh_token,
    )
    fresh = p.refresh(creds)
    assert fresh.access_token != creds.access_token and fresh.refresh_token == creds.refresh_token
    assert (
        p.get_account(Credentials(access_token=fresh.access_token, account_id="")).account_id
        == creds.account_id
    )
    sb.control.post(
        "/tokens/revoke", json={"platform": "linkedin", "account_id": creds.account_id}
    ).raise_for_status()
    with pytest.raises(AuthRevoked):
        p.refresh(creds)
    p.close()


def test_platform_side_revocation_detected(provider, sandbox):
    creds = creds_for(sandbox, 2)
    assert provider.get_account(creds).account_id == member(sandbox, 2)
    sandbox.control.post("/tokens/revoke", json={"platform": "linkedin", "account_id": member(sandbox, 2)})
    with pytest.raises(AuthRevoked):
        provider.get_account(creds)


def test_disconnect_revokes_token(provider, sandbox):
    creds = creds_for(sandbox)
    assert provider.revoke(creds) is True
    with pytest.raises(AuthRevoked):
        provider.list_posts(creds)


def test_expired_token_after_60_days(fresh_sandbox):
    p = make(fresh_sandbox)
    creds = creds_for(fresh_sandbox)
    fresh_sandbox.advance(61 * 86400)
    with pytest.raises(AuthExpired):
        p.get_account(creds)
    p.close()


# --- reading ---------------------------------------------------------------------------------------


def test_list_posts_pagination(provider, sandbox):
    creds = creds_for(sandbox, 1)
    seen, cursor, pages = [], None, 0
    while True:
        page = provider.list_posts(creds, cursor=cursor, limit=10)
        seen += [p.post_id for p in page.posts]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = len(sandbox.sandbox.posts("linkedin", member(sandbox, 1)))
    assert len(seen) == len(set(seen)) == expected and pages == -(-expected // 10)
    first = provider.list_posts(creds, limit=1).posts[0]
    assert first.url == f"https://www.linkedin.com/feed/update/{first.post_id}/"
    assert "\\" not in first.caption and first.created_at is not None


def test_fetch_metrics_batches_of_20(provider, sandbox):
    creds = creds_for(sandbox)
    ids = [p.post_id for p in provider.list_posts(creds, limit=45).posts]
    assert len(ids) == 45
    before = calls(sandbox, "GET /rest/socialActions")
    analytics_before = calls(sandbox, "GET /rest/memberCreatorPostAnalytics")
    metrics = provider.fetch_metrics(creds, ids)
    assert calls(sandbox, "GET /rest/socialActions") - before == 3  # ceil(45 / 20)
    assert calls(sandbox, "GET /rest/memberCreatorPostAnalytics") - analytics_before == 45 * 3
    assert set(metrics) == set(ids)
    sample = metrics[ids[10]]
    assert sample.views and sample.reach and sample.reach <= sample.views and sample.likes is not None
    # Without r_member_postAnalytics: likes and comments only, one analytics attempt.
    limited = creds_for(sandbox, 0, ["openid", "profile", "w_member_social"])
    before = calls(sandbox, "GET /rest/memberCreatorPostAnalytics")
    partial = provider.fetch_metrics(limited, ids[:5])
    assert calls(sandbox, "GET /rest/memberCreatorPostAnalytics") - before == 1
    assert partial[ids[0]].likes == metrics[ids[0]].likes and partial[ids[0]].views is None


# --- publishing ---------------------------------------------------------------------------------------


def test_publish_text_exactly_once(provider, sandbox):
    creds = creds_for(sandbox, 2)
    m = member(sandbox, 2)
    before = sandbox.counters()
    saved, save = steps_log()
    caption = "Launch notes (v2) — #shipping @team [beta] 6612"
    result = publish(provider, creds, PublishRequest(caption=caption), {}, save)
    assert result.status == "published" and result.post_id.startswith("urn:li:share:")
    assert saved[-1]["created"]["post_id"] == result.post_id
    assert saved[0].keys() == {"creating_at"}  # the marker, saved before POST /rest/posts
    after = sandbox.counters()
    assert after[f"published:linkedin:{m}"] == before.get(f"published:linkedin:{m}", 0) + 1
    assert after.get(f"duplicates:linkedin:{m}", 0) == before.get(f"duplicates:linkedin:{m}", 0)
    # Little-text escaping round-trips: the member sees exactly the caption.
    assert provider.resolve_post(creds, PostRef("linkedin", result.post_id, "urn")).caption == caption
    # A retry with the step recorded creates nothing.
    again = publish(provider, creds, PublishRequest(caption=caption), dict(saved[-1]), save)
    assert again.post_id == result.post_id
    assert sandbox.counters()[f"published:linkedin:{m}"] == after[f"published:linkedin:{m}"]


def test_duplicate_refusal_is_not_adopted_by_its_text(provider, sandbox):
    """LinkedIn's "duplicate of urn:..." is a refusal of a new target, not our lost post: the
    error stands and the marker is cleared (a lost answer is found by find_published instead)."""
    creds = creds_for(sandbox, 2)
    m = member(sandbox, 2)
    caption = "An answer that got lost on the way 4410"
    publish(provider, creds, PublishRequest(caption=caption), {}, lambda s: None)
    count = sandbox.counters()[f"published:linkedin:{m}"]
    steps: dict = {}
    with pytest.raises(InvalidRequest, match="duplicate"):
        publish(provider, creds, PublishRequest(caption=caption), steps, lambda s: None)
    assert steps == {}
    assert sandbox.counters()[f"published:linkedin:{m}"] == count


def test_publish_image_resumes_after_failure(provider, sandbox, tmp_path):
    creds = creds_for(sandbox, 1)
    m = member(sandbox, 1)
    path = tmp_path / "photo.jpg"
    path.write_bytes(JPEG)
    request = PublishRequest(
        caption="Photo post that survives a crash 3307",
        media=[MediaRef(kind="image", mime_type="image/jpeg", size_bytes=len(JPEG), path=str(path))],
    )
    before = sandbox.counters()
    saved, save = steps_log()
    sandbox.fault("linkedin", "server_error", count=1, endpoint="/rest/posts")
    steps: dict = {}
    with pytest.raises(TransientError):
        publish(provider, creds, request, steps, save)
    assert steps["media_urn"].startswith("urn:li:image:") and steps["media_ready"] is True
    assert "created" not in steps and "creating_at" not in steps  # a 500 is a refusal
    result = publish(provider, creds, request, steps, save)
    after = sandbox.counters()
    assert after["calls:linkedin:POST /rest/images"] - before.get("calls:linkedin:POST /rest/images", 0) == 1
    assert after[f"published:linkedin:{m}"] - before.get(f"published:linkedin:{m}", 0) == 1
    assert [k for k in ("media_urn", "media_ready", "creating_at", "created") if k in saved[-1]] == [
        "media_urn",
        "media_ready",
        "creating_at",
        "created",
    ]
    post = httpx.get(
        sandbox.platform_url("api.linkedin.com", f"/rest/posts/{result.post_id}"),
        headers=provider.headers(creds),
    ).json()
    assert post["content"]["media"]["id"] == steps["media_urn"]


@pytest.fixture
def clip_url():
    """MP4 bytes served over HTTP (the provider downloads media given by URL)."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from tests.servers import ThreadedServer

    async def clip(request):
        return Response(MP4, media_type="video/mp4")

    async def health(request):
        return Response("ok")

    server = ThreadedServer(Starlette(routes=[Route("/clip.mp4", clip), Route("/health", health)])).start()
    yield server.url + "/clip.mp4"
    server.stop()


def test_publish_video(sandbox, clip_url):
    p = make(sandbox)
    p.VIDEO_POLL_SECONDS = 0.5
    creds = creds_for(sandbox, 0)
    request = PublishRequest(
        caption="A short clip 8801",
        media=[MediaRef(kind="video", mime_type="video/mp4", size_bytes=len(MP4), url=clip_url)],
    )
    saved, save = steps_log()
    result = publish(p, creds, request, {}, save)
    assert result.post_id.startswith("urn:li:share:") and saved[-1]["media_urn"].startswith("urn:li:video:")
    assert saved[-1]["media_finalized"] is True
    post = p.resolve_post(creds, PostRef("linkedin", result.post_id, "urn"))
    assert post.media_type == "video"
    p.close()


def test_find_published(provider, sandbox):
    creds = creds_for(sandbox, 1)
    caption = "Findable post with (escapes) 5150"
    since = datetime.now(UTC) - timedelta(minutes=5)
    assert provider.find_published(creds, PublishRequest(caption=caption), since) is None
    result = publish(provider, creds, PublishRequest(caption=caption), {}, lambda s: None)
    found = provider.find_published(creds, PublishRequest(caption=caption), since)
    assert found is not None and found.post_id == result.post_id and found.caption == caption


# --- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("rate_limited", RateLimited),
        ("server_error", TransientError),
        ("malformed", TransientError),
        ("expired_token", AuthExpired),
        ("revoked_token", AuthRevoked),
        ("permission_denied", PermissionMissing),
        ("invalid_request", InvalidRequest),
    ],
)
def test_faults_map_to_errors(sandbox, error, expected):
    readings = []
    p = make(sandbox, quota_sink=lambda platform, reading: readings.append(reading))
    sandbox.fault("linkedin", error, count=1, endpoint="/rest/posts")
    with pytest.raises(expected) as info:
        p.list_posts(creds_for(sandbox))
    assert type(info.value) is expected and info.value.message
    if error == "rate_limited":
        retry = info.value.retry_at
        assert retry is not None and retry.hour == 0 and retry > datetime.now(UTC)
        assert readings and readings[0].blocked_until == retry
    p.close()


def test_sunset_version_reported_clearly(sandbox):
    p = LinkedInProvider(
        client_id="sandbox-linkedin-client",
        client_secret="sandbox-linkedin-secret",
        base_url=sandbox.url,
        api_version="202401",
    )
    with pytest.raises(InvalidRequest, match="202401"):
        p.list_posts(creds_for(sandbox))
    p.close()


def test_commentary_too_long_is_invalid(provider, sandbox):
    with pytest.raises(InvalidRequest, match="3000"):
        publish(provider, creds_for(sandbox, 2), PublishRequest(caption="z" * 3001), {}, lambda s: None)


# --- limits and URLs -----------------------------------------------------------------------------------------


def test_content_limits(provider):
    assert provider.validate(PublishRequest(caption="a" * 3000)) == []
    assert provider.validate(PublishRequest(caption="a" * 3001))
    webp = MediaRef(kind="image", mime_type="image/webp", size_bytes=10)
    assert any("image/webp" in p for p in provider.validate(PublishRequest(caption="x", media=[webp])))
    mp4 = MediaRef(kind="video", mime_type="video/mp4", size_bytes=10, duration_seconds=30)
    png = MediaRef(kind="image", mime_type="image/png", size_bytes=10)
    assert provider.validate(PublishRequest(caption="x", media=[mp4])) == []
    assert provider.validate(PublishRequest(caption="x", media=[png, png]))
    assert escape_commentary("a(b)#c") == "a\\(b\\)\\#c" and unescape_commentary("a\\(b\\)\\#c") == "a(b)#c"


@pytest.mark.parametrize(
    ("url", "key", "key_type"),
    [
        (
            "https://www.linkedin.com/feed/update/urn:li:activity:7123456789012345678/",
            "urn:li:activity:7123456789012345678",
            "activity",
        ),
        (
            "https://www.linkedin.com/feed/update/urn:li:share:7123456789012345678",
            "urn:li:share:7123456789012345678",
            "urn",
        ),
        (
            "https://www.linkedin.com/feed/update/urn:li:ugcPost:7123456789012345678/?utm_source=share",
            "urn:li:ugcPost:7123456789012345678",
            "urn",
        ),
        (
            "https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7123456789012345678/",
            "urn:li:activity:7123456789012345678",
            "activity",
        ),
        (
            "https://www.linkedin.com/posts/jane-doe_launch-day-activity-7123456789012345678-AbCd/",
            "urn:li:activity:7123456789012345678",
            "activity",
        ),
        (
            "https://www.linkedin.com/posts/jane-doe_launch-activity-7123456789012345678-x_9Z?utm_source=share&rcm=1",
            "urn:li:activity:7123456789012345678",
            "activity",
        ),
        (
            "linkedin.com/posts/acme_news-ugcPost-7123456789012345678-Qq1w",
            "urn:li:ugcPost:7123456789012345678",
            "urn",
        ),
        (
            "https://de.linkedin.com/posts/jane_x-activity-7123456789012345678-abcd",
            "urn:li:activity:7123456789012345678",
            "activity",
        ),
    ],
)
def test_parse_post_url(url, key, key_type):
    ref = LinkedInProvider.parse_post_url(url)
    assert (ref.platform, ref.key, ref.key_type) == ("linkedin", key, key_type)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/in/jane-doe/",
        "https://www.linkedin.com/feed/",
        "https://lnkd.in/abc123",
        "https://x.com/jane/status/123",
        "https://www.linkedin.com/feed/update/urn:li:person:abc/",
        "",
        "not a url",
        "https://evil-linkedin.com/feed/update/urn:li:share:7123456789012345678/",
    ],
)
def test_parse_post_url_rejects(url):
    with pytest.raises(InvalidPostUrl):
        LinkedInProvider.parse_post_url(url)


def test_resolve_activity_url(provider, sandbox):
    creds = creds_for(sandbox)
    post = sandbox.sandbox.posts("linkedin", member(sandbox))[3]
    ref = LinkedInProvider.parse_post_url(
        f"https://www.linkedin.com/posts/ava_x-activity-{post['activity']}-Ab1c/"
    )
    resolved = provider.resolve_post(creds, ref)
    assert resolved.post_id == f"urn:li:{post['urn_type']}:{post['id']}"
    with pytest.raises(NotFound):
        provider.resolve_post(creds, PostRef("linkedin", "urn:li:activity:1234567", "activity"))


def test_api_versions_come_from_settings(monkeypatch):
    """SOCIALHUB_LINKEDIN_VERSION / SOCIALHUB_GRAPH_VERSION choose the versions providers send."""
    from socialhub.config import reset_settings_cache
    from socialhub.providers import get_provider

    monkeypatch.setenv("SOCIALHUB_LINKEDIN_VERSION", "202610")
    monkeypatch.setenv("SOCIALHUB_GRAPH_VERSION", "v24.0")
    reset_settings_cache()
    try:
        linkedin = get_provider("linkedin")
        facebook = get_provider("facebook")
        assert linkedin.API_VERSION == "202610"
        assert facebook.GRAPH_VERSION == "v24.0" and facebook.graph_url("/me").endswith("/v24.0/me")
    finally:
        reset_settings_cache()


def test_default_api_versions_are_current():
    from socialhub.config import DEFAULT_GRAPH_VERSION, DEFAULT_LINKEDIN_VERSION

    assert DEFAULT_GRAPH_VERSION == "v25.0"
    assert DEFAULT_LINKEDIN_VERSION >= "202610"
