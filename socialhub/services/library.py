"""The content library: items (title, caption, tags) holding one or more media files, where
each has been published or scheduled, search and filters, edit and delete. Services: they
take the caller's session and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from socialhub.config import PLATFORM_LABELS
from socialhub.models import Connection, LibraryItem, MediaFile, Post, PostTarget, utcnow
from socialhub.models import TargetStatus as S
from socialhub.services import media as media_svc
from socialhub.services.calendar import when_of
from socialhub.services.media_probe import MediaInfo

TITLE_MAX = 200
# The longest caption any platform takes is Facebook's 63,206 characters.
CAPTION_MAX = 64_000
TAG_MAX = 40
TAGS_MAX = 30
# Targets that still need the item's media: it cannot be deleted under them.
PENDING = {S.draft, S.scheduled, S.publishing, S.retrying, S.needs_reconnect, S.missed, S.unconfirmed}


class LibraryInvalid(ValueError):
    """Bad input for an item; the message says what to change."""


class ItemBusy(ValueError):
    """The item has posts waiting; they must be cancelled first."""


class ItemNotFound(LookupError):
    pass


@dataclass
class MediaView:
    id: int
    kind: str
    mime_type: str
    size_bytes: int
    width: int | None
    height: int | None
    duration_seconds: float | None
    frame_rate: float | None
    codec: str | None
    original_name: str
    preview: str  # a data: URI


@dataclass
class Placement:
    target_id: int
    post_id: int
    platform: str
    account: str
    status: str
    when: datetime | None
    url: str | None


@dataclass
class ItemView:
    id: int
    title: str
    caption: str
    tags: list[str]
    created_at: datetime
    media: list[MediaView] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)

    @property
    def used(self) -> bool:
        return any(p.status != S.cancelled.value for p in self.placements)

    @property
    def kinds(self) -> set[str]:
        return {m.kind for m in self.media}


def parse_tags(text: str | list[str]) -> list[str]:
    """ "#Travel, food summer" -> ["travel", "food", "summer"] (order kept, no repeats)."""
    words = text if isinstance(text, list) else re.split(r"[,\s]+", text)
    tags = list(dict.fromkeys(w.strip().lstrip("#").lower() for w in words if w.strip().lstrip("#")))
    for tag in tags:
        if len(tag) > TAG_MAX:
            raise LibraryInvalid(f"The tag “{tag[:20]}…” is longer than {TAG_MAX} characters.")
    if len(tags) > TAGS_MAX:
        raise LibraryInvalid(f"An item can have at most {TAGS_MAX} tags; this one has {len(tags)}.")
    return tags


def _check_text(title: str, caption: str) -> None:
    if len(title) > TITLE_MAX:
        raise LibraryInvalid(f"The title has {len(title)} characters; at most {TITLE_MAX} fit.")
    if len(caption) > CAPTION_MAX:
        raise LibraryInvalid(
            f"The caption has {len(caption):,} characters; at most {CAPTION_MAX:,} are kept "
            "(no platform takes more)."
        )


def _owned(session: Session, user_id: int, item_id: int) -> LibraryItem:
    item = session.get(LibraryItem, item_id)
    if item is None or item.user_id != user_id:
        raise ItemNotFound("That library item was not found.")
    return item


def create_item(
    session: Session, *, user_id: int, title: str = "", caption: str = "", tags: str | list[str] = ""
) -> LibraryItem:
    title, caption = title.strip(), caption.strip()
    _check_text(title, caption)
    item = LibraryItem(user_id=user_id, title=title, caption=caption, tags=parse_tags(tags))
    session.add(item)
    session.flush()
    return item


def add_media(
    session: Session, *, user_id: int, item_id: int, src: Path, info: MediaInfo, original_name: str
) -> MediaFile:
    """Add a checked file to an item (the carousel grows at the end)."""
    item = _owned(session, user_id, item_id)
    count = len(session.exec(select(MediaFile.id).where(MediaFile.library_item_id == item.id)).all())
    media = media_svc.add_checked_file(
        session, item=item, src=src, info=info, original_name=original_name, position=count
    )
    if not item.title:
        item.title = Path(original_name).stem[:TITLE_MAX]
    item.updated_at = utcnow()
    session.add(item)
    return media


def update_item(
    session: Session, *, user_id: int, item_id: int, title: str, caption: str, tags: str | list[str]
) -> None:
    item = _owned(session, user_id, item_id)
    title, caption = title.strip(), caption.strip()
    _check_text(title, caption)
    item.title, item.caption, item.tags = title, caption, parse_tags(tags)
    item.updated_at = utcnow()
    session.add(item)


def _targets_of(session: Session, item_id: int) -> list[tuple[PostTarget, Post]]:
    rows = session.exec(
        select(PostTarget, Post)
        .join(Post, col(Post.id) == PostTarget.post_id)
        .where(Post.library_item_id == item_id)
        .order_by(col(PostTarget.id))
    ).all()
    return list(rows)


def delete_item(session: Session, *, user_id: int, item_id: int) -> list[str]:
    """Delete an item and its media rows; refused while any of its posts still waits.
    Returns the stored keys nothing else uses: the caller deletes them (media.delete_stored)
    after committing."""
    item = _owned(session, user_id, item_id)
    waiting = [(t, p) for t, p in _targets_of(session, item_id) if S(t.status) in PENDING]
    if waiting:
        names = sorted({PLATFORM_LABELS.get(_platform(session, t), "") for t, _ in waiting})
        raise ItemBusy(
            f"“{item.title or 'This item'}” has {len(waiting)} post(s) not yet published "
            f"({', '.join(n for n in names if n)}). Cancel them on the Calendar first, then delete it."
        )
    files = session.exec(select(MediaFile).where(MediaFile.library_item_id == item_id)).all()
    paths = [f.path for f in files] + [f.thumbnail_path or "" for f in files]
    for f in files:
        session.delete(f)
    session.flush()  # the rows first: no ORM relationship orders these two deletes
    session.delete(item)
    session.flush()
    return media_svc.unreferenced_blobs(session, paths)


def remove_media(session: Session, *, user_id: int, media_id: int) -> list[str]:
    media = session.get(MediaFile, media_id)
    if media is None:
        raise ItemNotFound("That file was not found.")
    item = _owned(session, user_id, media.library_item_id)
    if any(
        S(t.status) in PENDING and media_id in (p.media_ids or []) for t, p in _targets_of(session, item.id)
    ):
        raise ItemBusy("A post waiting to be published uses this file; cancel it first.")
    paths = [media.path, media.thumbnail_path or ""]
    session.delete(media)
    session.flush()
    return media_svc.unreferenced_blobs(session, paths)


def _platform(session: Session, target: PostTarget) -> str:
    conn = session.get(Connection, target.connection_id)
    return conn.platform if conn else ""


def _view(session: Session, item: LibraryItem) -> ItemView:
    files = session.exec(
        select(MediaFile)
        .where(MediaFile.library_item_id == item.id)
        .order_by(col(MediaFile.position), col(MediaFile.id))
    ).all()
    view = ItemView(item.id, item.title, item.caption, list(item.tags or []), item.created_at)
    view.media = [
        MediaView(
            f.id,
            f.kind,
            f.mime_type,
            f.size_bytes,
            f.width,
            f.height,
            f.duration_seconds,
            f.frame_rate,
            f.codec,
            f.original_name,
            media_svc.preview_data_uri(f),
        )  # fmt: skip
        for f in files
    ]
    for target, post in _targets_of(session, item.id):
        conn = session.get(Connection, target.connection_id)
        view.placements.append(
            Placement(
                target.id,
                post.id,
                conn.platform if conn else "",
                conn.username if conn else "",
                S(target.status).value,
                when_of(target, post),
                target.platform_url,
            )
        )
    return view


def get_item(session: Session, *, user_id: int, item_id: int) -> ItemView:
    return _view(session, _owned(session, user_id, item_id))


def list_items(
    session: Session,
    *,
    user_id: int,
    query: str = "",
    kind: str = "",
    used: str = "",
    platform: str = "",
) -> list[ItemView]:
    """Newest first. `query` matches title, caption or tags; `kind` image|video|carousel;
    `used` yes|no; `platform` one the item was published or scheduled to."""
    items = session.exec(
        select(LibraryItem).where(LibraryItem.user_id == user_id).order_by(col(LibraryItem.created_at).desc())
    ).all()
    needle = query.strip().lower().lstrip("#")
    out = []
    for item in items:
        if needle and not (
            needle in item.title.lower()
            or needle in item.caption.lower()
            or any(needle in t for t in item.tags or [])
        ):
            continue
        view = _view(session, item)
        if kind == "carousel" and len(view.media) < 2:
            continue
        if kind in ("image", "video") and (len(view.media) != 1 or kind not in view.kinds):
            continue
        if used == "yes" and not view.used or used == "no" and view.used:
            continue
        if platform and not any(
            p.platform == platform and p.status != S.cancelled.value for p in view.placements
        ):
            continue
        out.append(view)
    return out
