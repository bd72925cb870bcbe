"""What a library upload really is, read from its bytes before anything is stored.

Images are opened and fully decoded with Pillow (a truncated or mislabelled file fails here);
videos are read with the ffmpeg binary that the imageio-ffmpeg wheel ships: container,
codec, resolution, frame rate and duration from its header, and a decode of the last
seconds so a file cut short in transfer is refused. Plain functions: no database, no Reflex.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, UnidentifiedImageError

from socialhub.services.media import MediaError, Sniffed, sniff

# Pillow's own guard against decompression bombs is a warning up to twice this; refuse early.
MAX_IMAGE_PIXELS = 80_000_000
MIN_SIDE = 32  # smaller than any platform accepts; most likely an icon dropped by mistake
PREVIEW_SIDE = 480
FFMPEG_TIMEOUT = 120

_PILLOW_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


@dataclass(frozen=True)
class MediaInfo:
    sniffed: Sniffed
    size_bytes: int
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    frame_rate: float | None = None
    codec: str | None = None

    @property
    def kind(self) -> str:
        return self.sniffed.kind


def inspect(path: Path, *, name: str, max_bytes: int | None = None) -> MediaInfo:
    """Check one uploaded file; MediaError (naming the file) says why it cannot be used."""
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"{name} is empty (0 bytes).")
    if max_bytes is not None and size > max_bytes:
        raise MediaError(
            f"{name} is {size / (1024 * 1024):.1f} MB; the limit here is {max_bytes // (1024 * 1024)} MB."
        )
    with path.open("rb") as fh:
        head = fh.read(64)
    try:
        sniffed = sniff(head)
    except MediaError as exc:
        raise MediaError(f"{name}: {exc}") from exc
    if sniffed.kind == "image":
        return _inspect_image(path, name, sniffed, size)
    return _inspect_video(path, name, sniffed, size)


def _inspect_image(path: Path, name: str, sniffed: Sniffed, size: int) -> MediaInfo:
    try:
        with Image.open(path) as img:
            fmt, (width, height) = img.format, img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise MediaError(f"{name} is {width}×{height} pixels; at most 80 megapixels are accepted.")
            img.load()  # decodes every byte: a truncated or corrupt file raises here
    except MediaError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(
            f"{name} starts like a {sniffed.extension.upper()} image but cannot be read: "
            "it is damaged, cut short or not really an image."
        ) from exc
    if _PILLOW_TYPES.get(fmt or "") != sniffed.mime_type:
        raise MediaError(f"{name} is not the image it claims to be.")
    if min(width, height) < MIN_SIDE:
        raise MediaError(
            f"{name} is only {width}×{height} pixels; images need at least {MIN_SIDE} on each side."
        )
    return MediaInfo(sniffed, size, width=width, height=height)


def _ffmpeg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", *args],
        capture_output=True,
        text=True,
        timeout=FFMPEG_TIMEOUT,
        check=False,
    )


def _inspect_video(path: Path, name: str, sniffed: Sniffed, size: int) -> MediaInfo:
    try:
        frames = imageio_ffmpeg.read_frames(str(path))
        meta = next(frames)
        frames.close()
    except (OSError, RuntimeError, StopIteration) as exc:
        raise MediaError(f"{name} cannot be read as a video (it may be cut short or damaged).") from exc
    width, height = meta.get("size") or (None, None)
    duration = meta.get("duration")
    if not width or not height:
        raise MediaError(f"{name} has no picture track.")
    if not duration or duration <= 0:
        raise MediaError(f"{name} has no duration; it may be cut short.")
    # Decode the last seconds: a file whose end is missing fails here even if its header is fine.
    tail = _ffmpeg("-v", "error", "-xerror", "-sseof", "-3", "-i", str(path), "-f", "null", "-")
    if tail.returncode != 0:
        raise MediaError(f"{name} is damaged or cut short: its last seconds cannot be played.")
    rotate = meta.get("rotate") or 0
    if rotate in (90, 270, -90):
        width, height = height, width
    return MediaInfo(
        sniffed,
        size,
        width=int(width),
        height=int(height),
        duration_seconds=float(duration),
        frame_rate=float(meta["fps"]) if meta.get("fps") else None,
        codec=str(meta.get("codec") or "")[:40] or None,
    )


def make_preview(src: Path, dest: Path, info: MediaInfo) -> bool:
    """A small JPEG: an image scaled down, or a frame from early in a video. False if none."""
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = dest.with_suffix(".part.jpg")
    if info.kind == "image":
        with Image.open(src) as img:
            img.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
            img.convert("RGB").save(tmp, "JPEG", quality=75)
    else:
        at = min(1.0, (info.duration_seconds or 0) / 2)
        out = _ffmpeg(
            "-v", "error", "-ss", f"{at:.2f}", "-i", str(src), "-frames:v", "1",
            "-vf", f"scale='min({PREVIEW_SIDE},iw)':-2", "-q:v", "5", "-y", str(tmp),
        )  # fmt: skip
        if out.returncode != 0 or not tmp.exists():
            return False
    tmp.replace(dest)
    return True
