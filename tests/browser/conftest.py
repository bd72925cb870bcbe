"""The real app for browser tests: migrated temp database, `reflex run --env prod`, Chromium.

One app per test session (the production build takes a minute or two). Tests are skipped
only when Chromium or bun is missing; CI installs both.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
BUN_DIR = REPO_ROOT / ".tools" / "node_modules" / ".bin"
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT = 300


def _missing_tools() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed"
    if not (BUN_DIR / "bun").exists() and shutil.which("bun") is None:
        return f"bun is not installed (looked in {BUN_DIR} and on PATH)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _app_env(data_dir: Path, port: int, sandbox_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    # A database of its own: the first account signed up here must be the first one ever.
    for name in ("DATABASE_URL", "REFLEX_REDIS_URL", "SOCIALHUB_PUBLIC_URL"):
        env.pop(name, None)
    env.update(
        PATH=f"{BUN_DIR}{os.pathsep}{env.get('PATH', '')}",
        REFLEX_USE_SYSTEM_BUN="1",
        SOCIALHUB_DATA_DIR=str(data_dir),
        SOCIALHUB_PORT=str(port),
        SOCIALHUB_HOST="127.0.0.1",
        SOCIALHUB_SANDBOX_URL=sandbox_url,
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
        # Where Reflex's disk state manager would write: inside the test's data directory,
        # so tests can prove nothing lands there (and the repo's .states is left alone).
        REFLEX_STATES_WORKDIR=str(data_dir / ".states"),
    )
    return env


def _ready(base_url: str) -> bool:
    try:
        page = httpx.get(base_url + "/", timeout=5)
        ping = httpx.get(base_url + "/ping", timeout=5)
    except httpx.HTTPError:
        return False
    return page.status_code == 200 and ping.status_code == 200


@pytest.fixture(scope="session")
def app_sandbox(tmp_path_factory):
    """The platform sandbox the live app's providers talk to (over HTTP, like production)."""
    from tests.servers import SandboxHandle

    handle = SandboxHandle(tmp_path_factory.mktemp("app-sandbox") / "sandbox.db")
    yield handle
    handle.close()


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app-data")


@pytest.fixture(scope="session")
def live_app(app_data_dir, app_sandbox, redis_url) -> Iterator[str]:
    """Base URL of the real app, built and served in production mode on a free port."""
    reason = _missing_tools()
    if reason:
        pytest.skip(reason)
    data_dir = app_data_dir
    port = _free_port()
    env = _app_env(data_dir, port, app_sandbox.url, redis_url)
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=REPO_ROOT, env=env, check=True)
    reflex = Path(sys.executable).with_name("reflex")
    log_path = data_dir / "reflex.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                str(reflex),
                "run",
                "--env",
                "prod",
                "--single-port",
                "--backend-port",
                str(port),
                "--backend-host",
                "127.0.0.1",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so we can stop all of it
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _ready(base_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-4000:]
                pytest.fail(f"the app did not start (exit code {proc.poll()}); log tail:\n{tail}")
            time.sleep(2)
        yield base_url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def _empty_app_database(request) -> None:
    """Each browser test starts from an empty app database (the first sign-up is the first
    account ever), so no test depends on another having run before it."""
    if "live_app" not in request.fixturenames:
        return
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    import socialhub.models  # noqa: F401  (registers the tables)
    from socialhub.config import Settings

    request.getfixturevalue("live_app")
    data_dir = request.getfixturevalue("app_data_dir")
    engine = create_engine(Settings(SOCIALHUB_DATA_DIR=data_dir, DATABASE_URL=None).db_url)
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture(scope="package")
def browser(live_app):
    """One Chromium for the browser tests. Package scope: Playwright's sync API keeps an event
    loop running in the main thread while it is open, which other packages' asyncio code
    must not find."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no localStorage) and page at 1280x800."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot():
    """screenshot(page, "login") saves docs/screenshots/login.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(400)  # let fonts and transitions settle
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
