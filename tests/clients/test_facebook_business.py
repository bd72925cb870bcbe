"""Meta's own Python SDK (facebook-business) against the Graph API sandbox.

Pointed at the sandbox through `FacebookSession.GRAPH`, the SDK's documented Graph URL;
it JSON-encodes list parameters (`fields`, `metric`), which the sandbox must accept.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from facebook_business.adobjects.igmedia import IGMedia
from facebook_business.adobjects.iguser import IGUser
from facebook_business.adobjects.page import Page
from facebook_business.adobjects.pagepost import PagePost
from facebook_business.api import FacebookAdsApi, FacebookRequestError
from facebook_business.session import FacebookSession

from socialhub.config import DEFAULT_GRAPH_VERSION
from tests.sandbox.test_meta import IG1, PAGE1, serve_media


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    yield from serve_media()


def sdk(sb, token: str, client: str = "facebook") -> FacebookAdsApi:
    session = FacebookSession(f"sandbox-{client}-client", f"sandbox-{client}-secret", token)
    session.GRAPH = f"{sb.url}/graph.facebook.com"
    return FacebookAdsApi(session, api_version=DEFAULT_GRAPH_VERSION)


def test_page_profile_posts_and_insights(sandbox):
    api = sdk(sandbox, sandbox.mint("facebook", PAGE1)["access_token"])
    page = Page(PAGE1, api=api).api_get(fields=["id", "name", "followers_count", "fan_count"])
    assert page["id"] == PAGE1 and page["name"] and page["followers_count"] > 0
    posts = Page(PAGE1, api=api).get_posts(fields=["id", "message", "created_time"], params={"limit": 5})
    first = [p["id"] for p in posts[:5]]
    assert len(first) == 5 and all(pid.startswith(PAGE1 + "_") for pid in first)
    insights = PagePost(first[0], api=api).get_insights(params={"metric": ["post_media_view", "post_clicks"]})
    assert [i["name"] for i in insights] == ["post_media_view", "post_clicks"]
    page_insights = Page(PAGE1, api=api).get_insights(
        params={"metric": ["page_media_view", "page_follows"], "period": "day"}
    )
    assert {i["name"] for i in page_insights} == {"page_media_view", "page_follows"}


def test_page_publish_and_delete(fresh_sandbox):
    api = sdk(fresh_sandbox, fresh_sandbox.mint("facebook", PAGE1)["access_token"])
    created = Page(PAGE1, api=api).create_feed(params={"message": "Hello from facebook-business"})
    assert created["id"].startswith(PAGE1 + "_")
    assert fresh_sandbox.counters()[f"published:facebook:{PAGE1}"] == 1
    PagePost(created["id"], api=api).api_delete()


def test_sdk_surfaces_graph_errors(sandbox):
    api = sdk(sandbox, "not-a-token")
    with pytest.raises(FacebookRequestError) as caught:
        Page(PAGE1, api=api).api_get(fields=["id"])
    assert caught.value.api_error_code() == 190


def test_instagram_profile_media_insights_and_publish(fresh_sandbox, media_server):
    sb = fresh_sandbox
    sb.set_config(**{"instagram.container_processing_seconds": 0})
    api = sdk(sb, sb.mint("instagram", IG1)["access_token"], client="instagram")
    me = IGUser(IG1, api=api).api_get(fields=["id", "username", "followers_count", "media_count"])
    assert me["id"] == IG1 and me["username"]
    media = IGUser(IG1, api=api).get_media(fields=["id", "like_count", "comments_count", "timestamp"])
    first = media[0]
    assert first["id"] and "like_count" in first
    data = IGMedia(first["id"], api=api).get_insights(params={"metric": ["views", "reach", "saved"]})
    assert [d["name"] for d in data] == ["views", "reach", "saved"]
    container = IGUser(IG1, api=api).create_media(
        params={"image_url": f"{media_server}/photo.jpg", "caption": "From the SDK"}
    )
    published = IGUser(IG1, api=api).create_media_publish(params={"creation_id": container["id"]})
    assert published["id"] and sb.counters()[f"published:instagram:{IG1}"] == 1
    limit = IGUser(IG1, api=api).get_content_publishing_limit(fields=["quota_usage", "config"])
    assert limit[0]["quota_usage"] == 1
