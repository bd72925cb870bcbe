"""Worker and scheduler liveness, kept in the database so the UI can say what is not running."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from socialhub.models import Heartbeat, utcnow

# A piece is considered down when it has not beaten for this long.
STALE_AFTER = {"worker": timedelta(minutes=2), "scheduler": timedelta(minutes=3)}


def beat(session: Session, *, name: str, kind: str, info: dict[str, Any] | None = None) -> None:
    row = session.get(Heartbeat, name)
    if row is None:
        row = Heartbeat(name=name, kind=kind)
    row.last_beat_at = utcnow()
    row.info = info or {}
    session.add(row)


def forget(session: Session, *, name: str) -> None:
    row = session.get(Heartbeat, name)
    if row is not None:
        session.delete(row)


@dataclass
class PieceStatus:
    name: str
    kind: str
    last_beat_at: datetime
    alive: bool
    info: dict[str, Any]


def status(session: Session, *, now: datetime | None = None) -> list[PieceStatus]:
    now = now or utcnow()
    rows = session.exec(select(Heartbeat).order_by(Heartbeat.kind, Heartbeat.name)).all()
    return [
        PieceStatus(
            name=r.name,
            kind=r.kind,
            last_beat_at=r.last_beat_at,
            alive=now - r.last_beat_at <= STALE_AFTER.get(r.kind, timedelta(minutes=2)),
            info=r.info,
        )
        for r in rows
    ]


def scheduler_problem(session: Session, *, now: datetime | None = None) -> str | None:
    """A sentence for the UI when scheduled work would silently wait, else None."""
    pieces = status(session, now=now)
    now = now or utcnow()
    sched = [p for p in pieces if p.kind == "scheduler"]
    workers = [p for p in pieces if p.kind == "worker" and p.alive]
    if not sched:
        return "The scheduler has never run: scheduled posts and syncs will wait until it starts."
    newest = max(sched, key=lambda p: p.last_beat_at)
    if not newest.alive:
        minutes = int((now - newest.last_beat_at).total_seconds() // 60)
        return f"The scheduler has not run for {minutes} minutes: scheduled work is waiting."
    if not workers:
        return "No worker is running: queued jobs are waiting."
    return None
