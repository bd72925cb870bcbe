"""YouTube video links: every form a creator may paste (CONTRACTS §4.6)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from socialhub.providers.base import InvalidPostUrl, PostRef

VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "music.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}
_PATH_ID = re.compile(r"^/(?:shorts|live|embed|v|e)/([^/?#]+)/?$")


def parse_video_url(url: str) -> PostRef:
    """The video id in a watch, youtu.be, shorts, live or embed link (any host variant)."""
    text = (url or "").strip()
    parts = urlsplit(text if "://" in text else "https://" + text)
    host = (parts.hostname or "").lower()
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
    elif host in _HOSTS:
        if parts.path.rstrip("/") == "/watch":
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        elif match := _PATH_ID.match(parts.path):
            candidate = match.group(1)
        elif parts.path.startswith(("/channel/", "/@", "/c/", "/user/", "/playlist")):
            raise InvalidPostUrl("That is a YouTube channel or playlist link; paste the link of one video.")
        else:
            raise InvalidPostUrl("That YouTube link does not point to a video.")
    else:
        raise InvalidPostUrl("That is not a YouTube link.")
    if not VIDEO_ID.match(candidate):
        raise InvalidPostUrl("That YouTube link has no valid video id (11 letters, digits, - or _).")
    return PostRef(platform="youtube", key=candidate, key_type="id")
