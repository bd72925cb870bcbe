"""Restart backoff, giving up, start-up failures and foreign health answers."""

from __future__ import annotations

import os

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from socialhub import instance, pieces
from tests.servers import ThreadedServer


def test_backoff_doubles_resets_when_stable_and_gives_up():
    r = pieces.Restarts(started_at=0.0)
    delays = []
    now = 1.0
    while not r.gave_up:
        delays.append(r.failed(now))
        r.started_at = now  # restarted at once, died again quickly
        now += 1.0
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0][: len(delays)]
    assert len(delays) == pieces.GIVE_UP_AFTER
    stable = pieces.Restarts(started_at=0.0, quick_failures=4)
    assert stable.failed(pieces.STABLE_AFTER + 1) == pieces.FIRST_BACKOFF  # it had recovered
    assert stable.quick_failures == 1


def test_exit_descriptions():
    assert pieces.describe_exit(-9) == "was killed by SIGKILL"
    assert pieces.describe_exit(3) == "exited with code 3"


def _server(headers: dict[str, str]) -> ThreadedServer:
    async def health(request):
        return PlainTextResponse("ok", headers=headers)

    return ThreadedServer(Starlette(routes=[Route("/health", health)])).start()


def test_probe_tells_our_instance_from_another_program():
    foreign = _server({})
    other_copy = _server({instance.HEADER: "someone-else"})
    ours_app = instance.InstanceHeader(
        Starlette(routes=[Route("/health", lambda r: PlainTextResponse("ok"))]), "me"
    )
    ours = ThreadedServer(ours_app).start()
    try:
        assert pieces.probe(f"{foreign.url}/health", "me") == "foreign"
        assert pieces.probe(f"{other_copy.url}/health", "me") == "foreign"
        assert pieces.probe(f"{ours.url}/health", "me") == "ours"
        ours.stop()
        assert pieces.probe(f"{ours.url}/health", "me") == "down"
    finally:
        foreign.stop()
        other_copy.stop()


@pytest.mark.slow
def test_a_piece_that_dies_during_start_up_stops_everything_with_code_1(start_up, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the sandbox wants a directory")
    os.environ["SOCIALHUB_SANDBOX_DB"] = str(blocker / "sandbox.db")
    try:
        up = start_up("--no-web")
    finally:
        del os.environ["SOCIALHUB_SANDBOX_DB"]
    assert up.proc.wait(timeout=60) == 1, up.output
    assert "error: sandbox exited with code 1 during start-up; see" in up.output
    assert "SocialHub is running" not in up.output
    assert "stopped." in up.output


def test_watch_restarts_a_dying_piece_then_gives_up(tmp_path, monkeypatch, capsys):
    """The real watch loop over a real process that exits at once, with a short backoff."""
    import sys

    from socialhub.config import Settings
    from socialhub.supervisor import AbnormalStop, Supervisor

    monkeypatch.setattr(pieces, "FIRST_BACKOFF", 0.05)
    sup = Supervisor(Settings(data_dir=tmp_path / "data"), workers=1, web=False)
    sup.log_dir.mkdir(parents=True)
    sup.run_dir.mkdir(parents=True)
    flaky = pieces.Child("flaky", [sys.executable, "-c", "import sys; sys.exit(3)"])
    sup.children = [flaky]
    sup.env = dict(os.environ)
    sup._spawn(flaky)
    with pytest.raises(
        AbnormalStop, match=r"flaky exited with code 3 and keeps failing \(6 times in a row\)"
    ):
        sup.watch()
    out = capsys.readouterr().out
    assert out.count("flaky exited with code 3; restarting it") == pieces.GIVE_UP_AFTER - 1
    assert "flaky restarted (restart #5" in out
