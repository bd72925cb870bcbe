"""tweepy's v2 Client against the X sandbox. tweepy has no base-URL setting (the host is
fixed inside `BaseClient.request`), so a transport adapter on its own `Client.session`
sends api.twitter.com to the sandbox's prefix; tweepy itself is unchanged. The OAuth 2.0
user token goes in as `bearer_token`, with `user_auth=False`, as tweepy documents."""

from __future__ import annotations

import pytest
import tweepy

from tests.clients.conftest import route_to_sandbox


def client_for(sb, index: int = 0) -> tuple[str, tweepy.Client]:
    user = sb.accounts("x")[index]["id"]
    token = sb.mint("x", user)["access_token"]
    client = tweepy.Client(bearer_token=token)
    route_to_sandbox(client.session, sb.url, "api.twitter.com")
    return user, client


def test_me_timeline_and_metrics(sandbox):
    user, client = client_for(sandbox)
    me = client.get_me(user_auth=False, user_fields=["public_metrics", "username"])
    assert me.data.id == int(user) and me.data.public_metrics["followers_count"] >= 0
    timeline = client.get_users_tweets(
        user, user_auth=False, max_results=10, tweet_fields=["public_metrics", "created_at"]
    )
    assert len(timeline.data) == 10 and timeline.meta["next_token"]
    ids = [t.id for t in timeline.data]
    looked_up = client.get_tweets(ids, user_auth=False, tweet_fields=["public_metrics"])
    assert [t.id for t in looked_up.data] == ids
    assert all("impression_count" in t.public_metrics for t in looked_up.data)
    following = client.get_users_tweets(
        user, user_auth=False, max_results=10, pagination_token=timeline.meta["next_token"]
    )
    assert not {t.id for t in following.data} & set(ids)


def test_create_and_delete_tweet(fresh_sandbox):
    user, client = client_for(fresh_sandbox)
    created = client.create_tweet(text="Hello from tweepy", user_auth=False)
    assert created.data["text"] == "Hello from tweepy"
    assert fresh_sandbox.counters()[f"published:x:{user}"] == 1
    assert client.delete_tweet(created.data["id"], user_auth=False).data == {"deleted": True}


def test_errors_map_to_tweepy_exceptions(fresh_sandbox):
    _, client = client_for(fresh_sandbox)
    with pytest.raises(tweepy.BadRequest):
        client.create_tweet(text="x" * 281, user_auth=False)
    fresh_sandbox.fault("x", "rate_limited", count=1)
    with pytest.raises(tweepy.TooManyRequests):
        client.get_me(user_auth=False)
    fresh_sandbox.fault("x", "usage_capped", count=1)
    with pytest.raises(tweepy.TooManyRequests) as caught:
        client.get_me(user_auth=False)
    assert caught.value.response.json()["title"] == "UsageCapExceeded"
    bad = tweepy.Client(bearer_token="nope")
    route_to_sandbox(bad.session, fresh_sandbox.url, "api.twitter.com")
    with pytest.raises(tweepy.Unauthorized):
        bad.get_me(user_auth=False)
