"""videos.insert over Google's resumable upload protocol, resumable across retries (§4.3).

Steps: `upload_url` (the session URI) is saved right after the POST that opens the session,
before any byte is sent. A retry never opens a second session: it asks the saved one how far
it got (`Content-Range: bytes */<total>`) and sends the rest; a finished session answers
with the video itself. Only a session YouTube no longer knows (404/410, nothing created)
is opened again. The final chunk is the call that creates the video, so it goes through
create_once; after a lost answer, find_published probes the session (find_by_session).
"""

from __future__ import annotations

import os
import re
from datetime import UTC
from typing import TYPE_CHECKING, Any

from socialhub.providers.base import (
    Credentials,
    InvalidRequest,
    NotFound,
    PublishRequest,
    PublishResult,
    RemotePost,
    StepSaver,
    TransientError,
)

if TYPE_CHECKING:
    import httpx

    from socialhub.providers.youtube import YouTubeProvider

_RANGE = re.compile(r"bytes=0-(\d+)")
MAX_ROUNDS = 10_000


def run_upload(
    p: YouTubeProvider,
    creds: Credentials,
    request: PublishRequest,
    steps: dict[str, Any],
    save_step: StepSaver,
) -> PublishResult:
    """Upload and publish one video, resuming from `steps`."""
    done = p.finished(steps)
    if done is not None:
        return done
    if steps.get("failed"):
        raise InvalidRequest(f"YouTube could not process the video ({steps['failed']}).", platform=p.platform)
    problems = p.validate(request)
    if problems:
        raise InvalidRequest(" ".join(problems), platform=p.platform)
    path = p.media_path(request)
    size = os.path.getsize(path)
    mime = request.media[0].mime_type or "application/octet-stream"

    video: dict[str, Any] | None = None
    offset = 0
    if not steps.get(p.CREATE_MARKER):  # with a marker, create_once says the outcome is unknown
        if steps.get("upload_url"):
            try:
                video, offset = _probe(p, creds, steps["upload_url"], size)
            except NotFound:
                steps.pop("upload_url", None)  # the session expired before completing: nothing was created
                save_step(steps)
        if video is None and not steps.get("upload_url"):
            _open_session(p, creds, request, size, mime, steps)
            save_step(steps)
        if video is None:
            sent = _send(p, creds, steps["upload_url"], path, size, offset, mime, last=False)
            video, offset = (sent, offset) if isinstance(sent, dict) else (None, sent)
    scheduled = bool(steps.get("scheduled", request.scheduled_for is not None))

    def create() -> PublishResult:
        # The final chunk is what makes YouTube create the video.
        got = video or _send(p, creds, steps["upload_url"], path, size, offset, mime, last=True)
        status = got.get("status", {})
        if status.get("uploadStatus") in {"failed", "rejected"}:
            reason = status.get("failureReason") or status.get("rejectionReason") or status["uploadStatus"]
            steps["failed"] = reason  # saved when create_once clears the marker: never uploaded again
            raise InvalidRequest(
                f"YouTube could not process the video ({reason}).", platform=p.platform, code=reason
            )
        return p.result(got["id"], scheduled)

    return p.create_once(steps, save_step, create)


def _open_session(
    p: YouTubeProvider,
    creds: Credentials,
    request: PublishRequest,
    size: int,
    mime: str,
    steps: dict[str, Any],
) -> None:
    """POST the metadata; the answer's Location is the session every byte goes to."""
    from socialhub.providers.youtube import video_title

    status: dict[str, Any] = {"privacyStatus": "public", "selfDeclaredMadeForKids": False}
    if request.scheduled_for is not None:
        status = {
            "privacyStatus": "private",
            "selfDeclaredMadeForKids": False,
            "publishAt": request.scheduled_for.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
    metadata = {
        "snippet": {"title": video_title(request), "description": request.caption, "categoryId": "22"},
        "status": status,
    }
    resp = p.request(
        "POST",
        p.url("www.googleapis.com", "/upload/youtube/v3/videos"),
        creds=creds,
        expect_json=False,
        params={"uploadType": "resumable", "part": "snippet,status"},
        json=metadata,
        headers={
            **p._auth(creds),
            "Content-Type": "application/json; charset=UTF-8",
            "X-Upload-Content-Length": str(size),
            "X-Upload-Content-Type": mime,
        },
    )
    location = resp.headers.get("location")
    if not location:
        raise TransientError("YouTube did not return an upload address.", platform=p.platform)
    steps.update(upload_url=location, video_size=size, scheduled=request.scheduled_for is not None)


def find_by_session(p: YouTubeProvider, creds: Credentials, steps: dict[str, Any]) -> RemotePost | None:
    """Ask the saved upload session: a finished one answers with the video it created."""
    if not steps.get("upload_url") or not steps.get("video_size"):
        return None
    try:
        video, _ = _probe(p, creds, steps["upload_url"], int(steps["video_size"]))
    except NotFound:
        return None  # expired before its last byte: no video
    if video is None or video.get("status", {}).get("uploadStatus") in {"failed", "rejected"}:
        return None
    return RemotePost(
        post_id=video["id"],
        url=f"https://www.youtube.com/watch?v={video['id']}",
        caption=video.get("snippet", {}).get("title", ""),
        media_type="video",
    )


def _probe(p: YouTubeProvider, creds: Credentials, url: str, size: int) -> tuple[dict[str, Any] | None, int]:
    """Ask a saved session how far it got: (the video if finished, next byte offset)."""
    resp = p.request(
        "PUT",
        url,
        creds=creds,
        expect_json=False,
        content=b"",
        headers={**p._auth(creds), "Content-Length": "0", "Content-Range": f"bytes */{size}"},
    )
    return _outcome(resp)


def _outcome(resp: httpx.Response) -> tuple[dict[str, Any] | None, int]:
    if resp.status_code in (200, 201):
        return resp.json(), -1
    if resp.status_code == 308:
        match = _RANGE.search(resp.headers.get("range", ""))
        return None, int(match.group(1)) + 1 if match else 0
    raise TransientError(
        f"YouTube answered the upload with HTTP {resp.status_code}.",
        platform="youtube",
        status=resp.status_code,
    )


def _send(
    p: YouTubeProvider,
    creds: Credentials,
    url: str,
    path: str,
    size: int,
    offset: int,
    mime: str,
    *,
    last: bool,
) -> Any:
    """Send the bytes from `offset` in chunks (multiples of 256 KiB). last=False stops before the
    final chunk and returns its offset; last=True sends it and returns the video YouTube made."""
    chunk = max(p.upload_chunk_size // (256 * 1024), 1) * 256 * 1024
    with open(path, "rb") as fh:
        for _ in range(MAX_ROUNDS):
            final = offset + chunk >= size
            if final and not last:
                return offset
            fh.seek(offset)
            data = fh.read(chunk)
            resp = p.request(
                "PUT",
                url,
                creds=creds,
                expect_json=False,
                content=data,
                headers={
                    **p._auth(creds),
                    "Content-Type": mime,
                    "Content-Length": str(len(data)),
                    "Content-Range": f"bytes {offset}-{offset + len(data) - 1}/{size}",
                },
            )
            video, next_offset = _outcome(resp)
            if video is not None:
                return video
            if final or (next_offset <= offset and len(data)):
                # An answer, but no video: nothing was created; the retry probes and resumes.
                raise TransientError(
                    "YouTube did not accept the upload chunk; will resume later.",
                    platform=p.platform,
                    status=resp.status_code,
                )
            offset = next_offset
    raise TransientError("The YouTube upload did not finish; will resume later.", platform=p.platform)
