"""Run the real `socialhub up` as a process on a temp data dir and free ports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_lib

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


class Up:
    """One `socialhub up` process: its output, its pieces, its Redis."""

    def __init__(self, data_dir: Path, *args: str, sandbox_port: int | None = None, port: int | None = None):
        self.data_dir = data_dir
        self.sandbox_port = sandbox_port or free_port()
        self.port = port or free_port()
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
        env.update(
            SOCIALHUB_DATA_DIR=str(data_dir),
            SOCIALHUB_SANDBOX_PORT=str(self.sandbox_port),
            SOCIALHUB_PORT=str(self.port),
            SOCIALHUB_ENV="test",
            PYTHONUNBUFFERED="1",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "socialhub.cli", "up", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a test's SIGINT reaches the supervisor only
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60, after: int = 0) -> int:
        """Wait until a line (from index `after` on) contains text; return its index."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, line in enumerate(self.lines[after:], start=after):
                if text in line:
                    return i
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the reader catch the last lines
                if any(text in line for line in self.lines[after:]):
                    return self.wait_for(text, 1, after)
                raise AssertionError(f"`up` exited ({self.proc.returncode}) before {text!r}:\n{self.output}")
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} within {timeout} s:\n{self.output}")

    def pieces(self) -> dict:
        return json.loads((self.data_dir / "run" / "pieces.json").read_text())

    def pid(self, piece: str) -> int:
        return self.pieces()["pieces"][piece]

    def redis(self) -> redis_lib.Redis:
        """A client of this copy's embedded Redis (the password from its 0600 file)."""
        password = (self.data_dir / "redis" / "redis.password").read_text().strip()
        return redis_lib.Redis(host="127.0.0.1", port=self.pieces()["redis_port"], password=password)

    def sandbox_health(self) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.sandbox_port}/health", timeout=5)

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._reader.join(timeout=5)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose: read its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def wait_until(check, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not met within {timeout} s")


@pytest.fixture
def start_up(tmp_path) -> Iterator:
    """Start `socialhub up` (no web by default); every copy is stopped after the test."""
    started: list[Up] = []

    def _start(*args: str, data_dir: Path | None = None, **ports) -> Up:
        up = Up(data_dir or tmp_path / f"data{len(started)}", *args, **ports)
        started.append(up)
        return up

    yield _start
    for up in started:
        try:
            up.stop(timeout=30)
        except subprocess.TimeoutExpired:
            up.kill()
