"""Security tests: a data directory of their own (key file, permissions) on the shared
migrated database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialhub import security
from socialhub.config import Settings, get_settings, reset_settings_cache
from socialhub.models import Connection, User


@pytest.fixture
def own_data_dir(db, tmp_path, monkeypatch) -> Iterator[Settings]:
    """SOCIALHUB_DATA_DIR in tmp_path (its own key file) with the migrated test database."""
    db_url = get_settings().db_url
    monkeypatch.setenv("SOCIALHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", os.environ.get("DATABASE_URL") or db_url)
    monkeypatch.delenv("SOCIALHUB_ENCRYPTION_KEYS", raising=False)
    reset_settings_cache()
    yield get_settings()
    monkeypatch.undo()
    reset_settings_cache()


@pytest.fixture
def restore_umask() -> Iterator[None]:
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def key_file(settings: Settings) -> Path:
    return settings.data_dir / "encryption.keys"


def add_connection(
    db, *, plain: str = "access-token-1", account_id: str = "1", platform: str = "x"
) -> Connection:
    user = db.get(User, 1) or User(
        id=1, email="ada@example.com", password_hash="x", display_name="Ada", handle="ada"
    )
    db.add(user)
    db.flush()
    conn = Connection(
        user_id=user.id,
        platform=platform,
        account_id=account_id,
        username=f"ada{account_id}",
        access_token_enc=security.encrypt(plain),
        refresh_token_enc=security.encrypt("refresh-" + plain),
    )
    db.add(conn)
    db.commit()
    return conn
