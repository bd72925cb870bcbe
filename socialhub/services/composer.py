"""The schedule dialog's rules: per-platform character counts, every compatibility problem
at once (each provider's `validate` plus the few rules it does not cover: aspect ratio,
hashtags, a caption where the platform needs one), the creator's time zone, and which
platforms schedule natively. `schedule()` hands the post to `publishing.create_post`; the
engine does the rest. Services: they take the caller's session and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlmodel import Session, col, select

from socialhub.config import PLATFORM_LABELS
from socialhub.models import Connection, ConnectionStatus, LibraryItem, MediaFile, Post, User, utcnow
from socialhub.providers import provider_class
from socialhub.providers.base import MediaRef, PublishRequest
from socialhub.services import publishing
from socialhub.services.publishing import FACEBOOK_NATIVE_MAX, FACEBOOK_NATIVE_MIN, PostInvalid

# Rules the providers' validate() does not check, as data (from each platform's documents).
HASHTAG_LIMITS = {"instagram": 30, "youtube": 60, "tiktok": 100}
IMAGE_ASPECT = {"instagram": (4 / 5, 1.91)}  # feed images: portrait 4:5 to landscape 1.91:1
VIDEO_ASPECT = {"tiktok": (9 / 16 * 0.5, 16 / 9)}
# A text post with nothing in it is refused by every platform; YouTube takes its title from it.
NEEDS_CAPTION_WITHOUT_MEDIA = {"facebook", "linkedin", "x"}
NEEDS_CAPTION = {"youtube"}
HASHTAG = re.compile(r"(?<![\w&])#\w+")


@dataclass
class CaptionCount:
    platform: str
    label: str
    used: int
    limit: int
    unit: str

    @property
    def over(self) -> bool:
        return self.used > self.limit


def _checker(platform: str):
    cls = provider_class(platform)
    return cls.__new__(cls)  # counting and validate() need only class attributes


def count(platform: str, text: str) -> CaptionCount:
    """The caption's length as the platform counts it (X: URLs 23, CJK and emoji 2)."""
    checker = _checker(platform)
    limits = checker.LIMITS
    unit = {"weighted": "weighted characters", "bytes": "bytes", "utf16": "characters"}.get(
        limits.caption_unit, "characters"
    )
    return CaptionCount(
        platform, PLATFORM_LABELS[platform], checker.caption_length(text), limits.caption_max, unit
    )


def timezone_or_error(name: str) -> ZoneInfo:
    name = (name or "").strip()
    if not name or name not in available_timezones():
        raise PostInvalid([f"“{name[:60]}” is not a time zone; choose one like Europe/Paris."])
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PostInvalid([f"“{name[:60]}” is not a time zone; choose one like Europe/Paris."]) from exc


def save_timezone(session: Session, *, user_id: int, timezone: str) -> str:
    timezone_or_error(timezone)
    user = session.get(User, user_id)
    user.timezone = timezone.strip()
    session.add(user)
    return user.timezone


def local_to_utc(day: str, clock: str, timezone: str) -> datetime:
    """ "2026-12-24", "18:30" in the creator's zone -> an aware UTC datetime."""
    tz = timezone_or_error(timezone)
    try:
        local = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock))
    except ValueError as exc:
        raise PostInvalid([f"“{day} {clock}” is not a date and time (use YYYY-MM-DD and HH:MM)."]) from exc
    return local.replace(tzinfo=tz).astimezone(UTC)


def item_files(session: Session, *, user_id: int, item_id: int) -> tuple[LibraryItem, list[MediaFile]]:
    item = session.get(LibraryItem, item_id)
    if item is None or item.user_id != user_id:
        raise PostInvalid(["That library item was not found."])
    files = session.exec(
        select(MediaFile)
        .where(MediaFile.library_item_id == item_id)
        .order_by(col(MediaFile.position), col(MediaFile.id))
    ).all()
    return item, list(files)


