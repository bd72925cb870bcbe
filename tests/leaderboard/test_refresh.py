"""Leaderboard ordering and period arithmetic against known snapshots."""

from __future__ import annotations

import pytest

from socialhub.services import leaderboard_public as pub
from socialhub.services.leaderboard import LeaderboardError, rebuild, withdraw
from tests.leaderboard.seed import NOW, account, creator, days, post


def handles(db, **kw) -> list[tuple[int, str, int]]:
    b = pub.board(db, now=NOW, **kw)
    metric = kw.get("metric", "views")
    return [(r.rank, r.handle, getattr(r, metric)) for r in b.rows]


def test_period_gain_is_end_minus_start_from_the_last_snapshot_at_or_before_each_boundary(db):
    ana = account(db, creator(db, "ana"))
    # 100 before the 30-day boundary, 150 just before the 7-day one, 400 now.
    post(db, ana, [(days(40), 100), (days(31), 120), (days(8), 150), (days(1), 400)], published_at=days(60))
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == [(1, "ana", 250)]
    assert handles(db, period="30d") == [(1, "ana", 280)]
    assert handles(db, period="all") == [(1, "ana", 400)]  # published through SocialHub: from 0


def test_a_post_first_seen_inside_the_period_counts_from_zero_only_if_published_inside(db):
    bo = account(db, creator(db, "bo"))
    # Published 3 days ago, first snapshot 2 days ago: the whole 500 is this week's.
    post(db, bo, [(days(2), 500), (days(1), 600)], published_at=days(3), post_id="new")
    # Published long ago, pasted by URL 2 days ago: only what it gained since it was first seen.
    post(db, bo, [(days(2), 10_000), (days(1), 10_050)], published_at=days(90), post_id="old", source="url")
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == [(1, "bo", 600 + 50)]
    assert handles(db, period="all") == [(1, "bo", 600 + 50)]  # a URL post counts from its first snapshot


def test_ordering_ties_share_a_rank_and_are_listed_by_handle(db):
    for handle, views in (("cy", 300), ("ann", 500), ("zed", 500), ("bob", 100)):
        post(db, account(db, creator(db, handle)), [(days(10), 0), (days(1), views)], published_at=days(20))
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == [(1, "ann", 500), (1, "zed", 500), (3, "cy", 300), (4, "bob", 100)]


def test_switching_metric_and_filtering_by_platform(db):
    dee = creator(db, "dee")
    eve = creator(db, "eve")
    post(
        db,
        account(db, dee, "youtube"),
        [(days(10), {"views": 0, "likes": 0}), (days(1), {"views": 900, "likes": 5})],
    )
    post(db, account(db, dee, "tiktok"), [(days(10), {"views": 0}), (days(1), {"views": 100, "shares": 40})])
    post(
        db,
        account(db, eve, "tiktok"),
        [(days(10), {"views": 0}), (days(1), {"views": 500, "likes": 70, "comments": 3})],
    )
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == [(1, "dee", 1000), (2, "eve", 500)]
    assert handles(db, period="7d", platform="tiktok") == [(1, "eve", 500), (2, "dee", 100)]
    assert handles(db, period="7d", metric="likes") == [(1, "eve", 70), (2, "dee", 5)]
    assert handles(db, period="7d", metric="engagement") == [(1, "eve", 73), (2, "dee", 45)]
    assert handles(db, period="7d", metric="shares") == [(1, "dee", 40), (2, "eve", 0)]
    assert handles(db, period="7d", platform="youtube") == [(1, "dee", 900)]


def test_movement_compares_with_the_previous_period(db):
    fay = account(db, creator(db, "fay"))
    gus = account(db, creator(db, "gus"))
    # Previous week (14-7 days ago) fay led; this week gus does.
    post(db, fay, [(days(15), 0), (days(8), 1000), (days(1), 1100)], published_at=days(30))
    post(db, gus, [(days(15), 0), (days(8), 10), (days(1), 600)], published_at=days(30))
    rebuild(db, now=NOW)
    rows = pub.board(db, period="7d", now=NOW).rows
    assert [(r.handle, r.rank, r.prev_rank, r.posts) for r in rows] == [("gus", 1, 2, 1), ("fay", 2, 1, 1)]


