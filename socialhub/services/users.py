"""Accounts, logins and sessions.

The browser holds an opaque session token; the database keeps only its SHA-256
(`UserSession.token_hash`). Logins are throttled per e-mail address, whether or not an
account exists for it, so that neither the answer nor the lockout reveals who is signed up.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from socialhub.config import Settings, get_settings
from socialhub.models import LoginAttempt, User, UserSession, utcnow
from socialhub.security import hash_password, new_session_token, token_digest, verify_password

MIN_PASSWORD_LENGTH = 10
# Argon2 hashes whatever it is given; a cap keeps a megabyte "password" from costing us CPU.
MAX_PASSWORD_LENGTH = 1024
HANDLE_PATTERN = re.compile(r"^[a-z0-9_]{3,30}$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
# last_seen_at is informative only: writing it on every request would turn reads into writes.
_TOUCH_INTERVAL = timedelta(minutes=1)

INVALID_CREDENTIALS_MESSAGE = "Incorrect email or password."


class UserError(ValueError):
    """A request about an account that cannot be carried out; str() is shown to the person."""


class InvalidCredentials(UserError):
    """Unknown e-mail or wrong password: deliberately one and the same error."""

    def __init__(self) -> None:
        super().__init__(INVALID_CREDENTIALS_MESSAGE)


class Throttled(UserError):
    """Too many failed logins for this e-mail address recently."""

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many failed attempts. Try again in {minutes} {unit}.")


# --- validation helpers ----------------------------------------------------------------


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _validate_email(email: str) -> str:
    email = normalize_email(email)
    if not email:
        raise UserError("Enter your email address.")
    if len(email) > 320 or not _EMAIL_PATTERN.match(email):
        raise UserError("Enter a valid email address, like name@example.com.")
    return email


def _validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"Choose a password of at most {MAX_PASSWORD_LENGTH} characters.")


def _validate_display_name(display_name: str) -> str:
    display_name = " ".join((display_name or "").split())
    if not display_name:
        raise UserError("Enter a display name.")
    if len(display_name) > 120:
        raise UserError("Keep the display name under 120 characters.")
    return display_name


def handle_from_name(display_name: str) -> str:
    """A handle candidate from a display name: 'Zoë Smith!' -> 'zoe_smith'."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    handle = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:24].strip("_")
    if len(handle) < 3:
        handle = (handle + "_creator").strip("_")
    return handle


def _handle_taken(session: Session, handle: str) -> bool:
    return session.exec(select(User.id).where(User.handle == handle)).first() is not None


def _free_handle(session: Session, base: str) -> str:
    if not _handle_taken(session, base):
        return base
    for n in range(2, 10_000):
        candidate = f"{base}_{n}"
        if not _handle_taken(session, candidate):
            return candidate
    raise UserError("Could not find a free handle; choose one yourself.")


# --- accounts ----------------------------------------------------------------------------


def create_user(
    session: Session,
    email: str,
    password: str,
    display_name: str,
    handle: str | None = None,
) -> User:
    """Validate and create an account. The first account ever created is an admin.

    Raises UserError with a message fit to show the person.
    """
    email = _validate_email(email)
    _validate_password(password)
    display_name = _validate_display_name(display_name)

    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise UserError("An account with this email already exists. Log in instead.")

    if handle is not None and handle.strip():
        handle = handle.strip().lstrip("@").lower()
        if not HANDLE_PATTERN.match(handle):
            raise UserError("A handle is 3 to 30 characters: lowercase letters, digits and _.")
        if _handle_taken(session, handle):
            raise UserError(f"The handle @{handle} is taken. Choose another.")
    else:
        handle = _free_handle(session, handle_from_name(display_name))

    is_first = session.exec(select(func.count()).select_from(User)).one() == 0
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=display_name,
        handle=handle,
        is_admin=is_first,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent sign-up took the e-mail or handle
        raise UserError("An account with this email or handle already exists.") from exc
    return user


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def make_admin(session: Session, email: str) -> User:
    """Give an existing account admin rights (CLI: `socialhub admin create`)."""
    user = get_user_by_email(session, email)
    if user is None:
        raise UserError(f"No account with the email {normalize_email(email)}.")
    user.is_admin = True
    session.add(user)
    session.flush()
    return user


