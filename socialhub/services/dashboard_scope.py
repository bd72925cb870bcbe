"""Which connections a dashboard query reads: only the filter's user's own.

A connection id of another user in `Filters.connection_ids` is simply not matched (nothing of
it is read or shown); an unknown platform name is a ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from socialhub.config import PLATFORM_LABELS
from socialhub.models import Connection


@dataclass(frozen=True)
class Filters:
    user_id: int
    platforms: tuple[str, ...] = ()
    connection_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Account:
    connection_id: int
    platform: str
    label: str


def accounts(session: Session, f: Filters) -> list[Account]:
    """The user's connections the filter selects, by platform then label."""
    unknown = [p for p in f.platforms if p not in PLATFORM_LABELS]
    if unknown:
        raise ValueError(f"Unknown platform {unknown[0]!r}: choose among {', '.join(PLATFORM_LABELS)}.")
    q = select(
        Connection.id,
        Connection.platform,
        Connection.display_name,
        Connection.username,
        Connection.account_id,
    )
    q = q.where(Connection.user_id == f.user_id)
    if f.platforms:
        q = q.where(Connection.platform.in_(f.platforms))  # type: ignore[attr-defined]
    if f.connection_ids:
        q = q.where(Connection.id.in_(f.connection_ids))  # type: ignore[union-attr]
    rows = [Account(cid, platform, label_of(d, u, a)) for cid, platform, d, u, a in session.execute(q)]
    return sorted(rows, key=lambda a: (a.platform, a.label.lower(), a.connection_id))


def label_of(display_name: str, username: str, account_id: str) -> str:
    if display_name:
        return display_name
    return f"@{username}" if username else account_id
