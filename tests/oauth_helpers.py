"""Clicking through a sandbox consent page the way a browser would (for provider tests)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')
_ACCOUNT = re.compile(r'<input type="radio" name="account_id" value="([^"]*)"')
_ACTION = re.compile(r'<form method="post" action="([^"]*)">')


def consent(
    authorize_url: str, *, account_id: str | None = None, decision: str = "approve"
) -> dict[str, str]:
    """Open the authorize URL, pick an account, approve or deny.

    Returns the query parameters of the redirect back to the app (code and state, or the
    platform's error parameters). Raises AssertionError when the page shows an error.
    """
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        page = client.get(authorize_url)
        assert page.status_code == 200, f"authorize page failed: {page.status_code} {page.text[:300]}"
        html = page.text
        form = {unescape(k): unescape(v) for k, v in _HIDDEN.findall(html)}
        accounts = [unescape(a) for a in _ACCOUNT.findall(html)]
        assert accounts, "consent page lists no account"
        form["account_id"] = account_id or accounts[0]
        form["decision"] = decision
        action = unescape(_ACTION.search(html).group(1))
        target = httpx.URL(authorize_url).join(action)
        resp = client.post(target, data=form)
        assert resp.status_code in (302, 303), (
            f"consent did not redirect: {resp.status_code} {resp.text[:300]}"
        )
        location = resp.headers["location"]
        parts = urlsplit(location)
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        params["_redirect"] = f"{parts.scheme}://{parts.netloc}{parts.path}"
        params["_fragment"] = parts.fragment
        return params


def consent_accounts(authorize_url: str) -> list[str]:
    """The account ids a consent page offers."""
    page = httpx.get(authorize_url, timeout=30)
    return [unescape(a) for a in _ACCOUNT.findall(page.text)]
