"""What the dashboard state runs in a thread: one call reads everything a view needs.

Every number comes from services/dashboard_queries (the one module that reads the
snapshots); this module only picks the creator's time zone and connections, applies the
URL's view (dropping another user's account id with a note), and turns the answers into
the tables the page shows (services/dashboard_tables). Plain Python, no Reflex.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import Connection, User
from socialhub.services import dashboard_queries as dq
from socialhub.services import dashboard_tables as tables
from socialhub.services.dashboard_tables import Table
from socialhub.state.connections import account_label
from socialhub.state.dashboard_params import DEFAULT_PERIOD, Params


@dataclass(frozen=True)
class Account:
    id: int
    label: str
    platform: str


@dataclass(frozen=True)
class Loaded:
    params: Params  # the view really shown (ignored values dropped)
    notes: tuple[str, ...]
    tz: str
    accounts: tuple[Account, ...]
    status: dq.Status
    period: dq.Period | None = None
    headline: dq.Headline | None = None
    tables: dict[str, Table] = field(default_factory=dict)
    top: tuple[dq.TopPost, ...] = ()
    basis: tuple[str, ...] = ()  # one sentence per platform in view: what its rate divides by


def _accounts(session, user_id: int) -> tuple[Account, ...]:
    rows = session.exec(
        select(Connection).where(Connection.user_id == user_id).order_by(Connection.platform, Connection.id)
    ).all()
    return tuple(
        Account(c.id, account_label(c.platform, c.username, c.display_name), c.platform) for c in rows
    )


def _user_tz(session, user_id: int) -> str:
    user = session.get(User, user_id)
    return (user.timezone if user else "") or "UTC"


def load(user_id: int, params: Params, now: datetime) -> Loaded:
    """Everything one view of the dashboard shows, for `user_id` only."""
    notes: list[str] = []
    with session_scope() as s:
        tz = _user_tz(s, user_id)
        accounts = _accounts(s, user_id)
        owned = {a.id: a for a in accounts}
        if params.account and params.account not in owned:
            notes.append("That account is not one of yours (or no longer connected); showing every account.")
            params = replace(params, account=0)
        if params.account and params.platform and owned[params.account].platform != params.platform:
            params = replace(params, platform=owned[params.account].platform)
        status = dq.overview_status(s, user_id, now)
        try:
            period = dq.resolve_period(
                params.period, now=now, tz=tz, start=params.start_date(), end=params.end_date()
            )
        except ValueError as exc:
            notes.append(f"{exc} Showing the last 30 days.")
            params = replace(params, period=DEFAULT_PERIOD, start="", end="")
            period = dq.resolve_period(DEFAULT_PERIOD, now=now, tz=tz)
        base = Loaded(params, tuple(notes), tz, accounts, status, period)
        if not status.has_snapshots:
            return base
        f = dq.Filters(
            user_id=user_id,
            platforms=(params.platform,) if params.platform else (),
            connection_ids=(params.account,) if params.account else (),
        )
        head = dq.headline(s, f, period)
        views = dq.views_over_time(s, f, period)
        followers = dq.followers_over_time(s, f, period)
        rates = dq.engagement_rate_over_time(s, f, period)
        comparison = dq.comparison(s, f, period)
        top = dq.top_posts(s, f, period, sort=params.sort, descending=params.descending)
    in_view = [p for p in dict.fromkeys(a.platform for a in accounts) if _in_view(p, params, owned)]
    basis = tuple(dq.RATE_BASIS_NOTE[p] for p in in_view if p in dq.RATE_BASIS_NOTE)
    return replace(
        base,
        headline=head,
        tables={
            "views": tables.views_table(views),
            "followers": tables.followers_table(followers),
            "rate": tables.rate_table(rates),
            "comparison": tables.comparison_table(comparison),
            "top": tables.top_posts_table(top, tz),
        },
        top=tuple(top),
        basis=basis,
    )


def _in_view(platform: str, params: Params, owned: dict[int, Account]) -> bool:
    if params.account:
        return owned[params.account].platform == platform
    return not params.platform or params.platform == platform


@dataclass(frozen=True)
class PostLoaded:
    detail: dq.PostDetail
    table: Table
    tz: str


def load_post(user_id: int, tracked_post_id: int) -> PostLoaded:
    """One post's curve since publishing; NotYours for another user's post."""
    with session_scope() as s:
        tz = _user_tz(s, user_id)
        detail = dq.post_detail(s, user_id, tracked_post_id)
    return PostLoaded(detail, tables.post_points_table(detail.points, tz, tracked_post_id), tz)
