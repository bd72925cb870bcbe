"""XProvider end to end against the sandbox over HTTP (no mocks)."""

from __future__ import annotations

import copy
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.common.security import generate_token

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
    StepPending,
    TransientError,
    utcnow,
)
from socialhub.providers.x import XProvider, weighted_length
from tests.oauth_helpers import consent
from tests.providers.driver import publish

REDIRECT = "https://app.example.com/oauth/x/callback"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 500
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2500


def make(sb, **kw) -> XProvider:
    return XProvider(client_id="sandbox-x-client", client_secret="sandbox-x-secret", base_url=sb.url, **kw)


@pytest.fixture
def provider(sandbox):
    p = make(sandbox)
    yield p
    p.close()


def user(sb, index: int = 0) -> dict:
    return sb.accounts("x")[index]


def creds_for(sb, index: int = 0, scopes: list[str] | None = None) -> Credentials:
    u = user(sb, index)
    tok = sb.mint("x", u["id"], scopes)
    return Credentials(
        access_token=tok["access_token"],
        account_id=u["id"],
        refresh_token=tok.get("refresh_token"),
        extra={"username": u["username"]},
    )


def counter_sum(sb, prefix: str) -> int:
    return sum(v for k, v in sb.counters().items() if k.startswith(prefix))


def connect(p: XProvider, index_account: str | None = None):
    verifier = generate_token(48)
    url = p.authorization_url(state="st", redirect_uri=REDIRECT, code_verifier=verifier)
    back = consent(url, account_id=index_account)
    [connected] = p.connect(code=back["code"], redirect_uri=REDIRECT, code_verifier=verifier)
    return url, connected


# --- connect, refresh, revoke ------------------------------------------------------------------------


def test_connect_flow_with_pkce(provider, sandbox):
    url, connected = connect(provider, user(sandbox, 1)["id"])
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/x.com/i/oauth2/authorize"
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["scope"][0].split() == [
        "tweet.read",
        "tweet.write",
        "users.read",
        "offline.access",
        "media.write",
    ]
    account, tokens = connected.account, connected.tokens
    assert account.account_id == user(sandbox, 1)["id"] and account.username == "devon_ships"
    assert account.profile_url == "https://x.com/devon_ships" and account.followers >= 3100
    assert account.extra == {"username": "devon_ships"}
    assert tokens.refresh_token and timedelta(minutes=119) < tokens.expires_at - datetime.now(
        UTC
    ) <= timedelta(hours=2)


def test_connect_needs_the_pkce_verifier(provider):
    verifier = generate_token(48)
    back = consent(provider.authorization_url(state="s", redirect_uri=REDIRECT, code_verifier=verifier))
    with pytest.raises(InvalidRequest):
        provider.connect(code=back["code"], redirect_uri=REDIRECT, code_verifier=generate_token(48))


def test_refresh_rotates_and_old_refresh_token_is_dead(provider, sandbox):
    _, connected = connect(provider)
    creds = Credentials(
        access_token=connected.tokens.access_token,
        account_id=connected.account.account_id,
        refresh_token=connected.tokens.refresh_token,
    )
    fresh = provider.refresh(creds)
    assert fresh.refresh_token and fresh.refresh_token != creds.refresh_token  # must be stored at once
    assert provider.get_account(Credentials(access_token=fresh.access_token, account_id="")).account_id
    with pytest.raises(AuthRevoked):
        provider.refresh(creds)  # the old refresh token was single use
    newer = provider.refresh(
        Credentials(
            access_token=fresh.access_token, account_id=creds.account_id, refresh_token=fresh.refresh_token
        )
    )
    assert newer.refresh_token not in {creds.refresh_token, fresh.refresh_token}


def test_refresh_fails_after_platform_revocation(provider, sandbox):
    creds = creds_for(sandbox, 2)
    sandbox.control.post("/tokens/revoke", json={"platform": "x", "account_id": user(sandbox, 2)["id"]})
    with pytest.raises((AuthExpired, AuthRevoked)):
        provider.get_account(creds)
    with pytest.raises(AuthRevoked):
        provider.refresh(creds)


