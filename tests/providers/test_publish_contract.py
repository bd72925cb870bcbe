"""The publish contract, the same table for all six providers against the sandbox over HTTP:
a worker killed after the create call is OutcomeUnknown and find_published finds the post (no
second post); one killed before the marker publishes exactly once on retry; find_published
finds by caption and says None for a caption never posted; a create call that got no
(readable) answer keeps its marker until the engine has reconciled."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from socialhub.providers.base import (
    Credentials,
    MediaRef,
    OutcomeUnknown,
    Provider,
    PublishRequest,
    StepPending,
    utcnow,
)
from tests.providers import test_facebook as fb
from tests.providers import test_instagram as ig
from tests.providers import test_linkedin as li
from tests.providers import test_tiktok as tt
from tests.providers import test_x as xx
from tests.providers import test_youtube as yt
from tests.providers.crash import Crash, Db
from tests.providers.driver import publish
from tests.sandbox.test_meta import serve_media

Build = Callable[[str], PublishRequest]


@dataclass
class Case:
    name: str
    setup: Callable[..., tuple[Provider, Credentials, Build]]
    create_endpoint: str | None  # the create call's path, for faults aimed at it alone


def _instagram(sb, media: str, tmp_path: Path):
    sb.set_config(**{"instagram.container_processing_seconds": 0.3})
    photo = MediaRef(kind="image", mime_type="image/jpeg", size_bytes=2000, url=f"{media}/photo.jpg")
    return ig.provider(sb), ig.creds_for(sb), lambda caption: PublishRequest(caption=caption, media=[photo])


def _facebook(sb, media: str, tmp_path: Path):
    return fb.provider(sb), fb.creds_for(sb), lambda caption: PublishRequest(caption=caption)


def _facebook_video(sb, media: str, tmp_path: Path):
    clip = MediaRef(kind="video", mime_type="video/mp4", size_bytes=500, url=f"{media}/clip.mp4")
    return fb.provider(sb), fb.creds_for(sb), lambda caption: PublishRequest(caption=caption, media=[clip])


def _tiktok(sb, media: str, tmp_path: Path):
    sb.set_config(**{"tiktok.processing_seconds": 0})
    sb.control.post(
        "/apps", json={"platform": "tiktok", "client_id": "audited", "client_secret": "shh", "audited": True}
    ).raise_for_status()
    p = tt.make_provider(sb, client_id="audited", client_secret="shh")
    clip = MediaRef(
        kind="video", mime_type="video/mp4", size_bytes=500, url=f"{media}/clip.mp4", duration_seconds=12
    )
    creds = tt.creds_for(sb, "lena.rivers", client_id="audited")
    return p, creds, lambda caption: PublishRequest(caption=caption, media=[clip])


def _youtube(sb, media: str, tmp_path: Path):
    p = yt.make_provider(sb)
    p.upload_chunk_size = yt.KIB256
    clip = yt.video(tmp_path)
    return p, yt.creds_for(sb, 1), lambda caption: PublishRequest(caption=caption, media=[clip])


def _linkedin(sb, media: str, tmp_path: Path):
    return li.make(sb), li.creds_for(sb, 1), lambda caption: PublishRequest(caption=caption)


def _x(sb, media: str, tmp_path: Path):
    return xx.make(sb), xx.creds_for(sb, 1), lambda caption: PublishRequest(caption=caption)


CASES = [
    Case("instagram", _instagram, "/media_publish"),
    Case("facebook", _facebook, "/feed"),
    Case("facebook-video", _facebook_video, "/videos"),
    Case("tiktok", _tiktok, "/video/init/"),
    Case("youtube", _youtube, None),  # every chunk goes to the same session URL
    Case("linkedin", _linkedin, "/rest/posts"),
    Case("x", _x, "/2/tweets"),
]


@pytest.fixture(scope="module")
def media() -> Iterator[str]:
    yield from serve_media()


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def case(request, fresh_sandbox, media, tmp_path):
    p, creds, build = request.param.setup(fresh_sandbox, media, tmp_path)
    yield fresh_sandbox, p, creds, build, request.param
    p.close()


def caption(label: str) -> str:
    return f"{label} {secrets.token_hex(4)}\nSecond line of the caption."


def published(sb, p: Provider, creds: Credentials) -> tuple[int, int]:
    counters = sb.counters()
    key = f"{p.platform}:{creds.account_id}"
    return counters.get(f"published:{key}", 0), counters.get(f"duplicates:{key}", 0)


def test_killed_after_the_create_call_is_unknown_and_found_not_resent(case):
    sb, p, creds, build, _ = case
    request = build(caption("Killed after create"))
    db = Db(crash=lambda s: Provider.CREATED in s)  # the platform said yes; our write of it is lost
    with pytest.raises(Crash):
        publish(p, creds, request, {}, db)
    kept = db.kept
    assert kept[Provider.CREATE_MARKER] and Provider.CREATED not in kept
    with pytest.raises(OutcomeUnknown):
        publish(p, creds, request, kept, db)
    found = p.find_published(creds, request, p.marker_time(kept), kept)
    assert found is not None
    assert found.post_id == p.list_posts(creds, limit=5).posts[0].post_id  # the newest post is it
    assert published(sb, p, creds) == (1, 0)


def test_killed_before_the_marker_publishes_exactly_once(case):
    sb, p, creds, build, _ = case
    request = build(caption("Killed before the marker"))
    db = Db(crash=lambda s: Provider.CREATE_MARKER in s)  # dies writing the marker: nothing sent
    with pytest.raises(Crash):
        publish(p, creds, request, {}, db)
    kept = db.kept
    assert Provider.CREATE_MARKER not in kept and published(sb, p, creds) == (0, 0)
    result = publish(p, creds, request, kept, db)
    assert published(sb, p, creds) == (1, 0)
    assert db.kept[Provider.CREATED]["post_id"] == result.post_id
    again = publish(p, creds, request, db.kept, db)  # done: a further retry sends nothing
    assert again.post_id == result.post_id and published(sb, p, creds) == (1, 0)


def test_find_published_by_caption(case):
    sb, p, creds, build, _ = case
    since = utcnow() - timedelta(minutes=10)
    request = build(caption("Find me by my caption"))
    result = publish(p, creds, request, {}, lambda s: None)
    found = p.find_published(creds, request, since)
    assert found is not None and found.post_id == result.post_id
    assert p.find_published(creds, build(caption("Never posted")), since) is None


def test_create_call_without_an_answer_keeps_its_marker(case):
    sb, p, creds, build, c = case
    if c.create_endpoint is None:
        pytest.skip("no path that only the create call uses")
    p.timeout = 0.5  # the sandbox answers after 2 s: the worker gives up first
    sb.fault(c.name.split("-")[0], latency_ms=2000, count=1, endpoint=c.create_endpoint)
    request = build(caption("Answer lost in transit"))
    steps: dict = {}
    with pytest.raises(OutcomeUnknown):
        publish(p, creds, request, steps, lambda s: None)
    assert steps[Provider.CREATE_MARKER] and Provider.CREATED not in steps
    time.sleep(2.2)  # the sandbox is done with the call (it never read the body: nothing made)
    p.timeout = 20.0
    with pytest.raises(OutcomeUnknown):  # the marker stays until the engine has reconciled
        publish(p, creds, request, steps, lambda s: None)
    since = p.marker_time(steps)
    if p.FIND_SETTLE:  # TikTok lists a video only once processed: "not yet" is not "no"
        with pytest.raises(StepPending):
            p.find_published(creds, request, since, steps)
        since -= p.FIND_SETTLE
    assert p.find_published(creds, request, since, steps) is None
    assert published(sb, p, creds) == (0, 0)


def test_an_unreadable_success_is_unknown_not_a_refusal(case):
    sb, p, creds, build, c = case
    if c.create_endpoint is None:
        pytest.skip("no path that only the create call uses")
    sb.fault(c.name.split("-")[0], "malformed", count=1, endpoint=c.create_endpoint)
    steps: dict = {}
    with pytest.raises(OutcomeUnknown):
        publish(p, creds, build(caption("Garbled yes")), steps, lambda s: None)
    assert steps[Provider.CREATE_MARKER]  # a 200 we cannot read may be a post: never resend blindly
