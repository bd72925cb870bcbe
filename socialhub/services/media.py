"""Media files: stored under the data directory by content hash, typed by their bytes, and
lent to platforms that pull media by URL through short-lived, unguessable grants.

A grant's URL is `<public url>/media/<token>/<file name>`; only the SHA-256 of the token is
stored, and a grant stops working when it expires or its target no longer needs it
(published, failed, cancelled). `socialhub/media_server.py` serves them.

The bytes live in the media store (`services/media_store.py`: the data directory, or an
S3-compatible bucket); `media_files.path` is the file's key there.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import struct
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import Session, select

from socialhub.config import Settings, get_settings
from socialhub.models import LibraryItem, MediaFile, MediaGrant, PostTarget, TargetStatus, utcnow
from socialhub.services import media_store

log = logging.getLogger(__name__)

GRANT_TTL = timedelta(hours=24)
_NEEDS_MEDIA = {
    TargetStatus.scheduled,
    TargetStatus.publishing,
    TargetStatus.retrying,
    TargetStatus.needs_reconnect,
    TargetStatus.missed,
}

# (offset, magic bytes, mime type, kind, extension)
_SIGNATURES: tuple[tuple[int, bytes, str, str, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg", "image", "jpg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png", "image", "png"),
    (0, b"GIF87a", "image/gif", "image", "gif"),
    (0, b"GIF89a", "image/gif", "image", "gif"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm", "video", "webm"),
)


class MediaError(ValueError):
    """A file SocialHub cannot use; the message says why, for the creator."""


@dataclass(frozen=True)
class Sniffed:
    mime_type: str
    kind: str
    extension: str


def sniff(head: bytes) -> Sniffed:
    """The type from the content, never from the name."""
    for offset, magic, mime, kind, ext in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return Sniffed(mime, kind, ext)
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return Sniffed("video/quicktime", "video", "mov")
        return Sniffed("video/mp4", "video", "mp4")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp", "image", "webp")
    raise MediaError("This file is not a JPEG, PNG, GIF, WebP image or an MP4, MOV or WebM video.")


def _image_size(path: Path, mime: str) -> tuple[int | None, int | None]:
    """Width and height from the file header (PNG, GIF, JPEG); None when unknown."""
    with path.open("rb") as fh:
        data = fh.read(65536)
    try:
        if mime == "image/png":
            return struct.unpack(">II", data[16:24])
        if mime == "image/gif":
            return struct.unpack("<HH", data[6:10])
        if mime == "image/jpeg":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                length = struct.unpack(">H", data[i + 2 : i + 4])[0]
                if marker in (0xC0, 0xC1, 0xC2):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return w, h
                i += 2 + length
    except struct.error:
        pass
    return None, None


def _mp4_duration(path: Path) -> float | None:
    """Seconds from the movie header (moov/mvhd) of an MP4 or MOV; None when not found."""
    with path.open("rb") as fh:
        data = fh.read(8 * 1024 * 1024)

    def boxes(buf: bytes, start: int, end: int):
        i = start
        while i + 8 <= end:
            size, kind = struct.unpack(">I4s", buf[i : i + 8])
            if size < 8:
                return
            yield kind, i + 8, min(i + size, end)
            i += size

    try:
        for kind, body, end in boxes(data, 0, len(data)):
            if kind != b"moov":
                continue
            for inner, ibody, _ in boxes(data, body, end):
                if inner == b"mvhd":
                    version = data[ibody]
                    if version == 1:
                        timescale, duration = struct.unpack(">IQ", data[ibody + 20 : ibody + 32])
                    else:
                        timescale, duration = struct.unpack(">II", data[ibody + 12 : ibody + 20])
                    return duration / timescale if timescale else None
    except (struct.error, IndexError):
        return None
    return None


def media_root(settings: Settings | None = None) -> Path:
    root = (settings or get_settings()).data_dir / "media"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def store_file(
    session: Session,
    *,
    user_id: int,
    src: Path,
    original_name: str = "",
    title: str = "",
    caption: str = "",
    max_bytes: int | None = None,
) -> MediaFile:
    """Copy a file into the media store (named by its SHA-256) and record it as a one-file
    library item. Nothing is stored for a file that is empty, too large or of no known type."""
    size = src.stat().st_size
    if size == 0:
        raise MediaError(f"{original_name or src.name} is empty.")
    if max_bytes is not None and size > max_bytes:
        raise MediaError(f"{original_name or src.name} is larger than {max_bytes // (1024 * 1024)} MB.")
    with src.open("rb") as fh:
        kind = sniff(fh.read(64))
    digest, key = _store_blob(src, kind.extension, kind.mime_type)
    width, height = _image_size(src, kind.mime_type) if kind.kind == "image" else (None, None)
    duration = _mp4_duration(src) if kind.extension in ("mp4", "mov") else None
    item = LibraryItem(user_id=user_id, title=title or original_name or src.name, caption=caption)
    session.add(item)
    session.flush()
    media = MediaFile(
        library_item_id=item.id,
        path=key,
        original_name=(original_name or src.name)[:255],
        mime_type=kind.mime_type,
        kind=kind.kind,
        size_bytes=size,
        width=width,
        height=height,
        duration_seconds=duration,
    )
    session.add(media)
    session.flush()
    return media


def absolute_path(media: MediaFile) -> Path:
    """Where the local store keeps this file (the local store only; see `local_copy`)."""
    return media_root() / media.path


def local_copy(key: str) -> Path:
    """A file on this machine with the stored bytes: the stored file itself (local store) or
    a checked copy downloaded into the media cache (S3). Raises media_store.StoreError."""
    return media_store.get_store().local_file(key)


def grant(session: Session, *, media: MediaFile, target_id: int, ttl: timedelta = GRANT_TTL) -> str:
    """A URL through which the platform may fetch this file while the target needs it."""
    token = secrets.token_urlsafe(32)
    session.add(
        MediaGrant(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            media_file_id=media.id,
            target_id=target_id,
            expires_at=utcnow() + ttl,
        )
    )
    name = f"{media.id}.{Path(media.path).suffix.lstrip('.') or 'bin'}"
    return f"{get_settings().base_url}/media/{token}/{name}"


def revoke_grants(session: Session, *, target_id: int) -> None:
    session.exec(delete(MediaGrant).where(MediaGrant.target_id == target_id))  # type: ignore[call-overload]


@dataclass(frozen=True)
class GrantedFile:
    key: str  # in the media store
    mime_type: str
    size_bytes: int
    expires_at: datetime


def resolve(session: Session, token: str, now: datetime | None = None) -> GrantedFile | None:
    """The file behind a grant token, or None (unknown, expired, or no longer needed)."""
    now = now or utcnow()
    row = session.exec(
        select(MediaGrant).where(MediaGrant.token_hash == hashlib.sha256(token.encode()).hexdigest())
    ).first()
    if row is None or row.expires_at < now:
        return None
    if row.target_id is not None:
        target = session.get(PostTarget, row.target_id)
        if target is None or TargetStatus(target.status) not in _NEEDS_MEDIA:
            return None
    media = session.get(MediaFile, row.media_file_id)
    if media is None:
        return None
    return GrantedFile(media.path, media.mime_type, media.size_bytes, row.expires_at)


# --- library uploads (checked by services/media_probe.inspect first) --------------------------


def _store_blob(src: Path, extension: str, mime_type: str) -> tuple[str, str]:
    digest = media_store.file_sha256(src)
    key = f"{digest[:2]}/{digest}.{extension}"
    media_store.get_store().put(key, src, mime_type)
    return digest, key


def add_checked_file(
    session: Session, *, item: LibraryItem, src: Path, info, original_name: str, position: int = 0
) -> MediaFile:
    """Store a file that `media_probe.inspect` accepted (named by its SHA-256, never by the
    uploaded name), with a small JPEG preview, as one media file of `item`."""
    from socialhub.services.media_probe import make_preview

    store = media_store.get_store()
    digest, key = _store_blob(src, info.sniffed.extension, info.sniffed.mime_type)
    thumb = f"previews/{digest[:2]}/{digest}.jpg"
    has_preview = store.exists(thumb)
    if not has_preview:
        with tempfile.TemporaryDirectory(prefix="socialhub-preview-") as tmp:
            made = Path(tmp) / "preview.jpg"
            has_preview = make_preview(src, made, info)
            if has_preview:
                store.put(thumb, made, "image/jpeg")
    media = MediaFile(
        library_item_id=item.id,
        path=key,
        original_name=original_name[:255],
        mime_type=info.sniffed.mime_type,
        kind=info.kind,
        size_bytes=info.size_bytes,
        width=info.width,
        height=info.height,
        duration_seconds=info.duration_seconds,
        frame_rate=info.frame_rate,
        codec=info.codec,
        thumbnail_path=thumb if has_preview else None,
        position=position,
    )
    session.add(media)
    session.flush()
    return media


def preview_data_uri(media: MediaFile) -> str:
    """The preview as a data: URI the page can show without a media route ("" when none)."""
    if not media.thumbnail_path:
        return ""
    try:
        path = local_copy(media.thumbnail_path)  # S3: fetched once into the media cache
        data = path.read_bytes()
    except Exception:  # missing, or the store unreachable: no preview rather than no page
        return ""
    import base64

    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


def unreferenced_blobs(session: Session, paths: list[str]) -> list[str]:
    """Of these stored keys, those no media row points at any more (files or previews): safe
    to delete with `delete_stored` once the caller has committed."""
    out = []
    for rel in set(paths):
        if not rel:
            continue
        used = session.exec(
            select(MediaFile.id).where((MediaFile.path == rel) | (MediaFile.thumbnail_path == rel))
        ).first()
        if used is None:
            out.append(rel)
    return sorted(out)


def delete_stored(keys: list[str]) -> None:
    """Delete objects from the store (after the commit: a failed delete leaves an object,
    never a row pointing at nothing)."""
    store = media_store.get_store()
    for key in keys:
        try:
            store.delete(key)
        except Exception:  # an object left behind is harmless (nothing points at it)
            log.warning("media store: could not delete %s", key, exc_info=True)
