"""Every change of a PostTarget's state, in one place.

A transition is one conditional UPDATE (`WHERE id = ? AND status = <expected>`) plus a
PostEvent row, in the caller's session: two workers, a dispatcher and a creator's click can
race and exactly one wins; the loser gets `Conflict` and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from socialhub.models import PostEvent, PostTarget, utcnow
from socialhub.models import TargetStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.draft: frozenset({S.scheduled, S.publishing, S.cancelled}),
    S.scheduled: frozenset({S.scheduled, S.publishing, S.cancelled, S.missed, S.published}),
    S.publishing: frozenset(
        {S.publishing, S.published, S.retrying, S.needs_reconnect, S.failed, S.unconfirmed, S.scheduled}
    ),
    S.retrying: frozenset({S.publishing, S.cancelled, S.failed, S.missed, S.scheduled}),
    S.needs_reconnect: frozenset({S.publishing, S.scheduled, S.cancelled}),
    S.unconfirmed: frozenset({S.published, S.scheduled, S.cancelled}),
    S.missed: frozenset({S.publishing, S.scheduled, S.cancelled}),
    S.failed: frozenset({S.publishing, S.scheduled, S.cancelled}),
    S.published: frozenset(),
    S.cancelled: frozenset(),
}
# States a creator may still change (cancel, reschedule, edit): nothing is in flight.
EDITABLE = frozenset({S.draft, S.scheduled, S.retrying, S.needs_reconnect, S.missed, S.failed})
FINAL = frozenset({S.published, S.failed, S.cancelled, S.unconfirmed})


class Conflict(Exception):
    """The target was not in the expected state (someone else moved it first)."""


def can(frm: S | str, to: S | str) -> bool:
    return S(to) in ALLOWED[S(frm)]


def transition(
    session: Session,
    target_id: int,
    *,
    frm: S | str | tuple[S, ...],
    to: S | str,
    step: str,
    message: str = "",
    platform_status: int | None = None,
    attempt: int | None = None,
    extra_where: Any = None,
    **values: Any,
) -> None:
    """Move a target from `frm` (one state or several) to `to`, setting the columns in
    `values` too (an `error_code` there is also the event's); raise Conflict when it is not in
    `frm` any more. Writes the event in the same transaction."""
    sources = tuple(S(f) for f in (frm if isinstance(frm, tuple) else (frm,)))
    to = S(to)
    for source in sources:
        if to not in ALLOWED[source]:
            raise ValueError(f"{source.value} -> {to.value} is not a transition")
    before = session.exec(select(PostTarget.status).where(PostTarget.id == target_id)).first()
    query = (
        update(PostTarget)
        .where(PostTarget.id == target_id, PostTarget.status.in_([s.value for s in sources]))
        .values(status=to.value, updated_at=utcnow(), **values)
    )
    if extra_where is not None:
        query = query.where(extra_where)
    result = session.exec(query)  # type: ignore[call-overload]
    if result.rowcount != 1:
        raise Conflict(f"target {target_id} is not {'/'.join(s.value for s in sources)}")
    current = session.get(PostTarget, target_id)
    if current is not None:
        session.refresh(current)
    log_event(
        session,
        target_id,
        step=step,
        frm=str(getattr(before, "value", before)) if before is not None else None,
        to=to.value,
        message=message,
        error_code=values.get("error_code"),
        platform_status=platform_status,
        attempt=attempt if attempt is not None else (current.attempts if current else 0),
    )


def log_event(
    session: Session,
    target_id: int,
    *,
    step: str,
    frm: str | None = None,
    to: str | None = None,
    message: str = "",
    error_code: str | None = None,
    platform_status: int | None = None,
    attempt: int = 0,
    at: datetime | None = None,
) -> None:
    session.add(
        PostEvent(
            target_id=target_id,
            at=at or utcnow(),
            step=step,
            from_status=frm,
            to_status=to,
            attempt=attempt,
            platform_status=platform_status,
            error_code=str(error_code)[:60] if error_code is not None else None,
            message=message,
        )
    )