def _refs(files: list[MediaFile]) -> list[MediaRef]:
    return [
        MediaRef(
            kind=f.kind,
            mime_type=f.mime_type,
            size_bytes=f.size_bytes,
            duration_seconds=f.duration_seconds,
            width=f.width,
            height=f.height,
        )
        for f in files
    ]


def extra_problems(platform: str, text: str, files: list[MediaFile]) -> list[str]:
    """What `validate()` leaves out, in the same words: one sentence each, platform named."""
    label = PLATFORM_LABELS[platform]
    problems = []
    if not text.strip() and (
        platform in NEEDS_CAPTION or (not files and platform in NEEDS_CAPTION_WITHOUT_MEDIA)
    ):
        problems.append(
            f"{label} needs a caption"
            + (" (its first line becomes the video title)." if platform == "youtube" else ".")
        )
    tags = len(HASHTAG.findall(text))
    if platform in HASHTAG_LIMITS and tags > HASHTAG_LIMITS[platform]:
        problems.append(
            f"{label} allows at most {HASHTAG_LIMITS[platform]} hashtags; this caption has {tags}."
        )
    for f in files:
        bounds = (IMAGE_ASPECT if f.kind == "image" else VIDEO_ASPECT).get(platform)
        if bounds and f.width and f.height:
            ratio = f.width / f.height
            if not bounds[0] - 0.01 <= ratio <= bounds[1] + 0.01:
                problems.append(
                    f"{label} takes {f.kind}s between {_ratio(bounds[0])} and {_ratio(bounds[1])}; "
                    f"{f.original_name or 'this file'} is {f.width}×{f.height}."
                )
    return problems


def _ratio(value: float) -> str:
    known = {0.8: "4:5 (portrait)", 1.91: "1.91:1 (landscape)", 0.28: "very tall", 1.78: "16:9"}
    return known.get(round(value, 2), f"{value:.2f}:1")


