"""What Instagram and Facebook Pages share: Meta's Graph API (Facebook Login, the error
envelope, usage headers, multi-id reads and cursor paging).

Meta has no refresh tokens. A short-lived user token from the code exchange is swapped at
once for a long-lived one (`fb_exchange_token`, ~60 days); Page tokens obtained with a
long-lived user token never expire.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from socialhub.config import DEFAULT_GRAPH_VERSION, get_settings
from socialhub.providers.base import (
    AuthExpired,
    AuthRevoked,
    Credentials,
    InvalidRequest,
    NotFound,
    PermissionMissing,
    PostPage,
    Provider,
    ProviderError,
    QuotaReading,
    RateLimited,
    RemotePost,
    TokenSet,
    TransientError,
    expires_in,
    utcnow,
)

GRAPH_VERSION = DEFAULT_GRAPH_VERSION  # the default; a provider takes its own from settings
GRAPH_HOST = "graph.facebook.com"
GRAPH_VIDEO_HOST = "graph-video.facebook.com"

# Error codes (developers.facebook.com/docs/graph-api/guides/error-handling; IG error-codes page).
AUTH_EXPIRED_SUBCODES = {463}
RATE_LIMIT_CODES = {4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80008}
TRANSIENT_CODES = {1, 2, -1, -2}
NOT_TRANSIENT_SUBCODES = {2207020}  # container expired: retrying the same container cannot help
MEDIA_NOT_READY = 9007
PUBLISH_QUOTA = (9, 2207042)


def parse_meta_time(value: str | None) -> datetime | None:
    """Graph timestamps look like 2019-04-05T07:56:32+0000."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None


def batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _header_json(resp: httpx.Response, name: str) -> Any:
    raw = resp.headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class MetaGraphProvider(Provider):
    """Base of InstagramProvider and FacebookProvider (Facebook Login + Graph API)."""

    MEDIA_FROM_FILE = False  # Instagram and Facebook pull media from its URL

    GRAPH_VERSION: ClassVar[str] = GRAPH_VERSION
    AUTHORIZE_HOST = "www.facebook.com"
    AUTHORIZE_PATH = f"/{GRAPH_VERSION}/dialog/oauth"
    TOKEN_HOST = GRAPH_HOST
    TOKEN_PATH = f"/{GRAPH_VERSION}/oauth/access_token"
    SCOPE_SEPARATOR = ","
    MAX_IDS_PER_CALL = 50
    # Long-lived tokens last ~60 days; renew them well before (refresh job margin).
    REFRESH_MARGIN = timedelta(days=7)
    # Long-lived tokens are renewed by exchanging them (fb_exchange_token), not by a refresh token.
    RENEWS_WITHOUT_REFRESH_TOKEN = True
    PAGE_SIZE: ClassVar[int] = 100

    @classmethod
    def options(cls, settings: Any) -> dict[str, Any]:
        return {"graph_version": settings.graph_version}

    def __init__(self, *, graph_version: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        version = graph_version or get_settings().graph_version
        # Instance values shadow the class defaults, so every path below uses this version.
        self.GRAPH_VERSION = version  # type: ignore[misc]
        self.AUTHORIZE_PATH = f"/{version}/dialog/oauth"  # type: ignore[misc]
        self.TOKEN_PATH = f"/{version}/oauth/access_token"  # type: ignore[misc]

    # --- addressing and sending ------------------------------------------------------------
    def graph_url(self, path: str, host: str = GRAPH_HOST) -> str:
        return self.url(host, f"/{self.GRAPH_VERSION}{path}")

    def graph(
        self,
        method: str,
        path: str,
        token: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: Any = None,
        host: str = GRAPH_HOST,
        creds: Credentials | None = None,
    ) -> Any:
        """One Graph call with the token in the Authorization header (kept out of URLs and logs)."""
        return self.get_json(
            method,
            self.graph_url(path, host),
            creds=creds,
            params=params,
            data=data,
            files=files,
            headers={"Authorization": f"Bearer {token}"},
        )

    # --- OAuth (Facebook Login) -----------------------------------------------------------------
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        """Code -> short-lived user token -> long-lived user token (the one to keep)."""
        code = code.split("#", 1)[0]  # Meta appends "#_" to the redirect
        short = self.get_json(
            "GET",
            self.url(self.TOKEN_HOST, self.TOKEN_PATH),
            params={
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        if not short.get("access_token"):
            raise TransientError(f"{self.label} sent no access token.", platform=self.platform)
        return self.long_lived(short["access_token"])

    def long_lived(self, token: str) -> TokenSet:
        """Swap a still-valid user token for a long-lived one (fb_exchange_token)."""
        body = self.get_json(
            "GET",
            self.url(self.TOKEN_HOST, self.TOKEN_PATH),
            params={
                "grant_type": "fb_exchange_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "fb_exchange_token": token,
            },
        )
        if not body.get("access_token"):
            raise TransientError(f"{self.label} sent no long-lived token.", platform=self.platform)
        return TokenSet(access_token=body["access_token"], expires_at=expires_in(body.get("expires_in")))

    def granted_scopes(self, token: str) -> list[str]:
        body = self.graph("GET", "/me/permissions", token)
        return [p["permission"] for p in body.get("data", []) if p.get("status") == "granted"]

    def list_pages(self, user_token: str, fields: str) -> list[dict[str, Any]]:
        """Every Page the person shared with the app (/me/accounts, all cursor pages)."""
        pages: list[dict[str, Any]] = []
        params: dict[str, Any] = {"fields": fields, "limit": self.PAGE_SIZE}
        for _ in range(50):  # a person manages at most a few thousand Pages
            body = self.graph("GET", "/me/accounts", user_token, params=params)
            pages.extend(body.get("data", []))
            after = body.get("paging", {}).get("cursors", {}).get("after")
            if not body.get("paging", {}).get("next") or not after:
                break
            params = {**params, "after": after}
        return pages

    def revoke(self, creds: Credentials) -> bool:
        """DELETE /me/permissions: the person removes the app (every token of it stops working)."""
        body = self.graph("DELETE", "/me/permissions", creds.access_token, creds=creds)
        return bool(body.get("success", True))

    # --- reading helpers ---------------------------------------------------------------------
    def list_edge(
        self,
        creds: Credentials,
        path: str,
        fields: str,
        cursor: str | None,
        limit: int,
        to_post: Callable[[dict[str, Any]], RemotePost],
    ) -> PostPage:
        """One page of a Graph edge (/<id>/media, /<page>/posts ...) with cursor paging."""
        params: dict[str, Any] = {"fields": fields, "limit": limit}
        if cursor:
            params["after"] = cursor
        body = self.graph("GET", path, creds.access_token, creds=creds, params=params)
        paging = body.get("paging", {})
        after = paging.get("cursors", {}).get("after") if paging.get("next") else None
        return PostPage(posts=[to_post(item) for item in body.get("data", [])], next_cursor=after)

    def get_many(self, creds: Credentials, ids: list[str], fields: str) -> dict[str, dict[str, Any]]:
        """Multi-id read (GET /?ids=...&fields=...), MAX_IDS_PER_CALL ids per call."""
        out: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(str(i) for i in ids))
        for chunk in batches(unique, self.MAX_IDS_PER_CALL):
            while chunk:
                try:
                    body = self.graph(
                        "GET",
                        "/",
                        creds.access_token,
                        creds=creds,
                        params={"ids": ",".join(chunk), "fields": fields},
                    )
                except NotFound as exc:
                    # One deleted id fails the whole multi-id read (#803) and the message names
                    # them: read the rest again; the missing ones stay absent from the answer.
                    gone = _missing_aliases(exc)
                    if not gone or not gone & set(chunk):
                        raise
                    chunk = [i for i in chunk if i not in gone]
                    continue
                out.update({k: v for k, v in body.items() if isinstance(v, dict)})
                break
        return out

    @staticmethod
    def insight_values(obj: dict[str, Any]) -> dict[str, Any]:
        """{"insights":{"data":[{"name","values":[{"value"}]}]}} -> {name: value}."""
        out: dict[str, Any] = {}
        for item in obj.get("insights", {}).get("data", []):
            values = item.get("values") or []
            if values:
                out[item["name"]] = values[-1].get("value")
            elif "total_value" in item:
                out[item["name"]] = item["total_value"].get("value")
        return out

    # --- errors and quotas ---------------------------------------------------------------------
    def classify_error(self, resp: httpx.Response) -> ProviderError:
        try:
            err = resp.json().get("error")
        except (ValueError, AttributeError):
            err = None
        if not isinstance(err, dict):
            return super().classify_error(resp)
        code = _int(err.get("code"))
        sub = _int(err.get("error_subcode"))
        status = resp.status_code
        said = err.get("error_user_msg") or err.get("message") or "unknown error"
        kw: dict[str, Any] = {"platform": self.platform, "status": status, "code": code, "raw": err}
        if code == 190 or code == 102:
            if sub in AUTH_EXPIRED_SUBCODES or code == 102:
                return AuthExpired(
                    f"Your {self.label} login has expired. Please reconnect the account.", **kw
                )
            return AuthRevoked(
                f"{self.label} no longer accepts SocialHub's access ({err.get('message')}). "
                "Please reconnect the account.",
                **kw,
            )
        if code == 10 or (code is not None and 200 <= code <= 299):
            return PermissionMissing(
                f"{self.label} did not give SocialHub permission for this: {said}. "
                "Reconnect and allow every permission asked for.",
                **kw,
            )
        if (code, sub) == PUBLISH_QUOTA:
            # A cap on publishing only: metric reads of the account go on (no rate gate).
            return RateLimited(
                f"{self.label} publishing limit reached: {said}",
                retry_at=utcnow() + timedelta(hours=1),
                closes_gate=False,
                **kw,
            )
        if code in RATE_LIMIT_CODES and sub != 2207051:
            return RateLimited(
                f"{self.label} rate limit reached ({err.get('message')}); SocialHub will retry later.",
                retry_at=self.retry_at(resp),
                **kw,
            )
        if code == MEDIA_NOT_READY:
            return TransientError(f"{self.label} is still processing the media: {said}", **kw)
        if sub not in NOT_TRANSIENT_SUBCODES and (
            code in TRANSIENT_CODES or status >= 500 or err.get("is_transient") is True
        ):
            return TransientError(f"{self.label} had a temporary problem: {said}", **kw)
        if code == 803 or (code == 100 and sub == 33):
            return NotFound(
                f"{self.label} could not find that item (it may have been deleted): {err.get('message')}",
                **kw,
            )
        return InvalidRequest(f"{self.label} refused the request: {said}", **kw)

    def retry_at(self, resp: httpx.Response) -> datetime | None:
        """When access comes back: the largest estimated_time_to_regain_access (minutes)."""
        minutes = 0
        buc = _header_json(resp, "X-Business-Use-Case-Usage") or {}
        for entries in buc.values() if isinstance(buc, dict) else []:
            for entry in entries if isinstance(entries, list) else []:
                minutes = max(minutes, _int(entry.get("estimated_time_to_regain_access")) or 0)
        app = _header_json(resp, "X-App-Usage") or {}
        if isinstance(app, dict):
            minutes = max(minutes, _int(app.get("estimated_time_to_regain_access")) or 0)
        return utcnow() + timedelta(minutes=minutes) if minutes else None

    def quota_readings(self, resp: httpx.Response, creds: Credentials | None) -> Iterable[QuotaReading]:
        readings = []
        app = _header_json(resp, "X-App-Usage")
        if isinstance(app, dict):
            readings.append(
                QuotaReading(bucket="app", account_key=self.client_id, percent=_peak(app), raw=app)
            )
        buc = _header_json(resp, "X-Business-Use-Case-Usage")
        if isinstance(buc, dict):
            for obj_id, entries in buc.items():
                for entry in entries if isinstance(entries, list) else []:
                    wait = _int(entry.get("estimated_time_to_regain_access")) or 0
                    readings.append(
                        QuotaReading(
                            bucket=f"buc:{entry.get('type', 'unknown')}",
                            account_key=str(obj_id),
                            percent=_peak(entry),
                            blocked_until=utcnow() + timedelta(minutes=wait) if wait else None,
                            raw=entry,
                        )
                    )
        return readings


def _missing_aliases(exc: NotFound) -> set[str]:
    """The ids a `(#803) Some of the aliases you requested do not exist: a,b` error names."""
    said = str((exc.raw or {}).get("message", "")) if isinstance(exc.raw, dict) else ""
    marker = "do not exist:"
    if exc.code != 803 or marker not in said:
        return set()
    return {part.strip() for part in said.split(marker, 1)[1].split(",") if part.strip()}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _peak(usage: dict[str, Any]) -> float:
    return float(max(_int(usage.get(k)) or 0 for k in ("call_count", "total_cputime", "total_time")))
