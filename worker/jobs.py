"""Job functions. They take ids or plain values, reload from the database and call services."""

from __future__ import annotations

from typing import Any

from socialhub.db import session_scope
from worker.audit import audited


@audited("ping")
def ping(value: Any) -> dict[str, Any]:
    """A no-op round trip: proves a worker picks up jobs and can reach the database."""
    from sqlalchemy import text

    with session_scope() as s:
        one = s.exec(text("SELECT 1")).one()[0]  # type: ignore[call-overload]
    return {"echo": value, "db": one}


@audited("refresh_tokens")
def refresh_tokens() -> dict[str, int]:
    """Refresh every token that expires soon; mark what cannot be refreshed."""
    from socialhub.services import access

    return access.refresh_expiring_tokens()


@audited("publish_target")
def publish_target(target_id: int) -> dict[str, int]:
    """Publish this target and whatever else is due alongside it (each claimed first, so a
    second delivery of the same job does nothing)."""
    from socialhub.services import engine

    return engine.run_due_batch(target_id)


@audited("dispatch_publishing")
def dispatch_publishing() -> dict[str, int]:
    """Every minute: enqueue what is due, mark what is missed, recover dead workers' targets."""
    from socialhub.services import dispatch

    return dispatch.dispatch_due()


@audited("sync_metrics")
def sync_metrics() -> dict[str, int]:
    """Every few hours (settings.metrics_sync_hours): a run over every connection, fanned out
    on the sync queue."""
    from socialhub.services import sync_runs

    return {"run_id": sync_runs.sync_now(trigger="schedule")}


@audited("sync_connections")
def sync_connections(run_id: int, connection_ids: list[int]) -> dict[str, int]:
    """One chunk of a run: these connections, several at once, each isolated."""
    from socialhub.services import sync_runs

    outcomes = sync_runs.run_connections(run_id, connection_ids)
    return {"connections": len(outcomes), "posts": sum(o.posts for o in outcomes)}


@audited("resume_connection_sync")
def resume_connection_sync(run_id: int, connection_id: int, deferred: int, attempt: int) -> dict[str, int]:
    """What a connection's sync left after a rate limit or an outage, in the same run."""
    from socialhub.services import sync_runs

    out = sync_runs.resume_connection(run_id, connection_id, deferred, attempt)
    return {"posts": out.posts, "deferred": out.deferred}


@audited("refresh_leaderboard")
def refresh_leaderboard() -> dict[str, float]:
    """Every 15 minutes (and after each metric sync): rebuild the pre-aggregated leaderboard."""
    from socialhub.services.leaderboard import refresh_leaderboard as refresh

    result = refresh()
    return {"creators": result.creators, "rows": result.rows, "seconds": round(result.seconds, 2)}
