"""Pieces of a scaled-out SocialHub for tests/scaleout: processes started the way an
operator starts them (one `.env`, one command each, a data directory each), and a small
TCP reverse proxy in front of the web processes whose target the test chooses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


class TcpProxy:
    """The public URL. Every new connection goes to `target` (a port on 127.0.0.1); bytes
    are copied both ways, so HTTP and websockets pass unchanged, as through a real proxy.
    `switch()` changes the target and drops open connections (browsers keep HTTP
    connections alive; a dropped websocket reconnects through the proxy, to the new target)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.target: int | None = None
        self.accepted: Counter[int] = Counter()
        self._open: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def switch(self, port: int) -> None:
        with self._lock:
            self.target = port
            pairs, self._open = self._open, []
        for pair in pairs:
            for s in pair:
                _close(s)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            target = self.target
            try:
                upstream = socket.create_connection(("127.0.0.1", target), timeout=5)
                upstream.settimeout(None)
            except (OSError, TypeError):
                _close(client)
                continue
            with self._lock:
                self.accepted[target] += 1
                self._open.append((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(src, dst), daemon=True).start()

    def close(self) -> None:
        self._closed = True
        _close(self.sock)
        self.switch(0)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Proc:
    """One `socialhub <command>` process with its own log file and process group."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name, self.args, self.env = name, args, env
        self.log = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "socialhub.cli", *self.args],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill_tree(self, sig: int = signal.SIGKILL) -> None:
        """The process, its group, and RQ's work horses (which get sessions of their own)."""
        from socialhub.procs import descendants

        if self.proc is None:
            return
        for pid in [self.proc.pid, *descendants(self.proc.pid)]:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.kill_tree(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill_tree(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.kill_tree(signal.SIGKILL)  # leftovers in its group (backend workers)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def wait_http(url: str, proc: Proc, timeout: float = 180) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc is not None and proc.proc.poll() is not None:
            raise AssertionError(f"{proc.name} exited with {proc.proc.returncode}:\n{proc.tail()}")
        try:
            resp = httpx.get(url, timeout=3)
            if resp.status_code == 200:
                return resp
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout:.0f} s:\n{proc.tail()}")


def wait_until(check, timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Poller:
    """Requests a URL every `every` seconds in a thread, counting answers and failures."""

    def __init__(self, urls: list[str], every: float = 0.2) -> None:
        self.urls, self.every = urls, every
        self.ok = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.is_set():
                for url in self.urls:
                    try:
                        resp = client.get(url)
                        if resp.status_code == 200:
                            self.ok += 1
                        else:
                            self.failures.append(f"{url}: {resp.status_code}")
                    except httpx.HTTPError as exc:
                        self.failures.append(f"{url}: {type(exc).__name__}")
                self._stop.wait(self.every)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
