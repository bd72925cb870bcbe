"""Calendar view data: grids of post targets in the creator's zone and one target's detail, as
display-only dataclasses, built in a thread by the helpers the Calendar state runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import select

from socialhub.config import PLATFORM_LABELS
from socialhub.db import session_scope
from socialhub.models import Connection, User, utcnow
from socialhub.services import calendar as cal
from socialhub.services import composer, publishing
from socialhub.services.publish_queue import enqueue
from socialhub.state.connections import account_label
from socialhub.state.library import STATUS_WORDS

log = logging.getLogger(__name__)
HOURS = list(range(24))


@dataclass
class CalEntry:
    target_id: int = 0
    platform: str = ""
    status: str = ""
    status_label: str = ""
    clock: str = ""
    title: str = ""
    account: str = ""
    movable: bool = False
    url: str = ""


@dataclass
class CalCell:
    key: str = ""  # YYYY-MM-DD (month) or YYYY-MM-DDTHH (week)
    label: str = ""
    in_month: bool = True
    today: bool = False
    posts: list[CalEntry] = field(default_factory=list)


@dataclass
class CalRow:
    label: str = ""
    cells: list[CalCell] = field(default_factory=list)


@dataclass
class Option:
    value: str = ""
    label: str = ""


@dataclass
class TargetRow:
    target_id: int = 0
    platform: str = ""
    label: str = ""
    account: str = ""
    status: str = ""
    status_label: str = ""
    url: str = ""
    selected: bool = False


@dataclass
class EventRow:
    at: str = ""
    text: str = ""


@dataclass
class DetailView:
    target_id: int = 0
    title: str = ""
    caption: str = ""
    platform: str = ""
    label: str = ""
    account: str = ""
    status: str = ""
    status_label: str = ""
    when: str = ""
    day: str = ""
    clock: str = ""
    url: str = ""
    last_error: str = ""
    movable: bool = False
    why_fixed: str = ""
    can_cancel: bool = False
    can_retry: bool = False
    can_publish_missed: bool = False
    unconfirmed: bool = False
    targets: list[TargetRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)


def _zone(tz: str):
    try:
        return composer.timezone_or_error(tz)
    except publishing.PostInvalid:
        return UTC


def why_fixed(status: str, native: bool) -> str:
    if native:
        return "Facebook holds it in its own schedule now; change it on Facebook or cancel it there."
    return {
        "publishing": "It is being published right now, so it cannot be moved, edited or cancelled.",
        "published": "It is published; it can no longer be moved or edited.",
        "unconfirmed": "Its outcome is unknown: say below whether it is published, or publish it again.",
    }.get(status, "")


def _entry(e: cal.Entry, tz) -> CalEntry:
    return CalEntry(
        e.target_id, e.platform, e.status, STATUS_WORDS.get(e.status, e.status),
        f"{e.at.astimezone(tz):%H:%M}", e.title or e.caption[:40] or "Untitled",
        e.account, e.movable, e.url or "",
    )  # fmt: skip


def _range(view: str, anchor: date) -> tuple[date, date]:
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=7)
    first = anchor.replace(day=1)
    start = first - timedelta(days=first.weekday())
    nxt = (first + timedelta(days=32)).replace(day=1)
    end = nxt + timedelta(days=(7 - nxt.weekday()) % 7)
    return start, end


@dataclass
class Loaded:
    timezone: str
    rows: list[CalRow]
    signature: str
    accounts: list[Option]


def _load(user_id: int, view: str, anchor: str, platform: str, account: str) -> Loaded:
    with session_scope() as s:
        tz_name = s.get(User, user_id).timezone
        tz = _zone(tz_name)
        day0 = date.fromisoformat(anchor)
        start, end = _range(view, day0)
        to_utc = lambda d: datetime.combine(d, time(0), tz).astimezone(UTC)  # noqa: E731
        entries = cal.entries(
            s, user_id=user_id, start=to_utc(start), end=to_utc(end),
            platforms=[platform] if platform != "all" else None,
            connection_ids=[int(account)] if account.isdigit() else None,
        )  # fmt: skip
        conns = s.exec(
            select(Connection).where(Connection.user_id == user_id).order_by(Connection.platform)
        ).all()
        accounts = [
            Option(
                str(c.id),
                f"{PLATFORM_LABELS[c.platform]} {account_label(c.platform, c.username, c.display_name)}",
            )
            for c in conns
        ]
    today = utcnow().astimezone(tz).date()
    by_day: dict[str, list[CalEntry]] = {}
    for e in entries:
        local = e.at.astimezone(tz)
        key = f"{local:%Y-%m-%d}" if view == "month" else f"{local:%Y-%m-%dT%H}"
        by_day.setdefault(key, []).append(_entry(e, tz))
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    if view == "month":
        rows = [
            CalRow(
                "",
                [
                    CalCell(f"{d}", str(d.day), d.month == day0.month, d == today, by_day.get(f"{d}", []))
                    for d in days[w : w + 7]
                ],
            )
            for w in range(0, len(days), 7)
        ]
    else:
        rows = [
            CalRow(
                f"{h:02d}:00",
                [CalCell(f"{d}T{h:02d}", "", True, d == today, by_day.get(f"{d}T{h:02d}", [])) for d in days],
            )
            for h in HOURS
        ]
    signature = "|".join(f"{e.target_id}:{e.status}:{e.at.isoformat()}:{e.url}" for e in entries)
    return Loaded(tz_name, rows, signature, accounts)


def _detail(user_id: int, target_id: int) -> DetailView:
    with session_scope() as s:
        d = cal.detail(s, user_id=user_id, target_id=target_id)
        tz = _zone(s.get(User, user_id).timezone)
    e = d.entry
    return DetailView(
        target_id=e.target_id,
        title=e.title or "Untitled",
        caption=e.caption,
        platform=e.platform,
        label=PLATFORM_LABELS.get(e.platform, e.platform),
        account=e.account,
        status=e.status,
        status_label=STATUS_WORDS.get(e.status, e.status),
        when=f"{e.at.astimezone(tz):%a %d %b %Y, %H:%M}",
        day=f"{e.at.astimezone(tz):%Y-%m-%d}",
        clock=f"{e.at.astimezone(tz):%H:%M}",
        url=e.url or "",
        last_error=d.last_error or "",
        movable=e.movable,
        why_fixed=why_fixed(e.status, e.native_schedule),
        can_cancel=e.movable
        or (
            e.status in ("scheduled", "retrying", "failed", "missed", "needs_reconnect")
            and not e.native_schedule
        ),
        can_retry=e.status in ("failed", "needs_reconnect"),
        can_publish_missed=e.status == "missed",
        unconfirmed=e.status == "unconfirmed",
        targets=[
            TargetRow(
                t.target_id,
                t.platform,
                PLATFORM_LABELS.get(t.platform, t.platform),
                t.account,
                t.status,
                STATUS_WORDS.get(t.status, t.status),
                t.url or "",
                t.target_id == e.target_id,
            )  # fmt: skip
            for t in d.siblings
        ],
        events=[
            EventRow(f"{ev.at.astimezone(tz):%d %b %H:%M:%S}", ev.message or ev.step.replace("_", " "))
            for ev in d.events
        ],
    )


def _act(user_id: int, action: str, target_id: int, **kw) -> None:
    """One creator action, committed, then put on the queue (a lost job is found again by
    the every-minute dispatcher)."""
    with session_scope() as s:
        if action == "cancel":
            publishing.cancel(s, user_id=user_id, target_id=target_id)
        elif action == "reschedule":
            publishing.reschedule(s, user_id=user_id, target_id=target_id, at=kw["at"])
        elif action == "now":
            publishing.publish_now(s, user_id=user_id, target_id=target_id)
        elif action == "resolve":
            publishing.resolve_unconfirmed(
                s, user_id=user_id, target_id=target_id, published_url=kw.get("url")
            )
        elif action == "caption":
            cal.edit_caption(s, user_id=user_id, target_id=target_id, caption=kw["caption"])
    if action in ("reschedule", "now", "resolve"):
        try:
            enqueue(target_id, at=kw.get("at"))
        except Exception:  # noqa: BLE001  (Redis down: the every-minute dispatcher picks it up)
            log.warning("target %s changed; queue unreachable, the dispatcher will pick it up", target_id)


def _local_to_utc(user_id: int, day: str, clock: str) -> datetime:
    with session_scope() as s:
        tz = s.get(User, user_id).timezone
    return composer.local_to_utc(day, clock, tz)
