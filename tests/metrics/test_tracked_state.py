"""The Tracked posts page's helpers: display strings only, and a refused link's own sentence."""

from __future__ import annotations

import asyncio

from socialhub.services import sync_runs
from socialhub.state import tracked as page
from tests.metrics.conftest import imported


def test_cards_show_latest_numbers_and_errors_reach_the_page_as_sentences(metrics_env, sandbox):
    conn = imported(metrics_env, "x")
    cards, accounts = page._cards(conn.user_id)
    assert cards and all(c.views == "–" and c.last_sync_text == "waiting for its first sync" for c in cards)
    assert [a.id for a in accounts] == [conn.id] and accounts[0].label.startswith("@")

    sync_runs.sync_now(trigger="manual", inline=True)
    cards, accounts = page._cards(conn.user_id)
    assert all(c.views != "–" and c.last_sync_text == "just now" for c in cards)
    assert accounts[0].last_sync_text == "just now"

    outcome = asyncio.run(page._checked(page._track, conn.user_id, "javascript:alert(1)"))
    assert not outcome.ok and outcome.error.startswith("Only web links")
    outcome = asyncio.run(page._checked(page._import, conn.user_id, conn.id))
    assert outcome.ok and "were already tracked" in outcome.value
