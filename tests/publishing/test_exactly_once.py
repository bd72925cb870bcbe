"""Exactly once, table-driven: for every platform, the worker dies right after each step it
saves (including right after the irreversible create call, before its answer is saved),
then the engine recovers the way production does (lease expires, sweeper, next run). Each
case reads the sandbox's counters: one post, no duplicate, nothing lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import PostTarget, utcnow
from socialhub.models import TargetStatus as S
from socialhub.services import engine, publishing
from socialhub.services.dispatch import sweep_expired_leases
from tests.publishing.conftest import PLATFORM_MEDIA, connected_account, media_for, run_until_settled


class Killed(BaseException):
    """Not an Exception: nothing in the engine may catch a dying worker."""


def _counts(sandbox, platform: str) -> tuple[int, int]:
    c = sandbox.counters()
    return c.get(f"published:{platform}", 0), c.get(f"duplicates:{platform}", 0)


def _saves_in_a_clean_run(publish_env, sandbox, tmp_path, platform, monkeypatch) -> int:
    """How many times a publish saves its steps on this platform, end to end."""
    count = {"n": 0}
    real = engine._saver

    def counting(target_id, owner):
        save = real(target_id, owner)

        def wrapped(steps):
            save(steps)
            count["n"] += 1

        return wrapped

    monkeypatch.setattr(engine, "_saver", counting)
    db = publish_env
    conn = connected_account(db, platform)
    post = publishing.create_post(
        db,
        user_id=conn.user_id,
        caption=f"Counting saves on {platform}",
        connection_ids=[conn.id],
        media_ids=media_for(db, conn.user_id, PLATFORM_MEDIA[platform], tmp_path),
    )
    db.commit()
    target = db.exec(select(PostTarget).where(PostTarget.post_id == post.id)).one()
    assert run_until_settled(target.id, sandbox) == S.published
    monkeypatch.setattr(engine, "_saver", real)
    return count["n"]


@pytest.mark.parametrize("platform", list(PLATFORM_MEDIA))
def test_killed_after_every_saved_step_publishes_exactly_once(
    publish_env, sandbox, tmp_path, monkeypatch, platform
):
    from socialhub.config import reset_settings_cache

    db = publish_env
    # Decide at once whether a post that cannot be found exists: no reconciliation window.
    monkeypatch.setenv("SOCIALHUB_PUBLISH_RECONCILE_MINUTES", "0")
    reset_settings_cache()
    saves = _saves_in_a_clean_run(publish_env, sandbox, tmp_path, platform, monkeypatch)
    assert saves >= 2  # at least the marker and the created result
    conn = connected_account(db, platform)
    real = engine._saver
    for kill_after in range(1, saves + 1):
        published_before, duplicates_before = _counts(sandbox, platform)
        post = publishing.create_post(
            db,
            user_id=conn.user_id,
            caption=f"Killed after save {kill_after} on {platform}",
            connection_ids=[conn.id],
            media_ids=media_for(db, conn.user_id, PLATFORM_MEDIA[platform], tmp_path),
        )
        db.commit()
        target = db.exec(select(PostTarget).where(PostTarget.post_id == post.id)).one()
        seen = {"n": 0, "marker_only": False}

        def dying(target_id, owner, _n=kill_after, _seen=seen):
            save = real(target_id, owner)

            def wrapped(steps):
                if "created" in steps and _seen["n"] + 1 == _n:
                    # Killed right after the platform's answer, before it reached the database.
                    raise Killed(f"after the create call (save {_n})")
                save(steps)
                _seen["n"] += 1
                if _seen["n"] == _n:
                    _seen["marker_only"] = "creating_at" in steps and "created" not in steps
                    raise Killed(f"after save {_n}")

            return wrapped

        monkeypatch.setattr(engine, "_saver", dying)
        try:
            for _ in range(20):  # pending steps hand back; run until the kill happens
                try:
                    outcome = engine.run_target(target.id)
                except Killed:
                    break
                if outcome in (engine.RunOutcome.published, engine.RunOutcome.failed):
                    break
                sandbox.advance(120)
                with session_scope() as s:
                    s.exec(update(PostTarget).where(PostTarget.id == target.id).values(due_at=utcnow()))
        finally:
            monkeypatch.setattr(engine, "_saver", real)
        # Recovery as in production: the dead worker's lease runs out, the sweeper hands on.
        with session_scope() as s:
            s.exec(
                update(PostTarget)
                .where(PostTarget.id == target.id, PostTarget.lease_owner.is_not(None))
                .values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )
        sweep_expired_leases()
        final = run_until_settled(target.id, sandbox)
        published, duplicates = _counts(sandbox, platform)
        got = (final, published - published_before, duplicates - duplicates_before)
        where = f"{platform}: killed after save {kill_after} of {saves}"
        if seen["marker_only"]:
            # Killed between the marker and the call: nobody can tell whether it was sent, the
            # platform shows nothing, so the creator decides (never sent twice by itself). A
            # platform that may still be processing (TikTok, FIND_SETTLE) keeps it reconciling.
            assert got in {(S.unconfirmed, 0, 0), (S.publishing, 0, 0)}, where
            if final == S.publishing:
                from socialhub.models import PostEvent

                last = db.exec(
                    select(PostEvent.step)
                    .where(PostEvent.target_id == target.id)
                    .order_by(PostEvent.id.desc())
                ).first()
                assert last == "reconciling", where
        else:
            assert got == (S.published, 1, 0), where