def problems(
    session: Session,
    *,
    user_id: int,
    item_id: int,
    connection_ids: list[int],
    caption: str,
    captions: dict[int, str] | None = None,
    when: datetime | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Every reason the post cannot be queued, listed at once, each naming its platform."""
    now = now or utcnow()
    out: list[str] = []
    _, files = item_files(session, user_id=user_id, item_id=item_id)
    if when is not None and when < now - timedelta(seconds=30):
        out.append("That time is in the past; choose a later one.")
    if not connection_ids:
        out.append("Choose at least one account to publish to.")
    for cid in dict.fromkeys(connection_ids):
        conn = session.get(Connection, cid)
        if conn is None or conn.user_id != user_id:
            out.append("One of the chosen accounts is no longer connected.")
            continue
        label = PLATFORM_LABELS[conn.platform]
        if conn.status in (ConnectionStatus.revoked, ConnectionStatus.expired):
            out.append(f"{label} @{conn.username}: access has ended; reconnect it first.")
        text = (captions or {}).get(cid) or caption
        request = PublishRequest(caption=text, media=_refs(files), scheduled_for=when)
        for problem in _checker(conn.platform).validate(request):
            out.append(problem if problem.startswith(label) else f"{label}: {problem}")
        out.extend(extra_problems(conn.platform, text, files))
    return list(dict.fromkeys(out))


def schedule(
    session: Session,
    *,
    user_id: int,
    item_id: int,
    connection_ids: list[int],
    caption: str,
    captions: dict[int, str] | None = None,
    when: datetime | None = None,
    timezone: str = "UTC",
    now: datetime | None = None,
) -> Post:
    """Queue the item for these accounts now (`when` None) or at `when` (aware). Nothing is
    stored when any problem remains. The caller commits, then calls `publishing.enqueue_post`."""
    found = problems(
        session, user_id=user_id, item_id=item_id, connection_ids=connection_ids,
        caption=caption, captions=captions, when=when, now=now,
    )  # fmt: skip
    if found:
        raise PostInvalid(found)
    _, files = item_files(session, user_id=user_id, item_id=item_id)
    overrides = {cid: text for cid, text in (captions or {}).items() if text.strip()}
    post = publishing.create_post(
        session, user_id=user_id, caption=caption, connection_ids=connection_ids,
        media_ids=[f.id for f in files], at=when, timezone=timezone, captions=overrides, now=now,
    )  # fmt: skip
    post.library_item_id = item_id
    session.add(post)
    session.flush()
    return post


def scheduling_notes(platforms: list[str], when: datetime | None, now: datetime | None = None) -> list[str]:
    """Who publishes at the chosen time: Facebook itself (10 minutes to 30 days ahead) or SocialHub."""
    if when is None:
        return []
    now = now or utcnow()
    native = [
        p
        for p in dict.fromkeys(platforms)
        if p == "facebook" and FACEBOOK_NATIVE_MIN <= when - now <= FACEBOOK_NATIVE_MAX
    ]
    ours = [p for p in dict.fromkeys(platforms) if p not in native]
    notes = []
    if native:
        notes.append(
            "Facebook Page: scheduled natively on Facebook (it publishes at that time even if SocialHub is off)."
        )
    if ours:
        names = ", ".join(PLATFORM_LABELS[p] for p in ours)
        notes.append(f"{names}: SocialHub publishes at that time (its worker and scheduler must be running).")
    return notes


# --- TikTok: who can see the video, from the account's creator_info ---------------------------

PRIVACY_LABELS = {
    "PUBLIC_TO_EVERYONE": "Everyone",
    "MUTUAL_FOLLOW_FRIENDS": "Friends",
    "FOLLOWER_OF_CREATOR": "Followers",
    "SELF_ONLY": "Only me",
}


@dataclass
class TikTokCreator:
    connection_id: int
    options: list[str]
    max_video_seconds: int | None


def tiktok_creator_info(*, user_id: int, connection_id: int) -> TikTokCreator:
    """The account's current posting options (an operation: a platform call, no transaction).
    TikTok asks apps to show these and let the creator choose; nothing is preselected."""
    from socialhub.services import access

    data = access.call(
        connection_id,
        lambda provider, creds: provider._api("POST", "/v2/post/publish/creator_info/query/", creds, json={}),
        job="creator_info",
        user_id=user_id,
    )
    limit = data.get("max_video_post_duration_sec")
    return TikTokCreator(
        connection_id, list(data.get("privacy_level_options") or []), int(limit) if limit else None
    )


def tiktok_problems(
    session: Session, *, item_id: int, user_id: int, creators: list[TikTokCreator], privacy: dict[int, str]
) -> list[str]:
    """What creator_info rules out: a video longer than this account may post, no audience chosen."""
    _, files = item_files(session, user_id=user_id, item_id=item_id)
    longest = max((f.duration_seconds or 0 for f in files if f.kind == "video"), default=0)
    out = []
    for c in creators:
        conn = session.get(Connection, c.connection_id)
        who = f"TikTok @{conn.username}" if conn else "TikTok"
        if c.max_video_seconds and longest > c.max_video_seconds:
            out.append(f"{who} can post videos up to {c.max_video_seconds} s; this one is {longest:.0f} s.")
        if privacy.get(c.connection_id) not in c.options:
            out.append(f"{who}: choose who can see the video.")
    return out


def save_tiktok_privacy(session: Session, *, user_id: int, connection_id: int, level: str) -> None:
    """Kept on the connection, where the TikTok publisher reads it (`privacy_level`)."""
    conn = session.get(Connection, connection_id)
    if conn is None or conn.user_id != user_id or conn.platform != "tiktok" or level not in PRIVACY_LABELS:
        raise PostInvalid(["That TikTok audience cannot be set for this account."])
    conn.extra = {**(conn.extra or {}), "privacy_level": level}
    session.add(conn)