def test_disconnect_revokes_access_and_refresh(provider, sandbox):
    creds = creds_for(sandbox, 1)
    assert provider.revoke(creds) is True
    with pytest.raises(AuthExpired):
        provider.get_account(creds)
    with pytest.raises(AuthRevoked):
        provider.refresh(creds)


def test_access_token_expires_after_two_hours(fresh_sandbox):
    p = make(fresh_sandbox)
    creds = creds_for(fresh_sandbox)
    fresh_sandbox.advance(7201)
    with pytest.raises(AuthExpired):
        p.list_posts(creds)
    p.close()


# --- reading -----------------------------------------------------------------------------------------


def test_list_posts_pagination(provider, sandbox):
    creds = creds_for(sandbox, 2)
    seen, cursor = [], None
    while True:
        page = provider.list_posts(creds, cursor=cursor, limit=10)
        seen += page.posts
        cursor = page.next_cursor
        if not cursor:
            break
    ids = [p.post_id for p in seen]
    assert len(ids) == len(set(ids)) == len(sandbox.sandbox.posts("x", user(sandbox, 2)["id"]))
    assert seen[0].url == f"https://x.com/tiny_teapot/status/{seen[0].post_id}" and seen[0].created_at


def test_fetch_metrics_batches_of_100(provider, sandbox):
    creds = creds_for(sandbox)
    ids = [p["id"] for i in range(3) for p in sandbox.sandbox.posts("x", user(sandbox, i)["id"])][:130]
    assert len(ids) == 130
    before = sandbox.counters().get("calls:x:GET /2/tweets", 0)
    metrics = provider.fetch_metrics(creds, [*ids, "42"])
    assert sandbox.counters()["calls:x:GET /2/tweets"] - before == 2  # ceil(131 / 100)
    assert set(metrics) == set(ids)  # "42" does not exist
    m = metrics[ids[5]]
    assert m.views and m.likes is not None and m.comments is not None and m.saves is not None
    assert m.shares == m.extra["retweets"] + m.extra["quotes"]


def test_fetch_metrics_private_impressions(fresh_sandbox):
    fresh_sandbox.set_config(**{"x.public_impressions": False})
    p = make(fresh_sandbox)
    creds = creds_for(fresh_sandbox)
    mine = fresh_sandbox.sandbox.posts("x", creds.account_id)[0]["id"]
    theirs = fresh_sandbox.sandbox.posts("x", user(fresh_sandbox, 1)["id"])[0]["id"]
    metrics = p.fetch_metrics(creds, [mine, theirs])
    assert metrics[mine].views and metrics[theirs].views is None and metrics[theirs].likes is not None
    p.close()


# --- publishing ---------------------------------------------------------------------------------------


def test_publish_text_once_with_quota_readings(sandbox):
    readings = []
    p = make(sandbox, quota_sink=lambda platform, r: readings.append((platform, r)))
    creds = creds_for(sandbox, 2)
    uid = creds.account_id
    before = sandbox.counters()
    steps: dict = {}
    result = publish(p, creds, PublishRequest(caption="Typed once, posted once 2718"), steps, lambda s: None)
    assert set(steps) == {"creating_at", "created"} and steps["created"]["post_id"] == result.post_id
    assert result.url == f"https://x.com/tiny_teapot/status/{result.post_id}"
    again = publish(p, creds, PublishRequest(caption="Typed once, posted once 2718"), steps, lambda s: None)
    assert again.post_id == result.post_id
    after = sandbox.counters()
    assert after[f"published:x:{uid}"] - before.get(f"published:x:{uid}", 0) == 1
    assert after.get(f"duplicates:x:{uid}", 0) == before.get(f"duplicates:x:{uid}", 0)
    buckets = {r.bucket: r for platform, r in readings if platform == "x"}
    assert buckets["POST /2/tweets"].limit == 100 and buckets["POST /2/tweets"].used >= 1
    assert (
        buckets["POST /2/tweets (24h app)"].limit == 10000 and buckets["POST /2/tweets (24h user)"].resets_at
    )
    assert all(r.account_key == uid for _, r in readings)
    p.close()


