"""Fault tests of the real `socialhub up`: SIGKILL a piece by its pid and watch the supervisor
bring it back with nothing lost; Ctrl-C during start-up; a second copy on the same ports."""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import timedelta

import httpx
import pytest
from rq import Queue
from rq.job import Job
from rq_scheduler import Scheduler

from socialhub import instance
from tests.supervisor.conftest import Up, pid_alive, wait_until
from worker.schedule import PERIODIC_JOBS

pytestmark = pytest.mark.slow
RUNNING = "SocialHub is running"


def _finished(up: Up, job_id: str, timeout: float = 60) -> None:
    conn = up.redis()

    def done() -> bool:
        try:
            return Job.fetch(job_id, connection=conn).get_status() == "finished"
        except Exception:  # not there yet, or Redis still coming back
            return False

    wait_until(done, timeout, f"job {job_id} finished")


def _periodic_ids(up: Up) -> set[str]:
    return {j.id for j in Scheduler(connection=up.redis()).get_jobs() if j.id.startswith("periodic-")}


def _still_serving(up: Up) -> None:
    assert up.proc.poll() is None, up.output
    health = up.sandbox_health()
    assert health.status_code == 200
    assert health.headers[instance.HEADER] == up.pieces()["instance"]


def _restarted(up: Up, piece: str, old_pid: int) -> int:
    up.wait_for(f"{piece} was killed by SIGKILL; restarting it")
    up.wait_for(f"{piece} restarted")
    new_pid = up.pid(piece)
    assert new_pid != old_pid and pid_alive(new_pid) and not pid_alive(old_pid)
    return new_pid


def test_kill_worker_restarts_it_and_runs_what_was_queued_meanwhile(start_up):
    up = start_up("--no-web")
    up.wait_for(RUNNING)
    old = up.pid("worker-1")
    os.kill(old, signal.SIGKILL)
    # Enqueue once the worker is surely gone: a BLPOP still open on the dying worker's socket
    # would take the job with it (RQ delivers at most once), which is not what this tests.
    up.wait_for("worker-1 was killed by SIGKILL")
    Queue("default", connection=up.redis()).enqueue(
        "worker.jobs.ping", "while down", job_id="queued-meanwhile"
    )
    _restarted(up, "worker-1", old)
    _finished(up, "queued-meanwhile")
    _still_serving(up)  # the rest of the app never stopped
    assert up.stop() == 0
    assert "shutting down" not in up.output


def test_kill_scheduler_restarts_it_and_scheduled_work_still_fires(start_up):
    up = start_up("--no-web")
    up.wait_for(RUNNING)
    conn = up.redis()
    Scheduler(queue=Queue("default", connection=conn), connection=conn).enqueue_in(
        timedelta(seconds=3), "worker.jobs.ping", "scheduled", job_id="scheduled-before-kill"
    )
    old = up.pid("scheduler")
    os.kill(old, signal.SIGKILL)
    _restarted(up, "scheduler", old)
    # Killed right after start-up, the first one may not have registered them yet (start-up
    # imports take seconds on a busy machine): the restarted one does.
    wait_until(lambda: len(_periodic_ids(up)) == len(PERIODIC_JOBS), 30, "periodic jobs registered")
    _finished(up, "scheduled-before-kill", timeout=60)
    _still_serving(up)
    assert up.stop() == 0


def test_kill_redis_restarts_it_with_jobs_and_periodic_jobs_intact(start_up):
    up = start_up("--no-web")
    up.wait_for(RUNNING)
    conn = up.redis()
    wait_until(lambda: len(_periodic_ids(up)) == len(PERIODIC_JOBS), 20, "periodic jobs registered")
    Scheduler(queue=Queue("default", connection=conn), connection=conn).enqueue_in(
        timedelta(seconds=6), "worker.jobs.ping", "kept", job_id="scheduled-before-redis-died"
    )
    time.sleep(1.5)  # the append-only file is synced every second
    old = up.pid("redis")
    os.kill(old, signal.SIGKILL)
    _restarted(up, "redis", old)
    assert len(_periodic_ids(up)) == len(PERIODIC_JOBS)
    _finished(up, "scheduled-before-redis-died", timeout=60)
    Queue("default", connection=up.redis()).enqueue("worker.jobs.ping", "after", job_id="after-redis")
    _finished(up, "after-redis")
    _still_serving(up)
    assert up.stop() == 0
    # Connection errors and restarts were logged; the Redis password never was.
    password = (up.data_dir / "redis" / "redis.password").read_text().strip()
    logs = [p.read_text(errors="replace") for p in (up.data_dir / "logs").glob("*.log")]
    assert logs and not any(password in text for text in [up.output, *logs])


