"""LinkedIn's official Python client (linkedin-api-client, RestliClient) against the LinkedIn
sandbox. The client keeps its base URLs as module constants with no setting, so a transport
adapter on its own `RestliClient.session` (which its docs say may be modified) sends
api.linkedin.com to the sandbox's prefix; the library is unchanged."""

from __future__ import annotations

from linkedin_api.clients.restli.client import RestliClient

from socialhub.config import DEFAULT_LINKEDIN_VERSION
from tests.clients.conftest import route_to_sandbox

SCOPES = ["openid", "profile", "email", "w_member_social", "r_member_postAnalytics"]


def restli(sb) -> RestliClient:
    client = RestliClient()
    route_to_sandbox(client.session, sb.url, "api.linkedin.com")
    return client


def member(sb, index: int = 0) -> tuple[str, str]:
    acct = sb.accounts("linkedin")[index]["id"]
    return acct, sb.mint("linkedin", acct, SCOPES)["access_token"]


def test_userinfo_posts_finder_and_social_actions(sandbox):
    person, token = member(sandbox)
    client = restli(sandbox)
    info = client.get(resource_path="/userinfo", access_token=token)
    assert info.status_code == 200 and info.entity["sub"] == person
    author = f"urn:li:person:{person}"
    found = client.finder(
        resource_path="/posts",
        finder_name="author",
        query_params={"author": author, "count": 10, "sortBy": "LAST_MODIFIED"},
        access_token=token,
        version_string=DEFAULT_LINKEDIN_VERSION,
    )
    assert found.status_code == 200 and 0 < len(found.elements) <= 10
    urn = found.elements[0]["id"]
    assert all(e["author"] == author for e in found.elements)
    actions = client.get(
        resource_path="/socialActions/{id}",
        path_keys={"id": urn},
        access_token=token,
        version_string=DEFAULT_LINKEDIN_VERSION,
    )
    assert actions.status_code == 200 and "likesSummary" in actions.entity
    post = client.get(
        resource_path="/posts/{id}",
        path_keys={"id": urn},
        access_token=token,
        version_string=DEFAULT_LINKEDIN_VERSION,
    )
    assert post.entity["id"] == urn


def test_create_post_returns_the_restli_id(fresh_sandbox):
    person, token = member(fresh_sandbox)
    client = restli(fresh_sandbox)
    created = client.create(
        resource_path="/posts",
        entity={
            "author": f"urn:li:person:{person}",
            "commentary": "Hello from linkedin-api-client",
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        },
        access_token=token,
        version_string=DEFAULT_LINKEDIN_VERSION,
    )
    assert created.status_code == 201 and created.entity_id.startswith("urn:li:share:")
    assert fresh_sandbox.counters()[f"published:linkedin:{person}"] == 1


def test_an_old_version_gets_426(sandbox):
    _, token = member(sandbox)
    old = restli(sandbox).get(
        resource_path="/posts/{id}",
        path_keys={"id": "urn:li:share:1"},
        access_token=token,
        version_string="202301",
    )
    assert old.status_code == 426