def test_same_text_on_a_new_target_is_refused_not_adopted(provider, sandbox):
    """X's duplicate refusal is an answer, not a sign that the post is ours: the marker is
    cleared and the error reaches the engine (no adopting by text)."""
    creds = creds_for(sandbox, 2)
    caption = "Lost the answer to this one https://example.com/a?b=1 3141"
    publish(provider, creds, PublishRequest(caption=caption), {}, lambda s: None)
    count = sandbox.counters()[f"published:x:{creds.account_id}"]
    steps: dict = {}
    with pytest.raises(InvalidRequest, match="duplicate"):
        publish(provider, creds, PublishRequest(caption=caption), steps, lambda s: None)
    assert steps == {}  # a definite refusal: nothing was created, a retry may send again
    assert sandbox.counters()[f"published:x:{creds.account_id}"] == count


def test_publish_images_resume_without_reuploading(provider, sandbox, tmp_path):
    creds = creds_for(sandbox, 1)
    files = []
    for i in range(2):
        path = tmp_path / f"p{i}.jpg"
        path.write_bytes(JPEG + bytes([i]))
        files.append(MediaRef(kind="image", mime_type="image/jpeg", size_bytes=len(JPEG) + 1, path=str(path)))
    request = PublishRequest(caption="Two photos, one crash 1618", media=files)
    uploads_before = sandbox.counters().get("calls:x:POST /2/media/upload", 0)
    published_before = sandbox.counters().get(f"published:x:{creds.account_id}", 0)
    saved: list[dict] = []
    steps: dict = {}
    sandbox.fault("x", "server_error", count=1, endpoint="/2/tweets")
    with pytest.raises(TransientError):
        publish(provider, creds, request, steps, lambda s: saved.append(dict(s)))
    assert len(steps["media_ids"]) == 2 and "created" not in steps and "creating_at" not in steps
    # each upload recorded before the next, then the marker, then cleared on the 500
    assert [len(s.get("media_ids", [])) for s in saved] == [1, 2, 2, 2]
    assert [bool(s.get("creating_at")) for s in saved] == [False, False, True, False]
    result = publish(provider, creds, request, steps, lambda s: saved.append(dict(s)))
    counters = sandbox.counters()
    assert counters["calls:x:POST /2/media/upload"] - uploads_before == 2
    assert counters[f"published:x:{creds.account_id}"] - published_before == 1
    assert saved[-1]["created"]["post_id"] == result.post_id


def test_publish_chunked_video_waits_for_processing(sandbox, tmp_path):
    p = make(sandbox)
    p.CHUNK_BYTES = 1000
    creds = creds_for(sandbox, 0)
    path = tmp_path / "clip.mp4"
    path.write_bytes(MP4)
    video = MediaRef(
        kind="video", mime_type="video/mp4", size_bytes=len(MP4), duration_seconds=3, path=str(path)
    )
    before = sandbox.counters()
    saved: list[dict] = []
    result = publish(
        p,
        creds,
        PublishRequest(caption="Clip with processing 1414", media=[video]),
        {},
        lambda s: saved.append(copy.deepcopy(s)),
    )  # a real saver serialises at once
    after = sandbox.counters()

    def delta(suffix: str) -> int:
        keys = {k for k in after if k.startswith("calls:x:POST /2/media/upload/") and k.endswith(suffix)}
        return sum(after[k] - before.get(k, 0) for k in keys)

    assert (
        delta("/initialize") == 1 and delta("/append") == 3 and delta("/finalize") == 1
    )  # 2600 bytes / 1000
    assert (
        after["calls:x:GET /2/media/upload"] - before.get("calls:x:GET /2/media/upload", 0) >= 1
    )  # STATUS polls
    uploads = [s["upload"] for s in saved if "upload" in s]
    assert [u["next"] for u in uploads] == [0, 1, 2, 3, 3]  # each segment recorded, then FINALIZE
    assert [bool(u.get("finalized")) for u in uploads] == [False] * 4 + [True]
    assert saved[-1]["created"]["post_id"] == result.post_id and "upload" not in saved[-1]
    p.close()


