"""The `socialhub` command line: run everything or one piece, migrate, admin, keys."""

from __future__ import annotations

import getpass
import logging
import os

import typer

from socialhub.cli_posts import posts_app
from socialhub.cli_track import track_app
from socialhub.config import export_env_file, get_settings
from socialhub.migrations import migrate_database  # also re-exported for older imports

app = typer.Typer(
    help="SocialHub: a self-hostable social media hub.", no_args_is_help=True, add_completion=False
)
admin_app = typer.Typer(help="Administrator accounts.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(posts_app, name="post")
app.add_typer(track_app)  # track, tracked, untrack, import-posts, sync at the top level


@app.callback()
def _main() -> None:
    # `.env` reaches Reflex's own variables and every child process the same way it reaches
    # Settings (the environment wins).
    export_env_file()


def _require_explicit_keys(command: str) -> None:
    """Outside `socialhub up`, web, worker and scheduler need SOCIALHUB_ENCRYPTION_KEYS."""
    from socialhub.services.startup import StartupRefused, require_explicit_keys

    try:
        require_explicit_keys(get_settings(), command)
    except StartupRefused as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def up(
    workers: int = typer.Option(None, help="RQ worker processes (default SOCIALHUB_WORKERS or 1)."),
    web: bool = typer.Option(True, "--web/--no-web", help="Also run the web app (--no-web: jobs only)."),
) -> None:
    """Run everything: migrations, Redis, sandbox, worker(s), scheduler and the web app.

    Dead pieces are restarted; exits 0 after Ctrl-C, 1 after an abnormal stop."""
    from socialhub.supervisor import run_all

    raise typer.Exit(run_all(workers=workers, web=web))


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    migrate_database()
    typer.echo("Database is at the latest schema.")


@app.command()
def build() -> None:
    """Build the web frontend once per release, for SOCIALHUB_PUBLIC_URL (the proxy's URL)."""
    from socialhub.web_build import STAMP
    from socialhub.web_build import build as build_web

    settings = get_settings()
    if not settings.public_url:
        typer.echo(
            f"note: SOCIALHUB_PUBLIC_URL is not set: the pages will talk to {settings.base_url}. "
            "Behind a proxy, set it to the URL people open."
        )
    build_web(settings)
    typer.echo(f"Frontend built for {settings.base_url} ({STAMP}).")


@app.command()
def web(
    build_if_needed: bool = typer.Option(
        False, "--build-if-needed", hidden=True, help="Build first when needed (what `socialhub up` does)."
    ),
) -> None:
    """Serve the web app from the build `socialhub build` made (single port; never rebuilds)."""
    from socialhub.web_build import run_web

    _require_explicit_keys("web")
    run_web(get_settings(), build_if_needed=build_if_needed)


@app.command()
def worker(
    queues: list[str] = typer.Argument(None, help="Queues to serve (default: all)."),
    burst: bool = typer.Option(False, help="Exit when the queues are empty."),
) -> None:
    """Run an RQ worker."""
    _require_explicit_keys("worker")
    _logging()
    from worker.main import run_worker

    run_worker(queues or None, burst=burst)


@app.command()
def scheduler(
    interval: int = typer.Option(10, help="Seconds between passes."),
    burst: bool = typer.Option(False, help="One pass, then exit."),
) -> None:
    """Run the rq-scheduler (periodic jobs and delayed work)."""
    _require_explicit_keys("scheduler")
    _logging()
    from worker.main import run_scheduler

    run_scheduler(interval, burst=burst)


@app.command()
def sandbox(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(None, help="Port (default SOCIALHUB_SANDBOX_PORT or 8900)."),
) -> None:
    """Run the platform sandbox alone: every platform's API on one port."""
    import uvicorn

    settings = get_settings()
    port = port or settings.sandbox_port
    typer.echo(
        f"Platform sandbox on http://{host}:{port}/ (admin token in {settings.data_dir / 'sandbox-admin.token'})"
    )
    uvicorn.run("socialhub.instance:sandbox_app", factory=True, host=host, port=port, log_level="warning")


@admin_app.command("create")
def admin_create(
    email: str = typer.Option(..., prompt=True),
    display_name: str = typer.Option("Admin", help="Name shown in the app."),
) -> None:
    """Create an admin account, or make an existing account an admin."""
    from socialhub.db import session_scope
    from socialhub.services import users

    migrate_database()
    with session_scope() as s:
        if users.get_user_by_email(s, email) is not None:
            users.make_admin(s, email)
            typer.echo(f"{email} is now an admin.")
            return
    password = os.environ.get("SOCIALHUB_ADMIN_PASSWORD") or getpass.getpass("Password (10+ characters): ")
    with session_scope() as s:
        try:
            users.create_admin(s, email=email, password=password, display_name=display_name)
        except users.UserError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"Admin {email} created.")


@app.command("rotate-keys")
def rotate_keys(
    generate: bool = typer.Option(False, "--generate", help="Add a new key to the generated key file first."),
) -> None:
    """Re-encrypt every stored token under the newest key."""
    from socialhub import security
    from socialhub.services.keys import reencrypt_all

    if generate:
        security.add_new_key_to_file()
        typer.echo("Added a new key to the key file.")
    counts = reencrypt_all()
    typer.echo(f"Re-encrypted {counts['values']} secret(s) in {counts['rows']} row(s) under the newest key.")


if __name__ == "__main__":
    app()
