"""Sandbox contract tests: the redirect URIs some of them use, registered the way a developer
registers a callback in a platform's console (the built-in apps accept only registered ones)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

EXTRA_REDIRECTS = {
    "instagram": ["https://app.example/callback/meta", "https://app.example/ig"],
    "facebook": ["https://app.example/callback/meta"],
    "youtube": ["https://app.example.com/oauth/youtube"],
    "tiktok": ["https://app.example.com/oauth/tiktok"],
}


def register_redirects(handle) -> None:
    for platform, uris in EXTRA_REDIRECTS.items():
        resp = handle.control.post("/redirect_uris", json={"platform": platform, "redirect_uris": uris})
        resp.raise_for_status()


@pytest.fixture(autouse=True)
def _registered_redirects(request) -> Iterator[None]:
    for name in ("sandbox", "fresh_sandbox"):
        if name in request.fixturenames:
            register_redirects(request.getfixturevalue(name))
    yield
