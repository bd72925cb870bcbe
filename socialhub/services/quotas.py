"""Quota use per platform, account and bucket, from rate-limit headers and bodies."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select

from socialhub.db import session_scope
from socialhub.models import QuotaUsage, utcnow
from socialhub.providers.base import QuotaReading


def record(
    session: Session, platform: str, reading: QuotaReading, *, connection_id: int | None = None
) -> None:
    row = session.exec(
        select(QuotaUsage).where(
            QuotaUsage.platform == platform,
            QuotaUsage.account_key == reading.account_key,
            QuotaUsage.bucket == reading.bucket,
        )
    ).first()
    if row is None:
        row = QuotaUsage(platform=platform, account_key=reading.account_key, bucket=reading.bucket)
    row.connection_id = connection_id or row.connection_id
    row.used, row.limit, row.percent = reading.used, reading.limit, reading.percent
    row.resets_at, row.blocked_until = reading.resets_at, reading.blocked_until
    row.raw = reading.raw
    row.recorded_at = utcnow()
    session.add(row)


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
