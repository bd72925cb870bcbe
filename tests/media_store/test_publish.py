"""Publishing with media in S3: a worker on another machine (an empty data directory) uploads
from the bucket, platforms that pull fetch through the app or a presigned URL, and the grant
is checked before the store is touched."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from socialhub.config import reset_settings_cache
from socialhub.db import session_scope
from socialhub.models import MediaGrant, PostTarget, utcnow
from socialhub.models import TargetStatus as S
from socialhub.services import engine, media, publishing
from tests.media_store.conftest import become_worker_elsewhere
from tests.publishing.conftest import connected_account, run_until_settled


def _post(db, conn, media_id: int, *, at=None) -> PostTarget:
    post = publishing.create_post(
        db,
        user_id=conn.user_id,
        caption=f"From the bucket to {conn.platform} 4417",
        connection_ids=[conn.id],
        media_ids=[media_id],
        at=at,
    )
    db.commit()
    return db.exec(select(PostTarget).where(PostTarget.post_id == post.id)).one()


def _target(target_id: int) -> PostTarget:
    with session_scope() as s:
        return s.get(PostTarget, target_id)


@pytest.mark.parametrize(
    ("platform", "delivery"),
    [("youtube", "proxy"), ("x", "proxy"), ("tiktok", "proxy"), ("tiktok", "redirect")],
)
def test_a_worker_with_an_empty_data_dir_publishes_a_video_from_the_bucket(
    publish_env, sandbox, s3, media_files, tmp_path, monkeypatch, platform, delivery
):
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_DELIVERY", delivery)
    db = publish_env
    conn = connected_account(db, platform)
    clip = media_files / "clip.mp4"
    stored = media.store_file(db, user_id=conn.user_id, src=clip, original_name="clip.mp4")
    target = _post(db, conn, stored.id)
    assert s3.get(f"hub/{stored.path}") == clip.read_bytes()

    worker_dir = become_worker_elsewhere(tmp_path, monkeypatch)
    assert run_until_settled(target.id, sandbox) == S.published, _target(target.id).last_error
    assert _target(target.id).platform_post_id
    copies = [p for p in (worker_dir / "media-cache").rglob("*") if p.is_file()]
    if platform == "tiktok":
        # TikTok pulls the video from the grant URL (the app streamed it from the bucket, or
        # redirected the sandbox's fetcher to a presigned URL): the worker downloaded nothing.
        assert copies == []
    else:
        # YouTube and X take uploads: the worker's checked copy, under its own data directory.
        assert [p.name for p in copies] == [stored.path.split("/")[1]]
        assert (
            hashlib.sha256(copies[0].read_bytes()).hexdigest()
            == hashlib.sha256(clip.read_bytes()).hexdigest()
        )
    assert not (worker_dir / "media").exists() or not any((worker_dir / "media").rglob("*.mp4"))


@pytest.mark.parametrize("delivery", ["proxy", "redirect"])
@pytest.mark.parametrize("platform", ["instagram", "facebook"])
def test_platforms_pull_the_image_through_the_app_or_a_presigned_url(
    publish_env, sandbox, s3, media_files, tmp_path, monkeypatch, platform, delivery
):
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_DELIVERY", delivery)
    reset_settings_cache()
    db = publish_env
    conn = connected_account(db, platform)
    stored = media.store_file(db, user_id=conn.user_id, src=media_files / "photo.jpg", original_name="p.jpg")
    target = _post(db, conn, stored.id)
    worker_dir = become_worker_elsewhere(tmp_path, monkeypatch)
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_DELIVERY", delivery)
    reset_settings_cache()
    assert run_until_settled(target.id, sandbox) == S.published, _target(target.id).last_error
    # The platform fetched the bytes from the store: there is no copy on any disk here.
    assert not (worker_dir / "media-cache").exists()


@pytest.fixture
def granted(publish_env, s3, media_files):
    """A scheduled Instagram post's image in the bucket, and a grant URL for it."""
    db = publish_env
    conn = connected_account(db, "instagram")
    stored = media.store_file(db, user_id=conn.user_id, src=media_files / "photo.jpg")
    target = _post(db, conn, stored.id, at=utcnow() + timedelta(hours=1))
    assert target.status == S.scheduled
    url = media.grant(db, media=stored, target_id=target.id)
    db.commit()
    return url, target.id, (media_files / "photo.jpg").read_bytes()


