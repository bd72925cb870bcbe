"""Fetching media by URL the way Meta does (it cURLs the public URL) and sniffing its type."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import httpx

MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_VIDEO_BYTES = 300 * 1024 * 1024


@dataclass
class Fetched:
    ok: bool
    data: bytes = b""
    too_large: bool = False
    timeout: bool = False
    status: int | None = None


async def fetch(url: str, cap: int) -> Fetched:
    """Download at most cap+1 bytes; `too_large` when the body goes past cap."""
    if not url.startswith(("http://", "https://")):
        return Fetched(ok=False)
    try:
        async with (
            httpx.AsyncClient(timeout=10.0, follow_redirects=True) as client,
            client.stream("GET", url) as resp,
        ):
            if resp.status_code >= 400:
                return Fetched(ok=False, status=resp.status_code)
            chunks, size = [], 0
            async for chunk in resp.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    return Fetched(ok=True, too_large=True, status=resp.status_code)
            return Fetched(ok=True, data=b"".join(chunks), status=resp.status_code)
    except httpx.TimeoutException:
        return Fetched(ok=False, timeout=True)
    except httpx.HTTPError:
        return Fetched(ok=False)


def is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


def image_kind(data: bytes) -> str | None:
    if is_jpeg(data):
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"GIF8":
        return "gif"
    return None


def is_mp4(data: bytes) -> bool:
    """MP4 and MOV (ISO base media) files carry "ftyp" at offset 4."""
    return len(data) >= 8 and data[4:8] == b"ftyp"


def mp4_duration(data: bytes) -> float | None:
    """Duration from the movie header (moov/mvhd), or None when there is none."""
    idx = data.find(b"mvhd")
    if idx < 4:
        return None
    body = idx + 4
    try:
        version = data[body]
        if version == 1:
            timescale, duration = struct.unpack(">IQ", data[body + 20 : body + 32])
        else:
            timescale, duration = struct.unpack(">II", data[body + 12 : body + 20])
    except (struct.error, IndexError):
        return None
    return duration / timescale if timescale else None
