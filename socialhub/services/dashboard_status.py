"""What the dashboard page needs for its empty and error states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlmodel import Session

from socialhub.config import PLATFORM_LABELS, get_settings
from socialhub.models import Connection, ConnectionStatus, MetricSnapshot, SyncRun, TrackedPost
from socialhub.services.dashboard_scope import label_of
from socialhub.services.sync_runs import next_metric_sync

NEEDS_RECONNECT = (ConnectionStatus.expired, ConnectionStatus.revoked)


@dataclass(frozen=True)
class ReconnectItem:
    connection_id: int
    platform: str
    platform_label: str
    label: str


@dataclass(frozen=True)
class Status:
    connections: int
    needs_reconnect: list[ReconnectItem]
    has_snapshots: bool
    last_sync_at: datetime | None  # the last finished run that covered this user
    next_sync_at: datetime  # the periodic sync_metrics job's next time
    sync_running: bool


def overview_status(session: Session, user_id: int, now: datetime) -> Status:
    conns = session.execute(
        select(
            Connection.id,
            Connection.platform,
            Connection.status,
            Connection.display_name,
            Connection.username,
            Connection.account_id,
        )
        .where(Connection.user_id == user_id)
        .order_by(Connection.platform, Connection.id)
    ).all()
    reconnect = [
        ReconnectItem(cid, platform, PLATFORM_LABELS.get(platform, platform), label_of(d, u, a))
        for cid, platform, status, d, u, a in conns
        if status in NEEDS_RECONNECT
    ]
    has_snapshots = session.execute(
        select(
            exists().where(
                MetricSnapshot.tracked_post_id == TrackedPost.id,
                TrackedPost.user_id == user_id,
            )
        )
    ).scalar()
    mine = or_(SyncRun.user_id.is_(None), SyncRun.user_id == user_id)  # type: ignore[union-attr]
    last = session.execute(
        select(func.max(SyncRun.finished_at)).where(mine, SyncRun.status == "finished")
    ).scalar()
    running = session.execute(select(exists().where(mine, SyncRun.status == "running"))).scalar()
    return Status(
        connections=len(conns),
        needs_reconnect=reconnect,
        has_snapshots=bool(has_snapshots),
        last_sync_at=last,
        next_sync_at=next_metric_sync(now, get_settings().metrics_sync_hours),
        sync_running=bool(running),
    )
