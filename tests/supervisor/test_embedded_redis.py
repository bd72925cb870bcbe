"""The embedded Redis requires its password: RQ jobs are pickles, so an open port would let
any local user run code in the worker."""

import os
import stat
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from socialhub import embedded_redis


@pytest.fixture
def server(tmp_path):
    srv = embedded_redis.start(tmp_path / "redis")
    yield srv
    srv.stop()


def test_unauthenticated_client_is_refused(server):
    no_retry = Retry(NoBackoff(), 0)  # redis-py retries connection errors (auth ones too) by default
    anonymous = redis.Redis(host="127.0.0.1", port=server.port, retry=no_retry)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    with pytest.raises(redis.AuthenticationError):
        anonymous.rpush("rq:queue:default", b"pickled code")
    wrong = redis.Redis(host="127.0.0.1", port=server.port, password="guess", retry=no_retry)
    with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
        wrong.ping()
    assert redis.Redis.from_url(server.url).ping()


def test_password_is_random_private_and_kept(tmp_path, server):
    pw_file = tmp_path / "redis" / embedded_redis.PASSWORD_FILE
    assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "redis").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "redis" / embedded_redis.CONFIG_FILE).stat().st_mode) == 0o600
    password = pw_file.read_text().strip()
    assert len(password) >= 32 and server.url == f"redis://:{password}@127.0.0.1:{server.port}/0"
    # Never on the command line, which every local user can read in /proc.
    cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode()
    assert password not in cmdline
    other = embedded_redis.start(tmp_path / "other")
    try:
        assert other.password != password
    finally:
        other.stop()


def test_restart_on_the_same_port_keeps_url_and_queued_data(tmp_path, server):
    client = redis.Redis.from_url(server.url)
    client.rpush("kept", b"job-1")
    client.close()
    import time

    time.sleep(1.5)  # appendfsync everysec
    os.kill(server.pid, 9)
    server.process.wait()
    again = embedded_redis.start(tmp_path / "redis", port=server.port)
    try:
        assert again.url == server.url
        assert redis.Redis.from_url(again.url).lrange("kept", 0, -1) == [b"job-1"]
    finally:
        again.stop()


def test_a_snapshot_only_data_dir_keeps_its_data_when_the_append_only_file_starts(tmp_path, server):
    """Data directories from before the append-only file had only dump.rdb."""
    client = redis.Redis.from_url(server.url)
    client.set("from-before", b"kept")
    client.save()
    client.close()
    server.stop()
    (tmp_path / "redis" / "appendonly.aof").unlink()
    again = embedded_redis.start(tmp_path / "redis")
    try:
        client = redis.Redis.from_url(again.url)
        assert client.get("from-before") == b"kept"
        assert client.config_get("appendonly") == {"appendonly": "yes"}
    finally:
        again.stop()
