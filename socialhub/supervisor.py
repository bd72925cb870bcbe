"""`socialhub up`: run every piece of SocialHub on one machine and stop them all cleanly.

Pieces: migrations (once), Redis (REDIS_URL, or an embedded one we own), the platform
sandbox, RQ worker(s), the rq-scheduler, and the Reflex web app. Each child runs in its
own process group so Ctrl-C stops whole trees and leaves no orphan behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from socialhub import embedded_redis
from socialhub.config import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None

    def start(self, base_env: dict[str, str], log_dir: Path) -> None:
        log = open(log_dir / f"{self.name}.log", "ab")  # noqa: SIM115 - lives with the child
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env={**base_env, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=log if self.name != "web" else None,
            stderr=subprocess.STDOUT if self.name != "web" else None,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass


def _say(msg: str) -> None:
    print(f"[socialhub] {msg}", flush=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim_pidfile(path: Path) -> None:
    if path.exists():
        try:
            pid = int(path.read_text().strip() or 0)
        except ValueError:
            pid = 0
        if pid and pid != os.getpid() and _pid_alive(pid):
            raise SystemExit(f"SocialHub already runs from this data directory (pid {pid}). Stop it first.")
        path.unlink(missing_ok=True)  # stale, from a run that was killed
    path.write_text(str(os.getpid()))


def _wait_http(url: str, timeout: float, children: list[Child]) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for child in children:
            if child.proc is not None and child.proc.poll() is not None:
                raise SystemExit(f"{child.name} exited with code {child.proc.returncode} during start-up")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def run_all(settings: Settings | None = None, *, workers: int | None = None) -> int:
    settings = settings or get_settings()
    data = settings.ensure_data_dir().resolve()
    run_dir = data / "run"
    log_dir = data / "logs"
    run_dir.mkdir(exist_ok=True)
    log_dir.mkdir(exist_ok=True)
    pidfile = run_dir / "socialhub.pid"
    _claim_pidfile(pidfile)

    stopping = False

    def _stop(signum, frame):  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)

    redis = None
    children: list[Child] = []
    try:
        from socialhub.cli import migrate_database
        from socialhub.security import load_keys

        load_keys(settings)  # generate the key file once, before children race for it
        settings.get_sandbox_admin_token()
        _say("applying database migrations…")
        migrate_database()

        env = dict(os.environ)
        env["SOCIALHUB_DATA_DIR"] = str(data)
        if settings.redis_url:
            _say(f"using Redis at {settings.redis_url.split('@')[-1]}")
        else:
            redis = embedded_redis.start(data / "redis")
            env["REDIS_URL"] = redis.url
            _say(f"started embedded Redis on port {redis.port}")

        exe = [sys.executable, "-m", "socialhub.cli"]
        children.append(
            Child("sandbox", [*exe, "sandbox", "--host", "127.0.0.1", "--port", str(settings.sandbox_port)])
        )
        for i in range(workers or settings.workers):
            children.append(Child(f"worker-{i + 1}", [*exe, "worker"]))
        children.append(Child("scheduler", [*exe, "scheduler"]))
        children.append(Child("web", [*exe, "web"]))
        for child in children:
            child.start(env, log_dir)
        _say(f"sandbox, {workers or settings.workers} worker(s) and scheduler started (logs in {log_dir})")
        _wait_http(f"{settings.sandbox_base_url}/health", 30, children)
        _say("building and starting the web app (the first start takes a minute or two)…")
        if _wait_http(f"{settings.base_url}/ping", 900, children):
            _say(f"SocialHub is running: open {settings.base_url}   (Ctrl-C stops everything)")
        while not stopping:
            for child in children:
                if not child.alive() and not stopping:
                    _say(
                        f"{child.name} stopped unexpectedly (code {child.proc.returncode}); shutting down. See {log_dir}/{child.name}.log"
                    )
                    stopping = True
                    break
            time.sleep(0.5)
        return 0
    finally:
        _say("stopping…")
        for child in reversed(children):
            child.signal_group(signal.SIGTERM)
        deadline = time.time() + 15
        for child in children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.signal_group(signal.SIGKILL)
                child.proc.wait()
        if redis is not None:
            redis.stop()
        pidfile.unlink(missing_ok=True)
        _say("stopped.")