def test_opted_out_creators_and_private_accounts_never_count(db):
    post(db, account(db, creator(db, "hidden", public=False)), [(days(10), 0), (days(1), 9999)])
    ivy = creator(db, "ivy")
    post(db, account(db, ivy, "youtube"), [(days(10), 0), (days(1), 10)])
    post(db, account(db, ivy, "x", public=False), [(days(10), 0), (days(1), 5000)])
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == [(1, "ivy", 10)]
    assert handles(db, period="7d", platform="x") == []


def test_a_creator_who_opts_out_disappears_at_once_and_the_ranks_close_up(db):
    users = {}
    for handle, views in (("jo", 300), ("kim", 200), ("lu", 100)):
        users[handle] = creator(db, handle)
        post(db, account(db, users[handle]), [(days(10), 0), (days(1), views)], published_at=days(20))
    rebuild(db, now=NOW)
    pub.set_visibility(db, user_id=users["jo"].id, public=False, connection_ids=[])
    assert handles(db, period="7d") == [(1, "kim", 200), (2, "lu", 100)]
    assert pub.public_profile(db, "jo") is None
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == [(1, "kim", 200), (2, "lu", 100)]


def test_disabled_creators_are_left_out(db):
    mo = creator(db, "mo")
    post(db, account(db, mo), [(days(10), 0), (days(1), 50)])
    mo.is_disabled = True
    db.add(mo)
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == []


def test_an_account_connected_by_two_users_counts_once_for_the_first(db):
    first = creator(db, "first")
    second = creator(db, "second")
    shared_early = account(db, first, "youtube", "UC-shared", created_at=days(100))
    shared_late = account(db, second, "youtube", "UC-shared", created_at=days(50))
    snaps = [(days(10), 0), (days(1), 700)]
    post(db, shared_early, snaps, post_id="v1")
    post(db, shared_late, snaps, post_id="v1")
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == [(1, "first", 700), (2, "second", 0)]
    # The first connector opting out does not hand the account to the second.
    pub.set_visibility(db, user_id=first.id, public=False, connection_ids=[])
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == [(1, "second", 0)]


def test_negative_corrections_count_as_zero(db):
    post(db, account(db, creator(db, "nia")), [(days(10), 1000), (days(1), 900)], published_at=days(20))
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == [(1, "nia", 0)]


def test_bad_choices_are_refused_with_a_message(db):
    for kw in ({"period": "1y"}, {"metric": "followers"}, {"platform": "myspace"}, {"limit": 0}):
        with pytest.raises(LeaderboardError):
            pub.board(db, **kw)


def test_setting_accepts_only_own_accounts(db):
    a = creator(db, "owner", public=False)
    b = creator(db, "other", public=False)
    theirs = account(db, b, public=False)
    with pytest.raises(LeaderboardError, match="your own"):
        pub.set_visibility(db, user_id=a.id, public=True, connection_ids=[theirs.id])
    with pytest.raises(LeaderboardError, match="at least one"):
        pub.set_visibility(db, user_id=a.id, public=True, connection_ids=[])
    assert db.get(type(a), a.id).public_on_leaderboard is False
    withdraw(db, a.id)  # nothing to withdraw: no error


def test_a_post_published_before_the_period_but_first_seen_inside_counts_from_its_first_snapshot(db):
    # Published here 20 days ago, but the first sync that saw it ran 3 days ago (a sync gap).
    post(db, account(db, creator(db, "gap")), [(days(3), 4000), (days(1), 4300)], published_at=days(20))
    rebuild(db, now=NOW)
    assert handles(db, period="7d") == [(1, "gap", 300)]
    assert handles(db, period="all") == [(1, "gap", 4300)]  # published through SocialHub: from 0
