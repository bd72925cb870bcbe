"""YouTubeProvider against the sandbox over HTTP: OAuth, reading, resumable upload, quota, URLs."""

from __future__ import annotations

import secrets
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
    OutcomeUnknown,
    PermissionMissing,
    PublishRequest,
    RateLimited,
    TransientError,
)
from socialhub.providers.youtube import YouTubeProvider
from tests.oauth_helpers import consent
from tests.providers.driver import publish

REDIRECT = "https://app.example.com/oauth/youtube/callback"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
KIB256 = 256 * 1024
START = "calls:youtube:POST /upload/youtube/v3/videos"
PUTS = "calls:youtube:PUT /upload/youtube/v3/videos"


def make_provider(sb, **kw) -> YouTubeProvider:
    return YouTubeProvider(
        client_id="sandbox-youtube-client", client_secret="sandbox-youtube-secret", base_url=sb.url, **kw
    )


def creds_for(sb, index: int = 0, scopes: list[str] | None = None) -> Credentials:
    ch = sb.accounts("youtube")[index]
    minted = sb.mint("youtube", ch["id"], scopes=scopes)
    return Credentials(
        access_token=minted["access_token"],
        refresh_token=minted["refresh_token"],
        account_id=ch["id"],
        extra={"uploads_playlist_id": "UU" + ch["id"][2:]},
    )


def counter(sb, name: str) -> int:
    return sb.counters().get(name, 0)


def video(tmp_path, size: int = 600 * 1024) -> MediaRef:
    path = tmp_path / f"v-{secrets.token_hex(3)}.mp4"
    path.write_bytes(MP4 + bytes(size - len(MP4)))
    return MediaRef(kind="video", mime_type="video/mp4", size_bytes=size, path=str(path))


@pytest.fixture
def provider(sandbox):
    p = make_provider(sandbox)
    yield p
    p.close()


@pytest.fixture
def uploader(fresh_sandbox):
    p = make_provider(fresh_sandbox)
    p.upload_chunk_size = KIB256
    yield fresh_sandbox, p
    p.close()


# --- OAuth ------------------------------------------------------------------------------


def test_connect_flow_offline_consent_pkce(sandbox, provider):
    verifier = secrets.token_urlsafe(48)
    url = provider.authorization_url(state="st", redirect_uri=REDIRECT, code_verifier=verifier)
    q = parse_qs(urlsplit(url).query)
    assert (q["access_type"], q["prompt"], q["include_granted_scopes"]) == (
        ["offline"],
        ["consent"],
        ["true"],
    )
    assert q["code_challenge_method"] == ["S256"] and q["scope"] == [" ".join(YouTubeProvider.SCOPES)]
    target = sandbox.accounts("youtube")[1]
    back = consent(url, account_id=target["id"])
    [connected] = provider.connect(code=back["code"], redirect_uri=REDIRECT, code_verifier=verifier)
    account, tokens = connected.account, connected.tokens
    assert (
        account.account_id == target["id"]
        and account.username == "pixeltrails"
        and account.display_name == "Pixel Trails"
    )
    assert account.extra == {"uploads_playlist_id": "UU" + target["id"][2:]}
    assert account.followers and account.posts_count and account.views
    assert tokens.refresh_token.startswith("1//") and tokens.access_token.startswith("ya29.")
    assert timedelta(minutes=58) < tokens.expires_at - datetime.now(UTC) <= timedelta(seconds=3599)


def test_refresh_keeps_the_refresh_token(sandbox, provider):
    creds = creds_for(sandbox)
    fresh = provider.refresh(creds)
    assert fresh.refresh_token == creds.refresh_token and fresh.access_token != creds.access_token
    assert (
        provider.get_account(
            Credentials(access_token=fresh.access_token, account_id=creds.account_id)
        ).account_id
        == creds.account_id
    )


def test_revoked_grant_fails_refresh_and_next_use(sandbox, provider):
    creds = creds_for(sandbox, 2)
    sandbox.control.post(
        "/tokens/revoke", json={"platform": "youtube", "account_id": creds.account_id}
    ).raise_for_status()
    with pytest.raises(AuthExpired):
        provider.get_account(creds)
    with pytest.raises(AuthRevoked) as err:
        provider.refresh(creds)
    assert "expired or revoked" in str(err.value)


