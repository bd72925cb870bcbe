"""`next=` after log-in: only same-origin paths (issue 12: "/\\t/evil.example" got through,
since browsers drop tabs and newlines from URLs and it became "//evil.example")."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialhub.state.auth import HOME_ROUTE, _safe_next

APP = "http://127.0.0.1:3000/login"


def _browser_resolve(target: str) -> str:
    """Roughly what a browser makes of a relative URL: the WHATWG parser strips ASCII tab
    and newline anywhere, leading/trailing C0 controls and spaces, and reads "\\" as "/"."""
    cleaned = (
        target.strip("".join(map(chr, range(0x21)))).replace("\t", "").replace("\n", "").replace("\r", "")
    )
    return urljoin(APP, cleaned.replace("\\", "/"))


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "\t//evil.example",
        " //evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "/\\/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "\x00//evil.example",
        "/\x00/evil.example",
        "evil.example",
        "http:/evil.example",
        "/login?next=//evil.example",
        "//[",  # urlsplit raises on it: found by the property test below
        "/signup",
        "/",
        "",
        None,
        ["/connections"],
    ],
)
def test_foreign_or_odd_targets_go_to_the_dashboard(target):
    result = _safe_next(target)
    assert result == HOME_ROUTE or urlsplit(_browser_resolve(result)).netloc == "127.0.0.1:3000"
    assert result == HOME_ROUTE


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/connections", "/connections"),
        ("/dashboard?range=30d", "/dashboard?range=30d"),
        ("/library/12#media", "/library/12#media"),
        ("/conn\tections", "/connections"),  # control characters are stripped, not obeyed
    ],
)
def test_same_origin_paths_are_kept(target, expected):
    assert _safe_next(target) == expected


@settings(max_examples=500, deadline=None, database=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["/", "\\", "\t", "\n", "\r", " ", "\x00", ":", "//", "evil.example", "@", "%2f", "?", "#"]
            ),
            st.text(max_size=4),
        ),
        max_size=8,
    ).map("".join)
)
def test_whatever_the_target_a_browser_stays_on_the_app(target):
    result = _safe_next(target)
    assert result.startswith("/")
    assert not any(ord(c) < 0x21 or 0x7F <= ord(c) <= 0x9F or c == "\\" for c in result)
    assert urlsplit(_browser_resolve(result)).netloc == "127.0.0.1:3000"