def test_find_published(provider, sandbox):
    creds = creds_for(sandbox, 0)
    since = datetime.now(UTC) - timedelta(minutes=10)
    caption = "Can you find me? &amp; friends 1123"
    assert provider.find_published(creds, PublishRequest(caption=caption), since) is None
    result = publish(provider, creds, PublishRequest(caption=caption), {}, lambda s: None)
    found = provider.find_published(creds, PublishRequest(caption=caption), since)
    assert found is not None and found.post_id == result.post_id


# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("rate_limited", RateLimited),
        ("server_error", TransientError),
        ("malformed", TransientError),
        ("expired_token", AuthExpired),
        ("revoked_token", AuthExpired),
        ("permission_denied", PermissionMissing),
        ("invalid_request", InvalidRequest),
    ],
)
def test_faults_map_to_errors(provider, sandbox, error, expected):
    sandbox.fault("x", error, count=1, endpoint="/2/users/me")
    with pytest.raises(expected) as info:
        provider.get_account(creds_for(sandbox))
    assert type(info.value) is expected and info.value.message
    if error == "rate_limited":
        assert info.value.retry_at and info.value.retry_at > datetime.now(UTC)


def test_rate_limit_retry_at_from_reset_header(fresh_sandbox):
    fresh_sandbox.set_config(**{"x.tweets_per_15min_user": 1})
    p = make(fresh_sandbox)
    creds = creds_for(fresh_sandbox)
    publish(p, creds, PublishRequest(caption="first in window"), {}, lambda s: None)
    with pytest.raises(RateLimited) as info:
        publish(p, creds, PublishRequest(caption="second in window"), {}, lambda s: None)
    wait = info.value.retry_at - datetime.now(UTC)
    assert timedelta(minutes=14) < wait <= timedelta(minutes=15, seconds=5)
    p.close()


def test_missing_scope_is_permission_missing(provider, sandbox):
    creds = creds_for(sandbox, 1, ["tweet.read", "users.read"])
    with pytest.raises(PermissionMissing, match="tweet.write"):
        publish(provider, creds, PublishRequest(caption="no scope to write 9090"), {}, lambda s: None)


def test_too_long_text_is_invalid(provider, sandbox):
    with pytest.raises(InvalidRequest, match="too long"):
        publish(provider, creds_for(sandbox, 1), PublishRequest(caption="日" * 141), {}, lambda s: None)


# --- limits and URLs -------------------------------------------------------------------------------------


def test_weighted_caption_limits(provider):
    assert provider.caption_length("日本") == 4 and weighted_length("see https://example.com/x") == 27
    assert provider.validate(PublishRequest(caption="a" * 280)) == []
    problems = provider.validate(PublishRequest(caption="日" * 141))
    assert problems and "282" in problems[0] and "weighted" in problems[0]
    img = MediaRef(kind="image", mime_type="image/webp", size_bytes=1000)
    assert provider.validate(PublishRequest(caption="x", media=[img] * 4)) == []
    assert provider.validate(PublishRequest(caption="x", media=[img] * 5))
    big = MediaRef(kind="image", mime_type="image/jpeg", size_bytes=6 * 1024 * 1024)
    assert provider.validate(PublishRequest(caption="x", media=[big]))
    video = MediaRef(kind="video", mime_type="video/mp4", size_bytes=1000, duration_seconds=30)
    assert provider.validate(PublishRequest(caption="x", media=[video])) == []
    assert any("not both" in p for p in provider.validate(PublishRequest(caption="x", media=[video, img])))
    for seconds in (0.3, 141):
        long = MediaRef(kind="video", mime_type="video/mp4", size_bytes=1000, duration_seconds=seconds)
        assert provider.validate(PublishRequest(caption="x", media=[long]))


