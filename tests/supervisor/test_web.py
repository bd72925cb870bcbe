"""The whole app with the web piece: it answers for this instance, and comes back after SIGKILL
without rebuilding the frontend."""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from socialhub import instance
from tests.supervisor.conftest import pid_alive, wait_until

pytestmark = pytest.mark.slow


def test_web_answers_for_this_instance_and_comes_back_after_kill(start_up):
    up = start_up()
    up.wait_for("SocialHub is running", timeout=600)  # a cold checkout builds the frontend first
    ours = up.pieces()["instance"]
    page = httpx.get(f"http://127.0.0.1:{up.port}/", timeout=10)
    assert page.status_code == 200 and "<html" in page.text
    assert page.headers[instance.HEADER] == ours

    old = up.pid("web")
    os.kill(old, signal.SIGKILL)
    up.wait_for("web was killed by SIGKILL; restarting it")
    mark = up.wait_for("web restarted")
    assert not pid_alive(old) and pid_alive(up.pid("web"))
    up.wait_for("the frontend build is up to date: skipping it", after=mark)

    def pong() -> bool:
        try:
            resp = httpx.get(f"http://127.0.0.1:{up.port}/ping", timeout=2)
        except httpx.HTTPError:
            return False
        return resp.status_code == 200 and resp.headers.get(instance.HEADER) == ours

    wait_until(pong, 120, "the web app answers again")
    assert up.proc.poll() is None
    assert up.stop() == 0
