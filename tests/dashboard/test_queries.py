"""The dashboard's numbers against known snapshots."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from socialhub.models import TrackedPost
from socialhub.services import dashboard_queries as dq
from socialhub.services import tracking
from socialhub.services.access import NotYours
from tests.dashboard.conftest import expected_gains, utc

NOW = utc(2026, 6, 15, 12)


def week(tz: str = "UTC"):
    return dq.resolve_period("7d", now=NOW, tz=tz)


def test_headline_gains_and_change_against_the_previous_period(world, db):
    uid = world.user()
    ig = world.connection(uid, "instagram", "Insta")
    old = world.post(ig, utc(2026, 5, 1))
    new = world.post(ig, utc(2026, 6, 12, 9))
    world.snap(old, utc(2026, 6, 1), views=100, likes=10)  # before the previous period (from 2 June 11:45)
    world.snap(old, utc(2026, 6, 8, 23), views=300, likes=20)  # previous period (ends 9 June 00:00)
    world.snap(old, utc(2026, 6, 12), views=350, likes=21, comments=1)
    world.snap(new, utc(2026, 6, 12, 12), views=40, likes=4, shares=1, saves=2)
    world.snap(new, utc(2026, 6, 15, 6), views=90, likes=5, shares=1, saves=2)
    world.account(ig, utc(2026, 6, 1), 1000)
    world.account(ig, utc(2026, 6, 9), 1100)
    world.account(ig, utc(2026, 6, 15, 6), 1250)

    h = dq.headline(db, dq.Filters(uid), week())
    # old: 350 - 300 = 50 views, 1 like + 1 comment; new: published inside, from 0: 90 views, 8 engagement.
    assert h.views == dq.Metric(140, 200, -30.0)
    assert h.views.previous == expected_gains(db, [old, new], week().prev_start, week().prev_end)["views"]
    assert h.engagement.value == 2 + 8 and h.engagement.previous == 10
    assert h.followers_gained == dq.Metric(150, 100, 50.0)  # 1250-1100 now; 1100-1000 before
    assert h.posts_published == dq.Metric(1, 0, None)  # "new" inside; nothing in the previous week


def test_the_previous_periods_first_snapshot_counts_from_its_first_value_when_published_before(world, db):
    uid = world.user()
    yt = world.connection(uid, "youtube")
    post = world.post(yt, utc(2026, 1, 1))  # old post, first seen in this period
    world.snap(post, utc(2026, 6, 10), views=5000)
    world.snap(post, utc(2026, 6, 14), views=5400)
    h = dq.headline(db, dq.Filters(uid), week())
    assert h.views.value == 400 and h.views.previous == 0


def test_platform_deleted_post_keeps_its_history_and_deleted_history_is_gone(world, db):
    uid = world.user()
    x = world.connection(uid, "x")
    kept = world.post(x, utc(2026, 6, 10))
    gone = world.post(x, utc(2026, 6, 10))
    for pid, views in ((kept, 100), (gone, 1000)):
        world.snap(pid, utc(2026, 6, 10, 6), views=views, likes=1)
        world.snap(pid, utc(2026, 6, 11, 6), views=views * 2, likes=2)
    f, p = dq.Filters(uid), week()
    assert dq.headline(db, f, p).views.value == 2200

    post = db.get(TrackedPost, kept)
    post.status = "deleted"  # gone on the platform: history kept, still counted
    db.add(post)
    db.commit()
    assert dq.headline(db, f, p).views.value == 2200
    assert {t.tracked_post_id: t.status for t in dq.top_posts(db, f, p)}[kept] == "deleted"

    tracking.untrack(db, user_id=uid, tracked_id=gone, delete_history=True)
    db.commit()
    h = dq.headline(db, f, p)
    assert h.views.value == 200 and h.engagement.value == 2
    assert h.posts_published.value == 1
    assert [t.tracked_post_id for t in dq.top_posts(db, f, p)] == [kept]
    assert sum(v.value for v in dq.views_over_time(db, f, p)) == 200
    before = world.rollup(x)
    dq.rebuild_rollups(db, x)
    assert world.rollup(x) == before, "subtracting the deleted post's gains = rebuilding without it"


@pytest.mark.parametrize(
    ("tz", "late", "early"),
    [
        # 23:30 on 12 June and 00:30 on 13 June, local time, as UTC.
        ("America/Los_Angeles", utc(2026, 6, 13, 6, 30), utc(2026, 6, 13, 7, 30)),
        ("Asia/Tokyo", utc(2026, 6, 12, 14, 30), utc(2026, 6, 12, 15, 30)),
    ],
)
def test_day_boundaries_follow_the_creators_zone(world, db, tz, late, early):
    uid = world.user()
    tt = world.connection(uid, "tiktok")
    post = world.post(tt, utc(2026, 6, 1))
    world.snap(post, utc(2026, 6, 5), views=1000)
    world.snap(post, late, views=1010)  # +10 on the 12th, local
    world.snap(post, early, views=1030)  # +20 on the 13th, local
    days = {v.day: v.value for v in dq.views_over_time(db, dq.Filters(uid), week(tz))}
    assert days[date(2026, 6, 12)] == 10 and days[date(2026, 6, 13)] == 20
    assert sum(days.values()) == 30  # the 5 June snapshot is before the week
    assert len(days) == 7 and min(days) == date(2026, 6, 9)


def test_a_snapshot_at_midnight_belongs_to_the_day_that_ends_then(world, db):
    uid = world.user()
    tt = world.connection(uid, "tiktok")
    post = world.post(tt, utc(2026, 6, 1))
    world.snap(post, utc(2026, 6, 5), views=1000)
    world.snap(post, utc(2026, 6, 12), views=1100)  # midnight UTC: the 11th's last
    days = {v.day: v.value for v in dq.views_over_time(db, dq.Filters(uid), week())}
    assert days[date(2026, 6, 11)] == 100 and days[date(2026, 6, 12)] == 0


def test_dst_day_in_los_angeles(world, db):
    uid = world.user()
    fb = world.connection(uid, "facebook")
    post = world.post(fb, utc(2026, 3, 1))
    world.snap(post, utc(2026, 3, 7, 12), views=10)
    # 8 March has 23 hours: 23:30 PDT is 06:30 UTC on the 9th; 00:30 PDT on the 9th is 07:30 UTC.
    world.snap(post, utc(2026, 3, 9, 6, 30), views=15)
    world.snap(post, utc(2026, 3, 9, 7, 30), views=22)
    p = dq.resolve_period(
        "custom", now=NOW, tz="America/Los_Angeles", start=date(2026, 3, 8), end=date(2026, 3, 9)
    )
    days = {v.day: v.value for v in dq.views_over_time(db, dq.Filters(uid), p)}
    assert days == {date(2026, 3, 8): 5, date(2026, 3, 9): 7}


def test_account_added_mid_period(world, db):
    uid = world.user()
    a = world.connection(uid, "instagram", "Early")
    b = world.connection(uid, "instagram", "Late")
    world.account(a, utc(2026, 6, 1), 500)
    world.account(a, utc(2026, 6, 14), 520)
    world.account(b, utc(2026, 6, 12, 10), 2000)  # connected on the 12th
    world.account(b, utc(2026, 6, 14, 10), 2100)
    f, p = dq.Filters(uid), week()
    assert dq.headline(db, f, p).followers_gained.value == 20 + 100
    series = [v for v in dq.followers_over_time(db, f, p) if v.connection_id == b]
    by_day = {v.day: v.value for v in series}
    assert by_day[date(2026, 6, 11)] is None and by_day[date(2026, 6, 12)] == 2000
    assert by_day[date(2026, 6, 14)] == 2100 and by_day[date(2026, 6, 15)] == 2100
    assert {v.label for v in series} == {"Late"}
    early = {v.day: v.value for v in dq.followers_over_time(db, f, p) if v.connection_id == a}
    assert early[date(2026, 6, 9)] == 500 and early[date(2026, 6, 14)] == 520
    rows = {r.label: r for r in dq.comparison(db, f, p)}
    assert rows["Late"].followers_gained == 100 and rows["Instagram"].followers_gained == 120


def test_posts_published_counts_the_period_and_every_status(world, db):
    uid = world.user()
    li = world.connection(uid, "linkedin")
    for at in (utc(2026, 6, 9, 0, 0, 1), utc(2026, 6, 15, 11), utc(2026, 6, 9), utc(2026, 6, 2, 12, 30)):
        world.post(li, at)
    h = dq.headline(db, dq.Filters(uid), week())
    # 9 June 00:00 exactly is the previous period's (periods are (start, end]); it began 2 June 12:00.
    assert h.posts_published.value == 2
    assert h.posts_published.previous == 2


def test_engagement_rate_per_platform_and_its_basis(world, db, monkeypatch):
    uid = world.user()
    ig = world.connection(uid, "instagram")
    yt = world.connection(uid, "youtube")
    a, b = world.post(ig, utc(2026, 6, 13, 1)), world.post(yt, utc(2026, 6, 13, 1))
    world.snap(a, utc(2026, 6, 13, 6), views=200, likes=10, comments=4, shares=3, saves=3, reach=100)
    world.snap(b, utc(2026, 6, 13, 6), views=0, likes=0)
    f, p = dq.Filters(uid), week()
    assert (
        set(dq.RATE_BASIS)
        == set(dq.RATE_BASIS_NOTE)
        == {"instagram", "facebook", "tiktok", "youtube", "linkedin", "x"}
    )
    rates = {(r.day, r.platform): r for r in dq.engagement_rate_over_time(db, f, p)}
    assert (
        rates[(date(2026, 6, 13), "instagram")].rate == 0.1
        and rates[(date(2026, 6, 13), "instagram")].basis == "views"
    )
    assert rates[(date(2026, 6, 13), "youtube")].rate is None  # nothing viewed: no rate
    assert rates[(date(2026, 6, 12), "instagram")].rate is None
    monkeypatch.setitem(dq.RATE_BASIS, "instagram", "reach")
    rates = {(r.day, r.platform): r for r in dq.engagement_rate_over_time(db, f, p)}
    assert (
        rates[(date(2026, 6, 13), "instagram")].rate == 0.2
        and rates[(date(2026, 6, 13), "instagram")].basis == "reach"
    )


def test_comparison_rows_per_platform_and_account(world, db):
    uid = world.user()
    x1, x2 = world.connection(uid, "x", "One"), world.connection(uid, "x", "Two")
    yt = world.connection(uid, "youtube", "Tube")
    for cid, views in ((x1, 100), (x2, 50), (yt, 1000)):
        pid = world.post(cid, utc(2026, 6, 10))
        world.snap(pid, utc(2026, 6, 11), views=views, likes=views // 10, saves=1)
    rows = dq.comparison(db, dq.Filters(uid), week())
    assert [(r.platform, r.connection_id) for r in rows] == [
        ("x", None),
        ("youtube", None),
        ("x", x1),
        ("x", x2),
        ("youtube", yt),
    ]
    xrow = rows[0]
    assert (xrow.views, xrow.likes, xrow.saves, xrow.engagement, xrow.posts) == (150, 15, 2, 17, 2)
    assert xrow.engagement_rate == round(17 / 150, 6) and xrow.label == "X"
    only = dq.comparison(db, dq.Filters(uid, platforms=("youtube",)), week())
    assert [r.label for r in only] == ["YouTube", "Tube"]


def test_filters_read_only_the_users_own_connections(world, db):
    uid, other = world.user(), world.user("other@example.com")
    mine, theirs = world.connection(uid, "tiktok"), world.connection(other, "tiktok")
    for cid in (mine, theirs):
        pid = world.post(cid, utc(2026, 6, 10))
        world.snap(pid, utc(2026, 6, 11), views=10 if cid == mine else 999)
    p = week()
    assert dq.headline(db, dq.Filters(uid), p).views.value == 10
    # Another user's connection id in the filter is simply not matched.
    assert dq.headline(db, dq.Filters(uid, connection_ids=(theirs,)), p).views.value == 0
    assert dq.top_posts(db, dq.Filters(uid, connection_ids=(theirs,)), p) == []
    assert dq.headline(db, dq.Filters(uid, connection_ids=(mine, theirs)), p).views.value == 10
    assert dq.headline(db, dq.Filters(uid, platforms=("x",)), p).views.value == 0
    with pytest.raises(ValueError, match="Unknown platform 'myspace'"):
        dq.headline(db, dq.Filters(uid, platforms=("myspace",)), p)


def test_top_posts_sorting_gains_and_totals(world, db):
    uid = world.user()
    ig = world.connection(uid, "instagram", "Insta")
    a = world.post(ig, utc(2026, 6, 1), title="a")  # before the week: counts from its 8 June value
    b = world.post(ig, utc(2026, 6, 10), title="b")  # inside: from 0
    c = world.post(ig, utc(2026, 6, 2), title="c")  # a platform correction: a negative gain counts 0
    world.snap(a, utc(2026, 6, 8), views=1000, likes=50)
    world.snap(a, utc(2026, 6, 14), views=1300, likes=55, comments=9)
    world.snap(b, utc(2026, 6, 11), views=500, likes=80)
    world.snap(c, utc(2026, 6, 8), views=700, likes=10)
    world.snap(c, utc(2026, 6, 13), views=650, likes=12)
    f, p = dq.Filters(uid), week()
    top = dq.top_posts(db, f, p)
    assert [t.title for t in top] == ["b", "a", "c"]
    ta = next(t for t in top if t.title == "a")
    assert (ta.views, ta.likes, ta.comments, ta.engagement, ta.total_views, ta.total_engagement) == (
        300,
        5,
        9,
        14,
        1300,
        64,
    )
    tc = next(t for t in top if t.title == "c")
    assert tc.views == 0 and tc.likes == 2 and tc.total_views == 650
    assert ta.account_label == "Insta" and ta.platform == "instagram" and ta.url
    assert [t.title for t in dq.top_posts(db, f, p, sort="likes")] == ["b", "a", "c"]
    assert [t.title for t in dq.top_posts(db, f, p, sort="comments")][0] == "a"
    assert [t.title for t in dq.top_posts(db, f, p, sort="views", descending=False)] == ["c", "a", "b"]
    assert [t.title for t in dq.top_posts(db, f, p, sort="published_at")] == ["b", "c", "a"]
    assert len(dq.top_posts(db, f, p, limit=2)) == 2
    with pytest.raises(ValueError, match="Unknown sort 'colour'"):
        dq.top_posts(db, f, p, sort="colour")


def test_post_detail_and_its_owner(world, db):
    uid, other = world.user(), world.user("other@example.com")
    cid = world.connection(uid, "youtube", "Tube")
    pid = world.post(cid, utc(2026, 6, 1), title="clip")
    world.snap(pid, utc(2026, 6, 2), views=10, likes=1)
    world.snap(pid, utc(2026, 6, 1, 12), views=4)
    d = dq.post_detail(db, uid, pid)
    assert d.title == "clip" and d.account_label == "Tube" and d.source == "published"
    assert [(pt.taken_at, pt.views) for pt in d.points] == [(utc(2026, 6, 1, 12), 4), (utc(2026, 6, 2), 10)]
    with pytest.raises(NotYours):
        dq.post_detail(db, other, pid)
    with pytest.raises(NotYours):
        dq.post_detail(db, uid, pid + 999)


def test_every_day_present_with_zeros_for_each_platform(world, db):
    uid = world.user()
    world.connection(uid, "x")
    world.connection(uid, "tiktok")
    values = dq.views_over_time(db, dq.Filters(uid), week())
    assert len(values) == 14 and all(v.value == 0 for v in values)
    assert {v.platform for v in values} == {"x", "tiktok"}
    assert dq.views_over_time(db, dq.Filters(world.user("nobody@example.com")), week()) == []


def test_numbers_equal_the_oracle_over_many_periods(world, db):
    uid = world.user()
    cid = world.connection(uid, "instagram")
    posts = [world.post(cid, utc(2026, 5, 20) + timedelta(days=3 * i, hours=5 * i)) for i in range(8)]
    posts.append(world.post(cid, None, source="url"))
    for step in range(40):
        at = utc(2026, 5, 25) + timedelta(hours=17 * step, minutes=7 * step)
        for i, pid in enumerate(posts):
            post = db.get(TrackedPost, pid)
            if post.published_at and post.published_at > at:
                continue
            world.snap(
                pid, at, views=(step + 1) * (i + 3) - (5 if step == 9 else 0), likes=step + i, reach=step * 2
            )
    for name in ("7d", "30d"):
        for tz in ("UTC", "Asia/Kolkata", "America/Los_Angeles"):
            p = dq.resolve_period(name, now=NOW, tz=tz)
            for start, end in ((p.start, p.end), (p.prev_start, p.prev_end)):
                expect = expected_gains(db, posts, start, end)
                sums = dq.comparison(db, dq.Filters(uid), dq.Period(name, start, end, start, end, "", tz))[0]
                assert (sums.views, sums.likes, sums.reach) == (
                    expect["views"],
                    expect["likes"],
                    expect["reach"],
                )
            daily = sum(v.value for v in dq.views_over_time(db, dq.Filters(uid), p))
            assert daily == expected_gains(db, posts, p.start, p.end)["views"]


def test_thumbnails_platform_url_or_library_preview_or_none(world, db):
    from socialhub.models import LibraryItem, MediaFile, Post, PostTarget
    from socialhub.services.media import media_root

    uid = world.user()
    cid = world.connection(uid, "instagram")
    (media_root() / "previews").mkdir(parents=True, exist_ok=True)
    (media_root() / "previews" / "p.jpg").write_bytes(b"\xff\xd8\xff\xe0jpeg")
    item = LibraryItem(user_id=uid, title="photo")
    db.add(item)
    db.flush()
    mf = MediaFile(
        library_item_id=item.id,
        path="x.jpg",
        mime_type="image/jpeg",
        kind="image",
        thumbnail_path="previews/p.jpg",
    )
    db.add(mf)
    db.flush()
    post = Post(user_id=uid, library_item_id=item.id, media_ids=[mf.id])
    db.add(post)
    db.flush()
    target = PostTarget(post_id=post.id, connection_id=cid)
    db.add(target)
    db.commit()
    here = world.post(cid, utc(2026, 6, 10), title="here")
    there = world.post(cid, utc(2026, 6, 10), title="there", source="url")
    plain = world.post(cid, utc(2026, 6, 10), title="plain", source="url")
    db.get(TrackedPost, here).post_target_id = target.id
    db.get(TrackedPost, there).thumbnail_url = "https://cdn.example.com/t.jpg"
    db.commit()
    for pid in (here, there, plain):
        world.snap(pid, utc(2026, 6, 11), views=5)
    thumbs = {t.title: t.thumbnail_url for t in dq.top_posts(db, dq.Filters(uid), week())}
    assert thumbs["here"].startswith("data:image/jpeg;base64,")
    assert thumbs["there"] == "https://cdn.example.com/t.jpg" and thumbs["plain"] is None
    assert dq.post_detail(db, uid, here).thumbnail_url == thumbs["here"]
