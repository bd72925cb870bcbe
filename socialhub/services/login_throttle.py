"""Login throttling: per e-mail address, per client address, and for the whole server.

Attempts are read and written in transactions of their own (`session_scope()`), never in
the caller's session: a failed login raises, the caller's session rolls back, and a
throttle that kept its records there would never see a failure (issue 12).

- per e-mail: `login_max_failures` failures since the last success, whether or not an
  account exists, so neither the answer nor the lockout reveals who is signed up;
- per client address: `login_max_failures_per_client` failures over any e-mail addresses
  (a success does not reset it, or an attacker could reset it with an account of their own);
- global: `login_max_failures_global` failures from everyone, a brake on guessing spread
  over many addresses. It locks out everyone for a while, so it is set well above what
  the people of one install ever produce.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from socialhub.config import Settings
from socialhub.db import session_scope
from socialhub.models import LoginAttempt

CLIENT_MAX_LENGTH = 64


# What the person is told, by the limit that was reached.
MESSAGES = {
    "email": "Too many failed attempts.",
    "client": "Too many failed log-ins from your network.",
    "global": "Too many failed log-ins on this server right now.",
}


def _minutes_left(failures: list[datetime], limit: int, window: timedelta, now: datetime) -> int | None:
    """Minutes until enough failures (sorted, oldest first) age out of the window."""
    if limit <= 0 or len(failures) < limit:
        return None
    lifts_at = failures[len(failures) - limit] + window
    return max(1, math.ceil((lifts_at - now).total_seconds() / 60))


def _failures(session: Session, since: datetime, *conditions) -> list[datetime]:
    return list(
        session.exec(
            select(LoginAttempt.attempted_at)
            .where(col(LoginAttempt.succeeded).is_(False), LoginAttempt.attempted_at > since, *conditions)
            .order_by(col(LoginAttempt.attempted_at))
        ).all()
    )


def wait(email: str, client: str, settings: Settings, now: datetime) -> tuple[int, str] | None:
    """(minutes, scope) when this e-mail, this client or the whole server must wait, else None."""
    window = timedelta(minutes=settings.login_window_minutes)
    since = now - window
    with session_scope() as session:
        last_success = session.exec(
            select(func.max(LoginAttempt.attempted_at)).where(
                LoginAttempt.email == email, LoginAttempt.succeeded, LoginAttempt.attempted_at > since
            )
        ).one()
        per_email = _failures(session, max(since, last_success or since), LoginAttempt.email == email)
        checks = [(per_email, settings.login_max_failures, "email")]
        if client:
            per_client = _failures(session, since, LoginAttempt.client == client)
            checks.append((per_client, settings.login_max_failures_per_client, "client"))
        everyone = _failures(session, since)
        checks.append((everyone, settings.login_max_failures_global, "global"))
    waits = [
        (minutes, scope)
        for failures, limit, scope in checks
        if (minutes := _minutes_left(failures, limit, window, now)) is not None
    ]
    return max(waits) if waits else None


def record(email: str, client: str, succeeded: bool, now: datetime) -> None:
    """Keep one attempt, committed at once whatever the caller's transaction does."""
    with session_scope() as session:
        session.add(
            LoginAttempt(
                email=email[:320], client=client[:CLIENT_MAX_LENGTH], succeeded=succeeded, attempted_at=now
            )
        )
