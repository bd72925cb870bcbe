"""`socialhub track URL`, `socialhub tracked`, `socialhub untrack`, `socialhub import-posts`,
`socialhub sync`: tracking and the metric sync from the command line. Each command is a
boundary: it opens its own sessions and commits."""

from __future__ import annotations

import time

import typer

# Registered without a name: its commands sit at the top level (`socialhub track URL`).
track_app = typer.Typer(help="Track posts and sync their metrics.")


def _user_id(email: str | None) -> int:
    from socialhub.cli_posts import _user_id as resolve

    return resolve(email)


@track_app.command("track")
def track(
    url: str = typer.Argument(..., help="The link of a post on any of the six platforms."),
    user: str | None = typer.Option(None, "--user", help="The owner's e-mail (default: the first user)."),
) -> None:
    """Track a post by its URL (it must be on one of your connected accounts)."""
    from socialhub.services import tracking

    user_id = _user_id(user)
    try:
        post = tracking.track_url(user_id=user_id, url=url)
    except tracking.TrackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"tracking {post.platform} post {post.platform_post_id} (tracked post {post.id})")


@track_app.command("tracked")
def tracked(user: str | None = typer.Option(None, "--user")) -> None:
    """Your tracked posts with their latest numbers and last sync."""
    from socialhub.db import session_scope
    from socialhub.services import tracking

    user_id = _user_id(user)
    with session_scope() as s:
        rows = tracking.list_tracked(s, user_id=user_id)
    for r in rows:
        synced = f"{r.last_synced_at:%Y-%m-%d %H:%M} UTC" if r.last_synced_at else "not yet synced"
        numbers = " ".join(f"{k}={v}" for k, v in (("views", r.views), ("likes", r.likes)) if v is not None)
        flag = "  [deleted on the platform]" if r.status == "deleted" else ""
        typer.echo(f"{r.id:>6}  {r.platform:<9} {numbers or '-':<28} {synced}  {r.title[:40]!r}{flag}")
    typer.echo(f"{len(rows)} tracked post(s)")


@track_app.command("untrack")
def untrack(
    tracked_id: int,
    delete_history: bool = typer.Option(False, "--delete-history", help="Also delete its snapshots."),
    user: str | None = typer.Option(None, "--user"),
) -> None:
    """Stop tracking a post (its history is kept unless --delete-history)."""
    from socialhub.db import session_scope
    from socialhub.services import tracking

    user_id = _user_id(user)
    try:
        with session_scope() as s:
            tracking.untrack(s, user_id=user_id, tracked_id=tracked_id, delete_history=delete_history)
    except tracking.TrackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo("untracked" + (" and its history deleted" if delete_history else "; its history is kept"))


@track_app.command("import-posts")
def import_posts(connection_id: int, user: str | None = typer.Option(None, "--user")) -> None:
    """Track a connected account's posts of the last 90 days."""
    from socialhub.providers.base import ProviderError
    from socialhub.services import access, tracking

    user_id = _user_id(user)
    try:
        result = tracking.import_recent(user_id=user_id, connection_id=connection_id)
    except (access.NotYours, ProviderError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{result.added} post(s) added, {result.already} already tracked ({result.pages} page(s))")


@track_app.command("sync")
def sync(
    connection: int | None = typer.Option(None, "--connection", help="Only this connection."),
    inline: bool = typer.Option(False, "--inline", help="Run here instead of on the workers."),
    wait: float = typer.Option(600, "--wait", help="Seconds to wait for the workers to finish."),
    user: str | None = typer.Option(None, "--user"),
) -> None:
    """Sync metrics now and print the summary ("312 posts, 2 accounts, 14 API calls, 1 error")."""
    from socialhub.db import session_scope
    from socialhub.services import sync_runs

    user_id = _user_id(user)
    run_id = sync_runs.sync_now(trigger="cli", user_id=user_id, connection_id=connection, inline=inline)
    deadline = time.monotonic() + wait
    while True:
        with session_scope() as s:
            run = sync_runs.view(s, run_id)
        if run.status == "finished" or time.monotonic() > deadline:
            break
        typer.echo(f"  {run.connections_done}/{run.connections_total} accounts, {run.posts} posts ...")
        time.sleep(1)
    typer.echo(f"sync {run.id} {run.status}: {run.summary}")