def test_proxy_streams_the_object_while_the_grant_holds(granted):
    url, _, content = granted
    got = httpx.get(url)
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"] == "image/jpeg" and got.headers["cache-control"] == "private, no-store"
    head = httpx.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(content))
    # A single range, as fetchers resuming a download ask (several ranges: the whole file).
    part = httpx.get(url, headers={"Range": "bytes=10-109"})
    assert part.status_code == 206 and part.content == content[10:110]
    assert part.headers["content-range"] == f"bytes 10-109/{len(content)}"
    assert httpx.get(url, headers={"Range": f"bytes=-{len(content) - 5}"}).content == content[5:]
    assert httpx.get(url, headers={"Range": "bytes=0-1,5-6"}).content == content
    beyond = httpx.get(url, headers={"Range": f"bytes={len(content) + 10}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(content)}"


def test_redirect_answers_a_presigned_url_that_expires_with_the_grant(granted, s3, monkeypatch):
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_DELIVERY", "redirect")
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_PRESIGN_SECONDS", "600")
    reset_settings_cache()
    url, target_id, content = granted
    got = httpx.get(url)
    assert got.status_code == 302
    location = got.headers["location"]
    assert location.startswith(f"{s3.url}/{s3.bucket}/hub/")
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["600"]
    assert httpx.get(url, follow_redirects=True).content == content
    assert httpx.head(url, follow_redirects=True).status_code == 200  # a HEAD gets a HEAD URL
    # A grant with two minutes left gets a URL that lives no longer.
    with session_scope() as s:
        s.exec(update(MediaGrant).values(expires_at=utcnow() + timedelta(seconds=120)))
    expires = int(parse_qs(urlsplit(httpx.get(url).headers["location"]).query)["X-Amz-Expires"][0])
    assert 100 <= expires <= 120


@pytest.mark.parametrize("delivery", ["proxy", "redirect"])
def test_expired_revoked_and_no_longer_needed_grants_are_refused(granted, monkeypatch, delivery):
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_DELIVERY", delivery)
    reset_settings_cache()
    url, target_id, _ = granted
    assert httpx.get(url).status_code in (200, 302)
    # Expired: a 404, and no redirect to the store.
    with session_scope() as s:
        s.exec(update(MediaGrant).values(expires_at=utcnow() - timedelta(seconds=1)))
    got = httpx.get(url)
    assert got.status_code == 404 and "location" not in got.headers
    # Still valid, but its target was published: no longer needed.
    with session_scope() as s:
        s.exec(update(MediaGrant).values(expires_at=utcnow() + timedelta(hours=1)))
        s.exec(update(PostTarget).where(PostTarget.id == target_id).values(status=S.published.value))
    assert httpx.get(url).status_code == 404
    # Revoked (cancelled, failed): gone.
    with session_scope() as s:
        s.exec(update(PostTarget).where(PostTarget.id == target_id).values(status=S.scheduled.value))
    assert httpx.get(url).status_code in (200, 302)
    with session_scope() as s:
        media.revoke_grants(s, target_id=target_id)
    assert httpx.get(url).status_code == 404
    # An unknown token.
    assert httpx.get(url.replace("/media/", "/media/x")).status_code == 404


def test_a_damaged_object_fails_the_attempt_and_is_retried(
    publish_env, sandbox, s3, media_files, tmp_path, monkeypatch
):
    db = publish_env
    conn = connected_account(db, "youtube")
    stored = media.store_file(db, user_id=conn.user_id, src=media_files / "clip.mp4")
    target = _post(db, conn, stored.id)
    s3.client.put_object(Bucket=s3.bucket, Key=f"hub/{stored.path}", Body=b"\x00\x00\x00\x18ftypisom damaged")
    worker_dir = become_worker_elsewhere(tmp_path, monkeypatch)
    before = sandbox.counters().get("published:youtube", 0)
    assert engine.run_target(target.id) == engine.RunOutcome.retrying
    after = _target(target.id)
    assert after.status == S.retrying and "does not match its SHA-256" in after.last_error
    assert not any(p.is_file() for p in (worker_dir / "media-cache").rglob("*"))
    assert sandbox.counters().get("published:youtube", 0) == before  # nothing reached YouTube
    # Repaired, the retry publishes.
    s3.client.upload_file(str(media_files / "clip.mp4"), s3.bucket, f"hub/{stored.path}")
    with session_scope() as s:
        s.exec(update(PostTarget).where(PostTarget.id == target.id).values(due_at=utcnow()))
    assert run_until_settled(target.id, sandbox) == S.published


@pytest.fixture
def tiktok_verified_domain(sandbox):
    """The sandbox's TikTok app accepts PULL_FROM_URL only from the app's own host."""
    from socialhub.config import sandbox_app_credentials

    client_id, secret = sandbox_app_credentials("tiktok")
    app = {"platform": "tiktok", "client_id": client_id, "client_secret": secret}
    sandbox.control.post("/apps", json={**app, "verified_domains": ["127.0.0.1"]}).raise_for_status()
    yield
    sandbox.control.post("/apps", json={**app, "verified_domains": []}).raise_for_status()


def test_tiktok_checks_the_apps_domain_and_follows_the_redirect_to_the_store(
    publish_env, sandbox, s3, media_files, tmp_path, monkeypatch, tiktok_verified_domain
):
    """The URL TikTok is given is the app's (a verified domain); the presigned URL it is sent
    on to names the store by its public address (here `localhost`, not a verified domain)."""
    db = publish_env
    conn = connected_account(db, "tiktok")
    stored = media.store_file(db, user_id=conn.user_id, src=media_files / "clip.mp4")
    target = _post(db, conn, stored.id)
    become_worker_elsewhere(tmp_path, monkeypatch)
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_DELIVERY", "redirect")
    monkeypatch.setenv("SOCIALHUB_MEDIA_S3_PUBLIC_ENDPOINT_URL", s3.url.replace("127.0.0.1", "localhost"))
    reset_settings_cache()
    assert run_until_settled(target.id, sandbox) == S.published, _target(target.id).last_error
    # What the sandbox was sent on to: the store's public name, a presigned URL.
    url = media.grant(db, media=stored, target_id=target.id)
    db.commit()
    with session_scope() as s:  # the target is published: reopen it to look at the answer
        s.exec(update(PostTarget).where(PostTarget.id == target.id).values(status=S.scheduled.value))
    location = httpx.get(url).headers["location"]
    assert urlsplit(location).hostname == "localhost" and "X-Amz-Signature=" in location
