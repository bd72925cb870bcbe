"""The schedule dialog's rules on a real database and the sandbox's connections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from socialhub.models import Post, PostTarget, User
from socialhub.services import composer, library
from socialhub.services.media_probe import inspect
from socialhub.services.publishing import PostInvalid
from tests.publishing.conftest import connected_account


def _item(db, user_id, media_dir, *names, caption="Golden hour #travel"):
    item = library.create_item(db, user_id=user_id, title="Trip", caption=caption)
    for name in names:
        src = media_dir / name
        library.add_media(
            db, user_id=user_id, item_id=item.id, src=src, info=inspect(src, name=name), original_name=name
        )
    db.commit()
    return item


def test_counts_follow_each_platform():
    # X: a URL counts 23, CJK and emoji count 2 each; others count their own units.
    assert composer.count("x", "see https://example.com/a/very/long/path/indeed").used == 4 + 23
    assert composer.count("x", "東京タワー").used == 10
    assert composer.count("x", "hi 👋🏽").used == 3 + 2  # an emoji with its skin tone is one emoji: 2
    assert composer.count("youtube", "é").used == 2  # YouTube counts bytes
    assert composer.count("tiktok", "👋").used == 2  # UTF-16 units
    assert composer.count("instagram", "👋").used == 1
    over = composer.count("x", "a" * 281)
    assert over.over and over.limit == 280 and over.unit == "weighted characters"


def test_every_problem_listed_at_once_with_the_platform_named(publish_env, media_dir):
    db = publish_env
    ig, tt, x = (connected_account(db, p) for p in ("instagram", "tiktok", "x"))
    item = _item(db, ig.user_id, media_dir, "wide.jpg")
    caption = "東京" * 200 + " #tag" * 31
    found = composer.problems(
        db, user_id=ig.user_id, item_id=item.id, connection_ids=[ig.id, tt.id, x.id], caption=caption
    )
    text = "\n".join(found)
    assert "TikTok does not accept image posts." in text
    assert "X allows 280 weighted in a caption; this one has 955." in text  # wording: providers/base.py
    assert "Instagram allows at most 30 hashtags; this caption has 31." in text
    assert (
        "Instagram takes images between 4:5 (portrait) and 1.91:1 (landscape); wide.jpg is 2000×500." in text
    )
    with pytest.raises(PostInvalid) as exc:
        composer.schedule(
            db, user_id=ig.user_id, item_id=item.id, connection_ids=[ig.id, tt.id, x.id], caption=caption
        )
    assert exc.value.problems == found
    assert db.exec(select(Post)).all() == []  # nothing queued


def test_empty_caption_where_required_and_a_huge_one(publish_env, media_dir):
    db = publish_env
    yt, li = connected_account(db, "youtube"), connected_account(db, "linkedin")
    video = _item(db, yt.user_id, media_dir, "landscape.mp4", caption="")
    found = composer.problems(db, user_id=yt.user_id, item_id=video.id, connection_ids=[yt.id], caption="  ")
    assert found == ["YouTube needs a caption (its first line becomes the video title)."]
    text_only = _item(db, yt.user_id, media_dir, caption="")
    assert composer.problems(
        db, user_id=yt.user_id, item_id=text_only.id, connection_ids=[li.id], caption=""
    ) == ["LinkedIn needs a caption."]
    huge = "x" * 100_000
    found = composer.problems(
        db, user_id=yt.user_id, item_id=text_only.id, connection_ids=[li.id], caption=huge
    )
    assert found == ["LinkedIn allows 3000 characters in a caption; this one has 100000."]
    with pytest.raises(library.LibraryInvalid, match="100,000 characters"):
        library.update_item(db, user_id=yt.user_id, item_id=text_only.id, title="t", caption=huge, tags="")


def test_time_zone_and_past_times(publish_env, media_dir):
    db = publish_env
    ig = connected_account(db, "instagram")
    for bad in ("Mars/Olympus", "", "../../etc/passwd"):
        with pytest.raises(PostInvalid, match="not a time zone"):
            composer.save_timezone(db, user_id=ig.user_id, timezone=bad)
    assert db.get(User, ig.user_id).timezone == "UTC"
    composer.save_timezone(db, user_id=ig.user_id, timezone="Asia/Tokyo")
    db.commit()
    assert db.get(User, ig.user_id).timezone == "Asia/Tokyo"
    when = composer.local_to_utc("2031-06-01", "09:30", "Asia/Tokyo")
    assert when == datetime(2031, 6, 1, 0, 30, tzinfo=UTC)
    with pytest.raises(PostInvalid, match="not a date and time"):
        composer.local_to_utc("2031-02-30", "09:30", "Asia/Tokyo")
    item = _item(db, ig.user_id, media_dir, "portrait.jpg")
    past = datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(PostInvalid) as exc:
        composer.schedule(
            db, user_id=ig.user_id, item_id=item.id, connection_ids=[ig.id], caption="hi", when=past
        )
    assert exc.value.problems == ["That time is in the past; choose a later one."]


def test_schedule_links_the_item_and_says_who_schedules(publish_env, media_dir):
    db = publish_env
    fb, ig = connected_account(db, "facebook"), connected_account(db, "instagram")
    item = _item(db, fb.user_id, media_dir, "portrait.jpg")
    now = datetime.now(UTC)
    when = now + timedelta(days=2)
    notes = composer.scheduling_notes(["facebook", "instagram"], when, now)
    assert notes[0].startswith("Facebook Page: scheduled natively") and notes[1].startswith(
        "Instagram: SocialHub"
    )
    assert composer.scheduling_notes(["facebook"], now + timedelta(minutes=5), now)[0].startswith(
        "Facebook Page: SocialHub"
    )
    post = composer.schedule(
        db, user_id=fb.user_id, item_id=item.id, connection_ids=[fb.id, ig.id], caption="Base",
        captions={ig.id: "Just for Instagram", fb.id: "  "}, when=when, timezone="Europe/Paris",
    )  # fmt: skip
    db.commit()
    assert post.library_item_id == item.id and post.media_ids and post.timezone == "Europe/Paris"
    targets = {t.connection_id: t for t in db.exec(select(PostTarget).where(PostTarget.post_id == post.id))}
    assert targets[ig.id].caption == "Just for Instagram" and targets[fb.id].caption == ""
    assert targets[fb.id].native_schedule is False and targets[fb.id].steps == {"native_schedule": True}


def test_tiktok_audience_comes_from_creator_info_and_must_be_chosen(publish_env, sandbox, media_dir):
    from socialhub.models import Connection

    db = publish_env
    tt = connected_account(db, "tiktok")
    item = _item(db, tt.user_id, media_dir, "vertical.mp4")
    creator = composer.tiktok_creator_info(user_id=tt.user_id, connection_id=tt.id)
    assert "SELF_ONLY" in creator.options and creator.max_video_seconds == 600
    found = composer.tiktok_problems(db, item_id=item.id, user_id=tt.user_id, creators=[creator], privacy={})
    assert found == [f"TikTok @{tt.username}: choose who can see the video."]
    short = composer.TikTokCreator(tt.id, creator.options, max_video_seconds=3)
    found = composer.tiktok_problems(
        db, item_id=item.id, user_id=tt.user_id, creators=[short], privacy={tt.id: "SELF_ONLY"}
    )
    assert found == [f"TikTok @{tt.username} can post videos up to 3 s; this one is 5 s."]
    with pytest.raises(PostInvalid, match="cannot be set"):
        composer.save_tiktok_privacy(
            db, user_id=tt.user_id, connection_id=tt.id, level="EVERYONE_AND_THEIR_DOG"
        )
    composer.save_tiktok_privacy(db, user_id=tt.user_id, connection_id=tt.id, level="FOLLOWER_OF_CREATOR")
    db.commit()
    db.expire_all()
    assert db.get(Connection, tt.id).extra["privacy_level"] == "FOLLOWER_OF_CREATOR"
