"""Track a post by URL: every form of every platform, and the links that must be refused."""

from __future__ import annotations

import pytest
from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import MetricSnapshot, TrackedPost
from socialhub.services import sync_runs, tracking
from socialhub.services.tracking import TrackError
from tests.metrics.conftest import calls, connection, tracked


def newest(sandbox, platform: str, account_id: str, where=lambda d: True) -> dict:
    return next(d for d in sandbox.sandbox.posts(platform, account_id) if where(d))


def username(sandbox, platform: str, account_id: str) -> str:
    return sandbox.sandbox.account(platform, account_id)["username"]


def url_forms(sandbox, platform: str, conn) -> list[str]:
    """Every URL form CONTRACTS lists for one post of this connection's account."""
    acct = conn.account_id
    if platform == "instagram":
        code = newest(sandbox, platform, acct)["shortcode"]
        user = username(sandbox, platform, acct)
        return [
            f"https://www.instagram.com/p/{code}/",
            f"https://instagram.com/reel/{code}/?igsh=MWx0",
            f"https://www.instagram.com/tv/{code}",
            f"instagram.com/{user}/p/{code}/",
        ]
    if platform == "tiktok":
        from socialhub.sandbox.platforms.tiktok.display import short_code

        vid = newest(sandbox, platform, acct)["id"]
        user = username(sandbox, platform, acct)
        return [
            f"https://www.tiktok.com/@{user}/video/{vid}?is_from_webapp=1",
            f"https://m.tiktok.com/v/{vid}.html",
            f"https://vm.tiktok.com/{short_code(vid)}/",
        ]
    if platform == "youtube":
        vid = newest(sandbox, platform, acct)["id"]
        return [
            f"https://www.youtube.com/watch?v={vid}&t=42s",
            f"https://youtu.be/{vid}?si=abc",
            f"https://www.youtube.com/shorts/{vid}",
            f"https://www.youtube.com/live/{vid}",
            f"https://m.youtube.com/watch?v={vid}",
        ]
    if platform == "x":
        tid = newest(sandbox, platform, acct)["id"]
        user = username(sandbox, platform, acct)
        return [
            f"https://x.com/{user}/status/{tid}",
            f"https://twitter.com/{user}/status/{tid}?s=20",
            f"https://mobile.twitter.com/{user}/status/{tid}",
            f"https://x.com/i/web/status/{tid}",
        ]
    if platform == "linkedin":
        doc = newest(sandbox, platform, acct, lambda d: d.get("activity") and d.get("urn_type") == "share")
        return [
            f"https://www.linkedin.com/feed/update/urn:li:activity:{doc['activity']}/",
            f"https://www.linkedin.com/feed/update/urn:li:share:{doc['id']}/",
            f"https://www.linkedin.com/posts/ava-lindqvist_launch-activity-{doc['activity']}-Xy3q",
        ]
    if platform == "facebook":
        doc = newest(sandbox, platform, acct, lambda d: d.get("status_type") == "added_video")
        page, story = doc["id"].split("_")
        # The seeded history has no video objects: give this post one, as publishing would.
        video_id = "90" + story
        sandbox.sandbox.store.put(
            "meta_objects",
            video_id,
            {
                "id": video_id,
                "type": "video",
                "page_id": page,
                "post_id": doc["id"],
                "created_at": doc["created_at"],
                "description": "",
                "title": "",
            },
        )
        user = username(sandbox, platform, acct)
        return [
            f"https://www.facebook.com/{user}/posts/{story}",
            f"https://www.facebook.com/permalink.php?story_fbid={story}&id={page}",
            doc["permalink_url"],  # the pfbid form
            f"https://www.facebook.com/watch/?v={video_id}",
            f"https://www.facebook.com/{user}/videos/{video_id}/",
            f"https://www.facebook.com/reel/{video_id}",
        ]
    raise AssertionError(platform)


@pytest.mark.parametrize("platform", ["instagram", "facebook", "tiktok", "youtube", "linkedin", "x"])
def test_every_url_form_tracks_the_same_post_once(metrics_env, sandbox, platform):
    conn = connection(metrics_env, platform)
    forms = url_forms(sandbox, platform, conn)
    first = tracking.track_url(user_id=conn.user_id, url=forms[0])
    assert first.platform == platform and first.connection_id == conn.id and first.source == "url"
    for form in forms[1:]:
        with pytest.raises(TrackError, match="already track"):
            tracking.track_url(user_id=conn.user_id, url=form)
    assert len(tracked(conn.id)) == 1
    # And it syncs like any other tracked post.
    run_id = sync_runs.sync_now(trigger="manual", inline=True)
    with session_scope() as s:
        assert (
            s.exec(select(MetricSnapshot).where(MetricSnapshot.sync_run_id == run_id)).one().views is not None
        )


