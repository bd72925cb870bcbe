"""FacebookProvider against the Meta sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

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
    TransientError,
    utcnow,
)
from socialhub.providers.facebook import FacebookProvider
from tests.oauth_helpers import consent
from tests.providers.crash import Crash, Db
from tests.providers.driver import publish
from tests.sandbox.test_meta import JPEG, PAGE1, PAGE2, PAGE3, PAGE4, USER1, serve_media


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    yield from serve_media()


REDIRECT = "https://socialhub.example/oauth/facebook/callback"


def provider(sb, **kw) -> FacebookProvider:
    return FacebookProvider(
        client_id="sandbox-facebook-client", client_secret="sandbox-facebook-secret", base_url=sb.url, **kw
    )


def creds_for(sb, page: str = PAGE1, scopes: list[str] | None = None) -> Credentials:
    minted = sb.mint("facebook", page, scopes=scopes)
    return Credentials(access_token=minted["access_token"], account_id=page, extra={"page_id": page})


def noop(steps: dict) -> None:
    return None


# --- connecting and tokens ----------------------------------------------------------------------


def test_connect_gives_one_account_per_page_with_page_tokens(sandbox):
    p = provider(sandbox)
    url = p.authorization_url(state="st", redirect_uri=REDIRECT, code_verifier=None)
    got = consent(url, account_id=USER1)
    accounts = p.connect(code=got["code"], redirect_uri=REDIRECT, code_verifier=None)
    assert [a.account.account_id for a in accounts] == [PAGE1, PAGE2]
    first = accounts[0]
    assert first.account.display_name == "Maya Bakes" and first.account.followers > 30000
    assert first.account.extra == {"page_id": PAGE1, "graph_version": "v25.0"}
    assert first.tokens.expires_at is None and first.tokens.refresh_token is None
    assert "pages_manage_posts" in first.tokens.scopes
    assert accounts[0].tokens.access_token != accounts[1].tokens.access_token
    creds = Credentials(access_token=first.tokens.access_token, account_id=PAGE1, extra=first.account.extra)
    assert p.get_account(creds).username == "mayabakes"


def test_connect_without_pages_says_so(sandbox):
    p = provider(sandbox)
    url = p.authorization_url(state="s", redirect_uri=REDIRECT, code_verifier=None).replace(
        "pages_show_list", "public_profile"
    )
    got = consent(url, account_id=USER1)
    with pytest.raises(PermissionMissing, match="No Facebook Page"):
        p.connect(code=got["code"], redirect_uri=REDIRECT, code_verifier=None)


def test_refresh_keeps_the_page_token(fresh_sandbox):
    p, creds = provider(fresh_sandbox), creds_for(fresh_sandbox)
    fresh_sandbox.advance(90 * 86400)  # page tokens do not expire
    tokens = p.refresh(creds)
    assert tokens.access_token == creds.access_token and tokens.expires_at is None


def test_refresh_reports_a_dead_token(sandbox):
    p = provider(sandbox)
    revoked = creds_for(sandbox, PAGE4)
    sandbox.control.post(
        "/tokens/revoke", json={"platform": "facebook", "account_id": PAGE4}
    ).raise_for_status()
    with pytest.raises(AuthRevoked):
        p.refresh(revoked)
    expired = creds_for(sandbox, PAGE4)
    sandbox.control.post("/tokens/expire", json={"token": expired.access_token}).raise_for_status()
    with pytest.raises(AuthExpired):
        p.refresh(expired)


def test_disconnect_deauthorizes(sandbox):
    p, creds = provider(sandbox), creds_for(sandbox, PAGE3)
    assert p.revoke(creds) is True
    with pytest.raises(AuthRevoked):
        p.get_account(creds)


# --- reading -----------------------------------------------------------------------------------


def test_list_posts_pagination(sandbox):
    p, creds = provider(sandbox), creds_for(sandbox, PAGE4)
    seen, cursor = [], None
    for _ in range(10):
        page = p.list_posts(creds, cursor=cursor, limit=10)
        seen += page.posts
        cursor = page.next_cursor
        if not cursor:
            break
    assert len({s.post_id for s in seen}) == 24 and all(s.url and s.caption for s in seen)


def test_fetch_metrics_batches(sandbox):
    p, creds = provider(sandbox), creds_for(sandbox, PAGE1)
    ids = [s.post_id for s in p.list_posts(creds, limit=100).posts]
    assert len(ids) == 60
    before = sandbox.counters().get("calls:facebook:GET /v25.0/", 0)
    metrics = p.fetch_metrics(creds, ids)
    assert sandbox.counters()["calls:facebook:GET /v25.0/"] - before == 2
    assert set(metrics) == set(ids)
    m = metrics[ids[5]]
    assert m.views >= m.reach > 0 and m.likes > 0 and m.comments >= 0 and m.shares >= 0


def test_quota_readings_for_page_tokens(sandbox):
    got = []
    p = provider(sandbox, quota_sink=lambda platform, r: got.append(r))
    p.get_account(creds_for(sandbox, PAGE2))
    assert got[0].bucket == "buc:pages" and got[0].account_key == PAGE2 and got[0].percent is not None


# --- publishing --------------------------------------------------------------------------------------


def test_publish_text_post(fresh_sandbox):
    p, creds = provider(fresh_sandbox), creds_for(fresh_sandbox)
    steps: dict = {}
    result = publish(p, creds, PublishRequest(caption="Hello from SocialHub"), steps, noop)
    assert (
        result.status == "published"
        and result.post_id.startswith(f"{PAGE1}_")
        and "/posts/pfbid" in result.url
    )
    assert set(steps) == {"creating_at", "created"}
    assert steps["created"] == {"status": "published", "post_id": result.post_id, "url": result.url}
    assert fresh_sandbox.counters()[f"published:facebook:{PAGE1}"] == 1
    again = publish(p, creds, PublishRequest(caption="Hello from SocialHub"), steps, noop)
    assert again.post_id == result.post_id
    counters = fresh_sandbox.counters()
    assert (
        counters[f"published:facebook:{PAGE1}"] == 1
        and counters[f"calls:facebook:POST /v25.0/{PAGE1}/feed"] == 1
    )


def test_publish_scheduled(fresh_sandbox):
    p, creds = provider(fresh_sandbox), creds_for(fresh_sandbox)
    when = fresh_sandbox.sandbox.now() + timedelta(hours=2)
    result = publish(p, creds, PublishRequest(caption="Later today", scheduled_for=when), {}, noop)
    assert result.status == "scheduled"
    assert result.post_id not in {s.post_id for s in p.list_posts(creds, limit=100).posts}
    found = p.find_published(creds, PublishRequest(caption="Later today", scheduled_for=when), utcnow())
    assert found is not None and found.post_id == result.post_id
    with pytest.raises(InvalidRequest, match="10 minutes"):
        publish(
            p, creds, PublishRequest(caption="too soon", scheduled_for=fresh_sandbox.sandbox.now()), {}, noop
        )


def test_publish_photo_video_and_album(fresh_sandbox, media_server, tmp_path: Path):
    p, creds = provider(fresh_sandbox), creds_for(fresh_sandbox)
    photo = MediaRef(kind="image", mime_type="image/jpeg", size_bytes=2000, url=f"{media_server}/photo.jpg")
    one = publish(p, creds, PublishRequest(caption="photo", media=[photo]), {}, noop)
    local = tmp_path / "local.jpg"
    local.write_bytes(JPEG)
    uploaded = publish(
        p,
        creds,
        PublishRequest(
            caption="upload",
            media=[MediaRef(kind="image", mime_type="image/jpeg", size_bytes=len(JPEG), path=str(local))],
        ),
        {},
        noop,
    )
    video = publish(
        p,
        creds,
        PublishRequest(
            caption="video",
            title="Clip",
            media=[
                MediaRef(kind="video", mime_type="video/mp4", size_bytes=500, url=f"{media_server}/clip.mp4")
            ],
        ),
        {},
        noop,
    )
    steps: dict = {}
    album = publish(p, creds, PublishRequest(caption="album", media=[photo, photo]), steps, noop)
    assert len(steps["photo_ids"]) == 2
    listed = {s.post_id for s in p.list_posts(creds, limit=100).posts}
    assert {one.post_id, uploaded.post_id, video.post_id, album.post_id} <= listed
    counters = fresh_sandbox.counters()
    assert counters[f"published:facebook:{PAGE1}"] == 4
    assert counters[f"calls:facebook:POST /v25.0/{PAGE1}/videos"] == 1


def test_album_resumes_after_recorded_photos(fresh_sandbox, media_server):
    p, creds = provider(fresh_sandbox), creds_for(fresh_sandbox)
    photo = MediaRef(kind="image", mime_type="image/jpeg", size_bytes=2000, url=f"{media_server}/photo.jpg")
    first = p._upload(creds, f"/{PAGE1}/photos", photo, {"published": "false"}, "url")["id"]
    steps = {"photo_ids": [first]}
    publish(p, creds, PublishRequest(caption="resumed album", media=[photo, photo]), steps, noop)
    assert fresh_sandbox.counters()[f"calls:facebook:POST /v25.0/{PAGE1}/photos"] == 2


def _video(media_server: str) -> MediaRef:
    return MediaRef(kind="video", mime_type="video/mp4", size_bytes=500, url=f"{media_server}/clip.mp4")


def test_video_retry_after_a_crash_never_uploads_again(fresh_sandbox, media_server):
    """The reproduced bug: the worker dies right after Facebook took the video; the retry used
    to upload and post it again (published=2, duplicates=1)."""
    p, creds = provider(fresh_sandbox), creds_for(fresh_sandbox)
    videos = f"calls:facebook:POST /v25.0/{PAGE1}/videos"
    request = PublishRequest(caption="Uploaded once, whatever happens", media=[_video(media_server)])
    # The first save after Facebook answered the upload dies, whatever it is called.
    db = Db(crash=lambda s: fresh_sandbox.counters().get(videos, 0) >= 1)
    with pytest.raises(Crash):
        publish(p, creds, request, {}, db)
    retry = db.kept
    with pytest.raises(OutcomeUnknown):
        publish(p, creds, request, retry, db)
    found = p.find_published(creds, request, p.marker_time(retry), retry)
    counters = fresh_sandbox.counters()
    assert counters[videos] == 1
    assert counters[f"published:facebook:{PAGE1}"] == 1
    assert counters.get(f"duplicates:facebook:{PAGE1}", 0) == 0
    assert found is not None and found.caption == request.caption


def test_video_retry_after_the_upload_was_recorded_reads_it_back(fresh_sandbox, media_server):
    """The upload's answer was saved, then the worker died reading the post id: the retry
    reads the saved video back instead of uploading again."""
    p, creds = provider(fresh_sandbox), creds_for(fresh_sandbox)
    request = PublishRequest(caption="Read back, not re-sent", media=[_video(media_server)])
    db = Db(crash=lambda s: (s.get("created") or {}).get("status") == "published")
    with pytest.raises(Crash):
        publish(p, creds, request, {}, db)
    retry = db.kept
    assert retry["video_id"] and retry["created"]["status"] == "created"
    found = p.find_published(creds, request, p.marker_time(retry), retry)  # from the saved video id
    result = publish(p, creds, request, retry, db)
    assert found is not None and found.post_id == result.post_id and found.caption == request.caption
    counters = fresh_sandbox.counters()
    assert counters[f"calls:facebook:POST /v25.0/{PAGE1}/videos"] == 1
    assert counters[f"published:facebook:{PAGE1}"] == 1
    assert result.post_id.startswith(f"{PAGE1}_") and db.kept["created"]["post_id"] == result.post_id


def test_find_published_by_caption(fresh_sandbox):
    p, creds = provider(fresh_sandbox), creds_for(fresh_sandbox)
    since = utcnow() - timedelta(minutes=1)
    done = publish(p, creds, PublishRequest(caption="Where did it go?"), {}, noop)
    assert p.find_published(creds, PublishRequest(caption="Where did it go?"), since).post_id == done.post_id
    assert p.find_published(creds, PublishRequest(caption="not there"), since) is None


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
    p, creds = provider(sandbox), creds_for(sandbox, PAGE2)
    sandbox.fault("facebook", fault, count=1)
    with pytest.raises(error) as info:
        p.list_posts(creds)
    assert info.value.platform == "facebook"
    if fault == "rate_limited":
        assert info.value.retry_at is not None and info.value.retry_at > utcnow()


def test_user_token_cannot_publish(sandbox):
    minted = sandbox.mint("facebook", PAGE2)
    creds = Credentials(access_token=minted["user_access_token"], account_id=PAGE2, extra={"page_id": PAGE2})
    with pytest.raises(PermissionMissing):
        publish(provider(sandbox), creds, PublishRequest(caption="x"), {}, noop)


def test_validate_content_limits(sandbox):
    p = provider(sandbox)
    assert p.validate(PublishRequest(caption="x" * 63206)) == []
    assert any("63206" in s for s in p.validate(PublishRequest(caption="x" * 63207)))
    png = MediaRef(kind="image", mime_type="image/png", size_bytes=10, url="http://x/a.png")
    webp = MediaRef(kind="image", mime_type="image/webp", size_bytes=10, url="http://x/a.webp")
    mov = MediaRef(kind="video", mime_type="video/quicktime", size_bytes=10, url="http://x/a.mov")
    assert p.validate(PublishRequest(caption="c", media=[png])) == []
    assert p.validate(PublishRequest(caption="c", media=[mov])) == []
    assert p.validate(PublishRequest(caption="c", media=[webp]))


# --- pasted URLs ------------------------------------------------------------------------------------


def test_resolve_pfbid_numeric_photo_and_video(fresh_sandbox, media_server):
    p, creds = provider(fresh_sandbox), creds_for(fresh_sandbox)
    target = p.list_posts(creds, limit=100).posts[33]
    ref = FacebookProvider.parse_post_url(target.url)
    assert ref.key_type == "pfbid"
    assert p.resolve_post(creds, ref).post_id == target.post_id
    numeric = target.post_id.split("_")[1]
    by_id = p.resolve_post(
        creds, FacebookProvider.parse_post_url(f"https://www.facebook.com/mayabakes/posts/{numeric}")
    )
    assert by_id.post_id == target.post_id
    story = FacebookProvider.parse_post_url(
        f"https://www.facebook.com/permalink.php?story_fbid={numeric}&id={PAGE1}"
    )
    assert p.resolve_post(creds, story).post_id == target.post_id
    video = publish(
        p,
        creds,
        PublishRequest(
            caption="v",
            media=[
                MediaRef(kind="video", mime_type="video/mp4", size_bytes=5, url=f"{media_server}/clip.mp4")
            ],
        ),
        {},
        noop,
    )
    video_id = fresh_sandbox.sandbox.post("facebook", video.post_id)["object_id"]
    for url in (f"https://www.facebook.com/watch/?v={video_id}", f"https://www.facebook.com/reel/{video_id}"):
        assert p.resolve_post(creds, FacebookProvider.parse_post_url(url)).post_id == video.post_id
    photo = publish(
        p,
        creds,
        PublishRequest(
            caption="p",
            media=[
                MediaRef(kind="image", mime_type="image/jpeg", size_bytes=5, url=f"{media_server}/photo.jpg")
            ],
        ),
        {},
        noop,
    )
    photo_id = fresh_sandbox.sandbox.post("facebook", photo.post_id)["object_id"]
    ref = FacebookProvider.parse_post_url(f"https://www.facebook.com/photo/?fbid={photo_id}&set=a.1")
    assert p.resolve_post(creds, ref).post_id == photo.post_id
    with pytest.raises(NotFound):
        p.resolve_post(creds, PostRef(platform="facebook", key="pfbid0nothere", key_type="pfbid"))