@pytest.mark.parametrize(
    ("url", "key", "username"),
    [
        ("https://x.com/maya_builds/status/1790000000000000001", "1790000000000000001", "maya_builds"),
        (
            "https://twitter.com/maya_builds/status/1790000000000000001?s=20&t=abc",
            "1790000000000000001",
            "maya_builds",
        ),
        (
            "https://mobile.twitter.com/maya_builds/status/1790000000000000001",
            "1790000000000000001",
            "maya_builds",
        ),
        ("https://x.com/i/web/status/1790000000000000001", "1790000000000000001", None),
        (
            "https://twitter.com/maya_builds/statuses/1790000000000000001",
            "1790000000000000001",
            "maya_builds",
        ),
        (
            "https://x.com/maya_builds/status/1790000000000000001/photo/1",
            "1790000000000000001",
            "maya_builds",
        ),
        ("x.com/maya_builds/status/20", "20", "maya_builds"),
        (
            "https://twitter.com/#!/maya_builds/status/1790000000000000001",
            "1790000000000000001",
            "maya_builds",
        ),
        ("https://www.x.com/maya_builds/status/1790000000000000001/", "1790000000000000001", "maya_builds"),
    ],
)
def test_parse_post_url(url, key, username):
    ref = XProvider.parse_post_url(url)
    assert (ref.platform, ref.key, ref.key_type, ref.username) == ("x", key, "id", username)


@pytest.mark.parametrize(
    "url",
    [
        "https://x.com/maya_builds",
        "https://x.com/maya_builds/status/abc",
        "https://x.com/home",
        "https://www.linkedin.com/feed/update/urn:li:share:1/",
        "https://notx.com/a/status/1",
        "",
        "https://x.com/this_name_is_way_too_long/status/1",
    ],
)
def test_parse_post_url_rejects(url):
    with pytest.raises(InvalidPostUrl):
        XProvider.parse_post_url(url)


def test_resolve_post(provider, sandbox):
    creds = creds_for(sandbox)
    tweet = sandbox.sandbox.posts("x", user(sandbox, 1)["id"])[2]
    ref = XProvider.parse_post_url(f"https://x.com/devon_ships/status/{tweet['id']}")
    post = provider.resolve_post(creds, ref)
    assert post.post_id == tweet["id"] and post.caption == tweet["text"]
    with pytest.raises(NotFound):
        provider.resolve_post(creds, PostRef("x", "1234", "id"))


def test_processing_video_hands_back_pending_and_never_finalizes_twice(fresh_sandbox, tmp_path):
    fresh_sandbox.set_config(**{"x.media_processing_seconds": 600})
    p = make(fresh_sandbox)
    creds = creds_for(fresh_sandbox, 0)
    path = tmp_path / "clip.mp4"
    path.write_bytes(MP4)
    video = MediaRef(
        kind="video", mime_type="video/mp4", size_bytes=len(MP4), duration_seconds=3, path=str(path)
    )
    request = PublishRequest(caption="Long processing 2718", media=[video])
    steps: dict = {}
    started = time.monotonic()
    with pytest.raises(StepPending) as pending:
        p.publish(creds, request, steps, lambda s: None)
    assert time.monotonic() - started < 5 and pending.value.retry_at > utcnow()
    assert steps["upload"]["finalized"] is True and "creating_at" not in steps
    fresh_sandbox.advance(601)
    result = p.publish(creds, request, steps, lambda s: None)
    counters = fresh_sandbox.counters()
    finalizes = sum(
        v for k, v in counters.items() if k.startswith("calls:x:POST") and k.endswith("/finalize")
    )
    assert result.post_id and finalizes == 1
    assert counters["published:x"] == 1
    p.close()


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("🇺🇸", 2),  # a flag is one emoji (was counted 4)
        ("see foo.bar", 27),  # .bar is a real domain ending: a link, 23 (was plain text)
        ("see https://example.com/a/very/long/path/that/is/long", 27),
        ("日本語", 6),
        ("é", 1),
    ],
)
def test_weighted_length_follows_twitter_text(text, weight):
    assert weighted_length(text) == weight