def test_a_post_of_another_users_account_names_the_account_to_connect(metrics_env, sandbox):
    mine = connection(metrics_env, "x", "me@example.com")
    theirs = connection(metrics_env, "x", "them@example.com", account_id=sandbox.accounts("x")[1]["id"])
    assert theirs.account_id != mine.account_id
    tid = newest(sandbox, "x", theirs.account_id)["id"]
    user = username(sandbox, "x", theirs.account_id)
    with pytest.raises(TrackError, match=f"Connect @{user}"):
        tracking.track_url(user_id=mine.user_id, url=f"https://x.com/{user}/status/{tid}")
    with session_scope() as s:
        assert not s.exec(select(TrackedPost)).all()


def test_a_platform_without_a_connection_asks_to_connect_it(metrics_env, sandbox):
    conn = connection(metrics_env, "x")
    with pytest.raises(TrackError, match="Connect your YouTube account first"):
        tracking.track_url(user_id=conn.user_id, url="https://youtu.be/dQw4w9WgXcQ")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "Paste the link"),
        ("   ", "Paste the link"),
        ("javascript:alert(document.cookie)", "Only web links"),
        ("data:text/html,<script>alert(1)</script>", "Only web links"),
        ("ftp://x.com/user/status/1", "Only web links"),
        ("https://x.com/user/status/" + "1" * 3000, "longer than 2048"),
        ("https://www.yоutube.com/watch?v=dQw4w9WgXcQ", "only look like"),  # Cyrillic о
        ("https://x.com\u200b/user/status/123", "invisible"),
        ("https://x.com/user/status/12 3", "spaces"),
        ("https://x.com@evil.example/user/status/123", "user name or password"),
        ("https://evil.example/x.com/user/status/123", "not a post on Instagram"),
        ("https://www.pinterest.com/pin/123456/", "not a post on Instagram"),
        ("https://x.com/user", "x.com/<user>/status/<number>"),
        ("https://www.instagram.com/stories/maya.bakes/123/", "stories disappear"),
        ("https://www.youtube.com/@channel", "channel or playlist"),
        ("https://youtu.be/short", "valid video id"),
        ("https://www.linkedin.com/in/someone/", "does not point to a post"),
        ("https://www.facebook.com/somepage", "not a post, photo, video or reel"),
        ("https://www.tiktok.com/@user", "does not point to a video"),
        ("not a link at all", "spaces"),
        ("notalink", "not a post on Instagram"),
    ],
)
def test_bad_links_get_a_message_that_says_what_was_expected(metrics_env, sandbox, url, expected):
    conn = connection(metrics_env, "x")
    before = sandbox.counters().get("calls:x", 0)
    with pytest.raises(TrackError, match=expected):
        tracking.track_url(user_id=conn.user_id, url=url)
    assert sandbox.counters().get("calls:x", 0) == before, "refused before any platform call"
    with session_scope() as s:
        assert not s.exec(select(TrackedPost)).all()


def test_import_pages_through_90_days_without_duplicates_and_untrack_keeps_history(metrics_env, sandbox):
    conn = connection(metrics_env, "youtube")
    before = calls(sandbox, "youtube")
    result = tracking.import_recent(user_id=conn.user_id, connection_id=conn.id)
    expected = len(sandbox.sandbox.posts("youtube", conn.account_id))
    assert result.added == expected and result.already == 0
    assert result.pages == -(-expected // 50) and calls(sandbox, "youtube") - before == result.pages
    again = tracking.import_recent(user_id=conn.user_id, connection_id=conn.id)
    assert again.added == 0 and again.already == expected
    assert len(tracked(conn.id)) == expected

    sync_runs.sync_now(trigger="manual", inline=True)
    posts = tracked(conn.id)
    with session_scope() as s:
        tracking.untrack(s, user_id=conn.user_id, tracked_id=posts[0].id)
        tracking.untrack(s, user_id=conn.user_id, tracked_id=posts[1].id, delete_history=True)
    with session_scope() as s:
        assert s.get(TrackedPost, posts[0].id).status == "untracked"
        kept = s.exec(select(MetricSnapshot).where(MetricSnapshot.tracked_post_id == posts[0].id)).all()
        gone = s.exec(select(MetricSnapshot).where(MetricSnapshot.tracked_post_id == posts[1].id)).all()
        assert len(kept) == 1 and gone == [] and s.get(TrackedPost, posts[1].id) is None
        rows = tracking.list_tracked(s, user_id=conn.user_id)
        assert posts[0].id not in {r.id for r in rows} and len(rows) == expected - 2
        assert all(r.views is not None and r.last_synced_at is not None for r in rows)
    run_id = sync_runs.sync_now(trigger="manual", inline=True)
    with session_scope() as s:
        synced = s.exec(
            select(MetricSnapshot.tracked_post_id).where(MetricSnapshot.sync_run_id == run_id)
        ).all()
        assert posts[0].id not in synced, "an untracked post is not synced"
    with session_scope() as s, pytest.raises(TrackError, match="not found"):
        tracking.untrack(s, user_id=conn.user_id + 999, tracked_id=posts[2].id)
