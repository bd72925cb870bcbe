"""`socialhub post ...`: the publishing service from the command line, for automation and the
benchmarks. Each command is a boundary: it opens a session, calls the service, commits."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

posts_app = typer.Typer(
    help="Create, list and inspect posts (the same service the pages use).", no_args_is_help=True
)


def _user_id(email: str | None) -> int:
    from sqlmodel import select

    from socialhub.db import session_scope
    from socialhub.models import User
    from socialhub.services import users

    with session_scope() as s:
        first = select(User).order_by(User.id)
        user = users.get_user_by_email(s, email) if email else s.exec(first).first()
        if user is None:
            typer.echo("No such user. Sign up in the app first, or pass --user EMAIL.", err=True)
            raise typer.Exit(2)
        return user.id


@posts_app.command("create")
def create(
    account: list[int] = typer.Option(..., "--account", help="Connection id (repeat for several accounts)."),
    caption: str = typer.Option("", "--caption"),
    media: list[Path] = typer.Option(
        [], "--media", exists=True, dir_okay=False, help="A photo or video file."
    ),
    at: str | None = typer.Option(
        None, "--at", help="ISO time, e.g. 2026-12-24T09:00 (with --tz) or with an offset."
    ),
    tz: str = typer.Option("UTC", "--tz", help="Time zone for --at without an offset."),
    user: str | None = typer.Option(None, "--user", help="The owner's e-mail (default: the first user)."),
) -> None:
    """Create a post for one or several accounts: now, or at --at."""
    from socialhub.db import session_scope
    from socialhub.services import media as media_svc
    from socialhub.services import publishing

    user_id = _user_id(user)
    when = None
    if at:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            typer.echo(f"--at {at!r} is not an ISO date and time (like 2026-12-24T09:00).", err=True)
            raise typer.Exit(2) from None
    try:
        with session_scope() as s:
            media_ids = [
                media_svc.store_file(s, user_id=user_id, src=p, original_name=p.name).id for p in media
            ]
            post = publishing.create_post(
                s,
                user_id=user_id,
                caption=caption,
                connection_ids=account,
                media_ids=media_ids,
                at=when,
                timezone=tz,
            )
            post_id = post.id
    except (publishing.PostInvalid, media_svc.MediaError) as exc:
        for problem in getattr(exc, "problems", [str(exc)]):
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from None
    with session_scope() as s:
        publishing.enqueue_post(s, post_id)
        view = publishing.get_post(s, user_id=user_id, post_id=post_id)
    typer.echo(
        f"post {post_id}: " + ", ".join(f"target {t.id} {t.platform} {t.status}" for t in view.targets)
    )


@posts_app.command("list")
def list_posts(user: str | None = typer.Option(None, "--user"), limit: int = 20) -> None:
    """The newest posts and where each target stands."""
    from socialhub.db import session_scope
    from socialhub.services import heartbeats, publishing

    user_id = _user_id(user)
    with session_scope() as s:
        problem = heartbeats.scheduler_problem(s)
        posts = publishing.list_posts(s, user_id=user_id, limit=limit)
    if problem:
        typer.echo(f"warning: {problem}")
    for post in posts:
        when = f"{post.scheduled_for:%Y-%m-%d %H:%M} UTC" if post.scheduled_for else "now"
        typer.echo(f"post {post.id}  {when}  {post.caption[:50]!r}")
        for t in post.targets:
            link = f"  {t.platform_url}" if t.platform_url else ""
            typer.echo(f"  target {t.id}  {t.platform:<9} @{t.account:<20} {t.status}{link}")


@posts_app.command("show")
def show(post_id: int, user: str | None = typer.Option(None, "--user")) -> None:
    """One post with every target's event log."""
    from socialhub.db import session_scope
    from socialhub.services import publishing

    user_id = _user_id(user)
    with session_scope() as s:
        try:
            post = publishing.get_post(s, user_id=user_id, post_id=post_id)
        except publishing.NotFoundForUser as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        logs = {t.id: publishing.events(s, user_id=user_id, target_id=t.id) for t in post.targets}
    typer.echo(f"post {post.id}: {post.caption!r}")
    for t in post.targets:
        typer.echo(f"target {t.id} {t.platform} @{t.account}: {t.status} (attempts {t.attempts})")
        if t.platform_url:
            typer.echo(f"  {t.platform_url}")
        for e in logs[t.id]:
            change = f"{e.from_status or ''}->{e.to_status}" if e.to_status else ""
            typer.echo(f"  {e.at:%Y-%m-%d %H:%M:%S}  {e.step:<20} {change:<24} {e.message}")
