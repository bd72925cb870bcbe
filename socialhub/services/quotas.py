"""Quota use per platform, account and bucket, from rate-limit headers and bodies."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func
from sqlmodel import Session, select

from socialhub.db import session_scope
from socialhub.models import QuotaUsage, utcnow
from socialhub.providers.base import QuotaReading


def record(
    session: Session, platform: str, reading: QuotaReading, *, connection_id: int | None = None
) -> None:
    """Keep the latest reading of (platform, account, bucket): one INSERT ... ON CONFLICT DO
    UPDATE, so two processes saving the same bucket at once never lose a reading to a
    unique-constraint error (a read-then-insert did)."""
    values = {
        "platform": platform,
        "account_key": reading.account_key,
        "bucket": reading.bucket,
        "connection_id": connection_id,
        "used": reading.used,
        "limit": reading.limit,
        "percent": reading.percent,
        "resets_at": reading.resets_at,
        "blocked_until": reading.blocked_until,
        "raw": reading.raw,
        "recorded_at": utcnow(),
    }
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = QuotaUsage.__table__  # type: ignore[attr-defined]
    stmt = insert(table).values(**values)
    changed = {k: stmt.excluded[k] for k in values if k not in ("platform", "account_key", "bucket")}
    # A reading made without a connection keeps the one an earlier reading named.
    changed["connection_id"] = func.coalesce(stmt.excluded.connection_id, table.c.connection_id)
    session.execute(
        stmt.on_conflict_do_update(index_elements=["platform", "account_key", "bucket"], set_=changed)
    )


def sink(connection_id: int | None = None) -> Callable[[str, QuotaReading], None]:
    """A quota sink for providers: each reading is saved in its own short transaction, so a
    failing call still leaves its rate-limit reading behind."""

    def _save(platform: str, reading: QuotaReading) -> None:
        with session_scope() as s:
            record(s, platform, reading, connection_id=connection_id)

    return _save


def usage(session: Session, platform: str | None = None) -> list[QuotaUsage]:
    query = select(QuotaUsage).order_by(QuotaUsage.platform, QuotaUsage.bucket)
    if platform:
        query = query.where(QuotaUsage.platform == platform)
    return list(session.exec(query).all())