def test_disconnect_revokes_the_grant(sandbox, provider):
    creds = creds_for(sandbox, 2)
    assert provider.revoke(creds) is True
    with pytest.raises(AuthExpired):
        provider.list_posts(creds)
    with pytest.raises(AuthRevoked):
        provider.refresh(creds)
    assert provider.revoke(creds) is True  # already gone is fine


def test_channel_with_hidden_subscribers(sandbox, provider):
    info = provider.get_account(creds_for(sandbox, 2))
    assert info.followers is None and info.username == "tinygardenlab"


# --- reading ----------------------------------------------------------------------------


def test_list_posts_pages_through_uploads(sandbox, provider):
    creds = creds_for(sandbox, 1)
    seen, cursor = [], None
    while True:
        page = provider.list_posts(creds, cursor=cursor, limit=20)
        seen += page.posts
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == len({p.post_id for p in seen}) >= 36
    assert all(p.url == f"https://www.youtube.com/watch?v={p.post_id}" and p.created_at for p in seen)
    no_extra = Credentials(access_token=creds.access_token, account_id=creds.account_id)
    assert provider.list_posts(no_extra, limit=5).posts[0].post_id == seen[0].post_id  # looks the playlist up


def test_fetch_metrics_batches_fifty_ids_per_call(sandbox, provider):
    creds = creds_for(sandbox, 0)
    ids = []
    for index in range(3):
        other = creds_for(sandbox, index)
        ids += [p.post_id for p in provider.list_posts(other, limit=50).posts]
    before = counter(sandbox, "calls:youtube:GET /youtube/v3/videos")
    metrics = provider.fetch_metrics(creds, ids)
    assert counter(sandbox, "calls:youtube:GET /youtube/v3/videos") - before == 3 == -(-len(ids) // 50)
    own = [p.post_id for p in provider.list_posts(creds, limit=50).posts]
    assert set(own) <= set(metrics)
    assert any(m.likes is None for m in metrics.values())  # hidden like counts stay unknown, not zero
    assert all(m.views is not None and m.views >= 0 for m in metrics.values())


def test_resolve_post(sandbox, provider):
    creds = creds_for(sandbox)
    post = provider.list_posts(creds, limit=1).posts[0]
    got = provider.resolve_post(creds, YouTubeProvider.parse_post_url(f"https://youtu.be/{post.post_id}?t=3"))
    assert got.post_id == post.post_id and got.caption == post.caption
    with pytest.raises(NotFound):
        provider.resolve_post(creds, YouTubeProvider.parse_post_url("https://youtu.be/zzzzzzzzzzz"))


# --- publishing -------------------------------------------------------------------------


def test_publish_resumable_upload_end_to_end(uploader, tmp_path):
    sb, p = uploader
    creds = creds_for(sb, 1)
    request = PublishRequest(
        caption="First line is the title\nMore words for the description.", media=[video(tmp_path)]
    )
    saved: list[dict] = []
    result = publish(p, creds, request, {}, lambda s: saved.append(dict(s)))
    assert result.status == "published" and result.url == f"https://www.youtube.com/watch?v={result.post_id}"
    assert saved[0]["upload_url"] and "creating_at" not in saved[0]  # the session URI, before any byte
    assert saved[1].keys() - saved[0].keys() == {"creating_at"}  # the marker, before the last chunk
    assert saved[-1]["created"]["post_id"] == result.post_id
    assert counter(sb, PUTS) == 3  # 600 KiB in 256 KiB chunks
    newest = p.list_posts(creds, limit=1).posts[0]
    assert (newest.post_id, newest.caption) == (result.post_id, "First line is the title")
    assert counter(sb, f"published:youtube:{creds.account_id}") == 1
    found = p.find_published(creds, request, datetime.now(UTC) - timedelta(minutes=5))
    assert found is not None and found.post_id == result.post_id
    assert (
        p.find_published(
            creds,
            PublishRequest(caption="not there", media=request.media),
            datetime.now(UTC) - timedelta(minutes=5),
        )
        is None
    )


def test_retry_probes_the_saved_session_and_never_starts_a_second_upload(uploader, tmp_path):
    sb, p = uploader
    creds = creds_for(sb, 0)
    media = video(tmp_path)
    request = PublishRequest(caption="Resumed upload", media=[media])
    steps: dict = {}

    def crash(s: dict) -> None:
        steps.update(s)
        raise RuntimeError("worker died")

    with pytest.raises(RuntimeError):
        publish(p, creds, request, steps, crash)
    with open(media.path, "rb") as fh:
        data = fh.read()
    partial = httpx.put(
        steps["upload_url"],
        content=data[:KIB256],
        headers={
            "Authorization": f"Bearer {creds.access_token}",
            "Content-Range": f"bytes 0-{KIB256 - 1}/{len(data)}",
        },
    )
    assert partial.status_code == 308
    starts, puts = counter(sb, START), counter(sb, PUTS)
    result = publish(p, creds, request, steps, steps.update)
    assert counter(sb, START) == starts  # no second session
    assert counter(sb, PUTS) - puts == 3  # the probe, then the two missing chunks
    assert counter(sb, f"published:youtube:{creds.account_id}") == 1
    assert steps["created"]["post_id"] == result.post_id


def test_after_the_last_chunk_the_outcome_is_unknown_and_the_session_tells(uploader, tmp_path):
    sb, p = uploader
    creds = creds_for(sb, 2)
    request = PublishRequest(caption="Finished but unrecorded", media=[video(tmp_path)])
    stored: dict = {}  # what the job's database holds

    def lose_the_result(s: dict) -> None:
        if "created" in s:
            raise RuntimeError("database down")
        stored.update(s)

    with pytest.raises(RuntimeError):
        publish(p, creds, request, {}, lose_the_result)
    assert "created" not in stored and stored["upload_url"] and stored["creating_at"]
    puts = counter(sb, PUTS)
    steps = dict(stored)
    with pytest.raises(OutcomeUnknown):
        publish(p, creds, request, steps, steps.update)
    assert counter(sb, PUTS) == puts  # nothing sent: the engine reconciles
    found = p.find_published(creds, request, p.marker_time(steps), steps)
    assert counter(sb, PUTS) - puts == 1  # the session probe answered
    assert counter(sb, f"published:youtube:{creds.account_id}") == 1
    assert found is not None and found.post_id == p.list_posts(creds, limit=1).posts[0].post_id


def test_scheduled_publish(uploader, tmp_path):
    sb, p = uploader
    creds = creds_for(sb, 0)
    when = datetime.now(UTC) + timedelta(days=2)
    result = publish(
        p,
        creds,
        PublishRequest(caption="Premieres later", media=[video(tmp_path, 1000)], scheduled_for=when),
        {},
        lambda s: None,
    )
    assert result.status == "scheduled"
    status = httpx.get(
        sb.platform_url("www.googleapis.com", "/youtube/v3/videos"),
        params={"part": "status", "id": result.post_id},
        headers={"Authorization": f"Bearer {creds.access_token}"},
    ).json()["items"][0]["status"]
    assert status["privacyStatus"] == "private" and status["publishAt"].startswith(
        when.strftime("%Y-%m-%dT%H:%M")
    )


def test_a_rejected_file_is_reported_and_not_uploaded_again(uploader, tmp_path):
    sb, p = uploader
    creds = creds_for(sb, 1)
    path = tmp_path / "junk.mp4"
    path.write_bytes(b"definitely not a video" * 10)
    request = PublishRequest(
        caption="junk", media=[MediaRef(kind="video", mime_type="video/mp4", size_bytes=220, path=str(path))]
    )
    steps: dict = {}
    with pytest.raises(InvalidRequest) as err:
        publish(p, creds, request, steps, steps.update)
    assert "invalidFile" in str(err.value)
    starts = counter(sb, START)
    with pytest.raises(InvalidRequest):
        publish(p, creds, request, steps, steps.update)
    assert counter(sb, START) == starts


# --- quota and errors --------------------------------------------------------------------


def test_quota_readings_count_units_and_block_until_pacific_midnight(fresh_sandbox, tmp_path):
    fresh_sandbox.set_config(**{"youtube.quota_units_per_day": 2, "youtube.insert_calls_per_day": 0})
    readings = []
    p = make_provider(fresh_sandbox, quota_sink=lambda platform, r: readings.append(r))
    p.tally = type(p.tally)()  # a private tally for this test
    creds = creds_for(fresh_sandbox)
    p.get_account(creds)
    p.list_posts(creds, limit=1)
    assert [(r.bucket, r.used) for r in readings] == [("default", 1), ("default", 2)]
    assert readings[0].resets_at.hour == 0 and readings[0].resets_at > datetime.now(UTC)
    with pytest.raises(RateLimited) as err:
        p.fetch_metrics(creds, ["abcdefghijk"])
    assert readings[-1].blocked_until == err.value.retry_at and readings[-1].percent == 100.0
    assert err.value.retry_at.astimezone(readings[-1].blocked_until.tzinfo).hour == 0
    assert "midnight Pacific" in str(err.value)
    with pytest.raises(RateLimited):
        publish(
            p, creds, PublishRequest(caption="no quota", media=[video(tmp_path, 1000)]), {}, lambda s: None
        )
    assert readings[-1].bucket == "videos.insert" and readings[-1].blocked_until
    p.close()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("rate_limited", RateLimited),
        ("server_error", TransientError),
        ("malformed", TransientError),
        ("expired_token", AuthExpired),
        ("revoked_token", AuthExpired),
        ("permission_denied", PermissionMissing),
    ],
)
def test_injected_faults_map_to_our_errors(sandbox, provider, fault, error):
    sandbox.fault("youtube", fault, count=1, endpoint="/youtube/v3/channels")
    with pytest.raises(error) as err:
        provider.get_account(creds_for(sandbox))
    assert str(err.value)
    if error is RateLimited:
        assert err.value.retry_at > datetime.now(UTC)


