"""The dashboard's loads over a history made by the real sync against the sandbox: every CSV
equals what the page shows (tables, chart series, the top-posts list, a post's snapshots),
and another user's account or post is never shown."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import TrackedPost, utcnow
from socialhub.services import dashboard_tables as tables
from socialhub.services import sync_runs
from socialhub.state import dashboard_figures as figures
from socialhub.state.dashboard import comparison_views, headline_cards, number, top_views
from socialhub.state.dashboard_data import load, load_post
from socialhub.state.dashboard_params import Params
from socialhub.state.runner import run
from tests.metrics.conftest import imported


@pytest.fixture(scope="package")
def sandbox(tmp_path_factory):
    """A sandbox of our own: these tests move its clock."""
    from tests.servers import SandboxHandle

    handle = SandboxHandle(tmp_path_factory.mktemp("dashboard-sandbox") / "sandbox.db")
    yield handle
    handle.close()


@pytest.fixture
def history(sandbox, db, redis, monkeypatch):
    """A creator with YouTube and X, another creator with YouTube; three daily syncs."""
    from socialhub.config import reset_settings_cache

    monkeypatch.setenv("SOCIALHUB_SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("SOCIALHUB_PUBLIC_URL", "http://127.0.0.1:3999")
    reset_settings_cache()
    mine = [imported(db, "youtube"), imported(db, "x")]
    theirs = imported(db, "youtube", email="other@example.com")
    now = utcnow()
    for k in (2, 1, 0):
        run_id, ids = sync_runs.start_run(trigger="manual")
        sync_runs.run_connections(run_id, ids, now=now - timedelta(days=k, minutes=1))
        if k:
            sandbox.advance(86400)
    yield {"user": mine[0].user_id, "mine": mine, "theirs": theirs, "now": now}
    reset_settings_cache()


def _csv(table: tables.Table) -> list[list[str]]:
    return list(csv.reader(io.StringIO(tables.to_csv(table))))


def _cell(value) -> str:
    return "" if value is None else str(value)


def test_every_csv_is_what_the_page_shows(history):
    loaded = load(history["user"], Params(period="7d"), history["now"])
    assert loaded.headline is not None and loaded.notes == ()
    assert loaded.headline.views.value > 0

    for name, table in loaded.tables.items():
        rows = _csv(table)
        assert rows[0] == list(table.columns), name
        assert rows[1:] == [[_cell(c) for c in row] for row in table.rows], name

    # Each chart's series are the CSV's columns, day by day.
    charts = {
        "views": figures.views_figure(loaded.tables["views"]),
        "followers": figures.lines_figure(loaded.tables["followers"], y_title="Followers"),
        "rate": figures.lines_figure(loaded.tables["rate"], y_title="Rate", percent=True),
    }
    for name, fig in charts.items():
        rows = _csv(loaded.tables[name])
        assert [t.name for t in fig.data] == rows[0][1:], name
        for i, trace in enumerate(fig.data, start=1):
            assert [str(x) for x in trace.x] == [r[0] for r in rows[1:]], name
            assert [_cell(y) for y in trace.y] == [r[i] for r in rows[1:]], name
    views = _csv(loaded.tables["views"])
    assert len(views) - 1 == 7, "every day of the period, zeros included"
    assert sum(int(v) for r in views[1:] for v in r[1:]) == loaded.headline.views.value

    # The top-posts list and the comparison table: same rows, same order, same numbers.
    shown = top_views(loaded.tables["top"], loaded.top)
    rows = _csv(loaded.tables["top"])[1:]
    assert len(shown) == len(rows) > 0
    for view, row in zip(shown, rows, strict=True):
        assert [view.title, view.platform_label, view.account, view.published] == row[:4]
        assert view.cells == [number(int(v)) for v in row[4:12]]
        assert view.url == row[12]
    compared = comparison_views(loaded.tables["comparison"])
    rows = _csv(loaded.tables["comparison"])[1:]
    assert [c.platform_label for c in compared] == [r[0] for r in rows]
    assert [c.cells[0] for c in compared] == [number(int(r[2])) for r in rows]
    assert headline_cards(loaded.headline)[0].value == number(loaded.headline.views.value)

    # A post's page: its snapshot table is its CSV, one row per sync.
    post = loaded.top[0]
    detail = load_post(history["user"], post.tracked_post_id)
    rows = _csv(detail.table)
    assert len(rows) - 1 == 3
    assert rows[1:] == [[_cell(c) for c in row] for row in detail.table.rows]
    fig = figures.post_figure(detail.table)
    assert [_cell(y) for y in fig.data[0].y] == [r[1] for r in rows[1:]]


def test_sorting_is_by_the_chosen_measure(history):
    loaded = load(history["user"], Params(period="7d", sort="likes"), history["now"])
    likes = [int(r[5]) for r in _csv(loaded.tables["top"])[1:]]
    assert likes == sorted(likes, reverse=True)
    loaded = load(history["user"], Params(period="7d", sort="likes", descending=False), history["now"])
    likes = [int(r[5]) for r in _csv(loaded.tables["top"])[1:]]
    assert likes == sorted(likes)


def test_another_users_account_is_ignored_with_a_note(history):
    mine = load(history["user"], Params(period="7d"), history["now"])
    other_id = history["theirs"].id
    loaded = load(history["user"], Params(period="7d", account=other_id), history["now"])
    assert loaded.params.account == 0
    assert any("not one of yours" in n for n in loaded.notes)
    assert loaded.headline == mine.headline
    assert other_id not in {a.id for a in loaded.accounts}
    assert all(p.connection_id != other_id for p in loaded.top)


def test_one_account_shows_only_its_posts(history):
    youtube = history["mine"][0]
    loaded = load(history["user"], Params(period="7d", account=youtube.id), history["now"])
    assert loaded.params.account == youtube.id and loaded.params.platform == ""
    assert loaded.top and {p.connection_id for p in loaded.top} == {youtube.id}
    assert {r[0] for r in _csv(loaded.tables["comparison"])[1:]} == {"YouTube"}


def test_another_users_post_is_refused(history):
    with session_scope() as s:
        theirs = s.exec(select(TrackedPost).where(TrackedPost.connection_id == history["theirs"].id)).first()
    outcome = asyncio.run(run(load_post, history["user"], theirs.id))
    assert outcome.value is None
    assert "not found" in outcome.error
    assert asyncio.run(run(load_post, history["theirs"].user_id, theirs.id)).ok


def test_a_bad_custom_period_falls_back_with_its_reason(history):
    today = history["now"].date()
    bad = Params(period="custom", start=today.isoformat(), end=(today - timedelta(days=3)).isoformat())
    loaded = load(history["user"], bad, history["now"])
    assert loaded.params.period == "30d"
    assert any("before the start date" in n for n in loaded.notes)
    future = Params(period="custom", start=today.isoformat(), end=(today + timedelta(days=3)).isoformat())
    assert any("future" in n for n in load(history["user"], future, history["now"]).notes)
