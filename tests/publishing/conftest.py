"""Publishing tests: the real engine, a real database and Redis, the sandbox over HTTP, and
the app's own media route (the sandbox really fetches media from it, as platforms do)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from socialhub.db import session_scope
from socialhub.models import Connection, PostTarget, utcnow
from socialhub.models import TargetStatus as S
from tests.connections.conftest import connect, make_user
from tests.servers import ThreadedServer

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(2000) + b"\xff\xd9"


def mp4(seconds: float = 12) -> bytes:
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"isom", 512, b"isom")
    payload = bytes(4) + struct.pack(">IIII", 0, 0, 1000, int(seconds * 1000)) + bytes(80)
    mvhd = struct.pack(">I4s", 8 + len(payload), b"mvhd") + payload
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    return ftyp + moov + bytes(3000)


# What each platform gets: media kind and a caption.
PLATFORM_MEDIA = {
    "instagram": "image",
    "facebook": None,
    "tiktok": "video",
    "youtube": "video",
    "linkedin": None,
    "x": None,
}
FINAL = {S.published, S.failed, S.unconfirmed, S.cancelled, S.needs_reconnect, S.missed}


@pytest.fixture(scope="package")
def sandbox(tmp_path_factory):
    """Publishing tests get a sandbox of their own: the posts they publish (and the quota
    they spend) must not change what other test packages read from the shared one."""
    from tests.servers import SandboxHandle

    handle = SandboxHandle(tmp_path_factory.mktemp("publishing-sandbox") / "sandbox.db")
    yield handle
    handle.close()


@pytest.fixture
def media_app() -> Iterator[str]:
    from socialhub.media_server import create_media_app

    server = ThreadedServer(create_media_app()).start()
    yield server.url
    server.stop()


@pytest.fixture
def publish_env(sandbox, db, redis, media_app, monkeypatch):
    """Providers point at the sandbox; the app's public URL is the media route's server."""
    from socialhub.config import reset_settings_cache

    monkeypatch.setenv("SOCIALHUB_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("SOCIALHUB_PUBLIC_URL", media_app)
    reset_settings_cache()
    yield db
    reset_settings_cache()


def connected_account(db, platform: str, email: str = "creator@example.com") -> Connection:
    from sqlmodel import select

    from socialhub.models import User

    user = db.exec(select(User).where(User.email == email)).first() or make_user(db, email)
    views, _ = connect(user.id, platform)
    db.expire_all()
    return db.get(Connection, views[0].id)


def media_for(db, user_id: int, kind: str | None, tmp_path: Path) -> list[int]:
    if kind is None:
        return []
    from socialhub.services import media

    path = tmp_path / ("photo.jpg" if kind == "image" else "clip.mp4")
    path.write_bytes(JPEG if kind == "image" else mp4())
    stored = media.store_file(db, user_id=user_id, src=path, original_name=path.name)
    db.commit()
    return [stored.id]


def make_due(target_id: int) -> None:
    """Move the app's clock for one target: its next look is now."""
    with session_scope() as s:
        s.exec(
            update(PostTarget)
            .where(PostTarget.id == target_id)
            .values(due_at=utcnow() - timedelta(seconds=1))
        )


def run_until_settled(target_id: int, sandbox=None, *, advance: float = 120, rounds: int = 20) -> S:
    """Run the engine on a target the way the queue would, moving both clocks past every
    wait, until it reaches a state that needs nobody else (or the creator)."""
    from socialhub.services import engine

    status = None
    for _ in range(rounds):
        engine.run_target(target_id)
        with session_scope() as s:
            target = s.get(PostTarget, target_id)
            status = S(target.status)
        if status in FINAL or (status == S.scheduled and target.native_schedule):
            return status
        if sandbox is not None:
            sandbox.advance(advance)
        make_due(target_id)
    return status
