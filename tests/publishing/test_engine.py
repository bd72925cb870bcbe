"""The engine end to end against the sandbox: publish now and scheduled on all six platforms,
exactly once across crashes and lost answers, and each failure in its right state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import PostEvent, PostTarget, TrackedPost, utcnow
from socialhub.models import TargetStatus as S
from socialhub.services import engine, publishing
from socialhub.services.dispatch import dispatch_due, sweep_expired_leases
from tests.publishing.conftest import (
    PLATFORM_MEDIA,
    connected_account,
    make_due,
    media_for,
    run_until_settled,
)


def _post(db, conn, tmp_path, caption: str, *, at=None) -> PostTarget:
    media_ids = media_for(db, conn.user_id, PLATFORM_MEDIA[conn.platform], tmp_path)
    post = publishing.create_post(
        db, user_id=conn.user_id, caption=caption, connection_ids=[conn.id], media_ids=media_ids, at=at
    )
    db.commit()
    return db.exec(select(PostTarget).where(PostTarget.post_id == post.id)).one()


def _published_count(sandbox, platform: str) -> tuple[int, int]:
    counters = sandbox.counters()
    return counters.get(f"published:{platform}", 0), counters.get(f"duplicates:{platform}", 0)


def _target(target_id: int) -> PostTarget:
    with session_scope() as s:
        return s.get(PostTarget, target_id)


@pytest.mark.parametrize("platform", list(PLATFORM_MEDIA))
def test_publish_now_on_every_platform(publish_env, sandbox, tmp_path, platform):
    db = publish_env
    conn = connected_account(db, platform)
    before = _published_count(sandbox, platform)
    target = _post(db, conn, tmp_path, f"Hello from the engine on {platform} 7781")
    assert run_until_settled(target.id, sandbox) == S.published
    done = _target(target.id)
    assert done.platform_post_id and done.published_at and done.lease_owner is None
    published, duplicates = _published_count(sandbox, platform)
    assert (published - before[0], duplicates - before[1]) == (1, 0)
    # It is tracked for the metric sync, and every step is in the event log.
    tracked = db.exec(select(TrackedPost).where(TrackedPost.post_target_id == target.id)).one()
    assert tracked.platform_post_id == done.platform_post_id
    steps = [e.step for e in db.exec(select(PostEvent).where(PostEvent.target_id == target.id))]
    assert steps[0] == "created" and "claimed" in steps and steps[-1] == "published"
    # A second delivery of the same job does nothing.
    assert engine.run_target(target.id) == engine.RunOutcome.not_claimed
    assert _published_count(sandbox, platform)[0] == published


def test_scheduled_post_waits_for_its_time(publish_env, sandbox, tmp_path):
    db = publish_env
    conn = connected_account(db, "x")
    target = _post(db, conn, tmp_path, "Later on X 1201", at=utcnow() + timedelta(hours=2))
    assert target.status == S.scheduled
    assert engine.run_target(target.id) == engine.RunOutcome.not_claimed  # not due yet
    assert dispatch_due()["due"] == 0
    make_due(target.id)
    assert dispatch_due()["due"] == 1
    assert run_until_settled(target.id, sandbox) == S.published


def test_facebook_far_enough_ahead_uses_native_scheduling(publish_env, sandbox, tmp_path):
    db = publish_env
    conn = connected_account(db, "facebook")
    when = utcnow() + timedelta(hours=3)
    target = _post(db, conn, tmp_path, "Facebook schedules this 4410", at=when)
    assert run_until_settled(target.id, sandbox) == S.scheduled
    done = _target(target.id)
    assert (
        done.native_schedule
        and done.platform_post_id
        and done.due_at == when.replace(microsecond=done.due_at.microsecond)
    )
    # At its time the dispatcher counts it as published (Facebook did it).
    assert dispatch_due(utcnow() + timedelta(hours=4))["native"] == 1
    assert _target(target.id).status == S.published


def test_a_time_in_the_past_and_every_platform_problem_are_refused_at_once(publish_env, tmp_path):
    db = publish_env
    ig = connected_account(db, "instagram")
    x = connected_account(db, "x")
    with pytest.raises(publishing.PostInvalid) as err:
        publishing.create_post(
            db,
            user_id=ig.user_id,
            caption="x" * 3000,
            connection_ids=[ig.id, x.id],
            at=utcnow() - timedelta(hours=1),
        )
    text = " | ".join(err.value.problems)
    assert "in the past" in text and "Instagram" in text and "X" in text
    assert len(err.value.problems) >= 3
    db.rollback()
    assert db.exec(select(PostTarget)).all() == []


def test_instagram_processing_waits_without_a_sleeping_worker(publish_env, sandbox, tmp_path):
    db = publish_env
    conn = connected_account(db, "instagram")
    sandbox.set_config(**{"instagram.container_processing_seconds": 600})
    try:
        target = _post(db, conn, tmp_path, "Slow container 3300")
        assert engine.run_target(target.id) == engine.RunOutcome.pending
        waiting = _target(target.id)
        assert waiting.status == S.publishing and waiting.lease_owner is None
        assert waiting.due_at > utcnow() and "container_id" in waiting.steps
        assert engine.run_target(target.id) == engine.RunOutcome.not_claimed  # not yet
        sandbox.advance(601)
        make_due(target.id)
        assert engine.run_target(target.id) == engine.RunOutcome.published
    finally:
        sandbox.set_config(**{"instagram.container_processing_seconds": 2})
    assert _published_count(sandbox, "instagram")[1] == 0


def test_worker_killed_after_the_create_call_is_reconciled_not_resent(publish_env, sandbox, tmp_path):
    """The post was created but the worker died before saving the answer: the marker is
    saved, the lease expires, the sweeper hands it on, and reconciliation finds the post."""
    db = publish_env
    conn = connected_account(db, "x")
    target = _post(db, conn, tmp_path, "Crash after send 5150")
    owner = "dead-worker"
    assert engine.claim(target.id, owner)
    job = engine._load(target.id)
    saver = engine._saver(target.id, owner)

    def die_after_create(steps):
        if "created" in steps:
            raise SystemExit("killed")  # the answer never reaches the database
        saver(steps)

    from socialhub.services import access

    job.steps = {}
    with pytest.raises(SystemExit):
        access.call(conn.id, lambda p, c: p.publish(c, job.request, {}, die_after_create), job="publish")
    before = _published_count(sandbox, "x")
    with session_scope() as s:
        s.exec(
            update(PostTarget)
            .where(PostTarget.id == target.id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert sweep_expired_leases() == 1
    assert run_until_settled(target.id, sandbox) == S.published
    assert _published_count(sandbox, "x") == before  # found, not sent again
    steps = [e.step for e in db.exec(select(PostEvent).where(PostEvent.target_id == target.id))]
    assert "worker_lost" in steps and steps[-1] == "found_on_platform"


def test_unknown_outcome_never_found_becomes_unconfirmed_and_only_the_creator_resends(
    publish_env, sandbox, tmp_path, monkeypatch
):
    db = publish_env
    conn = connected_account(db, "linkedin")
    target = _post(db, conn, tmp_path, "Lost in transit 8080")
    # The marker is there but the platform never got the call (so it is nowhere to be found).
    with session_scope() as s:
        s.exec(
            update(PostTarget)
            .where(PostTarget.id == target.id)
            .values(steps={"creating_at": (utcnow() - timedelta(hours=2)).isoformat()})
        )
    monkeypatch.setenv("SOCIALHUB_PUBLISH_RECONCILE_MINUTES", "30")
    before = _published_count(sandbox, "linkedin")
    assert run_until_settled(target.id, sandbox) == S.unconfirmed
    assert _published_count(sandbox, "linkedin") == before
    unconfirmed = _target(target.id)
    assert (
        "paste its link"
        in db.exec(
            select(PostEvent.message).where(PostEvent.target_id == target.id).order_by(PostEvent.id.desc())
        ).first()
    )
    publishing.resolve_unconfirmed(db, user_id=conn.user_id, target_id=unconfirmed.id)
    db.commit()
    assert run_until_settled(target.id, sandbox) == S.published
    assert _published_count(sandbox, "linkedin")[0] == before[0] + 1


def test_revoked_token_waits_for_reconnect_then_publishes(publish_env, sandbox, tmp_path):
    db = publish_env
    conn = connected_account(db, "x")
    target = _post(db, conn, tmp_path, "After reconnecting 6060")
    sandbox.control.post("/tokens/revoke", json={"platform": "x", "account_id": conn.account_id})
    assert run_until_settled(target.id, sandbox) == S.needs_reconnect
    assert (
        "reconnect" in _target(target.id).last_error.lower() or "Reconnect" in _target(target.id).last_error
    )
    connected_account(db, "x")  # the creator reconnects the same account
    assert _target(target.id).status == S.scheduled
    assert run_until_settled(target.id, sandbox) == S.published


def test_rate_limited_account_is_rescheduled_not_failed(publish_env, sandbox, tmp_path):
    db = publish_env
    conn = connected_account(db, "x")
    target = _post(db, conn, tmp_path, "Busy hour 9090")
    sandbox.fault("x", "rate_limited", endpoint="/2/tweets", count=1)
    assert engine.run_target(target.id) == engine.RunOutcome.retrying
    waiting = _target(target.id)
    assert waiting.status == S.retrying and waiting.due_at > utcnow() and waiting.attempts == 0
    from socialhub.services import rate_gate

    rate_gate.clear("x", conn.account_id)
    assert run_until_settled(target.id, sandbox) == S.published


def test_media_rejected_fails_with_the_platforms_reason(publish_env, sandbox, tmp_path):
    db = publish_env
    conn = connected_account(db, "instagram")
    target = _post(db, conn, tmp_path, "Bad media 1111")
    sandbox.fault("instagram", "permission_denied", endpoint="/media", count=1)
    assert run_until_settled(target.id, sandbox) == S.failed
    failed = _target(target.id)
    assert failed.last_error and failed.error_code


def test_transient_errors_are_retried_with_backoff_then_give_up(publish_env, sandbox, tmp_path, monkeypatch):
    db = publish_env
    monkeypatch.setenv("SOCIALHUB_PUBLISH_MAX_ATTEMPTS", "2")
    from socialhub.config import reset_settings_cache

    reset_settings_cache()
    conn = connected_account(db, "linkedin")
    target = _post(db, conn, tmp_path, "Flaky platform 2222")
    sandbox.control.post("/platforms/linkedin/down", json={"down": True})
    try:
        assert engine.run_target(target.id) == engine.RunOutcome.retrying
        first = _target(target.id)
        assert first.status == S.retrying and timedelta(seconds=20) < first.due_at - utcnow() < timedelta(
            seconds=40
        )
        make_due(target.id)
        assert engine.run_target(target.id) == engine.RunOutcome.failed
    finally:
        sandbox.control.post("/platforms/linkedin/down", json={"down": False})
    assert "Gave up after 2 attempts" in _target(target.id).last_error


def test_two_workers_racing_publish_once(publish_env, sandbox, tmp_path):
    import threading

    db = publish_env
    conn = connected_account(db, "x")
    target = _post(db, conn, tmp_path, "Raced 4242")
    before = _published_count(sandbox, "x")
    outcomes: list[str] = []
    threads = [
        threading.Thread(target=lambda: outcomes.append(engine.run_target(target.id).value)) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes).count("published") == 1 and outcomes.count("not_claimed") == 3
    assert _published_count(sandbox, "x") == (before[0] + 1, before[1])


def test_missed_post_waits_for_the_creator(publish_env, sandbox, tmp_path):
    db = publish_env
    conn = connected_account(db, "x")
    target = _post(db, conn, tmp_path, "While the machine was off 1313", at=utcnow() + timedelta(minutes=5))
    with session_scope() as s:  # the machine was off: its time passed two hours ago
        s.exec(
            update(PostTarget).where(PostTarget.id == target.id).values(due_at=utcnow() - timedelta(hours=2))
        )
    assert dispatch_due()["missed"] == 1
    assert _target(target.id).status == S.missed
    assert engine.run_target(target.id) == engine.RunOutcome.not_claimed  # never published late by itself
    publishing.publish_now(db, user_id=conn.user_id, target_id=target.id)
    db.commit()
    assert run_until_settled(target.id, sandbox) == S.published


def test_cancel_only_while_not_publishing(publish_env, sandbox, tmp_path):
    db = publish_env
    conn = connected_account(db, "x")
    target = _post(db, conn, tmp_path, "Cancel me 1414", at=utcnow() + timedelta(hours=1))
    assert engine.claim(target.id, "w", utcnow() + timedelta(hours=2))
    with pytest.raises(publishing.NotAllowed, match="being published"):
        publishing.cancel(db, user_id=conn.user_id, target_id=target.id)
    db.rollback()
    other = _post(db, conn, tmp_path, "Cancel me too 1515", at=utcnow() + timedelta(hours=1))
    publishing.cancel(db, user_id=conn.user_id, target_id=other.id)
    db.commit()
    assert _target(other.id).status == S.cancelled
    make_due(other.id)
    assert engine.run_target(other.id) == engine.RunOutcome.not_claimed


def test_media_urls_work_only_while_the_target_needs_them(publish_env, sandbox, tmp_path, media_app):
    import httpx

    from socialhub.models import MediaGrant

    db = publish_env
    conn = connected_account(db, "instagram")
    target = _post(db, conn, tmp_path, "Grant check 1616")
    job = engine._load(target.id)
    url = job.request.media[0].url
    assert url.startswith(media_app + "/media/") and len(url.split("/")[-2]) >= 40
    assert httpx.get(url).status_code == 200
    assert httpx.get(url.replace(url.split("/")[-2], "guess" * 9)).status_code == 404
    assert run_until_settled(target.id, sandbox) == S.published
    assert httpx.get(url).status_code == 404
    assert db.exec(select(MediaGrant).where(MediaGrant.target_id == target.id)).all() == []


def test_a_batch_runs_due_targets_side_by_side_each_once(publish_env, sandbox, tmp_path, monkeypatch):
    from socialhub.config import reset_settings_cache

    monkeypatch.setenv("SOCIALHUB_PUBLISH_PER_ACCOUNT", "3")
    reset_settings_cache()
    db = publish_env
    x = connected_account(db, "x")
    li = connected_account(db, "linkedin")
    for i in range(5):
        publishing.create_post(db, user_id=x.user_id, caption=f"Batch {i} 8181", connection_ids=[x.id, li.id])
    db.commit()
    before = {p: _published_count(sandbox, p)[0] for p in ("x", "linkedin")}
    first = engine.run_due_batch()
    assert first.get("published") == 6  # three per account at most in one batch
    second = engine.run_due_batch()
    assert second.get("published") == 4
    assert engine.run_due_batch() == {}
    for p in ("x", "linkedin"):
        assert _published_count(sandbox, p) == (before[p] + 5, 0)
