"""`socialhub track URL` and `socialhub sync` as a creator runs them."""

from __future__ import annotations

from typer.testing import CliRunner

from socialhub.cli import app
from tests.metrics.conftest import connection


def test_track_a_url_then_sync_from_the_command_line(metrics_env, sandbox):
    conn = connection(metrics_env, "x")
    doc = sandbox.sandbox.posts("x", conn.account_id)[0]
    user = sandbox.sandbox.account("x", conn.account_id)["username"]
    runner = CliRunner()
    url = f"https://twitter.com/{user}/status/{doc['id']}"

    result = runner.invoke(app, ["track", url])
    assert result.exit_code == 0, result.output
    assert f"tracking x post {doc['id']}" in result.output

    again = runner.invoke(app, ["track", url])
    assert again.exit_code == 1 and "already track" in again.output

    bad = runner.invoke(app, ["track", "javascript:alert(1)"])
    assert bad.exit_code == 1 and "Only web links" in bad.output and "Traceback" not in bad.output

    synced = runner.invoke(app, ["sync", "--inline"])
    assert synced.exit_code == 0, synced.output
    assert "finished: 1 post, 1 account, 2 API calls, 0 errors" in synced.output

    listed = runner.invoke(app, ["tracked"])
    assert "views=" in listed.output and "1 tracked post(s)" in listed.output
