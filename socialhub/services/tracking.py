"""Tracking: which posts the metric sync follows. A creator pastes a post's URL, imports an
account's recent posts, or publishes through SocialHub (the engine's track_published).

These are operations like services/access.py: they take ids, make platform calls through
`access.call` with no transaction open, and write in their own short transactions.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func
from sqlmodel import Session, select

from socialhub.config import PLATFORM_LABELS
from socialhub.db import session_scope
from socialhub.models import Connection, MetricSnapshot, TrackedPost, utcnow
from socialhub.providers import parse_any_post_url, provider_class
from socialhub.providers.base import InvalidPostUrl, NotFound, PostRef, ProviderError, RemotePost
from socialhub.services import access, dashboard_rollups

MAX_URL_LENGTH = 2048
IMPORT_DAYS = 90
IMPORT_MAX_PAGES = 50  # 5,000 posts at 100 a page: far more than 90 days of anyone's posting


class TrackError(ValueError):
    """A link that cannot be tracked; the message says why and what was expected."""


@dataclass(frozen=True)
class ImportResult:
    added: int
    already: int
    pages: int


# --- URL checks that no platform parser should have to make ------------------------------------


def check_url(url: str) -> str:
    """The pasted text, trimmed, or TrackError for what no post link can be."""
    text = (url or "").strip()
    if not text:
        raise TrackError("Paste the link of a post.")
    if len(text) > MAX_URL_LENGTH:
        raise TrackError(f"That link is longer than {MAX_URL_LENGTH} characters; paste the post's own link.")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} or ch.isspace() for ch in text):
        raise TrackError("That link contains spaces or invisible characters; paste the post's link alone.")
    scheme = (
        text.split(":", 1)[0].lower()
        if "://" in text or text.lower().startswith(("javascript:", "data:"))
        else ""
    )
    if scheme and scheme not in {"http", "https"}:
        raise TrackError("Only web links (https://...) to a post can be tracked.")
    parts = urlsplit(text if "://" in text else f"https://{text}")
    host = parts.hostname or ""
    if not host:
        raise TrackError(
            "That is not a link to a post (expected something like https://x.com/user/status/123)."
        )
    if not host.isascii():
        raise TrackError(
            "That link's address uses characters that only look like a platform's name; "
            "paste the link copied from the platform itself."
        )
    if parts.username or parts.password:
        raise TrackError("That link carries a user name or password; paste the post's own link.")
    return text


def parse(url: str) -> PostRef:
    """The post a pasted URL names (a TikTok short link is expanded with one GET)."""
    text = check_url(url)
    tiktok = provider_class("tiktok")
    if tiktok.is_short_link(text):  # type: ignore[attr-defined]
        provider = access.provider_for("tiktok")
        try:
            text = check_url(provider.expand_short_link(text))  # type: ignore[attr-defined]
        except InvalidPostUrl as exc:
            raise TrackError(str(exc)) from exc
        except ProviderError as exc:
            raise TrackError(f"Could not open that TikTok short link: {exc.message}") from exc
        finally:
            provider.close()
    try:
        return parse_any_post_url(text)
    except InvalidPostUrl as first:
        platform = _platform_of_host(text)
        if platform is None:
            raise TrackError(
                "That link is not a post on Instagram, Facebook, TikTok, YouTube, LinkedIn or X."
            ) from first
        try:
            provider_class(platform).parse_post_url(text)
        except InvalidPostUrl as exc:
            raise TrackError(str(exc)) from exc
        raise TrackError(str(first)) from first


_HOST_PLATFORM = {
    "instagram.com": "instagram",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "fb.watch": "facebook",
    "tiktok.com": "tiktok",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "linkedin.com": "linkedin",
    "lnkd.in": "linkedin",
    "x.com": "x",
    "twitter.com": "x",
}


def _platform_of_host(url: str) -> str | None:
    host = (urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower()
    for domain, platform in _HOST_PLATFORM.items():
        if host == domain or host.endswith("." + domain):
            return platform
    return None


# --- track one URL ----------------------------------------------------------------------------


def _candidates(user_id: int, ref: PostRef) -> list[Connection]:
    with session_scope() as s:
        conns = list(
            s.exec(
                select(Connection)
                .where(Connection.user_id == user_id, Connection.platform == ref.platform)
                .order_by(Connection.id)
            ).all()
        )
    if ref.username:  # the URL names the account: try that connection first
        wanted = ref.username.lstrip("@").lower()
        conns.sort(key=lambda c: (c.username or "").lstrip("@").lower() != wanted)
    return conns


def _owned(conn: Connection, post: RemotePost) -> bool:
    return post.account_id is None or str(post.account_id) == str(conn.account_id)


def track_url(*, user_id: int, url: str) -> TrackedPost:
    """Track the post a URL points at, on the creator's connection that owns it."""
    ref = parse(url)
    label = PLATFORM_LABELS.get(ref.platform, ref.platform)
    conns = _candidates(user_id, ref)
    if not conns:
        raise TrackError(f"Connect your {label} account first, then paste the link again.")
    for conn in conns:
        try:
            post = access.call(
                conn.id, lambda p, c: p.resolve_post(c, ref), job="track_post", user_id=user_id
            )
        except (NotFound, InvalidPostUrl):
            continue
        except ProviderError as exc:
            raise TrackError(f"{label} could not be asked about that post: {exc.message}") from exc
        if not _owned(conn, post):
            continue
        return _add(user_id, conn, post, source="url", url=url.strip())
    names = ", ".join(f"@{c.username}" if c.username else c.display_name or c.account_id for c in conns)
    who = f"@{ref.username}" if ref.username else "the account that posted it"
    raise TrackError(
        f"That {label} post is not on your connected account(s) ({names}). "
        f"Connect {who} on the Connections page to track it."
    )


