"""Sign-up input the report found accepted or unanswered (issue 12), through the sign-up
event's own `sign_up_outcome`: every rejection is a message, and nothing is written."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from socialhub.db import session_scope
from socialhub.models import User
from socialhub.state.auth import _UNEXPECTED, sign_up_outcome

PASSWORD = "correct horse battery"


def sign_up(email="ada@example.com", password=PASSWORD, display_name="Ada Lovelace"):
    return sign_up_outcome({"email": email, "password": password, "display_name": display_name})


def user_count() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(User)).one()


@pytest.mark.parametrize(
    "email",
    [
        "ada\x00@example.com",
        "ada@exa\x00mple.com",
        "ada\u202e@example.com",  # RIGHT-TO-LEFT OVERRIDE
        "\u2066ada@example.com",  # LEFT-TO-RIGHT ISOLATE
        "<script>alert(1)</script>@example.com",
        "ada@example.com<script>",
        '"<script>"@example.com',
        "ada@[127.0.0.1]",
        "ada@localhost",
        "ada\n@example.com",
        "a" * 65 + "@example.com",  # local part over 64 octets
        "ada@" + "a" * 300 + ".com",
        "x" * 1_000_000,
    ],
)
def test_bad_email_is_refused_with_a_message(db, email):
    outcome = sign_up(email=email)
    assert outcome.viewer is None
    assert outcome.message.startswith(("Enter a valid email address", "Keep the email address"))
    assert user_count() == 0


@pytest.mark.parametrize(
    ("display_name", "message"),
    [
        ("x" * 1_000_000, "Keep the display name to at most 120 characters."),
        ("x" * 121, "Keep the display name to at most 120 characters."),
        ("Ada\x00Lovelace", "control or invisible characters"),
        ("Ada \u202eecalevol", "control or invisible characters"),
        ("Ada\u200b", "control or invisible characters"),
        ("\x1b[31mAda", "control or invisible characters"),
        ("Ada\ud800", "cannot be stored"),
        ("   ", "Enter a display name."),
    ],
)
def test_bad_display_name_is_refused_with_a_message(db, display_name, message):
    outcome = sign_up(display_name=display_name)
    assert outcome.viewer is None
    assert message in outcome.message
    assert user_count() == 0


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("x" * 1_000_000, "at most 1024 characters"),
        ("short", "at least 10 characters"),
        ("ten chars \x00 with nul", "NUL"),
        ("lone surrogate \udc80 here", "cannot be stored"),
    ],
)
def test_bad_password_is_refused_with_a_message(db, password, message):
    outcome = sign_up(password=password)
    assert outcome.viewer is None and message in outcome.message
    assert user_count() == 0


@pytest.mark.parametrize("form", [None, [], "email=a", {"email": ["a@example.com"]}, {"email": {"$ne": 1}}])
def test_malformed_form_payloads_get_a_message(db, form):
    outcome = sign_up_outcome(form)
    assert outcome.viewer is None and outcome.message and outcome.message != _UNEXPECTED
    assert user_count() == 0


def test_email_is_normalised_once(db):
    outcome = sign_up(email="  Ada@EXAMPLE.com ", display_name="  Ada   Lovelace ")
    assert outcome.viewer is not None
    with session_scope() as s:
        user = s.exec(select(User)).one()
    assert user.email == "ada@example.com"
    assert user.display_name == "Ada Lovelace"
    again = sign_up(email="ADA@example.COM")
    assert again.viewer is None and "already exists" in again.message


def test_internationalised_address_is_accepted_and_normalised(db):
    outcome = sign_up(email="zoë@Bücher.example")
    assert outcome.viewer is not None, outcome.message
    with session_scope() as s:
        assert s.exec(select(User.email)).one() == "zoë@bücher.example"
