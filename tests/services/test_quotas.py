"""Quota readings: the latest per (platform, account, bucket), safe under concurrent writers."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import Connection, QuotaUsage, User, utcnow
from socialhub.providers.base import QuotaReading
from socialhub.services import quotas


def _reading(used: float, **kw) -> QuotaReading:
    return QuotaReading(bucket="app", account_key="acct-1", used=used, limit=100, percent=used, **kw)


def _connection(session) -> int:
    user = User(email="q@example.com", password_hash="x", display_name="Q", handle="q")
    session.add(user)
    session.flush()
    conn = Connection(user_id=user.id, platform="x", account_id="acct-1")
    session.add(conn)
    session.commit()
    return conn.id


def test_concurrent_first_readings_of_one_bucket_keep_one_row_and_lose_none(db):
    """Eight processes' worth of writers record the same new bucket at once: each commit
    succeeds (a read-then-insert raised a unique violation for all but one)."""
    writers, per_writer = 8, 10
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with session_scope() as s:
                    quotas.record(s, "x", _reading(n * per_writer + i))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = db.exec(select(QuotaUsage).where(QuotaUsage.platform == "x")).all()
    assert len(rows) == 1
    assert rows[0].used in {float(n * per_writer + per_writer - 1) for n in range(writers)}


def test_later_reading_replaces_values_and_keeps_the_connection(db):
    conn_id = _connection(db)
    blocked = utcnow() + timedelta(minutes=5)
    with session_scope() as s:
        quotas.record(s, "x", _reading(10), connection_id=conn_id)
    with session_scope() as s:
        quotas.record(s, "x", _reading(99, blocked_until=blocked, raw={"h": "1"}))
    db.expire_all()
    row = db.exec(select(QuotaUsage)).one()
    assert (row.used, row.percent, row.connection_id, row.raw) == (99, 99, conn_id, {"h": "1"})
    assert row.blocked_until == blocked
