"""TikTok direct post, step by step and resumable (CONTRACTS §3.3).

Steps recorded with save_step, each before the next platform call:
  source, chunk plan, privacy, username and baseline (after creator_info, before init);
  init through create_once (it creates the post: steps["created"] holds the publish id and
  upload_url is saved with it); uploaded after the last chunk; the final result once TikTok
  reports PUBLISH_COMPLETE. A retry never calls init again: it resumes the upload where
  TikTok's uploaded_bytes says, or goes straight back to polling the status.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from socialhub.providers.base import (
    Credentials,
    InvalidRequest,
    PermissionMissing,
    PublishRequest,
    PublishResult,
    RemotePost,
    StepSaver,
    TransientError,
)
from socialhub.providers.errors import StepPending
from socialhub.providers.types import utcnow

if TYPE_CHECKING:
    from socialhub.providers.tiktok import TikTokProvider

PREFERENCE = ("PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")
DONE = {"PUBLISH_COMPLETE", "FAILED", "SEND_TO_USER_INBOX"}


def run_publish(
    p: TikTokProvider,
    creds: Credentials,
    request: PublishRequest,
    steps: dict[str, Any],
    save_step: StepSaver,
) -> PublishResult:
    """Publish one video post, resuming from `steps`."""
    from socialhub.providers.tiktok import FAIL_REASONS

    done = p.finished(steps)
    if done is not None:
        return done
    problems = p.validate(request)
    if problems:
        raise InvalidRequest(" ".join(problems), platform=p.platform)
    if not steps.get("source"):
        _prepare(p, creds, request, steps)
        save_step(steps)
    created = p.create_once(steps, save_step, lambda: _init(p, creds, request, steps))
    publish_id = created.post_id

    if steps["source"] == "FILE_UPLOAD" and not steps.get("uploaded"):
        _upload(p, creds, request, steps, publish_id)
        steps["uploaded"] = True
        save_step(steps)

    status = _wait(p, creds, publish_id)
    if status["status"] == "FAILED":
        reason = status.get("fail_reason", "")
        raise InvalidRequest(
            f"TikTok could not publish the video: {FAIL_REASONS.get(reason, reason or 'unknown reason')}.",
            platform=p.platform,
            code=reason,
        )
    ids = status.get("publicaly_available_post_id") or []  # (sic) TikTok's spelling
    if ids:
        post_id = str(ids[0])
        url = f"https://www.tiktok.com/@{steps.get('username', '')}/video/{post_id}"
    else:
        post_id, url = _find_private(p, creds, request, steps)
    return p.finish(steps, save_step, PublishResult(status="published", post_id=post_id, url=url))


def _prepare(p: TikTokProvider, creds: Credentials, request: PublishRequest, steps: dict[str, Any]) -> None:
    """Everything init needs, decided once: privacy, upload plan, the newest video before it."""
    media = request.media[0]
    creator = p._api("POST", "/v2/post/publish/creator_info/query/", creds, json={})
    limit = creator.get("max_video_post_duration_sec")
    if media.duration_seconds and limit and media.duration_seconds > limit:
        raise InvalidRequest(
            f"This TikTok account can post videos up to {limit} s long.", platform=p.platform
        )
    options = creator.get("privacy_level_options") or ["SELF_ONLY"]
    wanted = creds.extra.get("privacy_level")
    privacy = wanted if wanted in options else next((o for o in PREFERENCE if o in options), options[0])
    newest = p.list_posts(creds, limit=1).posts
    if media.url:
        steps.update(source="PULL_FROM_URL", video_url=media.url)
    else:
        size = os.path.getsize(p.media_path(media))
        chunk, count = p.chunk_plan(size)
        steps.update(source="FILE_UPLOAD", video_size=size, chunk_size=chunk, total_chunk_count=count)
    steps.update(
        privacy_level=privacy,
        username=creator.get("creator_username", ""),
        baseline_id=newest[0].post_id if newest else None,
        baseline_time=newest[0].created_at.timestamp() if newest and newest[0].created_at else None,
    )


def _init(
    p: TikTokProvider, creds: Credentials, request: PublishRequest, steps: dict[str, Any]
) -> PublishResult:
    """The one call that creates the post (run by create_once): afterwards only upload and polling."""
    from socialhub.providers.tiktok import UNAUDITED

    if steps["source"] == "PULL_FROM_URL":
        source: dict[str, Any] = {"source": "PULL_FROM_URL", "video_url": steps["video_url"]}
    else:
        source = {
            "source": "FILE_UPLOAD",
            "video_size": steps["video_size"],
            "chunk_size": steps["chunk_size"],
            "total_chunk_count": steps["total_chunk_count"],
        }
    post_info = {
        "title": request.caption,
        "privacy_level": steps["privacy_level"],
        "disable_duet": False,
        "disable_comment": False,
        "disable_stitch": False,
    }
    body = {"post_info": post_info, "source_info": source}
    try:
        data = p._api("POST", "/v2/post/publish/video/init/", creds, json=body)
    except PermissionMissing as exc:
        if exc.code != UNAUDITED or post_info["privacy_level"] == "SELF_ONLY":
            raise
        # Apps before TikTok's audit may only post privately; nothing was created, so retry private.
        post_info["privacy_level"] = steps["privacy_level"] = "SELF_ONLY"
        data = p._api("POST", "/v2/post/publish/video/init/", creds, json=body)
    steps.update(publish_id=str(data["publish_id"]), upload_url=data.get("upload_url"))  # saved with it
    return PublishResult(status=p.FOLLOW_UP, post_id=str(data["publish_id"]))


def _upload(
    p: TikTokProvider, creds: Credentials, request: PublishRequest, steps: dict[str, Any], publish_id: str
) -> None:
    """PUT the file in sequential chunks, starting where TikTok says the upload stands."""
    path = p.media_path(request.media[0])
    size, chunk, count = steps["video_size"], steps["chunk_size"], steps["total_chunk_count"]
    if os.path.getsize(path) != size:
        raise InvalidRequest("The video file changed since the upload started.", platform=p.platform)
    status = _status(p, creds, publish_id)
    if status["status"] != "PROCESSING_UPLOAD" or status.get("uploaded_bytes", 0) >= size:
        return  # TikTok already has every byte
    offset = int(status.get("uploaded_bytes") or 0)
    mime = request.media[0].mime_type or "video/mp4"
    with open(path, "rb") as fh:
        for index in range(offset // chunk if chunk else 0, count):
            first = index * chunk
            last = size - 1 if index == count - 1 else first + chunk - 1
            fh.seek(first)
            data = fh.read(last - first + 1)
            p.request(
                "PUT",
                steps["upload_url"],
                creds=creds,
                expect_json=False,
                content=data,
                headers={
                    "Content-Type": mime,
                    "Content-Length": str(len(data)),
                    "Content-Range": f"bytes {first}-{last}/{size}",
                },
            )


def _status(p: TikTokProvider, creds: Credentials, publish_id: str) -> dict[str, Any]:
    return p._api("POST", "/v2/post/publish/status/fetch/", creds, json={"publish_id": publish_id})


def _wait(p: TikTokProvider, creds: Credentials, publish_id: str) -> dict[str, Any]:
    """One status look: done, or StepPending to look again after the poll interval."""
    status = _status(p, creds, publish_id)
    if status.get("status") in DONE:
        return status
    raise StepPending(
        "TikTok is still processing the video.",
        platform=p.platform,
        retry_at=utcnow() + timedelta(seconds=p.poll_interval),
    )


def _find_private(
    p: TikTokProvider, creds: Credentials, request: PublishRequest, steps: dict[str, Any]
) -> tuple[str, str]:
    """A SELF_ONLY post has no public id: find it in the owner's video list by caption."""
    baseline_time = steps.get("baseline_time")
    for post in p.list_posts(creds, limit=20).posts:
        if post.post_id == steps.get("baseline_id"):
            break  # everything from here on existed before this publish
        if baseline_time is not None and post.created_at and post.created_at.timestamp() < baseline_time:
            break
        if p.normalize_caption(post.caption) == p.normalize_caption(request.caption):
            return (
                post.post_id,
                post.url or f"https://www.tiktok.com/@{steps.get('username', '')}/video/{post.post_id}",
            )
    raise TransientError(
        "TikTok finished the private post but does not list it yet; we'll look again shortly.",
        platform=p.platform,
    )


def find_by_publish_id(p: TikTokProvider, creds: Credentials, steps: dict[str, Any]) -> RemotePost | None:
    """The post a saved publish id became: its public id, or None (private, failed: look by
    caption). Still processing: StepPending, TikTok cannot say yet."""
    publish_id = steps.get("publish_id")
    if not publish_id:
        return None
    status = _wait(p, creds, str(publish_id))
    ids = status.get("publicaly_available_post_id") or []
    if status.get("status") != "PUBLISH_COMPLETE" or not ids:
        return None
    post_id = str(ids[0])
    return RemotePost(
        post_id=post_id, url=f"https://www.tiktok.com/@{steps.get('username', '')}/video/{post_id}"
    )
