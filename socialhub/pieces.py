"""The pieces `socialhub up` runs, and how each is started, watched and restarted.

A piece is a child process in its own process group (so a signal reaches its whole tree)
or the embedded Redis. A piece that dies is restarted after a backoff that doubles with
each quick failure and resets once the piece has stayed up for a while; one that keeps
failing makes the supervisor give up, stop everything and exit non-zero.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from socialhub import embedded_redis, instance

ROOT = Path(__file__).resolve().parent.parent

FIRST_BACKOFF = 1.0  # seconds before the first restart
MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0  # a piece up this long has recovered: its backoff starts over
GIVE_UP_AFTER = 6  # quick failures in a row


def describe_exit(code: int | None) -> str:
    if code is None:
        return "is running"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


@dataclass
class Restarts:
    """Backoff bookkeeping shared by every kind of piece."""

    count: int = 0  # restarts so far, for the log
    quick_failures: int = 0
    started_at: float = 0.0
    due_at: float | None = None  # when a pending restart may happen

    def failed(self, now: float) -> float:
        """Record a death; return the delay before the next start."""
        if now - self.started_at >= STABLE_AFTER:
            self.quick_failures = 0
        self.quick_failures += 1
        delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (self.quick_failures - 1))
        self.due_at = now + delay
        return delay

    @property
    def gave_up(self) -> bool:
        return self.quick_failures >= GIVE_UP_AFTER


@dataclass
class Child:
    """A `socialhub <command>` child process."""

    name: str
    args: list[str]
    to_terminal: bool = False  # the web app talks to the person; the rest go to log files
    proc: subprocess.Popen | None = None
    restarts: Restarts = field(default_factory=Restarts)

    def start(self, env: dict[str, str], log_dir: Path) -> None:
        log = None if self.to_terminal else open(log_dir / f"{self.name}.log", "ab")  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                self.args,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT if log else None,
                start_new_session=True,
            )
        finally:
            if log is not None:
                log.close()  # the child holds its own copy
        self.restarts.started_at = time.monotonic()
        self.restarts.due_at = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def exit_code(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)  # the group outlives a killed leader: signal it anyway
        except (ProcessLookupError, PermissionError):
            pass

    def log_tail(self, log_dir: Path, lines: int = 8) -> str:
        path = log_dir / f"{self.name}.log"
        if self.to_terminal or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class RedisPiece:
    """The embedded Redis: restarted on the same port with the same password, so every
    child's REDIS_URL stays valid."""

    directory: Path
    server: embedded_redis.EmbeddedRedis | None = None
    restarts: Restarts = field(default_factory=Restarts)
    name: str = "redis"

    def start(self) -> None:
        port = self.server.port if self.server else None
        self.server = embedded_redis.start(self.directory, port=port)
        self.restarts.started_at = time.monotonic()
        self.restarts.due_at = None

    @property
    def pid(self) -> int | None:
        return self.server.pid if self.server else None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def exit_code(self) -> int | None:
        return None if self.server is None else self.server.process.poll()

    def alive(self) -> bool:
        return self.server is not None and self.server.alive()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def port_in_use(host: str, port: int) -> bool:
    """True when something listens on host:port (a TIME_WAIT leftover does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def probe(url: str, instance_id: str) -> str:
    """'ours' when url answers for this instance, 'foreign' when something else answers,
    'down' when nothing usable answers yet."""
    try:
        resp = httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return "down"
    if resp.headers.get(instance.HEADER) == instance_id:
        return "ours" if resp.status_code < 500 else "down"
    return "foreign"
