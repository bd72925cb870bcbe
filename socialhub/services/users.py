"""Accounts, logins and sessions.

The browser holds an opaque session token; the database keeps only its SHA-256
(`UserSession.token_hash`). Logins are throttled per e-mail address (whether or not an
account exists for it, so that neither the answer nor the lockout reveals who is signed up),
per client address and for the whole server: see services/login_throttle.py.

Every field is validated here, on the server, whatever the form limited: a bad value gets a
UserError whose text is fit to show, and nothing is written.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from socialhub.config import Settings, get_settings
from socialhub.models import User, UserSession, utcnow
from socialhub.security import hash_password, new_session_token, token_digest, verify_password
from socialhub.services import login_throttle

MIN_PASSWORD_LENGTH = 10
# Argon2 hashes whatever it is given; a cap keeps a megabyte "password" from costing us CPU.
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit; email-validator enforces it too
MAX_DISPLAY_NAME_LENGTH = 120
HANDLE_PATTERN = re.compile(r"^[a-z0-9_]{3,30}$")
# Invisible characters that reorder or hide text (Trojan Source, spoofed names).
_BIDI_AND_INVISIBLE = set("\u061c\u200b\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e")
_BIDI_AND_INVISIBLE |= set("\u2060\u2066\u2067\u2068\u2069\ufeff")
# last_seen_at is informative only: writing it on every request would turn reads into writes.
_TOUCH_INTERVAL = timedelta(minutes=1)

INVALID_CREDENTIALS_MESSAGE = "Incorrect email or password."
DISABLED_MESSAGE = "This account has been disabled by an admin of this SocialHub."


class UserError(ValueError):
    """A request about an account that cannot be carried out; str() is shown to the person."""


class InvalidCredentials(UserError):
    """Unknown e-mail or wrong password: deliberately one and the same error."""

    def __init__(self) -> None:
        super().__init__(INVALID_CREDENTIALS_MESSAGE)


class Throttled(UserError):
    """Too many failed logins recently (for this e-mail, this client, or everyone)."""

    def __init__(self, minutes: int, scope: str = "email") -> None:
        self.minutes = minutes
        self.scope = scope
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"{login_throttle.MESSAGES[scope]} Try again in {minutes} {unit}.")


# --- validation helpers ----------------------------------------------------------------


def _plain_text(value: object, field: str, max_length: int, *, shown_limit: int | None = None) -> str:
    """A str of bounded length that UTF-8 can store (no lone surrogates), else UserError.

    `shown_limit` is the limit to name when the raw cap is looser (whitespace is collapsed
    after this check)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserError(f"The {field} must be text.")
    if len(value) > max_length:
        raise UserError(f"Keep the {field} to at most {shown_limit or max_length} characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(f"The {field} contains characters that cannot be stored.") from None
    return value


def normalize_email(email: str) -> str:
    """The stored form of an address: email-validator's normalisation, lower-cased.

    Falls back to trimmed lower case for text that is not an address at all (log-in
    looks such text up and finds nothing)."""
    try:
        email = _plain_text(email, "email address", 320)
    except UserError:
        return ""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return email.strip().lower()


def _validate_email(email: object) -> str:
    email = _plain_text(email, "email address", 320).strip()
    if not email:
        raise UserError("Enter your email address.")
    try:
        # Syntax only: no DNS lookups at sign-up. Rejects NUL, control and bidi characters,
        # quoted local parts and anything after the address (e.g. "<script>").
        result = validate_email(email, check_deliverability=False, strict=True)
    except EmailNotValidError:
        raise UserError("Enter a valid email address, like name@example.com.") from None
    normalized = result.normalized.lower()
    if len(normalized) > MAX_EMAIL_LENGTH:
        raise UserError(f"Keep the email address to at most {MAX_EMAIL_LENGTH} characters.")
    return normalized


def _validate_password(password: object) -> str:
    password = _plain_text(password, "password", MAX_PASSWORD_LENGTH)
    if "\x00" in password:
        raise UserError("The password cannot contain a NUL character.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    return password


def _validate_display_name(display_name: object) -> str:
    display_name = _plain_text(
        display_name, "display name", 4 * MAX_DISPLAY_NAME_LENGTH, shown_limit=MAX_DISPLAY_NAME_LENGTH
    )
    display_name = " ".join(unicodedata.normalize("NFC", display_name).split())
    if not display_name:
        raise UserError("Enter a display name.")
    if len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        raise UserError(f"Keep the display name to at most {MAX_DISPLAY_NAME_LENGTH} characters.")
    if any(
        ch in _BIDI_AND_INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")
        for ch in display_name
    ):
        raise UserError("The display name contains control or invisible characters; remove them.")
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
    password = _validate_password(password)
    display_name = _validate_display_name(display_name)

    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise UserError("An account with this email already exists. Log in instead.")

    handle = _plain_text(handle, "handle", 64)
    if handle.strip():
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


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    client: str = "",
    settings: Settings | None = None,
) -> User:
    """The account for these credentials, recording the attempt in its own transaction.

    `client` is the network address the request came from ("" when unknown). Raises
    Throttled while the e-mail, the client or the server is locked out, else
    InvalidCredentials for an unknown e-mail or a wrong password alike (both cost one
    Argon2 verification), or UserError for text that is not an e-mail or password at all.
    """
    settings = settings or get_settings()
    email = _plain_text(email, "email address", 320)
    password = _plain_text(password, "password", MAX_PASSWORD_LENGTH)
    client = _plain_text(client, "client address", 200)
    # An address is printable text; anything else (a NUL, which PostgreSQL cannot store) goes.
    client = "".join(ch for ch in client if ch.isprintable())[: login_throttle.CLIENT_MAX_LENGTH]
    email = normalize_email(email)
    if not email or not password:
        raise UserError("Enter your email and password.")
    if "\x00" in email or "\x00" in password:
        # Not storable in PostgreSQL text, and never a valid e-mail or password here.
        raise InvalidCredentials()
    now = utcnow()
    wait = login_throttle.wait(email, client, settings, now)
    if wait is not None:
        raise Throttled(*wait)

    user = session.exec(select(User).where(User.email == email)).first()
    ok = verify_password(user.password_hash if user else None, password) and user is not None
    login_throttle.record(email, client, ok, now)
    if not ok or user is None:
        raise InvalidCredentials()
    if user.is_disabled:  # told only to someone who knows the password
        raise UserError(DISABLED_MESSAGE)
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
    user = session.get(User, row.user_id)
    if user is None or user.is_disabled:
        return None
    return user


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
