"""`socialhub up`: run every piece of SocialHub on one machine, keep them running, and stop
them all cleanly.

Pieces: migrations (once), Redis (REDIS_URL, or an embedded one we own), the platform
sandbox, RQ worker(s), the rq-scheduler and the Reflex web app (see socialhub/pieces.py).
A piece that dies is restarted with backoff and the restart is logged; one that keeps
dying stops everything with exit code 1. Ctrl-C (or SIGTERM) stops at once, also during
start-up, with exit code 0; a second Ctrl-C kills what is still stopping.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from socialhub import instance
from socialhub.config import Settings, get_settings
from socialhub.pieces import Child, RedisPiece, describe_exit, port_in_use, probe
from socialhub.services.startup import SUPERVISOR_ENV

STOP_GRACE = 15.0  # seconds between SIGTERM and SIGKILL


class StopRequested(BaseException):
    """Ctrl-C or SIGTERM: leave whatever we were waiting for (a BaseException, like
    KeyboardInterrupt, so no library's `except Exception` swallows it)."""


class AbnormalStop(Exception):
    """Something went wrong that restarting cannot fix: stop everything, exit 1."""


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


def _claim_pidfile(path: Path) -> bool:
    if path.exists():
        try:
            pid = int(path.read_text().strip() or 0)
        except ValueError:
            pid = 0
        if pid and pid != os.getpid() and _pid_alive(pid):
            raise AbnormalStop(f"SocialHub already runs from this data directory (pid {pid}). Stop it first.")
        path.unlink(missing_ok=True)  # stale, from a run that was killed
    path.write_text(str(os.getpid()))
    return True


class Supervisor:
    def __init__(self, settings: Settings, *, workers: int, web: bool) -> None:
        self.settings = settings
        self.web = web
        self.workers = workers
        self.data = settings.ensure_data_dir().resolve()
        self.run_dir = self.data / "run"
        self.log_dir = self.data / "logs"
        self.pidfile = self.run_dir / "socialhub.pid"
        self.piece_file = self.run_dir / "pieces.json"
        self.instance_id = secrets.token_hex(12)
        self.redis: RedisPiece | None = None
        self.children: list[Child] = []
        self.env: dict[str, str] = {}
        self._critical = False  # a stop request waits until the current step is safe to leave
        self._stop_signal: int | None = None
        self._shutting_down = False
        self._owns_pidfile = False

    # --- signals -----------------------------------------------------------------------
    def _on_signal(self, signum, frame) -> None:  # noqa: ARG002
        if self._shutting_down:
            _say("stopping now (killing what is left)…")
            for child in self.children:
                child.signal_group(signal.SIGKILL)
            return
        self._stop_signal = signum
        if not self._critical:
            raise StopRequested

    @contextlib.contextmanager
    def critical(self):
        """Steps that must not be cut in half (a migration, a spawn): a signal waits for them."""
        outer = self._critical
        self._critical = True
        try:
            yield
        finally:
            self._critical = outer
        if not outer and self._stop_signal is not None and not self._shutting_down:
            raise StopRequested

    # --- start-up ----------------------------------------------------------------------
    def _check_ports(self) -> None:
        wanted = [("sandbox", "127.0.0.1", self.settings.sandbox_port, "SOCIALHUB_SANDBOX_PORT")]
        if self.web:
            wanted.append(("web app", self.settings.host, self.settings.port, "SOCIALHUB_PORT"))
        for what, host, port, var in wanted:
            if port_in_use(host, port):
                raise AbnormalStop(
                    f"port {port} on {host} (the {what}) is already in use: another SocialHub or another "
                    f"program listens there. Stop it, or pick a free port with {var}=…"
                )

    def _prepare(self) -> None:
        from socialhub.migrations import migrate_database
        from socialhub.security import load_keys
        from socialhub.services.startup import StartupRefused, check_startup

        with self.critical():
            # load_keys() creates the key file once, before the children race for it.
            load_keys(self.settings)
            self.settings.get_sandbox_admin_token()
            _say("applying database migrations…")
            migrate_database()
            # Keys that open what is stored, private file modes, no stale session state on disk.
            try:
                for warning in check_startup(self.settings):
                    _say(f"warning: {warning}")
            except StartupRefused as exc:
                raise AbnormalStop(str(exc)) from exc

    def _spawn(self, child: Child) -> None:
        with self.critical():
            child.start(self.env, self.log_dir)
            self._write_piece_file()

    def _start_redis(self) -> None:
        with self.critical():
            self.redis.start()
            self._write_piece_file()

    def _write_piece_file(self) -> None:
        """data/run/pieces.json: which pid is which piece (for people, scripts and tests)."""
        pieces = {c.name: c.pid for c in self.children if c.pid}
        body: dict = {"supervisor": os.getpid(), "instance": self.instance_id, "pieces": pieces}
        if self.redis and self.redis.server:
            pieces["redis"] = self.redis.pid
            body["redis_port"] = self.redis.server.port
        tmp = self.piece_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(body))
        tmp.replace(self.piece_file)

    def _wait_ready(self, child: Child, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for piece in self.children:
                if not piece.alive():
                    tail = piece.log_tail(self.log_dir)
                    raise AbnormalStop(
                        f"{piece.name} {describe_exit(piece.exit_code())} during start-up; see "
                        f"{self.log_dir / (piece.name + '.log')}" + (f"\n{tail}" if tail else "")
                    )
            seen = probe(url, self.instance_id)
            if seen == "ours":
                return
            if seen == "foreign":
                raise AbnormalStop(
                    f"{url} answers, but not from this SocialHub: another program uses the {child.name} port."
                )
            time.sleep(0.5)
        raise AbnormalStop(f"the {child.name} did not answer at {url} within {timeout:.0f} s")

    def _build_children(self) -> None:
        exe = [sys.executable, "-m", "socialhub.cli"]
        port = str(self.settings.sandbox_port)
        self.children.append(Child("sandbox", [*exe, "sandbox", "--host", "127.0.0.1", "--port", port]))
        for i in range(self.workers):
            self.children.append(Child(f"worker-{i + 1}", [*exe, "worker"]))
        self.children.append(Child("scheduler", [*exe, "scheduler"]))
        if self.web:
            self.children.append(Child("web", [*exe, "web", "--build-if-needed"], to_terminal=True))

    def start(self) -> None:
        self.run_dir.mkdir(exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        self._owns_pidfile = _claim_pidfile(self.pidfile)
        self._check_ports()
        self._prepare()
        self.env = {
            **os.environ,
            "SOCIALHUB_DATA_DIR": str(self.data),
            instance.ENV: self.instance_id,
            # Marks the single-machine mode: children share this data directory and its key file.
            SUPERVISOR_ENV: str(os.getpid()),
        }
        if self.settings.redis_url:
            _say(f"using Redis at {self.settings.redis_url.split('@')[-1]}")
        else:
            self.redis = RedisPiece(self.data / "redis")
            try:
                self._start_redis()
            except RuntimeError as exc:
                raise AbnormalStop(f"the embedded Redis could not start: {exc}") from exc
            self.env["REDIS_URL"] = self.redis.url  # carries the password; never printed
            _say(f"started embedded Redis on port {self.redis.server.port} (password in data/redis/)")
        self._build_children()
        for child in self.children:
            self._spawn(child)
        _say(f"sandbox, {self.workers} worker(s) and scheduler started (logs in {self.log_dir})")
        sandbox = next(c for c in self.children if c.name == "sandbox")
        self._wait_ready(sandbox, f"http://127.0.0.1:{self.settings.sandbox_port}/health", 30)
        if self.web:
            web = next(c for c in self.children if c.name == "web")
            _say("starting the web app (when the frontend must be built first, that takes a minute)…")
            self._wait_ready(web, f"http://{self.settings.host}:{self.settings.port}/ping", 900)
            _say(f"SocialHub is running: open {self.settings.base_url}   (Ctrl-C stops everything)")
        else:
            _say(
                f"SocialHub is running without the web app (sandbox on port {self.settings.sandbox_port}; "
                "Ctrl-C stops everything)"
            )

    # --- watching ----------------------------------------------------------------------
    def _pieces(self) -> list[Child | RedisPiece]:
        return ([self.redis] if self.redis else []) + list(self.children)

    def _restart(self, piece: Child | RedisPiece) -> None:
        piece.restarts.count += 1
        try:
            if isinstance(piece, RedisPiece):
                self._start_redis()
            else:
                self._spawn(piece)
        except RuntimeError as exc:  # Redis could not start: counts as one more failure
            delay = piece.restarts.failed(time.monotonic())
            if piece.restarts.gave_up:
                raise AbnormalStop(f"{piece.name} could not restart ({exc}); giving up") from exc
            _say(f"{piece.name} could not restart ({exc}); trying again in {delay:.0f} s")
            return
        _say(f"{piece.name} restarted (restart #{piece.restarts.count}, pid {piece.pid})")

    def watch(self) -> None:
        while True:
            now = time.monotonic()
            for piece in self._pieces():
                if piece.restarts.due_at is None and not piece.alive():
                    code = piece.exit_code()
                    if isinstance(piece, Child):
                        piece.signal_group(signal.SIGKILL)  # leftovers (web workers, work horse)
                    delay = piece.restarts.failed(now)
                    if piece.restarts.gave_up:
                        raise AbnormalStop(
                            f"{piece.name} {describe_exit(code)} and keeps failing "
                            f"({piece.restarts.quick_failures} times in a row); giving up. "
                            f"See {self.log_dir / (piece.name + '.log')}"
                        )
                    _say(f"{piece.name} {describe_exit(code)}; restarting it in {delay:.0f} s")
                elif piece.restarts.due_at is not None and now >= piece.restarts.due_at:
                    self._restart(piece)
            time.sleep(0.5)

    # --- stopping ----------------------------------------------------------------------
    def shutdown(self) -> None:
        self._shutting_down = True
        _say("stopping…")
        for child in reversed(self.children):
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _say(f"{child.name} did not stop within {STOP_GRACE:.0f} s; killing it")
            child.signal_group(signal.SIGKILL)  # whatever it left behind in its group
            child.proc.wait()
        if self.redis is not None:
            self.redis.stop()
        if self._owns_pidfile:  # never the pid file of the copy that refused us
            self.piece_file.unlink(missing_ok=True)
            self.pidfile.unlink(missing_ok=True)
        _say("stopped.")


def run_all(settings: Settings | None = None, *, workers: int | None = None, web: bool = True) -> int:
    """Start everything, keep it running until Ctrl-C. 0 after a requested stop, 1 otherwise."""
    os.umask(0o077)  # everything we create (data, keys, logs, Redis files) is ours alone
    settings = settings or get_settings()
    sup = Supervisor(settings, workers=workers or settings.workers, web=web)
    previous = {sig: signal.signal(sig, sup._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 1
    try:
        sup.start()
        sup.watch()
    except StopRequested:
        code = 0
    except AbnormalStop as exc:
        _say(f"error: {exc}")
    finally:
        sup.shutdown()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code
