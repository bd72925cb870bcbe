"""Accounts, logins, throttling and sessions on a real migrated database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from socialhub.config import get_settings
from socialhub.models import LoginAttempt, User, UserSession, utcnow
from socialhub.security import token_digest
from socialhub.services import users
from socialhub.services.users import InvalidCredentials, Throttled, UserError

PASSWORD = "correct horse battery"


def make_user(session, email="ada@example.com", name="Ada Lovelace", **kw):
    return users.create_user(session, email=email, password=PASSWORD, display_name=name, **kw)


def committed_user(session, email="ada@example.com", name="Ada Lovelace", **kw):
    """Logins record attempts in their own transactions, as the UI's boundary does: the
    account must be committed first, like a real sign-up."""
    user = make_user(session, email=email, name=name, **kw)
    session.commit()
    return user


# --- sign-up -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "password", "name", "message"),
    [
        ("not-an-email", PASSWORD, "Ada", "valid email"),
        ("", PASSWORD, "Ada", "email"),
        ("ada@example", PASSWORD, "Ada", "valid email"),
        ("ada@example.com", "short", "Ada", "at least 10 characters"),
        ("ada@example.com", "x" * 9, "Ada", "at least 10 characters"),
        ("ada@example.com", PASSWORD, "   ", "display name"),
    ],
)
def test_signup_rejects_invalid_input(session, email, password, name, message):
    with pytest.raises(UserError, match=message):
        users.create_user(session, email=email, password=password, display_name=name)
    assert session.exec(select(User)).all() == []


def test_signup_rejects_duplicate_email_case_insensitively(session):
    make_user(session)
    with pytest.raises(UserError, match="already exists"):
        make_user(session, email="  ADA@Example.com ", name="Someone Else")


def test_signup_rejects_taken_or_malformed_handle(session):
    make_user(session, handle="ada")
    with pytest.raises(UserError, match="@ada is taken"):
        make_user(session, email="other@example.com", handle="ada")
    with pytest.raises(UserError, match="3 to 30 characters"):
        make_user(session, email="other@example.com", handle="no spaces!")


def test_handle_is_derived_from_display_name_and_made_unique(session):
    first = make_user(session, name="Zoë Smith!")
    second = make_user(session, email="zoe2@example.com", name="Zoe Smith")
    third = make_user(session, email="x@example.com", name="X")
    assert first.handle == "zoe_smith"
    assert second.handle == "zoe_smith_2"
    assert users.HANDLE_PATTERN.match(third.handle)


def test_first_user_is_admin_and_second_is_not(session):
    first = make_user(session)
    second = make_user(session, email="grace@example.com", name="Grace Hopper")
    assert first.is_admin is True
    assert second.is_admin is False


def test_password_is_stored_as_argon2_hash(session):
    user = make_user(session)
    stored = session.exec(select(User.password_hash).where(User.id == user.id)).one()
    assert stored.startswith("$argon2")
    assert PASSWORD not in stored
    assert user.email == "ada@example.com"


def test_make_admin_and_create_admin(session):
    make_user(session)
    grace = make_user(session, email="grace@example.com", name="Grace Hopper")
    assert users.make_admin(session, "GRACE@example.com").id == grace.id
    assert grace.is_admin is True
    with pytest.raises(UserError, match="No account"):
        users.make_admin(session, "nobody@example.com")
    admin = users.create_admin(session, "root@example.com", PASSWORD, "Root")
    assert admin.is_admin is True


# --- login -------------------------------------------------------------------------------


def test_login_with_correct_password(session):
    user = committed_user(session)
    assert users.authenticate(session, " Ada@Example.com", PASSWORD).id == user.id
    attempt = session.exec(select(LoginAttempt)).one()
    assert attempt.succeeded is True
    assert attempt.email == "ada@example.com"


def test_wrong_password_and_unknown_email_fail_the_same_way(session):
    committed_user(session)
    with pytest.raises(InvalidCredentials) as wrong:
        users.authenticate(session, "ada@example.com", "wrong password!")
    with pytest.raises(InvalidCredentials) as unknown:
        users.authenticate(session, "nobody@example.com", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == "Incorrect email or password."
    attempts = session.exec(select(LoginAttempt)).all()
    assert [a.succeeded for a in attempts] == [False, False]


def _fail(session, email, times):
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            users.authenticate(session, email, "wrong password!")


@pytest.mark.parametrize("email", ["ada@example.com", "nobody@example.com"])
def test_throttled_after_max_failures_even_with_right_password(session, email):
    settings = get_settings()
    committed_user(session)
    _fail(session, email, settings.login_max_failures)
    with pytest.raises(Throttled) as exc:
        users.authenticate(session, email, PASSWORD)
    assert 1 <= exc.value.minutes <= settings.login_window_minutes
    assert str(exc.value) == f"Too many failed attempts. Try again in {exc.value.minutes} minutes."
    # Other addresses are not affected.
    committed_user(session, email="grace@example.com", name="Grace")
    assert users.authenticate(session, "grace@example.com", PASSWORD).email == "grace@example.com"


def test_throttle_lifts_after_the_window(session):
    settings = get_settings()
    user = committed_user(session)
    _fail(session, user.email, settings.login_max_failures)
    with pytest.raises(Throttled):
        users.authenticate(session, user.email, PASSWORD)

    # Move the failures back in time to just inside, then just outside, the window.
    window = timedelta(minutes=settings.login_window_minutes)
    attempts = session.exec(select(LoginAttempt)).all()
    for attempt in attempts:
        attempt.attempted_at = utcnow() - window + timedelta(minutes=2)
        session.add(attempt)
    session.commit()
    with pytest.raises(Throttled) as exc:
        users.authenticate(session, user.email, PASSWORD)
    assert exc.value.minutes == 2

    for attempt in attempts:
        attempt.attempted_at = utcnow() - window - timedelta(seconds=1)
        session.add(attempt)
    session.commit()
    assert users.authenticate(session, user.email, PASSWORD).id == user.id


def test_success_resets_the_failure_count(session):
    settings = get_settings()
    user = committed_user(session)
    _fail(session, user.email, settings.login_max_failures - 1)
    users.authenticate(session, user.email, PASSWORD)
    _fail(session, user.email, settings.login_max_failures - 1)
    assert users.authenticate(session, user.email, PASSWORD).id == user.id


# --- sessions ----------------------------------------------------------------------------


def test_session_token_is_stored_only_as_digest(session):
    user = make_user(session)
    token = users.create_session(session, user)
    row = session.exec(select(UserSession)).one()
    assert row.token_hash == token_digest(token)
    assert token not in row.token_hash
    assert row.expires_at - row.created_at == timedelta(hours=get_settings().session_ttl_hours)
    assert users.user_for_session(session, token).id == user.id


def test_unknown_or_empty_token_has_no_user(session):
    make_user(session)
    assert users.user_for_session(session, "not-a-token") is None
    assert users.user_for_session(session, "") is None
    assert users.user_for_session(session, None) is None


def test_expired_session_has_no_user(session):
    user = make_user(session)
    token = users.create_session(session, user)
    row = session.exec(select(UserSession)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.flush()
    assert users.user_for_session(session, token) is None
    assert session.exec(select(UserSession)).all() == []


def test_last_seen_is_touched_at_most_once_a_minute(session):
    user = make_user(session)
    token = users.create_session(session, user)
    row = session.exec(select(UserSession)).one()
    first_seen = row.last_seen_at
    users.user_for_session(session, token)
    session.refresh(row)
    assert row.last_seen_at == first_seen

    row.last_seen_at = utcnow() - timedelta(minutes=5)
    session.add(row)
    session.flush()
    users.user_for_session(session, token)
    session.refresh(row)
    assert utcnow() - row.last_seen_at < timedelta(seconds=30)


def test_logout_ends_only_that_session(session):
    user = make_user(session)
    phone = users.create_session(session, user)
    laptop = users.create_session(session, user)
    assert users.end_session(session, phone) is True
    assert users.user_for_session(session, phone) is None
    assert users.user_for_session(session, laptop).id == user.id
    assert users.end_session(session, phone) is False
    assert users.end_all_sessions(session, user.id) == 1
    assert users.user_for_session(session, laptop) is None
