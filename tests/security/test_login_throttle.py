"""The login throttle, driven through the path the UI takes: the log-in event's own
`log_in_outcome`, one database session per attempt that rolls back on failure.

Issue 12: failed attempts were recorded in the caller's session, which the failure rolled
back, so seven wrong passwords never slowed anyone; and there was no limit per client
address or for the whole server."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from socialhub.config import get_settings, reset_settings_cache
from socialhub.db import session_scope
from socialhub.models import LoginAttempt
from socialhub.state.auth import log_in_outcome, sign_up_outcome

PASSWORD = "correct horse battery"
WRONG = "not the password at all"
INCORRECT = "Incorrect email or password."
RETRY = re.compile(r"Try again in (\d+) minutes?\.$")


@pytest.fixture
def ada(db):
    outcome = sign_up_outcome({"email": "ada@example.com", "password": PASSWORD, "display_name": "Ada"})
    assert outcome.viewer is not None, outcome.message
    return outcome.viewer


@pytest.fixture
def limits(monkeypatch):
    """Small limits so a test needs few Argon2 verifications; restored afterwards."""

    def set_limits(per_email=5, per_client=20, global_=100):
        monkeypatch.setenv("SOCIALHUB_LOGIN_MAX_FAILURES", str(per_email))
        monkeypatch.setenv("SOCIALHUB_LOGIN_MAX_FAILURES_PER_CLIENT", str(per_client))
        monkeypatch.setenv("SOCIALHUB_LOGIN_MAX_FAILURES_GLOBAL", str(global_))
        reset_settings_cache()
        return get_settings()

    yield set_limits
    monkeypatch.undo()
    reset_settings_cache()


def log_in(email, password, client="203.0.113.7"):
    return log_in_outcome({"email": email, "password": password}, client)


def test_seven_wrong_passwords_then_the_right_one_is_throttled(ada, limits):
    """The report's exact sequence: before the fix all seven said "Incorrect" and the right
    password then logged in."""
    settings = limits(per_email=get_settings().login_max_failures)
    messages = [log_in("ada@example.com", WRONG).message for _ in range(7)]
    limit = settings.login_max_failures
    assert messages[:limit] == [INCORRECT] * limit
    assert all(m.startswith("Too many failed attempts.") and RETRY.search(m) for m in messages[limit:])

    right = log_in("ada@example.com", PASSWORD)
    assert right.viewer is None and right.token == ""
    minutes = int(RETRY.search(right.message).group(1))
    assert 1 <= minutes <= settings.login_window_minutes
    # Each failure reached the database, in its own committed transaction.
    with session_scope() as s:
        failures = s.exec(select(LoginAttempt).where(LoginAttempt.succeeded == False)).all()  # noqa: E712
    assert len(failures) == limit
    assert {f.client for f in failures} == {"203.0.113.7"}


def test_throttle_is_per_email_and_lifts_for_others(ada, limits):
    limits(per_email=3)
    for _ in range(3):
        assert log_in("ada@example.com", WRONG).message == INCORRECT
    assert log_in("ada@example.com", PASSWORD).message.startswith("Too many failed attempts.")
    grace = sign_up_outcome({"email": "grace@example.com", "password": PASSWORD, "display_name": "Grace"})
    assert grace.viewer is not None
    assert log_in("grace@example.com", PASSWORD, client="198.51.100.1").viewer == grace.viewer


def test_guesses_spread_over_many_addresses_are_slowed_per_client(ada, limits):
    """80 guesses over 48 addresses were never slowed: now one client is stopped after
    SOCIALHUB_LOGIN_MAX_FAILURES_PER_CLIENT failures, whatever the addresses."""
    limits(per_email=5, per_client=12, global_=1000)
    messages = [log_in(f"victim{i % 48}@example.com", WRONG).message for i in range(14)]
    assert messages[:12] == [INCORRECT] * 12
    for message in messages[12:]:
        assert message.startswith("Too many failed log-ins from your network.")
        assert RETRY.search(message)
    # The client is stopped even for a right password of an account of its own...
    assert log_in("ada@example.com", PASSWORD).message.startswith(
        "Too many failed log-ins from your network."
    )
    # ...while another client is not.
    assert log_in("ada@example.com", PASSWORD, client="198.51.100.9").viewer is not None


def test_a_success_does_not_reset_the_per_client_count(ada, limits):
    limits(per_email=50, per_client=4, global_=1000)
    for i in range(3):
        log_in(f"someone{i}@example.com", WRONG)
    assert log_in("ada@example.com", PASSWORD).viewer is not None  # the attacker's own account
    assert log_in("other@example.com", WRONG).message == INCORRECT
    assert log_in("other2@example.com", WRONG).message.startswith(
        "Too many failed log-ins from your network."
    )


def test_global_failure_rate_slows_everyone(ada, limits):
    limits(per_email=50, per_client=50, global_=6)
    for i in range(6):
        assert log_in(f"x{i}@example.com", WRONG, client=f"192.0.2.{i}").message == INCORRECT
    message = log_in("ada@example.com", PASSWORD, client="192.0.2.200").message
    assert message.startswith("Too many failed log-ins on this server right now.")
    assert RETRY.search(message)
