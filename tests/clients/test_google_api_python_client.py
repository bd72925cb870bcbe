"""Google's own client (google-api-python-client, static discovery documents) against the
YouTube sandbox, pointed there through `client_options={"api_endpoint": ...}`."""

from __future__ import annotations

import io

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

AUTH = "https://www.googleapis.com/auth/"
SCOPES = [AUTH + "youtube.readonly", AUTH + "youtube.upload", AUTH + "yt-analytics.readonly"]
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4000


def youtube(sb, token: str):
    return build(
        "youtube",
        "v3",
        credentials=Credentials(token=token),
        client_options={"api_endpoint": f"{sb.url}/youtube.googleapis.com/"},
        static_discovery=True,
        cache_discovery=False,
    )


def token_for(sb, index: int = 0) -> tuple[str, str]:
    channel = sb.accounts("youtube")[index]["id"]
    return channel, sb.mint("youtube", channel, SCOPES)["access_token"]


def test_channel_uploads_videos_and_search(sandbox):
    channel_id, token = token_for(sandbox)
    yt = youtube(sandbox, token)
    me = yt.channels().list(part="snippet,statistics,contentDetails", mine=True).execute()
    [channel] = me["items"]
    assert channel["id"] == channel_id and int(channel["statistics"]["subscriberCount"]) >= 0
    uploads = channel["contentDetails"]["relatedPlaylists"]["uploads"]
    items = yt.playlistItems().list(part="contentDetails", playlistId=uploads, maxResults=10).execute()
    ids = [i["contentDetails"]["videoId"] for i in items["items"]]
    assert len(ids) == 10 and items["nextPageToken"]
    videos = yt.videos().list(part="statistics,snippet", id=",".join(ids)).execute()["items"]
    assert {v["id"] for v in videos} == set(ids) and all("viewCount" in v["statistics"] for v in videos)
    found = yt.search().list(part="snippet", forMine=True, type="video", order="date", maxResults=5).execute()
    assert len(found["items"]) == 5 and all(i["snippet"]["channelId"] == channel_id for i in found["items"])
    first_page = yt.search().list(part="snippet", forMine=True, type="video", order="date", maxResults=5)
    following = yt.search().list_next(first_page, first_page.execute())
    assert following is not None
    more = following.execute()["items"]
    assert more and not {i["id"]["videoId"] for i in more} & {i["id"]["videoId"] for i in found["items"]}


def test_media_upload_cannot_be_pointed_at_a_base_url(sandbox):
    """Recorded in the README: for media uploads the client swaps only the host of its
    discovery rootUrl for the api_endpoint's (`_fix_up_media_path_base_url`), keeping https
    and dropping the path, so a path-prefixed sandbox cannot receive videos.insert from it.
    SocialHub's own provider uploads through httpx (tests/providers/test_youtube.py)."""
    _, token = token_for(sandbox)
    media = MediaIoBaseUpload(io.BytesIO(MP4), mimetype="video/mp4", chunksize=256 * 1024, resumable=True)
    request = youtube(sandbox, token).videos().insert(part="snippet", body={}, media_body=media)
    assert request.uri.startswith("https://127.0.0.1:") and "/youtube.googleapis.com/" not in request.uri


def test_analytics_report(sandbox):
    _, token = token_for(sandbox, 1)
    analytics = build(
        "youtubeAnalytics",
        "v2",
        credentials=Credentials(token=token),
        client_options={"api_endpoint": f"{sandbox.url}/youtubeanalytics.googleapis.com/"},
        static_discovery=True,
        cache_discovery=False,
    )
    report = (
        analytics.reports()
        .query(
            ids="channel==MINE",
            startDate="2026-01-01",
            endDate="2026-01-31",
            metrics="views,likes",
            dimensions="day",
        )
        .execute()
    )
    assert [h["name"] for h in report["columnHeaders"]] == ["day", "views", "likes"]


def test_errors_surface_as_http_error(sandbox):
    _, token = token_for(sandbox)
    with pytest.raises(HttpError) as caught:
        youtube(sandbox, token).videos().list(part="id").execute()
    assert (
        caught.value.resp.status == 400
        and caught.value.error_details[0]["reason"] == "missingRequiredParameter"
    )
