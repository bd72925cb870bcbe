"""Pasted Instagram and Facebook URLs -> PostRef (CONTRACTS §1.6 and §2.5)."""

from __future__ import annotations

import pytest

from socialhub.providers.base import InvalidPostUrl
from socialhub.providers.facebook import FacebookProvider
from socialhub.providers.instagram import InstagramProvider

CODE = "C5amg88V3oT"


@pytest.mark.parametrize(
    ("url", "username"),
    [
        (f"https://www.instagram.com/p/{CODE}/", None),
        (f"https://instagram.com/p/{CODE}", None),
        (f"http://www.instagram.com/reel/{CODE}/?igsh=MWQ1ZGUxMzBkMA==", None),
        (f"https://www.instagram.com/reels/{CODE}/", None),
        (f"https://www.instagram.com/tv/{CODE}/?utm_source=ig_web_copy_link", None),
        (f"https://www.instagram.com/maya.bakes/p/{CODE}/", "maya.bakes"),
        (f"https://www.instagram.com/maya.bakes/reel/{CODE}/", "maya.bakes"),
        (f"https://m.instagram.com/p/{CODE}/#comments", None),
        (f"www.instagram.com/p/{CODE}/", None),
        (f"  https://instagr.am/p/{CODE}/  ", None),
    ],
)
def test_instagram_post_urls(url, username):
    ref = InstagramProvider.parse_post_url(url)
    assert (ref.platform, ref.key, ref.key_type, ref.username) == ("instagram", CODE, "shortcode", username)


def test_instagram_long_private_shortcodes_are_kept_whole():
    long_code = "CxYz" + "A" * 30
    assert InstagramProvider.parse_post_url(f"https://www.instagram.com/p/{long_code}/").key == long_code


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("", "Paste"),
        ("https://www.instagram.com/maya.bakes/", "not a post"),
        ("https://www.instagram.com/explore/tags/bread/", "not a post"),
        ("https://www.instagram.com/stories/maya.bakes/3220000000000000000/", "stories"),
        (f"https://www.facebook.com/p/{CODE}/", "not an Instagram link"),
        (f"https://evilinstagram.com/p/{CODE}/", "not an Instagram link"),
        ("https://www.instagram.com/p/a!b/", "not a post"),
    ],
)
def test_instagram_bad_urls(url, why):
    with pytest.raises(InvalidPostUrl, match=why):
        InstagramProvider.parse_post_url(url)


PFBID = "pfbid02Hx9bW1sXoJ3G6vXbYc1Lr8qSxKz6H5PdWnN4YgA3tZ9ejMk2CqRvFpUaLl"


@pytest.mark.parametrize(
    ("url", "key", "key_type", "username"),
    [
        (f"https://www.facebook.com/mayabakes/posts/{PFBID}", PFBID, "pfbid", "mayabakes"),
        (f"https://www.facebook.com/mayabakes/posts/{PFBID}/?mibextid=abc", PFBID, "pfbid", "mayabakes"),
        (
            "https://www.facebook.com/108234567890101/posts/1445830277228896/",
            "1445830277228896",
            "id",
            "108234567890101",
        ),
        ("https://m.facebook.com/mayabakes/posts/1445830277228896", "1445830277228896", "id", "mayabakes"),
        (
            "https://www.facebook.com/permalink.php?story_fbid=1445830277228896&id=108234567890101",
            "1445830277228896",
            "id",
            "108234567890101",
        ),
        (
            f"https://www.facebook.com/permalink.php?story_fbid={PFBID}&id=108234567890101",
            PFBID,
            "pfbid",
            "108234567890101",
        ),
        ("https://www.facebook.com/story.php?story_fbid=99&id=5", "99", "id", "5"),
        ("https://www.facebook.com/reel/1234567890123456", "1234567890123456", "video", None),
        ("https://www.facebook.com/reel/1234567890123456/?s=single_unit", "1234567890123456", "video", None),
        ("https://www.facebook.com/watch?v=1234567890123456", "1234567890123456", "video", None),
        ("https://www.facebook.com/watch/?v=1234567890123456&ref=sharing", "1234567890123456", "video", None),
        (
            "https://www.facebook.com/mayabakes/videos/1234567890123456/",
            "1234567890123456",
            "video",
            "mayabakes",
        ),
        (
            "https://www.facebook.com/mayabakes/videos/dough-timelapse/1234567890123456/",
            "1234567890123456",
            "video",
            "mayabakes",
        ),
        ("https://www.facebook.com/photo/?fbid=987654321&set=a.123", "987654321", "photo", None),
        ("https://www.facebook.com/photo.php?fbid=987654321", "987654321", "photo", None),
        ("https://www.facebook.com/mayabakes/photos/a.123/987654321/", "987654321", "photo", "mayabakes"),
        ("web.facebook.com/mayabakes/posts/42", "42", "id", "mayabakes"),
    ],
)
def test_facebook_post_urls(url, key, key_type, username):
    ref = FacebookProvider.parse_post_url(url)
    assert (ref.platform, ref.key, ref.key_type, ref.username) == ("facebook", key, key_type, username)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("", "Paste"),
        ("https://www.facebook.com/mayabakes", "not a post"),
        ("https://www.facebook.com/mayabakes/posts/", "not a post"),
        ("https://www.facebook.com/mayabakes/posts/not-an-id", "not a post"),
        ("https://www.facebook.com/watch?v=abc", "not a post"),
        ("https://www.facebook.com/permalink.php?id=5", "not a post"),
        ("https://fb.watch/abcDEF/", "fb.watch"),
        ("https://www.instagram.com/p/C5amg88V3oT/", "not a Facebook link"),
        ("https://facebook.com.evil.example/mayabakes/posts/42", "not a Facebook link"),
    ],
)
def test_facebook_bad_urls(url, why):
    with pytest.raises(InvalidPostUrl, match=why):
        FacebookProvider.parse_post_url(url)