def test_missing_upload_scope_is_a_permission_error(sandbox, provider, tmp_path):
    creds = creds_for(sandbox, 0, scopes=["https://www.googleapis.com/auth/youtube.readonly"])
    with pytest.raises(PermissionMissing):
        publish(
            provider, creds, PublishRequest(caption="x", media=[video(tmp_path, 1000)]), {}, lambda s: None
        )


# --- content limits and URLs ---------------------------------------------------------------


def test_validate_content_limits(provider):
    clip = MediaRef(kind="video", mime_type="video/mp4", size_bytes=1000)
    assert provider.validate(PublishRequest(caption="fine", media=[clip], title="A title")) == []
    assert provider.validate(PublishRequest(caption="é" * 2500, media=[clip])) == []  # 5000 bytes
    assert provider.validate(PublishRequest(caption="é" * 2501, media=[clip]))
    assert provider.validate(PublishRequest(caption="x", media=[clip], title="t" * 101))
    assert provider.validate(PublishRequest(caption="x", media=[clip], title="<b>"))
    assert provider.validate(PublishRequest(caption="a > b", media=[clip]))
    assert provider.validate(PublishRequest(caption="no video"))
    assert provider.validate(
        PublishRequest(caption="x", media=[MediaRef(kind="image", mime_type="image/jpeg", size_bytes=10)])
    )
    assert provider.validate(
        PublishRequest(caption="x", media=[clip], scheduled_for=datetime.now(UTC) - timedelta(hours=1))
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42s",
        "youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?si=abc&t=10",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://youtube.com/shorts/dQw4w9WgXcQ?feature=share",
        "https://www.youtube.com/live/dQw4w9WgXcQ?si=x",
        "https://www.youtube.com/embed/dQw4w9WgXcQ",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&list=PL123",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
    ],
)
def test_parse_post_url_forms(url):
    ref = YouTubeProvider.parse_post_url(url)
    assert (ref.platform, ref.key, ref.key_type) == ("youtube", "dQw4w9WgXcQ", "id")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://www.youtube.com/watch?v=short", "no valid video id"),
        ("https://www.youtube.com/watch", "no valid video id"),
        ("https://youtu.be/", "no valid video id"),
        ("https://www.youtube.com/@northwindkitchen", "channel or playlist"),
        ("https://www.youtube.com/playlist?list=PL123", "channel or playlist"),
        ("https://www.youtube.com/feed/trending", "does not point to a video"),
        ("https://vimeo.com/12345", "not a YouTube link"),
        ("https://www.tiktok.com/@a/video/7233244653738585230", "not a YouTube link"),
    ],
)
def test_parse_post_url_rejects_with_a_clear_message(url, words):
    with pytest.raises(InvalidPostUrl) as err:
        YouTubeProvider.parse_post_url(url)
    assert words in str(err.value)
