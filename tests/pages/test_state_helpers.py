"""The helpers the Library, composer and Calendar states run in a thread: display strings,
grids in the creator's zone, actions refused with a sentence (through state/runner.run)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from socialhub.db import session_scope
from socialhub.models import PostTarget, User
from socialhub.services import composer, publishing
from socialhub.state import calendar_view as cv
from socialhub.state.library import _cards, _store
from socialhub.state.runner import run
from tests.pages.test_composer import _item
from tests.publishing.conftest import connected_account


def outcome_of(fn, *args, **kwargs):
    """state/runner.run as a handler awaits it, on a loop of its own (another suite in the same
    session, Playwright's sync API, may already run a loop on this thread)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(run(fn, *args, **kwargs))).result()


def test_cards_say_what_each_file_is(publish_env, media_dir, tmp_path):
    db = publish_env
    ig = connected_account(db, "instagram")
    item_id = _store(ig.user_id, None, media_dir / "landscape.mp4", "landscape.mp4", 10 * 1024 * 1024)
    _store(ig.user_id, item_id, media_dir / "portrait.jpg", "portrait.jpg", 10 * 1024 * 1024)
    (card,) = _cards(ig.user_id, "", "", "", "")
    assert card.title == "landscape" and card.kind_label == "Carousel · 2 files" and card.is_video
    assert card.media[0].detail == "Video · 0:04 · 640×360 · 30 fps · H264"
    assert card.media[1].detail.startswith("Image · 1080×1350 · ")
    # A rejected file through the runner: one sentence naming the file, nothing stored.
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"")
    outcome = outcome_of(_store, ig.user_id, None, bad, "x.jpg", 1024)
    assert outcome.error == "x.jpg is empty (0 bytes)."
    assert len(_cards(ig.user_id, "", "", "", "")) == 1


def test_month_grid_places_posts_on_the_creators_day(publish_env, media_dir):
    db = publish_env
    x = connected_account(db, "x")
    item = _item(db, x.user_id, media_dir, "portrait.jpg")
    db.get(User, x.user_id).timezone = "Asia/Tokyo"
    db.commit()
    when = datetime(2031, 3, 9, 23, 30, tzinfo=UTC)  # 10 March 08:30 in Tokyo
    composer.schedule(db, user_id=x.user_id, item_id=item.id, connection_ids=[x.id], caption="Hi", when=when)
    db.commit()
    loaded = cv._load(x.user_id, "month", "2031-03-01", "all", "all")
    cells = [c for r in loaded.rows for c in r.cells]
    assert len(cells) % 7 == 0 and cells[0].key == "2031-02-24"  # weeks start on Monday
    (day,) = [c for c in cells if c.posts]
    assert day.key == "2031-03-10" and day.posts[0].clock == "08:30" and day.posts[0].movable
    week = cv._load(x.user_id, "week", "2031-03-10", "all", "all")
    assert [c.key for r in week.rows for c in r.cells if c.posts] == ["2031-03-10T08"]
    assert len(week.rows) == 24 and len(week.rows[0].cells) == 7
    assert cv._load(x.user_id, "month", "2031-03-01", "instagram", "all").signature == ""
    assert cv._load(x.user_id, "month", "2031-03-01", "all", str(x.id)).signature == loaded.signature


def test_actions_refused_with_a_sentence(publish_env, media_dir):
    db = publish_env
    x = connected_account(db, "x")
    item = _item(db, x.user_id, media_dir, "portrait.jpg")
    post = composer.schedule(
        db, user_id=x.user_id, item_id=item.id, connection_ids=[x.id], caption="Hi",
        when=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    db.commit()
    tid = publishing.get_post(db, user_id=x.user_id, post_id=post.id).targets[0].id
    past = datetime.now(UTC) - timedelta(days=1)
    outcome = outcome_of(cv._act, x.user_id, "reschedule", tid, at=past)
    assert outcome.error.endswith("UTC is in the past.")
    with session_scope() as s:
        s.exec(update(PostTarget).where(PostTarget.id == tid).values(status="publishing"))
    outcome = outcome_of(cv._act, x.user_id, "cancel", tid)
    assert outcome.error == "It is being published right now and cannot be cancelled."
    detail = cv._detail(x.user_id, tid)
    assert not detail.movable and not detail.can_cancel
    assert detail.why_fixed == "It is being published right now, so it cannot be moved, edited or cancelled."
    outcome = outcome_of(cv._local_to_utc, x.user_id, "2031-13-01", "10:00")
    assert "is not a date and time" in outcome.error


def test_detail_actions_settle_unconfirmed_missed_and_failed(publish_env, media_dir):
    db = publish_env
    x = connected_account(db, "x")
    item = _item(db, x.user_id, media_dir, "portrait.jpg")
    post = composer.schedule(
        db, user_id=x.user_id, item_id=item.id, connection_ids=[x.id], caption="Hi",
        when=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    db.commit()
    tid = publishing.get_post(db, user_id=x.user_id, post_id=post.id).targets[0].id

    def force(status: str) -> None:
        with session_scope() as s:
            s.exec(update(PostTarget).where(PostTarget.id == tid).values(status=status))

    force("unconfirmed")
    detail = cv._detail(x.user_id, tid)
    assert detail.unconfirmed and not detail.movable and detail.why_fixed.startswith("Its outcome is unknown")
    bad = outcome_of(cv._act, x.user_id, "resolve", tid, url="https://example.com/nope")
    assert bad.error == "That is not an X (Twitter) link."
    outcome_of(cv._act, x.user_id, "resolve", tid, url="https://x.com/someone/status/1234567890")
    done = cv._detail(x.user_id, tid)
    assert (done.status, done.url) == ("published", "https://x.com/someone/status/1234567890")
    assert done.events[-1].text == "Marked as published by you."

    for status, action, flag in (("missed", "now", "can_publish_missed"), ("failed", "now", "can_retry")):
        force(status)
        assert getattr(cv._detail(x.user_id, tid), flag)
        assert outcome_of(cv._act, x.user_id, action, tid).ok
        assert cv._detail(x.user_id, tid).status == "scheduled"


def test_publish_again_after_an_unconfirmed_outcome(publish_env, media_dir):
    db = publish_env
    x = connected_account(db, "x")
    item = _item(db, x.user_id, media_dir, "portrait.jpg")
    post = composer.schedule(db, user_id=x.user_id, item_id=item.id, connection_ids=[x.id], caption="Hi")
    db.commit()
    tid = publishing.get_post(db, user_id=x.user_id, post_id=post.id).targets[0].id
    with session_scope() as s:
        s.exec(update(PostTarget).where(PostTarget.id == tid).values(status="unconfirmed"))
    outcome = outcome_of(cv._act, x.user_id, "resolve", tid)  # the dialog's "publish again"
    assert outcome.error == ""
    assert cv._detail(x.user_id, tid).events[-1].text == "Publishing again, as you asked."


def test_publish_now_from_the_library_queues_it_at_once(publish_env, media_dir, redis):
    from socialhub.state.composer_data import _submit

    db = publish_env
    x = connected_account(db, "x")
    item = _item(db, x.user_id, media_dir, "portrait.jpg")
    post_id = _submit(x.user_id, item.id, [x.id], "Right now", {}, None, "UTC")
    view = publishing.get_post(db, user_id=x.user_id, post_id=post_id)
    assert view.scheduled_for is None and view.targets[0].status == "scheduled"
    from socialhub.queue import get_queue

    assert f"publish-{view.targets[0].id}" in get_queue("publish").job_ids
