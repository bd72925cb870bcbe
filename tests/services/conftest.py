"""Service tests run on the shared migrated database (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session


@pytest.fixture
def session(db) -> Iterator[Session]:
    """A session on an emptied, migrated database (SQLite, or PostgreSQL via DATABASE_URL)."""
    yield db
