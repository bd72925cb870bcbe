"""Shared fixtures: a private data dir and settings, a migrated database (SQLite by default,
PostgreSQL when DATABASE_URL is set), a real Redis (REDIS_URL or an embedded one), and the
platform sandbox served over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import SandboxHandle

# Tests never touch a developer's real data directory or key file.
_SESSION_DIR: Path | None = None


def pytest_configure(config) -> None:
    global _SESSION_DIR
    import tempfile

    _SESSION_DIR = Path(tempfile.mkdtemp(prefix="socialhub-tests-"))
    os.environ["SOCIALHUB_DATA_DIR"] = str(_SESSION_DIR / "data")
    os.environ.setdefault("SOCIALHUB_ENV", "test")
    os.environ.pop("SOCIALHUB_ENCRYPTION_KEYS", None)
    for platform in ("INSTAGRAM", "FACEBOOK", "TIKTOK", "YOUTUBE", "LINKEDIN", "X", "GOOGLE"):
        for suffix in ("CLIENT_ID", "CLIENT_SECRET", "CLIENT_KEY"):
            os.environ.pop(f"{platform}_{suffix}", None)


def _reset_caches() -> None:
    from socialhub.config import reset_settings_cache
    from socialhub.db import reset_engines
    from socialhub.queue import reset_redis_cache

    reset_settings_cache()
    reset_engines()
    reset_redis_cache()


# --- Redis ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """REDIS_URL when given (CI uses the machine's Redis), else an embedded server."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from socialhub import embedded_redis

    server = embedded_redis.start(_SESSION_DIR / "redis", persist=False)
    os.environ["REDIS_URL"] = server.url
    _reset_caches()
    yield server.url
    server.stop()
    os.environ.pop("REDIS_URL", None)


@pytest.fixture
def redis(redis_url) -> Iterator:
    """A clean Redis database for one test."""
    from socialhub.queue import get_redis

    _reset_caches()
    conn = get_redis()
    conn.flushdb()
    yield conn
    conn.flushdb()


# --- database ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def migrated_db() -> Iterator[str]:
    """Migrate once per session: a fresh SQLite file, or a clean PostgreSQL schema."""
    from sqlalchemy import create_engine, text

    url = os.environ.get("DATABASE_URL")
    if url:
        from socialhub.config import Settings

        engine = create_engine(Settings().db_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    _reset_caches()
    from socialhub.cli import migrate_database

    migrate_database()
    from socialhub.config import get_settings

    yield get_settings().db_url


@pytest.fixture
def db(migrated_db) -> Iterator:
    """An empty, migrated database for one test; yields a session."""
    from sqlmodel import Session, SQLModel

    from socialhub.db import get_engine

    engine = get_engine()
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())
    with Session(engine, expire_on_commit=False) as session:
        yield session


# --- sandbox -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> Iterator[SandboxHandle]:
    """One sandbox per test session (tests reset what they change via its control API)."""
    handle = SandboxHandle(tmp_path_factory.mktemp("sandbox") / "sandbox.db")
    yield handle
    handle.close()


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    """A sandbox of its own, for tests that move the clock or change config."""
    handle = SandboxHandle(tmp_path / "sandbox.db")
    yield handle
    handle.close()


@pytest.fixture(autouse=True)
def _clean_faults(request) -> Iterator[None]:
    yield
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").clear_faults()


def pytest_report_header(config) -> str:
    db = os.environ.get("DATABASE_URL", "sqlite (temporary file)")
    redis = os.environ.get("REDIS_URL", "embedded redis")
    return f"socialhub: database={db.split('@')[-1]} redis={redis}"
