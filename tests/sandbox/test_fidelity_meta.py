"""Issue 13, Graph API deviations: each test here failed against the sandbox before its fix.

Sources are named per test; docs/sandbox-contracts.md keeps the rule and its source.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from socialhub.sandbox.platforms.meta import versions
from tests.sandbox.test_meta import IG1, PAGE1, error_of, gget, gpost, graph, serve_media


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    yield from serve_media()


def ig_token(sb, ig: str = IG1) -> str:
    return sb.mint("instagram", ig)["access_token"]


def page_token(sb, page: str = PAGE1) -> str:
    return sb.mint("facebook", page)["access_token"]


def first_media(sb, tok: str) -> str:
    return gget(sb, f"/{IG1}/media", tok, limit=1).json()["data"][0]["id"]


# --- list parameters as JSON arrays (what facebook-business sends) ---------------------------


def test_metric_and_fields_accept_a_json_array(sandbox):
    tok = page_token(sandbox)
    post = gget(sandbox, f"/{PAGE1}/posts", tok, limit=1).json()["data"][0]["id"]
    as_json = gget(sandbox, f"/{post}/insights", tok, metric=json.dumps(["post_media_view", "post_clicks"]))
    as_csv = gget(sandbox, f"/{post}/insights", tok, metric="post_media_view,post_clicks")
    assert as_json.status_code == 200, as_json.text
    assert [d["name"] for d in as_json.json()["data"]] == ["post_media_view", "post_clicks"]
    assert as_json.json()["data"] == as_csv.json()["data"]
    page = gget(sandbox, f"/{PAGE1}", tok, fields='["id","name","followers_count"]')
    assert page.status_code == 200 and {"id", "name", "followers_count"} <= set(page.json())
    ids = gget(sandbox, "", tok, ids=json.dumps([PAGE1]), fields="id")
    assert ids.json() == {PAGE1: {"id": PAGE1}}


def test_a_broken_json_array_is_a_graph_error(sandbox):
    tok = page_token(sandbox)
    err = error_of(gget(sandbox, f"/{PAGE1}", tok, fields='["id",'))
    assert err["code"] == 100


# --- versions --------------------------------------------------------------------------------


def test_expired_version_is_served_by_the_oldest_available(sandbox):
    tok = ig_token(sandbox)
    for version in ("v19.0", "v2.8", "v12.0"):
        resp = httpx.get(graph(sandbox, f"/{IG1}", version=version), params={"access_token": tok})
        assert resp.status_code == 200 and resp.json() == {"id": IG1}
        # v21.0 in 2026-12; the table in versions.py follows Meta's changelog dates.
        assert resp.headers["facebook-api-version"] == versions.available(sandbox.sandbox.now())[0]
        assert resp.headers["facebook-api-version"] != version
    current = httpx.get(graph(sandbox, f"/{IG1}", version="v25.0"), params={"access_token": tok})
    assert current.headers["facebook-api-version"] == "v25.0"


@pytest.mark.parametrize("version", ["v99.0", "v25.5", "v2.13", "v3.9"])
def test_a_version_that_never_existed_is_an_error(sandbox, version):
    resp = httpx.get(graph(sandbox, f"/{IG1}", version=version), params={"access_token": ig_token(sandbox)})
    assert resp.status_code == 400 and error_of(resp)["code"] == 803


def test_versions_retire_with_the_calendar(fresh_sandbox):
    v21_end = datetime(2027, 1, 21, tzinfo=UTC)  # Meta's changelog: v21.0 available until then
    fresh_sandbox.advance(max(0.0, (v21_end - fresh_sandbox.sandbox.now()).total_seconds()) + 86400)
    tok = ig_token(fresh_sandbox)
    resp = httpx.get(graph(fresh_sandbox, f"/{IG1}", version="v21.0"), params={"access_token": tok})
    assert resp.status_code == 200 and resp.headers["facebook-api-version"] == "v22.0"


# --- Instagram media insights breakdowns ------------------------------------------------------


def test_profile_activity_breakdown_by_action_type(sandbox):
    tok = ig_token(sandbox)
    media = first_media(sandbox, tok)
    data = gget(
        sandbox, f"/{media}/insights", tok, metric="profile_activity", breakdown="action_type"
    ).json()["data"]
    [item] = data
    total = item["total_value"]
    [breakdown] = total["breakdowns"]
    assert breakdown["dimension_keys"] == ["action_type"]
    assert sum(r["value"] for r in breakdown["results"]) == total["value"]
    allowed = {"BIO_LINK_CLICKED", "CALL", "DIRECTION", "EMAIL", "OTHER", "TEXT"}
    assert {r["dimension_values"][0] for r in breakdown["results"]} <= allowed
    plain = gget(sandbox, f"/{media}/insights", tok, metric="profile_activity").json()["data"][0]
    assert plain["values"][0]["value"] == total["value"]


def test_breakdown_on_a_metric_without_it_is_the_documented_unknown_error(sandbox):
    tok = ig_token(sandbox)
    media = first_media(sandbox, tok)
    err = error_of(gget(sandbox, f"/{media}/insights", tok, metric="reach", breakdown="action_type"))
    assert err["message"] == "An unknown error has occurred." and err["code"] == 1


def test_story_navigation_breakdown(fresh_sandbox, media_server):
    fresh_sandbox.set_config(**{"instagram.container_processing_seconds": 0})
    tok = ig_token(fresh_sandbox)
    made = gpost(
        fresh_sandbox, f"/{IG1}/media", tok, media_type="STORIES", image_url=f"{media_server}/photo.jpg"
    )
    story = gpost(fresh_sandbox, f"/{IG1}/media_publish", tok, creation_id=made.json()["id"]).json()["id"]
    fresh_sandbox.advance(6 * 3600)
    body = gget(
        fresh_sandbox,
        f"/{story}/insights",
        tok,
        metric="navigation",
        breakdown="story_navigation_action_type",
    ).json()
    [item] = body["data"]
    [breakdown] = item["total_value"]["breakdowns"]
    assert breakdown["dimension_keys"] == ["story_navigation_action_type"]
    assert {r["dimension_values"][0] for r in breakdown["results"]} <= {
        "tap_forward",
        "tap_back",
        "tap_exit",
        "swipe_forward",
    }
    assert sum(r["value"] for r in breakdown["results"]) == item["total_value"]["value"] > 0


# --- paging on Page insights --------------------------------------------------------------------


def test_page_insights_carry_previous_and_next_windows(sandbox):
    tok = page_token(sandbox)
    since, until = 1_790_000_000, 1_790_000_000 + 7 * 86400
    body = gget(
        sandbox, f"/{PAGE1}/insights", tok, metric="page_media_view", period="day", since=since, until=until
    ).json()
    paging = body["paging"]
    prev, nxt = (parse_qs(urlsplit(paging[k]).query) for k in ("previous", "next"))
    assert (int(prev["since"][0]), int(prev["until"][0])) == (since - 7 * 86400, since)
    assert (int(nxt["since"][0]), int(nxt["until"][0])) == (until, until + 7 * 86400)
    assert prev["metric"] == ["page_media_view"] and urlsplit(paging["next"]).path.endswith(
        f"/{PAGE1}/insights"
    )
    following = httpx.get(paging["next"]).json()
    assert [d["name"] for d in following["data"]] == ["page_media_view"]


# --- error envelopes ------------------------------------------------------------------------------


def test_schedule_too_soon_has_its_subcode(sandbox):
    tok = page_token(sandbox)
    soon = int(sandbox.sandbox.now_ts()) + 120
    resp = gpost(
        sandbox, f"/{PAGE1}/feed", tok, message="x", published="false", scheduled_publish_time=str(soon)
    )
    err = error_of(resp)
    assert resp.status_code == 400 and err["code"] == 100
    assert err["error_subcode"] == 1363168 and err["is_transient"] is False


def test_expired_container_says_not_transient(fresh_sandbox, media_server):
    tok = ig_token(fresh_sandbox)
    container = gpost(fresh_sandbox, f"/{IG1}/media", tok, image_url=f"{media_server}/photo.jpg").json()["id"]
    fresh_sandbox.advance(86400 + 5)
    err = error_of(gpost(fresh_sandbox, f"/{IG1}/media_publish", tok, creation_id=container))
    assert (err["code"], err["error_subcode"], err["is_transient"]) == (-2, 2207020, False)


def test_permission_error_200_is_http_403(sandbox):
    minted = sandbox.mint("facebook", PAGE1)
    resp = gpost(sandbox, f"/{PAGE1}/feed", minted["user_access_token"], message="x")
    assert resp.status_code == 403 and error_of(resp)["code"] == 200


# --- code 17 -------------------------------------------------------------------------------------


def test_user_request_limit_code_17_by_control_api(sandbox):
    tok = page_token(sandbox)
    sandbox.fault("facebook", "user_rate_limited", count=1)
    resp = gget(sandbox, f"/{PAGE1}", tok, fields="id")
    err = error_of(resp)
    assert (err["code"], err["message"], err["is_transient"]) == (
        17,
        "(#17) User request limit reached",
        True,
    )
    assert "x-app-usage" in resp.headers
    assert gget(sandbox, f"/{PAGE1}", tok, fields="id").status_code == 200


def test_user_request_limit_code_17_by_its_real_cause(fresh_sandbox):
    fresh_sandbox.set_config(**{"meta.user_calls_per_hour": 3})
    user_token = fresh_sandbox.mint("facebook", PAGE1)["user_access_token"]
    codes = [gget(fresh_sandbox, "/me", user_token, fields="id").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 400]
    assert error_of(gget(fresh_sandbox, "/me", user_token))["code"] == 17
    fresh_sandbox.advance(3601)
    assert gget(fresh_sandbox, "/me", user_token).status_code == 200


def test_malformed_json_lists_never_break_routing_or_dialogs(sandbox):
    tok = page_token(sandbox)
    multi = httpx.get(graph(sandbox, ""), params={"ids": "[", "access_token": tok})
    assert multi.status_code == 400 and error_of(multi)["code"] == 100
    dialog = httpx.get(
        sandbox.platform_url("www.facebook.com", "/v25.0/dialog/oauth"),
        params={
            "client_id": "sandbox-facebook-client",
            "redirect_uri": "https://app.example.com/oauth/facebook/callback",
            "scope": '["pages_show_list"',
            "response_type": "code",
        },
    )
    assert dialog.status_code == 400 and "text/html" in dialog.headers["content-type"]