def create_admin(session: Session, email: str, password: str, display_name: str) -> User:
    """Create an account with admin rights (CLI), validated like any sign-up."""
    user = create_user(session, email=email, password=password, display_name=display_name)
    user.is_admin = True
    session.add(user)
    session.flush()
    return user


# --- logins ------------------------------------------------------------------------------


def _throttle_minutes(session: Session, email: str, settings: Settings, now: datetime) -> int | None:
    """Minutes until this e-mail may try again, or None when it is not throttled."""
    window = timedelta(minutes=settings.login_window_minutes)
    since = now - window
    last_success = session.exec(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded, LoginAttempt.attempted_at > since
        )
    ).one()
    if last_success is not None:
        since = max(since, last_success)
    failures = session.exec(
        select(LoginAttempt.attempted_at)
        .where(
            LoginAttempt.email == email,
            col(LoginAttempt.succeeded).is_(False),
            LoginAttempt.attempted_at > since,
        )
        .order_by(col(LoginAttempt.attempted_at))
    ).all()
    if len(failures) < settings.login_max_failures:
        return None
    # The lockout lifts when enough of the failures have aged out of the window.
    lifts_at = failures[len(failures) - settings.login_max_failures] + window
    return max(1, math.ceil((lifts_at - now).total_seconds() / 60))


def authenticate(session: Session, email: str, password: str, *, settings: Settings | None = None) -> User:
    """The account for these credentials, recording the attempt.

    Raises Throttled while the address is locked out, else InvalidCredentials for an
    unknown e-mail or a wrong password alike (both cost one Argon2 verification).
    """
    settings = settings or get_settings()
    email = normalize_email(email)
    now = utcnow()
    minutes = _throttle_minutes(session, email, settings, now)
    if minutes is not None:
        raise Throttled(minutes)

    user = session.exec(select(User).where(User.email == email)).first() if email else None
    ok = verify_password(user.password_hash if user else None, password or "")
    session.add(LoginAttempt(email=email[:320], succeeded=ok and user is not None, attempted_at=now))
    session.flush()
    if not ok or user is None:
        raise InvalidCredentials()
    return user


# --- sessions ----------------------------------------------------------------------------


def create_session(session: Session, user: User, *, settings: Settings | None = None) -> str:
    """Start a login for `user`; returns the token for the browser (stored only as a digest)."""
    settings = settings or get_settings()
    token = new_session_token()
    now = utcnow()
    session.add(
        UserSession(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_ttl_hours),
        )
    )
    session.flush()
    return token


def _session_row(session: Session, token: str) -> UserSession | None:
    if not token:
        return None
    return session.exec(select(UserSession).where(UserSession.token_hash == token_digest(token))).first()


def user_for_session(session: Session, token: str | None) -> User | None:
    """The user a session token belongs to, or None when unknown or expired."""
    row = _session_row(session, token or "")
    if row is None:
        return None
    now = utcnow()
    if row.expires_at <= now:
        session.delete(row)
        session.flush()
        return None
    if now - row.last_seen_at >= _TOUCH_INTERVAL:
        row.last_seen_at = now
        session.add(row)
        session.flush()
    return session.get(User, row.user_id)


def end_session(session: Session, token: str | None) -> bool:
    """Log out: forget the session. True when there was one."""
    row = _session_row(session, token or "")
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def end_all_sessions(session: Session, user_id: int) -> int:
    """Log a user out everywhere (password change, admin action); returns how many ended."""
    rows = session.exec(select(UserSession).where(UserSession.user_id == user_id)).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)
