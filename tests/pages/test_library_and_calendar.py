"""Library search, filters, placements and the delete guard; calendar entries, detail and
caption edits; publishing through the real engine against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from socialhub.models import LibraryItem, MediaFile
from socialhub.services import calendar, composer, library, media, publishing
from socialhub.services.publishing import NotAllowed, PostInvalid
from tests.pages.test_composer import _item
from tests.publishing.conftest import connected_account, run_until_settled


def test_search_filters_and_placements(publish_env, sandbox, media_dir):
    db = publish_env
    ig, tt = connected_account(db, "instagram"), connected_account(db, "tiktok")
    uid = ig.user_id
    photo = _item(db, uid, media_dir, "portrait.jpg", caption="Lisbon tiles")
    library.update_item(
        db, user_id=uid, item_id=photo.id, title="Azulejos", caption="Lisbon tiles", tags="#Portugal"
    )
    clip = _item(db, uid, media_dir, "vertical.mp4", caption="Street food")
    carousel = _item(db, uid, media_dir, "portrait.jpg", "square.png", caption="Both")
    db.commit()
    ids = lambda **kw: [v.id for v in library.list_items(db, user_id=uid, **kw)]  # noqa: E731
    assert ids() == [carousel.id, clip.id, photo.id]
    assert ids(query="PORTUGAL") == ids(query="azulejos") == ids(query="tiles") == [photo.id]
    assert (
        ids(kind="video") == [clip.id]
        and ids(kind="image") == [photo.id]
        and ids(kind="carousel") == [carousel.id]
    )
    assert ids(used="yes") == [] and ids(platform="tiktok") == []

    post = composer.schedule(db, user_id=uid, item_id=clip.id, connection_ids=[tt.id], caption="Street food")
    db.commit()
    target = publishing.get_post(db, user_id=uid, post_id=post.id).targets[0]
    assert run_until_settled(target.id, sandbox).value == "published"
    db.expire_all()
    assert ids(used="yes") == ids(platform="tiktok") == [clip.id]
    assert clip.id not in ids(used="no") and ids(platform="instagram") == []
    view = library.get_item(db, user_id=uid, item_id=clip.id)
    (placement,) = view.placements
    assert (placement.platform, placement.status) == ("tiktok", "published") and placement.url


def test_an_item_with_a_scheduled_post_cannot_be_deleted_until_cancelled(publish_env, media_dir):
    db = publish_env
    ig = connected_account(db, "instagram")
    item = _item(db, ig.user_id, media_dir, "portrait.jpg")
    post = composer.schedule(
        db, user_id=ig.user_id, item_id=item.id, connection_ids=[ig.id], caption="Later",
        when=datetime.now(UTC) + timedelta(days=1),
    )  # fmt: skip
    db.commit()
    with pytest.raises(library.ItemBusy, match=r"1 post\(s\) not yet published \(Instagram\)\. Cancel them"):
        library.delete_item(db, user_id=ig.user_id, item_id=item.id)
    assert db.get(LibraryItem, item.id) is not None
    target_id = publishing.get_post(db, user_id=ig.user_id, post_id=post.id).targets[0].id
    publishing.cancel(db, user_id=ig.user_id, target_id=target_id)
    files = db.exec(select(MediaFile)).all()
    stored = [f.path for f in files] + [f.thumbnail_path for f in files if f.thumbnail_path]
    on_disk = [media.absolute_path(f) for f in files]
    orphans = library.delete_item(db, user_id=ig.user_id, item_id=item.id)
    db.commit()
    assert db.get(LibraryItem, item.id) is None and set(stored) <= set(orphans)
    media.delete_stored(orphans)
    assert on_disk and not any(p.exists() for p in on_disk)
    with pytest.raises(library.ItemNotFound):
        library.delete_item(db, user_id=ig.user_id, item_id=item.id)


def test_calendar_entries_detail_and_caption_edit(publish_env, sandbox, media_dir):
    db = publish_env
    x, li = connected_account(db, "x"), connected_account(db, "linkedin")
    uid = x.user_id
    item = _item(db, uid, media_dir, "portrait.jpg", caption="Launch day")
    when = datetime.now(UTC) + timedelta(days=3)
    post = composer.schedule(
        db, user_id=uid, item_id=item.id, connection_ids=[x.id, li.id], caption="Launch", when=when
    )
    db.commit()
    window = (when - timedelta(days=1), when + timedelta(days=1))
    got = calendar.entries(db, user_id=uid, start=window[0], end=window[1])
    assert [(e.platform, e.status, e.title) for e in got] == [
        ("x", "scheduled", "Trip"),
        ("linkedin", "scheduled", "Trip"),
    ]
    assert all(e.movable for e in got)
    assert [
        e.platform for e in calendar.entries(db, user_id=uid, start=window[0], end=window[1], platforms=["x"])
    ] == ["x"]
    assert calendar.entries(db, user_id=uid, start=window[1], end=window[1] + timedelta(days=7)) == []

    x_target = got[0].target_id
    # Moving one target moves it alone on the calendar (the post keeps its other target's time).
    later = when + timedelta(hours=5)
    publishing.reschedule(db, user_id=uid, target_id=x_target, at=later)
    moved = calendar.entries(db, user_id=uid, start=window[0], end=window[1] + timedelta(days=1))
    assert [(e.platform, e.at) for e in moved] == [("linkedin", when), ("x", later)]
    with pytest.raises(PostInvalid, match="X allows 280 weighted characters; this caption has 300"):
        calendar.edit_caption(db, user_id=uid, target_id=x_target, caption="界" * 150)
    calendar.edit_caption(db, user_id=uid, target_id=x_target, caption="Launch 🚀")
    publishing.reschedule(
        db,
        user_id=uid,
        target_id=x_target,
        at=datetime.now(UTC) - timedelta(seconds=5) + timedelta(seconds=10),
    )
    db.commit()
    assert run_until_settled(x_target, sandbox).value == "published"
    detail = calendar.detail(db, user_id=uid, target_id=x_target)
    assert detail.entry.status == "published" and detail.entry.url and not detail.entry.movable
    assert {"caption_edited", "rescheduled", "published"} <= {e.step for e in detail.events}
    assert [s.platform for s in detail.siblings] == ["x", "linkedin"]
    with pytest.raises(NotAllowed, match="can no longer change"):
        calendar.edit_caption(db, user_id=uid, target_id=x_target, caption="too late")
    # Another creator sees nothing of it.
    other = connected_account(db, "x", email="someone@example.com")
    with pytest.raises(publishing.NotFoundForUser):
        calendar.detail(db, user_id=other.user_id, target_id=x_target)
    assert post.id
