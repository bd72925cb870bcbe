"""Admin tests: real database session, real Redis."""

from __future__ import annotations

import pytest

from socialhub.models import User
from tests.connections.conftest import connect_env  # noqa: F401 (the sandbox-backed fixture)
from tests.leaderboard.seed import creator


@pytest.fixture
def admin(db) -> User:
    user = creator(db, "root_admin", public=False, admin=True, email="root@ops.example")
    db.commit()
    return user


@pytest.fixture
def member(db) -> User:
    user = creator(db, "plain_member", public=False, email="member@private-mail.example")
    db.commit()
    return user
