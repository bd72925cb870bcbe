"""InstagramProvider against the Meta sandbox over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from socialhub.providers.base import (
    AuthExpired,
    AuthRevoked,
    Credentials,
    InvalidRequest,
    MediaRef,
    NotFound,
    OutcomeUnknown,
    PermissionMissing,
    PostRef,
    PublishRequest,
    RateLimited,
    StepPending,
    TransientError,
    utcnow,
)
from socialhub.providers.instagram import InstagramProvider
from tests.oauth_helpers import consent
from tests.providers.driver import publish
from tests.sandbox.test_meta import IG1, IG3, IG4, PAGE1, USER1, USER3, serve_media


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    yield from serve_media()


REDIRECT = "https://socialhub.example/oauth/instagram/callback"


def provider(sb, **kw) -> InstagramProvider:
    kw = {"poll_interval": 0.05, **kw}
    return InstagramProvider(
        client_id="sandbox-instagram-client", client_secret="sandbox-instagram-secret", base_url=sb.url, **kw
    )


def creds_for(sb, ig: str = IG1, scopes: list[str] | None = None) -> Credentials:
    minted = sb.mint("instagram", ig, scopes=scopes)
    return Credentials(access_token=minted["access_token"], account_id=ig, extra={"ig_user_id": ig})


def connect(sb, user: str) -> list:
    p = provider(sb)
    url = p.authorization_url(state="xyz", redirect_uri=REDIRECT, code_verifier=None)
    got = consent(url, account_id=user)
    assert got["state"] == "xyz"
    return p.connect(code=got["code"], redirect_uri=REDIRECT, code_verifier=None)


def image(sb_media: str, name: str = "photo.jpg") -> MediaRef:
    return MediaRef(kind="image", mime_type="image/jpeg", size_bytes=2000, url=f"{sb_media}/{name}")


# --- connecting and tokens ----------------------------------------------------------------------


def test_authorization_url_asks_facebook_login_for_instagram_scopes(sandbox):
    url = httpx.URL(provider(sandbox).authorization_url(state="s", redirect_uri=REDIRECT, code_verifier=None))
    assert url.path == "/www.facebook.com/v25.0/dialog/oauth"
    assert url.params["scope"].split(",")[:2] == ["instagram_basic", "instagram_content_publish"]
    assert url.params["response_type"] == "code" and url.params["client_id"] == "sandbox-instagram-client"


def test_connect_gives_one_account_per_linked_instagram_account(sandbox):
    accounts = connect(sandbox, USER1)
    assert [a.account.account_id for a in accounts] == [IG1]
    acct = accounts[0]
    assert acct.account.username == "maya.bakes" and acct.account.followers > 50000
    assert acct.account.extra == {"ig_user_id": IG1, "page_id": PAGE1, "graph_version": "v25.0"}
    assert acct.account.profile_url == "https://www.instagram.com/maya.bakes/"
    assert acct.tokens.refresh_token is None and "instagram_content_publish" in acct.tokens.scopes
    assert timedelta(days=59) < acct.tokens.expires_at - utcnow() < timedelta(days=61)
    two = connect(sandbox, USER3)
    assert {a.account.account_id for a in two} == {IG3, IG4}
    assert len({a.tokens.access_token for a in two}) == 1  # one user token serves both


def test_connect_without_instagram_permission_says_so(sandbox):
    p = provider(sandbox)
    url = p.authorization_url(state="s", redirect_uri=REDIRECT, code_verifier=None).replace(
        "pages_show_list", "public_profile"
    )
    got = consent(url, account_id=USER1)
    with pytest.raises(PermissionMissing, match="No Instagram professional account"):
        p.connect(code=got["code"], redirect_uri=REDIRECT, code_verifier=None)


def test_refresh_renews_the_long_lived_token(fresh_sandbox):
    p = provider(fresh_sandbox)
    creds = creds_for(fresh_sandbox)
    fresh_sandbox.advance(50 * 86400)
    renewed = p.refresh(creds)
    assert renewed.access_token != creds.access_token and renewed.refresh_token is None
    assert "instagram_content_publish" in renewed.scopes
    fresh_sandbox.advance(20 * 86400)  # past the old token's 60 days, inside the new one's
    creds.access_token = renewed.access_token
    assert p.get_account(creds).account_id == IG1


def test_refresh_fails_once_expired_or_revoked(sandbox):
    p = provider(sandbox)
    expired = creds_for(sandbox, IG4)
    sandbox.control.post("/tokens/expire", json={"token": expired.access_token}).raise_for_status()
    with pytest.raises(AuthExpired):
        p.refresh(expired)
    revoked = creds_for(sandbox, IG4)
    sandbox.control.post("/tokens/revoke", json={"token": revoked.access_token}).raise_for_status()
    with pytest.raises(AuthRevoked):
        p.refresh(revoked)


def test_revocation_by_the_platform_is_detected(sandbox):
    p = provider(sandbox)
    creds = creds_for(sandbox, IG3)
    assert p.get_account(creds).username == "lena.studio"
    sandbox.control.post(
        "/tokens/revoke", json={"platform": "instagram", "account_id": IG3}
    ).raise_for_status()
    with pytest.raises(AuthRevoked):
        p.get_account(creds)


def test_disconnect_revokes_at_meta(sandbox):
    p = provider(sandbox)
    creds = creds_for(sandbox, IG3)
    assert p.revoke(creds) is True
    with pytest.raises(AuthRevoked):
        p.list_posts(creds)


# --- reading -----------------------------------------------------------------------------------


def test_get_account(sandbox):
    info = provider(sandbox).get_account(creds_for(sandbox, IG3))
    assert info.account_id == IG3 and info.posts_count == 30 and info.followers > 2000 and info.following > 0


def test_list_posts_pages_through_everything(sandbox):
    p, creds = provider(sandbox), creds_for(sandbox, IG3)
    seen, cursor, pages = [], None, 0
    while True:
        page = p.list_posts(creds, cursor=cursor, limit=8)
        pages += 1
        seen += page.posts
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert pages == 4 and len({m.post_id for m in seen}) == 30
    assert all(m.url.startswith("https://www.instagram.com/") and m.created_at for m in seen)
    assert seen[0].created_at > seen[-1].created_at


def test_fetch_metrics_batches_50_ids_per_call(sandbox):
    p, creds = provider(sandbox), creds_for(sandbox, IG1)
    ids = [m.post_id for m in p.list_posts(creds, limit=100).posts]
    assert len(ids) == 64
    before = sandbox.counters().get("calls:instagram:GET /v25.0/", 0)
    metrics = p.fetch_metrics(creds, ids)
    assert sandbox.counters()["calls:instagram:GET /v25.0/"] - before == 2
    assert set(metrics) == set(ids)
    one = metrics[ids[0]]
    assert one.views >= one.reach > 0 and one.likes > 0 and one.saves is not None and one.shares is not None


def test_quota_readings_come_from_buc_header(sandbox):
    readings = []
    p = provider(sandbox, quota_sink=lambda platform, r: readings.append((platform, r)))
    p.get_account(creds_for(sandbox, IG3))
    assert readings and readings[0][0] == "instagram"
    assert readings[0][1].bucket == "buc:instagram" and readings[0][1].account_key == IG3


# --- publishing --------------------------------------------------------------------------------------


@pytest.fixture
def pub(fresh_sandbox):
    fresh_sandbox.set_config(**{"instagram.container_processing_seconds": 0.3})
    return fresh_sandbox


def test_publish_image_end_to_end(pub, media_server):
    p, creds = provider(pub), creds_for(pub)
    saved = []
    result = publish(
        p,
        creds,
        PublishRequest(caption="Sourdough day", media=[image(media_server)]),
        {},
        lambda s: saved.append(dict(s)),
    )
    assert result.status == "published" and result.url.startswith("https://www.instagram.com/p/")
    assert saved[0].keys() == {"container_id"}  # the container is recorded before it is published
    assert saved[1].keys() == {"container_id", "creating_at"}  # the marker, before media_publish
    assert saved[-1]["created"] == {"status": "published", "post_id": result.post_id, "url": result.url}
    counters = pub.counters()
    assert counters[f"published:instagram:{IG1}"] == 1 and counters.get(f"duplicates:instagram:{IG1}", 0) == 0
    assert counters[f"calls:instagram:POST /v25.0/{IG1}/media"] == 1


def test_publish_reel_and_carousel(pub, media_server):
    p, creds = provider(pub), creds_for(pub)
    reel = publish(
        p,
        creds,
        PublishRequest(
            caption="reel",
            media=[
                MediaRef(
                    kind="video",
                    mime_type="video/mp4",
                    size_bytes=500,
                    url=f"{media_server}/clip.mp4",
                    duration_seconds=12,
                )
            ],
        ),
        {},
        lambda s: None,
    )
    assert "/reel/" in reel.url
    steps: dict = {}
    album = publish(
        p,
        creds,
        PublishRequest(caption="album", media=[image(media_server), image(media_server, "photo2.jpg")]),
        steps,
        lambda s: None,
    )
    assert len(steps["children"]) == 2 and steps["created"]["post_id"] == album.post_id
    assert pub.counters()[f"published:instagram:{IG1}"] == 2


def test_publish_resumes_from_recorded_container(pub, media_server):
    p, creds = provider(pub), creds_for(pub)
    container = p._post_container(
        creds, IG1, {"image_url": f"{media_server}/photo.jpg", "caption": "resume me"}
    )
    steps = {"container_id": container}
    result = publish(
        p, creds, PublishRequest(caption="resume me", media=[image(media_server)]), steps, lambda s: None
    )
    counters = pub.counters()
    assert counters[f"calls:instagram:POST /v25.0/{IG1}/media"] == 1  # no second container
    assert counters[f"published:instagram:{IG1}"] == 1 and steps["created"]["post_id"] == result.post_id
    again = publish(
        p, creds, PublishRequest(caption="resume me", media=[image(media_server)]), steps, lambda s: None
    )
    assert again.post_id == result.post_id
    assert pub.counters()[f"calls:instagram:POST /v25.0/{IG1}/media_publish"] == 1


def test_publish_after_lost_answer_is_unknown_and_found_not_resent(pub, media_server):
    p, creds = provider(pub), creds_for(pub)
    request = PublishRequest(caption="lost answer", media=[image(media_server)])
    steps: dict = {}
    first = publish(p, creds, request, steps, lambda s: None)
    # The write of the result was lost: the database holds the container and the marker only.
    retry = {"container_id": steps["container_id"], "creating_at": steps["creating_at"]}
    with pytest.raises(OutcomeUnknown):
        publish(p, creds, request, retry, lambda s: None)
    found = p.find_published(creds, request, p.marker_time(retry), retry)
    assert found is not None and found.post_id == first.post_id
    assert pub.counters()[f"published:instagram:{IG1}"] == 1
    assert pub.counters()[f"calls:instagram:POST /v25.0/{IG1}/media_publish"] == 1


def test_processing_container_is_pending_without_sleeping_and_resumes(fresh_sandbox, media_server):
    fresh_sandbox.set_config(**{"instagram.container_processing_seconds": 3600})
    p = provider(fresh_sandbox, poll_interval=30)
    creds, steps = creds_for(fresh_sandbox), {}
    started = time.monotonic()
    with pytest.raises(StepPending, match="still processing") as pending:
        p.publish(creds, PublishRequest(caption="slow", media=[image(media_server)]), steps, lambda s: None)
    assert time.monotonic() - started < 5, "the provider waited instead of handing back"
    assert 25 <= (pending.value.retry_at - utcnow()).total_seconds() <= 31
    assert "container_id" in steps and "creating_at" not in steps and "created" not in steps
    fresh_sandbox.advance(3601)
    result = publish(
        p, creds, PublishRequest(caption="slow", media=[image(media_server)]), steps, lambda s: None
    )
    assert result.post_id and fresh_sandbox.counters()[f"calls:instagram:POST /v25.0/{IG1}/media"] == 1


@pytest.mark.parametrize(("name", "match"), [("missing.jpg", "could not be fetched"), ("photo.png", "JPEG")])
def test_publish_bad_media_is_an_invalid_request(pub, media_server, name, match):
    p, creds = provider(pub), creds_for(pub)
    with pytest.raises(InvalidRequest, match=match):
        publish(
            p, creds, PublishRequest(caption="bad", media=[image(media_server, name)]), {}, lambda s: None
        )
    assert pub.counters().get(f"published:instagram:{IG1}", 0) == 0


def test_publish_quota_is_rate_limited(pub, media_server):
    pub.set_config(**{"instagram.publish_quota_total": 1})
    p, creds = provider(pub), creds_for(pub)
    publish(p, creds, PublishRequest(caption="one", media=[image(media_server)]), {}, lambda s: None)
    with pytest.raises(RateLimited) as info:
        publish(p, creds, PublishRequest(caption="two", media=[image(media_server)]), {}, lambda s: None)
    assert info.value.retry_at is not None


def test_spent_publishing_quota_is_seen_before_any_upload(pub, media_server):
    """content_publishing_limit is read first: with the window spent no container is made
    (containers have a cap of their own), and the limit does not stop other calls."""
    readings: list = []
    p, creds = provider(pub, quota_sink=lambda platform, r: readings.append(r)), creds_for(pub)
    pub.set_config(**{"instagram.publish_quota_total": 1})
    publish(p, creds, PublishRequest(caption="one", media=[image(media_server)]), {}, lambda s: None)
    first = [r for r in readings if r.bucket == "content_publishing"]
    assert [(r.used, r.limit, r.account_key) for r in first] == [(0, 1, IG1)]
    containers = pub.counters()[f"calls:instagram:POST /v25.0/{IG1}/media"]
    steps: dict = {}
    with pytest.raises(RateLimited, match="1 posts through its API per 24 hours") as info:
        p.publish(creds, PublishRequest(caption="two", media=[image(media_server)]), steps, lambda s: None)
    assert info.value.closes_gate is False and info.value.retry_at > utcnow() + timedelta(minutes=59)
    assert pub.counters()[f"calls:instagram:POST /v25.0/{IG1}/media"] == containers
    assert steps == {} and readings[-1].used == 1 and readings[-1].percent == 100.0
    assert p.get_account(creds).account_id == IG1


def test_find_published(pub, media_server):
    p, creds = provider(pub), creds_for(pub)
    since = utcnow() - timedelta(minutes=1)
    done = publish(
        p, creds, PublishRequest(caption="find me", media=[image(media_server)]), {}, lambda s: None
    )
    found = p.find_published(creds, PublishRequest(caption="find me  "), since)
    assert found is not None and found.post_id == done.post_id
    assert p.find_published(creds, PublishRequest(caption="never posted"), since) is None


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error"),
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
def test_injected_faults_map_to_provider_errors(sandbox, fault, error):
    p, creds = provider(sandbox), creds_for(sandbox, IG4)
    sandbox.fault("instagram", fault, count=1)
    with pytest.raises(error) as info:
        p.get_account(creds)
    assert info.value.platform == "instagram" and str(info.value)
    if fault == "rate_limited":
        assert timedelta(minutes=9) < info.value.retry_at - utcnow() <= timedelta(minutes=10)


def test_real_rate_limit_gives_retry_time(fresh_sandbox):
    fresh_sandbox.set_config(**{"instagram.calls_per_hour": 1})
    p, creds = provider(fresh_sandbox), creds_for(fresh_sandbox, IG3)
    p.get_account(creds)
    with pytest.raises(RateLimited) as info:
        p.get_account(creds)
    assert info.value.code == 80002 and info.value.retry_at > utcnow() + timedelta(minutes=50)


def test_validate_content_limits(sandbox):
    p = provider(sandbox)
    assert p.validate(PublishRequest(caption="ok", media=[image("http://x")])) == []
    problems = p.validate(PublishRequest(caption="x" * 2201, media=[]))
    assert any("2200" in s for s in problems) and any("photo or video" in s for s in problems)
    png = MediaRef(kind="image", mime_type="image/png", size_bytes=10, url="http://x/a.png")
    big = MediaRef(kind="image", mime_type="image/jpeg", size_bytes=9 * 1024 * 1024, url="http://x/a.jpg")
    short = MediaRef(
        kind="video", mime_type="video/mp4", size_bytes=10, url="http://x/a.mp4", duration_seconds=2
    )
    long = MediaRef(
        kind="video",
        mime_type="video/quicktime",
        size_bytes=10,
        url="http://x/a.mov",
        duration_seconds=16 * 60,
    )
    for media, text in ((png, "image/jpeg"), (big, "8 MB"), (short, "at least 3"), (long, "at most 900")):
        assert any(text in s for s in p.validate(PublishRequest(caption="c", media=[media]))), text
    assert len(p.validate(PublishRequest(caption="c", media=[image("http://x")] * 11))) == 1


# --- pasted URLs ------------------------------------------------------------------------------------


def test_resolve_post_by_shortcode(sandbox):
    p, creds = provider(sandbox), creds_for(sandbox, IG3)
    target = p.list_posts(creds, limit=100).posts[17]
    ref = InstagramProvider.parse_post_url(target.url + "?igsh=abc")
    found = p.resolve_post(creds, ref)
    assert found.post_id == target.post_id and found.url == target.url
    with pytest.raises(NotFound):
        p.resolve_post(creds, PostRef(platform="instagram", key="CAAAAAAAAAA", key_type="shortcode"))
