"""The engine through real processes: the CLI a user runs, real RQ workers, a worker killed
with SIGKILL in the middle of a publish, and a Redis flushed while posts wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import PostTarget, utcnow
from socialhub.models import TargetStatus as S
from socialhub.services import publishing
from socialhub.services.dispatch import dispatch_due
from tests.publishing.conftest import JPEG, connected_account, run_until_settled
from tests.servers import process_env


def _cli(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "socialhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=process_env(**(env or {})),
    )


def kill_tree(pid: int) -> None:
    """SIGKILL a worker and its work horse: RQ starts each job's horse in a session of its
    own, so killing the worker's process group alone would leave the horse running."""
    from socialhub.procs import descendants

    for child in [pid, *descendants(pid)]:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _status(target_id: int) -> S:
    with session_scope() as s:
        return S(s.get(PostTarget, target_id).status)


def test_cli_create_then_a_worker_publishes(publish_env, sandbox, tmp_path):
    db = publish_env
    ig = connected_account(db, "instagram")
    x = connected_account(db, "x")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(JPEG)
    made = _cli(
        "post",
        "create",
        "--account",
        str(ig.id),
        "--account",
        str(x.id),
        "--caption",
        "From the CLI 3131",
        "--media",
        str(photo),
    )
    assert made.returncode == 0, made.stderr[-2000:]
    assert "instagram scheduled" in made.stdout and "x scheduled" in made.stdout
    before = sandbox.counters()
    done = _cli("worker", "publish", "--burst")
    assert done.returncode == 0, done.stderr[-2000:]
    targets = db.exec(select(PostTarget)).all()
    db.expire_all()
    # Instagram's container may still be processing after one pass: come back for it.
    for t in targets:
        run_until_settled(t.id, sandbox)
    statuses = {t.id: _status(t.id) for t in targets}
    assert set(statuses.values()) == {S.published}
    after = sandbox.counters()
    for platform in ("instagram", "x"):
        assert after[f"published:{platform}"] - before.get(f"published:{platform}", 0) == 1
        assert after.get(f"duplicates:{platform}", 0) == before.get(f"duplicates:{platform}", 0)
    shown = _cli("post", "show", str(targets[0].post_id))
    assert shown.returncode == 0 and "claimed" in shown.stdout and "published" in shown.stdout


def test_cli_refuses_bad_input_with_every_reason(publish_env, tmp_path):
    db = publish_env
    ig = connected_account(db, "instagram")
    notes = tmp_path / "notes.jpg"
    notes.write_bytes(b"just text pretending to be a photo")
    bad = _cli("post", "create", "--account", str(ig.id), "--caption", "x", "--media", str(notes))
    assert bad.returncode == 1 and "not a JPEG" in bad.stderr
    past = _cli("post", "create", "--account", str(ig.id), "--caption", "x", "--at", "2001-01-01T09:00")
    assert past.returncode == 1 and "in the past" in past.stderr and "Instagram" in past.stderr
    assert db.exec(select(PostTarget)).all() == []


def test_redis_flushed_with_posts_scheduled_loses_nothing(publish_env, sandbox, redis, tmp_path):
    db = publish_env
    x = connected_account(db, "x")
    posts = [
        publishing.create_post(
            db, user_id=x.user_id, caption=f"Survives a flush {i} 7070", connection_ids=[x.id]
        )
        for i in range(3)
    ]
    db.commit()
    for p in posts:
        publishing.enqueue_post(db, p.id)
    redis.flushdb()  # every queued job is gone
    assert dispatch_due()["due"] == 3  # the database knows what is due
    assert _cli("worker", "publish", "--burst").returncode == 0
    db.expire_all()
    assert {S(t.status) for t in db.exec(select(PostTarget)).all()} == {S.published}


def test_worker_killed_mid_publish_neither_loses_nor_duplicates(publish_env, sandbox, tmp_path, monkeypatch):
    """SIGKILL the real worker process while the create call is in flight; a new worker
    picks the target up after the lease and ends it published or unconfirmed, never twice."""
    db = publish_env
    x = connected_account(db, "x")
    post = publishing.create_post(
        db, user_id=x.user_id, caption="Killed mid-call 9191", connection_ids=[x.id]
    )
    db.commit()
    target = db.exec(select(PostTarget).where(PostTarget.post_id == post.id)).one()
    publishing.enqueue_post(db, post.id)
    sandbox.fault("x", None, kind="latency", latency_ms=4000, endpoint="/2/tweets", count=5)
    before = sandbox.counters().get("published:x", 0)
    env = {"SOCIALHUB_PUBLISH_LEASE_SECONDS": "2", "SOCIALHUB_PUBLISH_RECONCILE_MINUTES": "0"}
    for name, value in env.items():  # the in-process engine below too
        monkeypatch.setenv(name, value)
    from socialhub.config import reset_settings_cache

    reset_settings_cache()
    worker = subprocess.Popen(
        [sys.executable, "-m", "socialhub.cli", "worker", "publish"],
        env=process_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the create call is on its way
            with session_scope() as s:
                steps = s.get(PostTarget, target.id).steps or {}
            if "creating_at" in steps:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the worker never reached the create call")
    finally:
        kill_tree(worker.pid)
        worker.wait(timeout=10)
    assert _status(target.id) == S.publishing  # the kill really stopped it mid-call
    time.sleep(4.5)  # the sandbox finishes the request it had started; the lease runs out
    with session_scope() as s:
        s.exec(
            update(PostTarget)
            .where(PostTarget.id == target.id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    with session_scope() as s:
        row = s.get(PostTarget, target.id)
        from socialhub.models import PostEvent

        state = (
            row.status,
            [
                (e.at.isoformat(), e.step)
                for e in s.exec(select(PostEvent).where(PostEvent.target_id == target.id))
            ],
        )
    assert dispatch_due()["swept"] == 1, state
    final = run_until_settled(target.id, sandbox)
    published = sandbox.counters().get("published:x", 0) - before
    assert sandbox.counters().get("duplicates:x", 0) == 0
    assert (final, published) in {(S.published, 1), (S.unconfirmed, 0)}