def test_kill_sandbox_restarts_it_with_its_state(start_up):
    up = start_up("--no-web")
    up.wait_for(RUNNING)
    token = (up.data_dir / "sandbox-admin.token").read_text().strip()
    control = httpx.Client(
        base_url=f"http://127.0.0.1:{up.sandbox_port}/_sandbox",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    account = control.get("/accounts").json()["x"][0]
    minted = control.post("/tokens", json={"platform": "x", "account_id": account["id"]}).json()
    old = up.pid("sandbox")
    os.kill(old, signal.SIGKILL)
    _restarted(up, "sandbox", old)

    def healthy() -> bool:
        try:
            return up.sandbox_health().status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, 30, "sandbox answers again")
    _still_serving(up)
    # The token minted before the kill is still known to the restarted sandbox.
    assert control.post("/tokens/expire", json={"token": minted["access_token"]}).json() == {"ok": True}
    assert up.stop() == 0


@pytest.mark.parametrize(
    ("args", "moment"),
    [
        (("--no-web",), "applying database migrations"),
        (("--no-web",), "started embedded Redis"),
        ((), "worker(s) and scheduler started"),  # with the web app: while it starts or builds
    ],
)
def test_ctrl_c_during_start_up_stops_at_once(start_up, args, moment):
    up = start_up(*args)
    up.wait_for(moment, timeout=60)
    piece_file = up.data_dir / "run" / "pieces.json"
    started = list(up.pieces()["pieces"].values()) if piece_file.exists() else []
    sent = time.monotonic()
    up.proc.send_signal(signal.SIGINT)
    code = up.proc.wait(timeout=30)
    took = time.monotonic() - sent
    assert code == 0, up.output
    assert took < 10, f"took {took:.1f} s to stop:\n{up.output}"
    assert RUNNING not in up.output
    assert "stopped." in up.output
    assert not (up.data_dir / "run" / "socialhub.pid").exists()
    assert "restarted (restart" not in up.output
    # Nothing it started is left: neither the pieces it had recorded (Redis included, which
    # rewrites its environment) nor any process started with this copy's data directory.
    assert [pid for pid in started if pid_alive(pid)] == []
    assert _no_child_left(up)


def _no_child_left(up: Up) -> bool:
    """No process whose environment names this copy's data dir is still alive."""
    marker = f"SOCIALHUB_DATA_DIR={up.data_dir}".encode()
    left = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                env = fh.read().split(b"\0")
        except OSError:
            continue
        if marker in env and pid_alive(int(entry)):
            left.append(entry)
    assert not left, f"left running: {left}"
    return True


def test_second_copy_on_the_same_ports_is_a_clear_error(start_up, tmp_path):
    first = start_up("--no-web")
    first.wait_for(RUNNING)

    second = start_up("--no-web", sandbox_port=first.sandbox_port)  # another data directory
    assert second.proc.wait(timeout=60) == 1, second.output
    assert f"port {first.sandbox_port} on 127.0.0.1 (the sandbox) is already in use" in second.output
    assert RUNNING not in second.output

    with socket.socket() as busy:  # any program on the web port
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        third = start_up(port=busy.getsockname()[1])
        assert third.proc.wait(timeout=60) == 1, third.output
        assert "(the web app) is already in use" in third.output and RUNNING not in third.output

    same_dir = start_up("--no-web", data_dir=first.data_dir)
    assert same_dir.proc.wait(timeout=60) == 1
    assert "already runs from this data directory" in same_dir.output
    assert (first.data_dir / "run" / "socialhub.pid").exists()  # the refused copy left it alone

    _still_serving(first)
    assert first.stop() == 0
