"""Shared fixtures: a private data dir and settings, a migrated database, real Redis,
and the platform sandbox served over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import SandboxHandle


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
