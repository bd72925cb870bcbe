"""What every benchmark starts for itself: a private data directory, a migrated database
(SQLite, or DATABASE_URL), a Redis (REDIS_URL, or an embedded one), the platform sandbox as
its own process, the app's media route, connected accounts, and worker processes.

Everything runs on loopback and stops when the benchmark ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    data_dir: Path
    env: dict[str, str]
    sandbox_url: str
    sandbox_token: str
    procs: list[subprocess.Popen] = field(default_factory=list)
    workers: list[subprocess.Popen] = field(default_factory=list)

    def control(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.sandbox_url + "/_sandbox",
            headers={"Authorization": f"Bearer {self.sandbox_token}"},
            timeout=60,
        )

    def spawn(self, *args: str, log: str) -> subprocess.Popen:
        out = (self.data_dir / f"{log}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "socialhub.cli", *args],
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def start_worker(self, name: str, queue: str = "publish") -> subprocess.Popen:
        proc = self.spawn("worker", queue, log=name)
        self.workers.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Kill a worker and its job's work horse (RQ gives the horse a session of its own)."""
        from socialhub.procs import descendants

        for pid in [proc.pid, *descendants(proc.pid)]:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        proc.wait(timeout=20)
        if proc in self.workers:
            self.workers.remove(proc)


@contextmanager
def stack(prefix: str):
    """Set up the environment and services; yield a Stack; stop everything afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"socialhub-bench-{prefix}-"))
    os.environ["SOCIALHUB_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("SOCIALHUB_ENV", "test")
    # Workers are started on their own (not by `socialhub up`): like an operator's, they
    # need the keys explicitly, the same for every process.
    if not os.environ.get("SOCIALHUB_ENCRYPTION_KEYS"):
        from cryptography.fernet import Fernet

        os.environ["SOCIALHUB_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    token = "bench-sandbox-admin"
    sandbox_port = free_port()
    os.environ["SOCIALHUB_SANDBOX_URL"] = f"http://127.0.0.1:{sandbox_port}"
    os.environ["SOCIALHUB_SANDBOX_ADMIN_TOKEN"] = token
    os.environ["SOCIALHUB_SANDBOX_DB"] = str(data_dir / "sandbox.db")
    redis_server = None
    if not os.environ.get("REDIS_URL"):
        from socialhub import embedded_redis

        redis_server = embedded_redis.start(data_dir / "redis", persist=False)
        os.environ["REDIS_URL"] = redis_server.url
    from socialhub.config import reset_settings_cache

    reset_settings_cache()
    if os.environ.get("DATABASE_URL"):
        from sqlalchemy import create_engine, text

        from socialhub.config import get_settings

        engine = create_engine(get_settings().db_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    from socialhub.cli import migrate_database

    migrate_database()
    from socialhub.queue import get_redis

    get_redis().flushdb()
    media_server, media_url = _media_server()
    os.environ["SOCIALHUB_PUBLIC_URL"] = media_url
    reset_settings_cache()
    st = Stack(data_dir, dict(os.environ), os.environ["SOCIALHUB_SANDBOX_URL"], token)
    st.spawn("sandbox", "--port", str(sandbox_port), log="sandbox")
    _wait_http(st.sandbox_url + "/health")
    try:
        yield st
    finally:
        for proc in list(st.procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in st.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        media_server.should_exit = True
        if redis_server is not None:
            redis_server.stop()


def _media_server():
    import threading

    import uvicorn

    from socialhub.media_server import create_media_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_media_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    _wait_http(url + "/media/x/y", ok=(404,))
    return server, url


def _wait_http(url: str, timeout: float = 60, ok=(200,)) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code in ok:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def make_user(email: str = "bench@example.com") -> int:
    from socialhub import security
    from socialhub.db import session_scope
    from socialhub.models import User

    with session_scope() as s:
        user = User(
            email=email,
            password_hash=security.hash_password("benchmark password"),
            display_name="Bench",
            handle=email.split("@")[0],
        )
        s.add(user)
        s.flush()
        return user.id


def connect_all(user_id: int, platform: str, accounts: int) -> list[int]:
    """Connect up to `accounts` of the platform's demo accounts through the real OAuth flow
    (consent pages clicked over HTTP). Meta logins that offer several accounts take them all."""
    from socialhub.db import session_scope
    from socialhub.services import connections as svc
    from tests.oauth_helpers import consent, consent_accounts

    ids: list[int] = []
    with session_scope() as s:
        url = svc.start_connect(s, user_id=user_id, platform=platform)
    offered = consent_accounts(url)
    for account in offered[:accounts]:
        with session_scope() as s:
            url = svc.start_connect(s, user_id=user_id, platform=platform)
        params = consent(url, account_id=account)
        result = svc.finish_connect(
            user_id=user_id, platform=platform, state=params["state"], code=params["code"]
        )
        if result.choice_id:
            result = svc.choose_accounts(
                user_id=user_id,
                choice_id=result.choice_id,
                account_ids=[c.account_id for c in result.choices],
            )
        ids += [v.id for v in result.connected]
    return ids[:accounts]


def store_media(user_id: int, kind: str) -> int:
    import struct

    from socialhub.db import session_scope
    from socialhub.services import media

    if kind == "image":
        data = b"\xff\xd8\xff\xe0\x00\x10JFIF" + os.urandom(4000) + b"\xff\xd9"
        name = "photo.jpg"
    else:
        ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"isom", 512, b"isom")
        payload = bytes(4) + struct.pack(">IIII", 0, 0, 1000, 12000) + bytes(80)
        mvhd = struct.pack(">I4s", 8 + len(payload), b"mvhd") + payload
        data = ftyp + struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd + os.urandom(4000)
        name = "clip.mp4"
    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(data)
    with session_scope() as s:
        return media.store_file(s, user_id=user_id, src=path, original_name=name).id


def fresh_database(name: str) -> str:
    """A private data directory and a freshly migrated database for a query benchmark: a
    temporary SQLite file, or the PostgreSQL database in DATABASE_URL, whose public schema is
    dropped and recreated (give it a database of its own). Returns the database URL."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"socialhub-bench-{name}-"))
    os.environ["SOCIALHUB_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("SOCIALHUB_ENV", "test")
    from sqlalchemy import create_engine, text

    from socialhub.config import get_settings, reset_settings_cache

    reset_settings_cache()
    url = get_settings().db_url
    if not url.startswith("sqlite"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    from socialhub.cli import migrate_database

    migrate_database()
    return url


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)
