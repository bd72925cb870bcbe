"""Library page state: the creator's items as display cards, uploads with their checks,
search and filters, edit and delete. Services run through `state.runner.run`; the browser
gets display strings and small previews only.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import reflex as rx

from socialhub.config import PLATFORM_LABELS, get_settings
from socialhub.db import session_scope
from socialhub.services import library as svc
from socialhub.services import media as media_svc
from socialhub.services import media_probe
from socialhub.state.auth import current_user_id
from socialhub.state.runner import run

UPLOAD_ID = "library_upload"
STATUS_WORDS = {
    "scheduled": "Scheduled",
    "publishing": "Publishing",
    "retrying": "Retrying",
    "published": "Published",
    "failed": "Failed",
    "unconfirmed": "Unconfirmed",
    "missed": "Missed",
    "needs_reconnect": "Needs reconnect",
    "cancelled": "Cancelled",
    "draft": "Draft",
}


@dataclass
class PlacementBadge:
    platform: str = ""
    label: str = ""
    account: str = ""
    status: str = ""
    status_label: str = ""
    when: str = ""
    url: str = ""


@dataclass
class MediaThumb:
    id: int = 0
    preview: str = ""
    is_video: bool = False
    detail: str = ""


@dataclass
class LibraryCard:
    id: int = 0
    title: str = ""
    caption: str = ""
    tags: list[str] = field(default_factory=list)
    tags_text: str = ""
    preview: str = ""
    is_video: bool = False
    kind_label: str = ""
    media_count: int = 0
    media: list[MediaThumb] = field(default_factory=list)
    placements: list[PlacementBadge] = field(default_factory=list)
    has_pending: bool = False


@dataclass
class UploadRow:
    name: str = ""
    state: str = "checking"  # checking | stored | rejected
    message: str = ""


def _duration(seconds: float | None) -> str:
    if not seconds:
        return ""
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def media_detail(m: svc.MediaView) -> str:
    size = f"{m.width}×{m.height}" if m.width and m.height else ""
    if m.kind == "video":
        fps = f"{m.frame_rate:g} fps" if m.frame_rate else ""
        return " · ".join(
            x for x in ("Video", _duration(m.duration_seconds), size, fps, (m.codec or "").upper()) if x
        )
    return " · ".join(x for x in ("Image", size, _bytes(m.size_bytes)) if x)


def _bytes(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def card_for(view: svc.ItemView) -> LibraryCard:
    first = view.media[0] if view.media else None
    if len(view.media) > 1:
        kind = f"Carousel · {len(view.media)} files"
    elif first:
        kind = media_detail(first)
    else:
        kind = "Text only"
    return LibraryCard(
        id=view.id,
        title=view.title or "Untitled",
        caption=view.caption,
        tags=view.tags,
        tags_text=", ".join(view.tags),
        preview=first.preview if first else "",
        is_video=bool(first and first.kind == "video"),
        kind_label=kind,
        media_count=len(view.media),
        media=[MediaThumb(m.id, m.preview, m.kind == "video", media_detail(m)) for m in view.media],
        placements=[
            PlacementBadge(
                platform=p.platform,
                label=PLATFORM_LABELS.get(p.platform, p.platform),
                account=p.account,
                status=p.status,
                status_label=STATUS_WORDS.get(p.status, p.status),
                when=f"{p.when:%d %b %H:%M} UTC" if p.when else "",
                url=p.url or "",
            )
            for p in view.placements
            if p.status != "cancelled"
        ],
        has_pending=any(p.status in {s.value for s in svc.PENDING} for p in view.placements),
    )


def _cards(user_id: int, query: str, kind: str, used: str, platform: str) -> list[LibraryCard]:
    with session_scope() as s:
        views = svc.list_items(s, user_id=user_id, query=query, kind=kind, used=used, platform=platform)
        return [card_for(v) for v in views]


def _store(user_id: int, item_id: int | None, path: Path, name: str, max_bytes: int) -> int:
    """Check one file (outside any transaction: ffmpeg may take a moment), then store it.
    Returns the item id it went into."""
    info = media_probe.inspect(path, name=name, max_bytes=max_bytes)
    with session_scope() as s:
        if item_id is None:
            item_id = svc.create_item(s, user_id=user_id).id
        svc.add_media(s, user_id=user_id, item_id=item_id, src=path, info=info, original_name=name)
    return item_id


def _save(user_id: int, item_id: int, title: str, caption: str, tags: str) -> None:
    with session_scope() as s:
        svc.update_item(s, user_id=user_id, item_id=item_id, title=title, caption=caption, tags=tags)


def _delete(user_id: int, item_id: int) -> None:
    with session_scope() as s:
        orphans = svc.delete_item(s, user_id=user_id, item_id=item_id)
    media_svc.delete_stored(orphans)  # after the commit: a failed delete leaves a file, never a dangling row


def _remove_media(user_id: int, media_id: int) -> None:
    with session_scope() as s:
        orphans = svc.remove_media(s, user_id=user_id, media_id=media_id)
    media_svc.delete_stored(orphans)


class LibraryState(rx.State):
    cards: list[LibraryCard] = []
    loading: bool = False
    search: str = ""
    kind_filter: str = "all"
    used_filter: str = "all"
    platform_filter: str = "all"
    notice: str = ""
    error_message: str = ""
    # Uploads
    uploading: bool = False
    upload_progress: int = 0
    # Bytes of the request sent so far: each file's bar is its share of it (files go in order).
    upload_loaded: int = 0
    upload_rows: list[UploadRow] = []
    as_carousel: bool = False
    # Edit dialog
    editing_id: int = 0
    edit_title: str = ""
    edit_caption: str = ""
    edit_tags: str = ""
    edit_media: list[MediaThumb] = []
    edit_error: str = ""
    # Delete confirmation
    deleting_id: int = 0
    delete_error: str = ""
    _signature: str = ""

    @rx.var
    def card_count(self) -> int:
        return len(self.cards)

    @rx.var
    def filtered(self) -> bool:
        return bool(self.search) or any(
            f != "all" for f in (self.kind_filter, self.used_filter, self.platform_filter)
        )

    async def _reload(self, user_id: int, *, force: bool = True) -> None:
        f = lambda v: "" if v == "all" else v  # noqa: E731
        outcome = await run(
            _cards, user_id, self.search, f(self.kind_filter), f(self.used_filter), f(self.platform_filter)
        )
        if not outcome.ok:
            self.error_message = outcome.error
            return
        # Only a change is sent to the browser (the cards carry their previews).
        signature = "|".join(
            f"{c.id}:{c.title}:{[(p.status, p.url) for p in c.placements]}" for c in outcome.value
        )
        if force or signature != self._signature:
            self.cards, self._signature = outcome.value, signature

    @rx.event
    async def poll(self, _tick: str = ""):
        """Placements change while a worker publishes; the page follows without a reload."""
        user_id = await current_user_id(self)
        if user_id is not None and not self.editing_id:
            await self._reload(user_id, force=False)

    @rx.event
    async def load(self):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        self.loading = True
        yield
        await self._reload(user_id)
        self.loading = False

    @rx.event
    async def set_search(self, value: str):
        self.search = value[:200]
        user_id = await current_user_id(self)
        if user_id is not None:
            await self._reload(user_id)

    @rx.event
    async def set_filter(self, which: str, value: str):
        if which in ("kind_filter", "used_filter", "platform_filter"):
            setattr(self, which, value)
        user_id = await current_user_id(self)
        if user_id is not None:
            await self._reload(user_id)

    @rx.event
    def set_as_carousel(self, value: bool):
        self.as_carousel = value

    @rx.event
    def dismiss(self):
        self.notice = self.error_message = ""

    # --- uploads ----------------------------------------------------------------------------

    @rx.event
    def upload_progressed(self, progress: dict):
        # Progress only: the last progress event can arrive after the handler finished, so it
        # must not set a flag that nothing would clear again.
        self.upload_progress = int(round(float(progress.get("progress", 0)) * 100))
        self.upload_loaded = int(progress.get("loaded", 0) or 0)

    @rx.event
    async def handle_upload(self, files: list[rx.UploadFile]):
        user_id = await current_user_id(self)
        if user_id is None or not files:
            return
        self.uploading, self.upload_progress, self.upload_loaded = True, 100, 0
        self.notice = self.error_message = ""
        self.upload_rows = [UploadRow(name=(f.name or "file")[-120:]) for f in files]
        yield
        max_bytes = get_settings().media_max_upload_mb * 1024 * 1024
        carousel_id: int | None = None
        stored = 0
        with tempfile.TemporaryDirectory(prefix="socialhub-upload-") as tmp:
            for i, upload in enumerate(files):
                path = Path(tmp) / f"upload-{i}"  # never the uploaded name on disk
                with path.open("wb") as out:
                    shutil.copyfileobj(upload.file, out)
                target = carousel_id if self.as_carousel else None
                outcome = await run(_store, user_id, target, path, self.upload_rows[i].name, max_bytes)
                row = self.upload_rows[i]
                if outcome.ok:
                    stored += 1
                    carousel_id = outcome.value if self.as_carousel else None
                    row.state, row.message = "stored", "Checked and added to your library."
                else:
                    row.state, row.message = "rejected", outcome.error
                self.upload_rows = list(self.upload_rows)
                yield
        self.uploading = False
        yield rx.clear_selected_files(UPLOAD_ID)
        rejected = len(files) - stored
        self.notice = f"{stored} file(s) added." + (
            f" {rejected} refused: see why below." if rejected else ""
        )
        await self._reload(user_id)

    @rx.event
    def clear_uploads(self):
        self.upload_rows = []
        self.upload_progress = 0

    # --- edit ---------------------------------------------------------------------------------

    @rx.event
    def start_edit(self, item_id: int):
        card = next((c for c in self.cards if c.id == item_id), None)
        if card is None:
            return
        self.editing_id = item_id
        self.edit_title, self.edit_caption, self.edit_tags = card.title, card.caption, card.tags_text
        self.edit_media = card.media
        self.edit_error = ""

    @rx.event
    def close_edit(self):
        self.editing_id = 0
        self.edit_error = ""

    @rx.event
    def set_edit_title(self, v: str):
        self.edit_title = v

    @rx.event
    def set_edit_caption(self, v: str):
        self.edit_caption = v

    @rx.event
    def set_edit_tags(self, v: str):
        self.edit_tags = v

    @rx.event
    async def save_edit(self):
        user_id = await current_user_id(self)
        if user_id is None or not self.editing_id:
            return
        outcome = await run(
            _save, user_id, self.editing_id, self.edit_title, self.edit_caption, self.edit_tags
        )
        if not outcome.ok:
            self.edit_error = outcome.error
            return
        self.editing_id = 0
        self.notice = "Saved."
        await self._reload(user_id)

    @rx.event
    async def remove_media(self, media_id: int):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        outcome = await run(_remove_media, user_id, media_id)
        if not outcome.ok:
            self.edit_error = outcome.error
            return
        self.edit_media = [m for m in self.edit_media if m.id != media_id]
        await self._reload(user_id)

    # --- delete -------------------------------------------------------------------------------

    @rx.event
    def ask_delete(self, item_id: int):
        self.deleting_id = item_id
        card = next((c for c in self.cards if c.id == item_id), None)
        self.delete_error = (
            "This item has posts waiting to be published. Cancel them on the Calendar first; "
            "then it can be deleted."
            if card and card.has_pending
            else ""
        )

    @rx.event
    def close_delete(self):
        self.deleting_id = 0
        self.delete_error = ""

    @rx.event
    async def confirm_delete(self):
        user_id = await current_user_id(self)
        if user_id is None or not self.deleting_id:
            return
        outcome = await run(_delete, user_id, self.deleting_id)
        if not outcome.ok:
            self.delete_error = outcome.error
            return
        self.deleting_id = 0
        self.notice = "Deleted."
        await self._reload(user_id)
