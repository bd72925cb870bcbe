"""A generated bad-input table for sign-up and log-in (hypothesis): every case gets a clear
message or is stored safely, and no answer is the "something went wrong" of an unexpected
exception (which would mean a traceback in the log and an unhelpful answer).

Cases go through the events' own functions (`sign_up_outcome`, `log_in_outcome`), each in
sessions of its own like the UI. The counts are printed at the end of the module (-s)."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest
from email_validator import validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import select

from socialhub.db import session_scope
from socialhub.models import LoginAttempt, User, UserSession
from socialhub.services.users import MAX_DISPLAY_NAME_LENGTH, MAX_EMAIL_LENGTH
from socialhub.state.auth import _UNEXPECTED, log_in_outcome, sign_up_outcome

TALLY: Counter = Counter()
NASTY = [
    "\x00",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200e",
    "\ufeff",
    "\n",
    "\r",
    "\t",
    "\x1b",
    "\x7f",
    "\u0085",
    "<script>",
    "</script>",
    "'",
    '"',
    "\\",
    "%00",
    "../",
    "\ud800",
    "@",
    "@@",
    " ",
    ".",
    "..",
    "\u0301",
    "\U0001f600",
    "İ",
    "ß",
    "\u3000",
]

nasty = st.sampled_from(NASTY)
text_with_nasties = st.lists(st.one_of(st.text(max_size=12), nasty), max_size=8).map("".join)
big = st.builds(
    lambda ch, n: ch * n, st.sampled_from(["x", "é", "\x00", "\u202e", "ab@"]), st.integers(121, 200_000)
)
emails = st.one_of(
    st.emails(),
    st.builds(lambda e, n, i: e[:i] + n + e[i:], st.emails(), nasty, st.integers(0, 40)),
    text_with_nasties,
    big,
    st.builds(lambda local, domain: f"{local}@{domain}", text_with_nasties, text_with_nasties),
)
names = st.one_of(st.text(max_size=140), text_with_nasties, big)
passwords = st.one_of(st.text(min_size=10, max_size=40), text_with_nasties, big)
values = st.one_of(
    st.none(),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)
# Mostly-valid forms with one odd field, so that acceptance is exercised too.
plausible = st.fixed_dictionaries(
    {
        "email": st.one_of(st.emails(), emails),
        "password": st.one_of(st.text(min_size=10, max_size=30), passwords),
        "display_name": st.one_of(st.text(st.characters(codec="utf-8"), min_size=1, max_size=60), names),
    }
)
forms = st.one_of(
    plausible,
    st.fixed_dictionaries({"email": emails, "password": passwords, "display_name": names}),
    st.fixed_dictionaries(
        {
            "email": st.one_of(emails, values),
            "password": st.one_of(passwords, values),
            "display_name": st.one_of(names, values),
        }
    ),
    values,
)

_UNSAFE_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}


def _clean_database() -> None:
    with session_scope() as s:
        for table in (UserSession, LoginAttempt, User):
            s.exec(delete(table))


def _assert_stored_safely(form: dict) -> None:
    with session_scope() as s:
        user = s.exec(select(User)).one()
    assert len(user.email) <= MAX_EMAIL_LENGTH
    assert user.email == validate_email(user.email, check_deliverability=False).normalized.lower()
    assert 0 < len(user.display_name) <= MAX_DISPLAY_NAME_LENGTH
    assert not any(unicodedata.category(c) in _UNSAFE_CATEGORIES for c in user.display_name)
    assert not any(
        c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b" for c in user.display_name
    )


EXAMPLES = settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@EXAMPLES
@given(form=forms)
def test_sign_up_bad_input_table(db, form):
    _clean_database()
    outcome = sign_up_outcome(form)
    TALLY["sign-up tried"] += 1
    assert outcome.message != _UNEXPECTED
    assert "Traceback" not in outcome.message and "Error" not in outcome.message
    if outcome.viewer is None:
        assert outcome.message.strip(), f"no message for {form!r}"
        with session_scope() as s:
            assert s.exec(select(User)).all() == []
        TALLY["sign-up refused with a message"] += 1
    else:
        _assert_stored_safely(form)
        TALLY["sign-up stored safely"] += 1


@EXAMPLES
@given(form=forms, client=st.one_of(st.just(""), st.ip_addresses().map(str), text_with_nasties))
def test_log_in_bad_input_table(db, form, client):
    _clean_database()
    outcome = log_in_outcome(form, client)
    TALLY["log-in tried"] += 1
    assert outcome.viewer is None  # no account exists
    assert outcome.message and outcome.message != _UNEXPECTED
    assert "Traceback" not in outcome.message
    TALLY["log-in answered with a message"] += 1


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    print("\nbad-input table:", dict(TALLY))