def _add(user_id: int, conn: Connection, post: RemotePost, *, source: str, url: str | None) -> TrackedPost:
    with session_scope() as s:
        row = s.exec(
            select(TrackedPost).where(
                TrackedPost.connection_id == conn.id, TrackedPost.platform_post_id == post.post_id
            )
        ).first()
        if row is not None and row.status == "active":
            raise TrackError("You already track this post.")
        if row is not None and row.status == "deleted":
            raise TrackError("This post was deleted on the platform; its history is kept in your list.")
        if row is None:
            row = TrackedPost(
                user_id=user_id,
                connection_id=conn.id,
                platform=conn.platform,
                platform_post_id=post.post_id,
            )
        row.status, row.removed_at, row.source = "active", None, row.source if row.id else source
        row.url = row.url or post.url or url
        row.title = row.title or (post.caption or "")[:200]
        if row.published_at is None and post.created_at is not None:
            dashboard_rollups.set_published_at(s, row, post.created_at)
        row.thumbnail_url = post.thumbnail_url or row.thumbnail_url
        s.add(row)
        s.flush()
        s.expunge(row)
        return row


# --- import an account's recent posts -------------------------------------------------------


def import_recent(*, user_id: int, connection_id: int, days: int = IMPORT_DAYS) -> ImportResult:
    """The account's posts of the last `days` days, page by page, without duplicates."""
    acct = access.load(connection_id, user_id=user_id)
    cls = provider_class(acct.platform)
    oldest = utcnow() - timedelta(days=days)
    found: list[RemotePost] = []
    cursor: str | None = None
    pages = 0
    for _ in range(IMPORT_MAX_PAGES):
        page = access.call(
            connection_id,
            lambda p, c, cur=cursor: p.list_posts(c, cursor=cur, limit=cls.LIST_PAGE_MAX),
            job="import_posts",
            user_id=user_id,
        )
        pages += 1
        older = False
        for post in page.posts:
            if post.created_at is not None and post.created_at < oldest:
                older = True
                continue
            found.append(post)
        cursor = page.next_cursor
        if not cursor or (older and cls.FIND_NEWEST_FIRST):
            break
    added, already = _add_many(user_id, connection_id, acct.platform, found)
    return ImportResult(added=added, already=already, pages=pages)


def _add_many(user_id: int, connection_id: int, platform: str, posts: list[RemotePost]) -> tuple[int, int]:
    unique = {p.post_id: p for p in posts}
    with session_scope() as s:
        known = set(
            s.exec(
                select(TrackedPost.platform_post_id).where(TrackedPost.connection_id == connection_id)
            ).all()
        )
        added = 0
        for post_id, post in unique.items():
            if post_id in known:
                continue
            s.add(
                TrackedPost(
                    user_id=user_id,
                    connection_id=connection_id,
                    platform=platform,
                    platform_post_id=post_id,
                    url=post.url,
                    source="import",
                    title=(post.caption or "")[:200],
                    published_at=post.created_at,
                    thumbnail_url=post.thumbnail_url,
                )
            )
            added += 1
    return added, len(unique) - added


# --- untrack and list -------------------------------------------------------------------------


def untrack(session: Session, *, user_id: int, tracked_id: int, delete_history: bool = False) -> None:
    """Stop following a post. Its snapshots stay unless the creator asks to delete them."""
    row = session.get(TrackedPost, tracked_id)
    if row is None or row.user_id != user_id:
        raise TrackError("That tracked post was not found.")
    if delete_history:
        dashboard_rollups.remove_post(session, tracked_id)  # the dashboard forgets its gains
        session.delete(row)  # snapshots go with it (ON DELETE CASCADE)
        return
    if row.status == "active":
        row.status, row.removed_at = "untracked", utcnow()
        session.add(row)


@dataclass(frozen=True)
class TrackedRow:
    id: int
    connection_id: int
    platform: str
    title: str
    url: str | None
    status: str
    published_at: datetime | None
    last_synced_at: datetime | None
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None


def list_tracked(session: Session, *, user_id: int, include_untracked: bool = False) -> list[TrackedRow]:
    """The creator's tracked posts with their latest numbers, newest post first."""
    latest = (
        select(MetricSnapshot.tracked_post_id, func.max(MetricSnapshot.id).label("snap_id"))
        .join(TrackedPost, TrackedPost.id == MetricSnapshot.tracked_post_id)
        .where(TrackedPost.user_id == user_id)
        .group_by(MetricSnapshot.tracked_post_id)
        .subquery()
    )
    query = (
        select(TrackedPost, MetricSnapshot)
        .join(latest, latest.c.tracked_post_id == TrackedPost.id, isouter=True)
        .join(MetricSnapshot, MetricSnapshot.id == latest.c.snap_id, isouter=True)
        .where(TrackedPost.user_id == user_id)
    )
    if not include_untracked:
        query = query.where(TrackedPost.status != "untracked")
    rows = []
    for post, snap in session.exec(query).all():
        rows.append(
            TrackedRow(
                id=post.id,
                connection_id=post.connection_id,
                platform=post.platform,
                title=post.title,
                url=post.url,
                status=post.status,
                published_at=post.published_at,
                last_synced_at=post.last_synced_at,
                views=snap.views if snap else None,
                likes=snap.likes if snap else None,
                comments=snap.comments if snap else None,
                shares=snap.shares if snap else None,
            )
        )
    far_past = datetime.min.replace(tzinfo=utcnow().tzinfo)
    rows.sort(key=lambda r: r.published_at or far_past, reverse=True)
    return rows
