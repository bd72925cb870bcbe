"""Media files: stored under the data directory by content hash, typed by their bytes, and
lent to platforms that pull media by URL through short-lived, unguessable grants.

A grant's URL is `<public url>/media/<token>/<file name>`; only the SHA-256 of the token is
stored, and a grant stops working when it expires or its target no longer needs it
(published, failed, cancelled). `socialhub/media_server.py` serves them.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import Session, select

from socialhub.config import Settings, get_settings
from socialhub.models import LibraryItem, MediaFile, MediaGrant, PostTarget, TargetStatus, utcnow

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
        fh.seek(0)
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    dest = media_root() / digest[:2] / f"{digest}.{kind.extension}"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = dest.with_suffix(".part")
        shutil.copyfile(src, tmp)
        tmp.chmod(0o600)
        tmp.replace(dest)
    width, height = _image_size(dest, kind.mime_type) if kind.kind == "image" else (None, None)
    duration = _mp4_duration(dest) if kind.extension in ("mp4", "mov") else None
    item = LibraryItem(user_id=user_id, title=title or original_name or src.name, caption=caption)
    session.add(item)
    session.flush()
    media = MediaFile(
        library_item_id=item.id,
        path=str(dest.relative_to(media_root())),
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
    return media_root() / media.path


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
    path: Path
    mime_type: str


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
    path = absolute_path(media)
    return GrantedFile(path, media.mime_type) if path.exists() else None


# --- library uploads (checked by services/media_probe.inspect first) --------------------------


def _store_blob(src: Path, extension: str) -> tuple[str, Path]:
    with src.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    dest = media_root() / digest[:2] / f"{digest}.{extension}"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = dest.with_suffix(".part")
        shutil.copyfile(src, tmp)
        tmp.chmod(0o600)
        tmp.replace(dest)
    return digest, dest


def add_checked_file(
    session: Session, *, item: LibraryItem, src: Path, info, original_name: str, position: int = 0
) -> MediaFile:
    """Store a file that `media_probe.inspect` accepted (named by its SHA-256, never by the
    uploaded name), with a small JPEG preview, as one media file of `item`."""
    from socialhub.services.media_probe import make_preview

    digest, dest = _store_blob(src, info.sniffed.extension)
    thumb = media_root() / "previews" / digest[:2] / f"{digest}.jpg"
    has_preview = thumb.exists() or make_preview(dest, thumb, info)
    media = MediaFile(
        library_item_id=item.id,
        path=str(dest.relative_to(media_root())),
        original_name=original_name[:255],
        mime_type=info.sniffed.mime_type,
        kind=info.kind,
        size_bytes=info.size_bytes,
        width=info.width,
        height=info.height,
        duration_seconds=info.duration_seconds,
        frame_rate=info.frame_rate,
        codec=info.codec,
        thumbnail_path=str(thumb.relative_to(media_root())) if has_preview else None,
        position=position,
    )
    session.add(media)
    session.flush()
    return media


def preview_data_uri(media: MediaFile) -> str:
    """The preview as a data: URI the page can show without a media route ("" when none)."""
    if not media.thumbnail_path:
        return ""
    path = media_root() / media.thumbnail_path
    if not path.exists():
        return ""
    import base64

    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()


def unreferenced_blobs(session: Session, paths: list[str]) -> list[Path]:
    """Of these stored paths, the files no media row points at any more (safe to delete)."""
    out = []
    for rel in set(paths):
        if rel and session.exec(select(MediaFile.id).where(MediaFile.path == rel)).first() is None:
            out.append(media_root() / rel)
    return out
