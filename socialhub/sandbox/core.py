"""The sandbox's shared machinery: clock, apps, accounts, OAuth codes and tokens, posts
with growing metrics, fault injection, rate-limit windows and counters.

Platform modules (socialhub/sandbox/platforms/) build their wire contract on top of this;
nothing here knows any platform's field names.
"""

from __future__ import annotations

import hashlib
import math
import random
import secrets
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from socialhub.config import sandbox_app_credentials
from socialhub.sandbox.store import Doc, Store

PLATFORMS = ("instagram", "facebook", "tiktok", "youtube", "linkedin", "x")

# Defaults where the platforms' own documents disagree (shared/platforms/CONTRACTS.md).
# Each is a setting: tests and people change them through POST /_sandbox/config.
DEFAULT_CONFIG: dict[str, Any] = {
    "instagram.publish_quota_total": 100,
    "instagram.container_limit_24h": 400,
    "instagram.carousel_max_children": 10,
    "instagram.calls_per_hour": 200,
    "instagram.container_processing_seconds": 5,
    "meta.short_token_seconds": 3600,
    "meta.long_token_seconds": 5183944,
    "facebook.schedule_min_seconds": 600,
    "facebook.schedule_max_seconds": 30 * 86400,
    "facebook.calls_per_hour": 200,
    "tiktok.access_token_seconds": 7200,
    "tiktok.refresh_token_seconds": 15552000,
    "tiktok.refresh_rotates": True,
    "tiktok.display_per_minute": 600,
    "tiktok.processing_seconds": 10,
    "youtube.access_token_seconds": 3599,
    "youtube.quota_units_per_day": 10000,
    "youtube.insert_calls_per_day": 100,
    "youtube.legacy_insert_cost": 0,  # 0: own bucket (current); 1600: legacy model
    "youtube.search_calls_per_day": 100,
    "youtube.legacy_search_cost": 0,  # 0: own bucket (current); 100: legacy model
    "youtube.channel_uploads_per_day": 50,  # per channel; the number is unpublished
    "tiktok.direct_posts_per_day": 15,  # per creator; the number is unpublished
    "x.monthly_post_reads": 3_000_000,  # per app (pay-per-use cap)
    "meta.user_calls_per_hour": 0,  # 0: off; else Graph code 17 past it (per user token)
    "linkedin.access_token_seconds": 5183999,
    "linkedin.issue_refresh_tokens": False,
    "linkedin.refresh_token_seconds": 31536000,
    "linkedin.daily_calls_per_member": 5000,
    "linkedin.video_processing_seconds": 2,
    "x.access_token_seconds": 7200,
    "x.tweets_per_15min_user": 100,
    "x.tweets_per_24h_app": 10000,
    "x.public_impressions": True,
    "x.media_processing_seconds": 3,
    "oauth.code_seconds": 600,
}


def utcnow_real() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def default_app(platform: str) -> dict[str, Any]:
    """The app every fresh install talks to in sandbox mode (no real keys needed)."""
    client_id, client_secret = sandbox_app_credentials(platform)
    return {
        "platform": platform,
        "client_id": client_id,
        "client_secret": client_secret,
        # Exact-match registrations; the built-in app also accepts the app's own callback
        # (Sandbox.app_urls) and loopback callbacks, see Sandbox.redirect_allowed.
        "redirect_uris": [],
        "audited": False,
        "name": "SocialHub (sandbox)",
    }


class OAuthError(Exception):
    """An OAuth failure; platform modules render `kind` in their own wire format."""

    def __init__(self, kind: str, description: str) -> None:
        super().__init__(description)
        self.kind = kind  # invalid_client | invalid_grant | invalid_request | invalid_scope ...
        self.description = description


class TokenError(Exception):
    """A bearer token is unusable; `kind` is invalid | expired | revoked | scope."""

    def __init__(self, kind: str, description: str, missing_scopes: list[str] | None = None) -> None:
        super().__init__(description)
        self.kind = kind
        self.description = description
        self.missing_scopes = missing_scopes or []


@dataclass
class Fault:
    kind: str  # latency | error | down | lost (the request is served, the answer is dropped)
    error: str | None = (
        None  # rate_limited, server_error, expired_token, revoked_token, malformed, permission_denied
    )
    latency_ms: int = 0
    remaining: int | None = None  # None: until cleared
    rate: float | None = None  # probability per call; None: every call
    endpoint: str | None = None  # substring of the path after the host prefix
    id: str = ""


class Sandbox:
    """All sandbox state. One instance per server process."""

    def __init__(self, store: Store, seed: int = 42, app_urls: list[str] | None = None) -> None:
        self.store = store
        self.seed = seed
        # Base URLs of the SocialHub app whose callbacks the built-in apps have registered.
        self.app_urls = [u.rstrip("/") for u in (app_urls or [])]
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        meta = self.store.get("meta", "sandbox") or {}
        self._offset = float(meta.get("clock_offset", 0.0))
        self._seeded = bool(meta.get("seeded"))
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.down: set[str] = set(meta.get("down", []))

    # --- clock -------------------------------------------------------------------------
    def now(self) -> datetime:
        return utcnow_real() + timedelta(seconds=self._offset)

    def now_ts(self) -> float:
        return self.now().timestamp()

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += float(seconds)
            self._save_meta()
        return self.now()

    def _save_meta(self) -> None:
        meta = self.store.get("meta", "sandbox") or {}
        meta.update(clock_offset=self._offset, seeded=self._seeded, down=sorted(self.down))
        self.store.put("meta", "sandbox", meta)

    # --- config ------------------------------------------------------------------------
    def config(self, key: str) -> Any:
        overrides = self.store.get("meta", "config") or {}
        return overrides.get(key, DEFAULT_CONFIG[key])

    def set_config(self, changes: dict[str, Any]) -> dict[str, Any]:
        unknown = [k for k in changes if k not in DEFAULT_CONFIG]
        if unknown:
            raise KeyError(", ".join(unknown))
        overrides = self.store.get("meta", "config") or {}
        overrides.update(changes)
        self.store.put("meta", "config", overrides)
        return {**DEFAULT_CONFIG, **overrides}

    def all_config(self) -> dict[str, Any]:
        return {**DEFAULT_CONFIG, **(self.store.get("meta", "config") or {})}

    # --- deterministic randomness --------------------------------------------------------
    def rand(self, *parts: Any) -> random.Random:
        """A generator fixed by the sandbox seed and the given parts (same input, same draw)."""
        digest = hashlib.sha256(("|".join(map(str, (self.seed, *parts)))).encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def new_id(self, kind: str, digits: int = 17, prefix: str = "") -> str:
        """A fresh numeric id (platform style), unique within `kind`."""
        with self._lock:
            counter = self.store.get("counters", f"id:{kind}") or {"n": 0}
            counter["n"] += 1
            self.store.put("counters", f"id:{kind}", counter)
        base = self.rand("id", kind, counter["n"]).randrange(10 ** (digits - 1), 10**digits)
        return f"{prefix}{base}"

    def random_token(self, prefix: str = "", nbytes: int = 32) -> str:
        return prefix + secrets.token_urlsafe(nbytes)

    # --- apps --------------------------------------------------------------------------
    def app(self, platform: str, client_id: str) -> Doc | None:
        app = self.store.get("apps", f"{platform}:{client_id}")
        if app is None and client_id == default_app(platform)["client_id"]:
            app = default_app(platform)
            self.store.put("apps", f"{platform}:{client_id}", app)
        return app

    def register_app(self, platform: str, **fields: Any) -> Doc:
        app = {**default_app(platform), **fields, "platform": platform}
        self.store.put("apps", f"{platform}:{app['client_id']}", app)
        return app

    def check_client(self, platform: str, client_id: str | None, client_secret: str | None) -> Doc:
        app = self.app(platform, client_id or "")
        if (
            app is None
            or client_secret is None
            or not secrets.compare_digest(str(app["client_secret"]), str(client_secret))
        ):
            raise OAuthError("invalid_client", "Client authentication failed.")
        return app

    def redirect_uris(self, platform: str, client_id: str) -> list[str]:
        """The redirect URIs registered for an app (the built-in one: the app's callback too)."""
        app = self.app(platform, client_id) or {}
        uris = list(app.get("redirect_uris") or [])
        if client_id == default_app(platform)["client_id"]:
            uris += [f"{base}/oauth/{platform}/callback" for base in self.app_urls]
        return list(dict.fromkeys(uris))

    def add_redirect_uris(self, platform: str, client_id: str, uris: list[str]) -> list[str]:
        with self._lock:
            app = self.app(platform, client_id)
            if app is None:
                raise KeyError(client_id)
            app["redirect_uris"] = list(dict.fromkeys([*(app.get("redirect_uris") or []), *uris]))
            self.store.put("apps", f"{platform}:{client_id}", app)
        return self.redirect_uris(platform, client_id)

    def redirect_allowed(self, app: Doc, redirect_uri: str) -> bool:
        """Like the platforms: only an exactly registered redirect URI is accepted.

        The built-in app (a fresh install's, no console to register in) also accepts
        `http://127.0.0.1|localhost:<any port>/oauth/<platform>/callback`, the way Google
        and Meta's development mode accept loopback redirects (RFC 8252 7.3).
        """
        if not redirect_uri or not redirect_uri.startswith(("http://", "https://")):
            return False
        platform = str(app.get("platform", ""))
        if redirect_uri in self.redirect_uris(platform, str(app.get("client_id", ""))):
            return True
        if app.get("client_id") != default_app(platform)["client_id"]:
            return False
        parts = urlsplit(redirect_uri)
        return (
            parts.scheme == "http"
            and parts.hostname in {"127.0.0.1", "localhost", "::1"}
            and parts.path == f"/oauth/{platform}/callback"
            and not parts.query
            and not parts.fragment
            and not parts.username
        )

    # --- accounts ----------------------------------------------------------------------
    def add_account(self, platform: str, account_id: str, **fields: Any) -> Doc:
        doc = {"platform": platform, "id": account_id, **fields}
        self.store.put("accounts", f"{platform}:{account_id}", doc)
        return doc

    def account(self, platform: str, account_id: str) -> Doc | None:
        return self.store.get("accounts", f"{platform}:{account_id}")

    def accounts(self, platform: str) -> list[Doc]:
        return sorted(self.store.find("accounts", platform=platform), key=lambda d: d.get("order", 0))

    def update_account(self, platform: str, account_id: str, **changes: Any) -> Doc | None:
        return self.store.update("accounts", f"{platform}:{account_id}", **changes)

    def followers(self, account: Doc) -> int:
        """Followers drift with sandbox time: a steady trend plus a slow wave, never below 0."""
        base = int(account.get("followers_base", 1000))
        growth = float(account.get("followers_per_day", 5.0))
        start = parse_iso(account.get("created_at", "2026-01-01T00:00:00Z"))
        days = max(0.0, (self.now() - start).total_seconds() / 86400)
        rng = self.rand("followers", account["platform"], account["id"])
        phase = rng.random() * math.tau
        wave = math.sin(days / 9.0 + phase) * max(3.0, base * 0.002)
        return max(0, int(base + growth * days + wave))

    # --- OAuth codes -------------------------------------------------------------------
    def issue_code(
        self,
        platform: str,
        *,
        client_id: str,
        redirect_uri: str,
        account_id: str,
        scopes: list[str],
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        code = self.random_token(nbytes=24)
        self.store.put(
            "codes",
            code,
            {
                "platform": platform,
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "account_id": account_id,
                "scopes": scopes,
                "code_challenge": code_challenge,
                "code_challenge_method": code_challenge_method,
                "expires_at": self.now_ts() + float(self.config("oauth.code_seconds")),
                "used": False,
                "extra": extra or {},
            },
        )
        return code

    def consume_code(
        self,
        platform: str,
        code: str | None,
        *,
        client_id: str,
        redirect_uri: str | None,
        code_verifier: str | None = None,
        pkce_required: bool = False,
    ) -> Doc:
        """Check and burn an authorization code (single use, exact redirect_uri, PKCE)."""
        with self._lock:
            doc = self.store.get("codes", code or "")
            if doc is None or doc["platform"] != platform:
                raise OAuthError("invalid_grant", "Authorization code is invalid.")
            if doc["used"]:
                # RFC 6749 10.5: a replayed code also revokes what it produced.
                for tok in self.store.find("tokens", code=code):
                    self.store.update("tokens", tok["value"], revoked=True)
                raise OAuthError("invalid_grant", "Authorization code has already been used.")
            if doc["expires_at"] < self.now_ts():
                raise OAuthError("invalid_grant", "Authorization code has expired.")
            if doc["client_id"] != client_id:
                raise OAuthError("invalid_grant", "Authorization code was issued to another client.")
            if (redirect_uri or "") != doc["redirect_uri"]:
                raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request.")
            challenge = doc.get("code_challenge")
            if challenge or pkce_required:
                if not challenge:
                    raise OAuthError("invalid_request", "code_challenge is required.")
                if not code_verifier:
                    raise OAuthError("invalid_request", "code_verifier is required.")
                if not pkce_matches(challenge, doc.get("code_challenge_method") or "plain", code_verifier):
                    raise OAuthError("invalid_grant", "code_verifier does not match code_challenge.")
            doc["used"] = True
            self.store.put("codes", code, doc)
            return doc

    # --- tokens ------------------------------------------------------------------------
    def issue_token(
        self,
        platform: str,
        *,
        client_id: str,
        account_id: str,
        scopes: list[str],
        kind: str = "access",
        lifetime: float | None,
        prefix: str = "",
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Doc:
        value = self.random_token(prefix=prefix)
        doc = {
            "value": value,
            "platform": platform,
            "client_id": client_id,
            "account_id": account_id,
            "scopes": list(scopes),
            "kind": kind,
            "issued_at": self.now_ts(),
            "expires_at": None if lifetime is None else self.now_ts() + float(lifetime),
            "revoked": False,
            "code": code,
            "extra": extra or {},
        }
        self.store.put("tokens", value, doc)
        return doc

    def token(self, value: str | None) -> Doc | None:
        return self.store.get("tokens", value or "") if value else None

    def check_token(
        self,
        platform: str | tuple[str, ...],
        value: str | None,
        scopes: list[str] | tuple[str, ...] = (),
        *,
        kind: str = "access",
        any_scope: bool = False,
    ) -> Doc:
        """Return the token document, or raise TokenError with why it cannot be used."""
        platforms = (platform,) if isinstance(platform, str) else platform
        doc = self.token(value)
        if doc is None or doc["platform"] not in platforms or doc["kind"] != kind:
            raise TokenError("invalid", "The access token is invalid.")
        if doc["revoked"]:
            raise TokenError("revoked", "The access token has been revoked.")
        if doc["expires_at"] is not None and doc["expires_at"] < self.now_ts():
            raise TokenError("expired", "The access token has expired.")
        if scopes:
            granted = set(doc["scopes"])
            missing = [s for s in scopes if s not in granted]
            if (any_scope and len(missing) == len(scopes)) or (not any_scope and missing):
                raise TokenError("scope", "The token lacks a required permission.", missing)
        return doc

    def revoke_token(self, value: str, *, cascade: bool = True) -> bool:
        """Revoke one token; with cascade, its siblings from the same grant too."""
        doc = self.token(value)
        if doc is None:
            return False
        self.store.update("tokens", value, revoked=True)
        grant = doc.get("extra", {}).get("grant")
        if cascade and grant:
            for sibling in self.store.find(
                "tokens", where=lambda d: d.get("extra", {}).get("grant") == grant
            ):
                self.store.update("tokens", sibling["value"], revoked=True)
        return True

    def revoke_account_tokens(self, platform: str, account_id: str, client_id: str | None = None) -> int:
        n = 0
        for doc in self.store.find("tokens", platform=platform, account_id=account_id):
            if client_id is None or doc["client_id"] == client_id:
                self.store.update("tokens", doc["value"], revoked=True)
                n += 1
        return n

    def expire_token(self, value: str) -> bool:
        doc = self.token(value)
        if doc is None:
            return False
        self.store.update("tokens", value, expires_at=self.now_ts() - 1)
        return True

    # --- posts and their metrics ----------------------------------------------------------
    def add_post(
        self,
        platform: str,
        post_id: str,
        account_id: str,
        *,
        created_at: datetime | None = None,
        count_publish: bool = True,
        persist: bool = True,
        **fields: Any,
    ) -> Doc:
        """Store a post. Its growth parameters are fixed by the seed and the post id."""
        created = created_at or self.now()
        rng = self.rand("post", platform, post_id)
        scale = float(fields.pop("views_scale", 2500))
        doc = {
            "platform": platform,
            "id": post_id,
            "account_id": account_id,
            "created_at": iso(created),
            "potential_views": int(rng.lognormvariate(math.log(scale), 0.9)) + 20,
            "tau_hours": rng.uniform(10, 40),
            "like_rate": rng.uniform(0.03, 0.09),
            "comment_rate": rng.uniform(0.002, 0.01),
            "share_rate": rng.uniform(0.002, 0.015),
            "save_rate": rng.uniform(0.002, 0.02),
            "reach_rate": rng.uniform(0.6, 0.9),
            **fields,
        }
        if persist:
            self.store.put("posts", f"{platform}:{post_id}", doc)
        if count_publish:
            self.count_publish(platform, account_id, str(fields.get("text", fields.get("caption", ""))))
        return doc

    def post(self, platform: str, post_id: str) -> Doc | None:
        return self.store.get("posts", f"{platform}:{post_id}")

    def posts(self, platform: str, account_id: str | None = None) -> list[Doc]:
        """Posts newest first (ties broken by id, so pagination is stable)."""
        docs = (
            self.store.find("posts", platform=platform)
            if account_id is None
            else self.store.find("posts", platform=platform, account_id=account_id)
        )
        now = self.now()
        docs = [d for d in docs if parse_iso(d["created_at"]) <= now and not d.get("deleted")]
        return sorted(docs, key=lambda d: (d["created_at"], d["id"]), reverse=True)

    def update_post(self, platform: str, post_id: str, **changes: Any) -> Doc | None:
        return self.store.update("posts", f"{platform}:{post_id}", **changes)

    def metrics(self, post: Doc, at: datetime | None = None) -> dict[str, int]:
        """Counters at `at` (default: sandbox now): fast growth at first, then slowing."""
        when = at or self.now()
        age_h = (when - parse_iso(post["created_at"])).total_seconds() / 3600
        if age_h <= 0:
            return dict.fromkeys(("views", "likes", "comments", "shares", "saves", "reach"), 0)
        frac = 1 - math.exp(-age_h / float(post.get("tau_hours", 24)))
        # A slow long tail so old posts still creep up a little.
        tail = 1 + 0.05 * math.log1p(age_h / 240)
        views = int(post.get("potential_views", 1000) * frac * tail)
        return {
            "views": views,
            "likes": int(views * post.get("like_rate", 0.05)),
            "comments": int(views * post.get("comment_rate", 0.005)),
            "shares": int(views * post.get("share_rate", 0.005)),
            "saves": int(views * post.get("save_rate", 0.005)),
            "reach": int(views * post.get("reach_rate", 0.75)),
        }

    def seed_history(
        self,
        platform: str,
        account_id: str,
        *,
        count: int,
        days: int = 90,
        make: Callable[[int, random.Random], tuple[str, dict[str, Any]]] | None = None,
        views_scale: float = 2500,
    ) -> list[Doc]:
        """Create `count` past posts spread over the last `days` days, in one write.

        `make(i, rng)` returns (post_id, platform fields) for post i; without it posts get
        a numeric id and a caption.
        """
        rng = self.rand("history", platform, account_id)
        now = self.now()
        docs = []
        for i in range(count):
            created = now - timedelta(days=days * (i + 0.5) / count, minutes=rng.randint(0, 600))
            if make is not None:
                post_id, fields = make(i, rng)
            else:
                post_id, fields = self.new_id(f"post:{platform}"), {"caption": f"Post {i}"}
            docs.append(
                self.add_post(
                    platform,
                    post_id,
                    account_id,
                    created_at=created,
                    count_publish=False,
                    persist=False,
                    views_scale=views_scale,
                    **fields,
                )
            )
        self.store.put_many("posts", ((f"{platform}:{d['id']}", d) for d in docs))
        return docs

    def seed_posts(
        self, platform: str, account_id: str, *, count: int, days: int = 90
    ) -> list[tuple[str, str]]:
        """`count` more past posts for an existing account, shaped like its newest one (ids in
        the platform's own formats), spread over `days` days. The ids follow from the sandbox
        seed and its state, so a benchmark's setup is repeatable."""
        template = next(iter(self.posts(platform, account_id)), None)
        if template is None:
            raise ValueError(f"{platform} account {account_id} has no post to take the shape of")
        keep = {k: v for k, v in template.items() if k not in _GROWTH_FIELDS}

        def make(i: int, rng: random.Random) -> tuple[str, dict[str, Any]]:
            post_id, fields = _bulk_id(platform, account_id, rng), dict(keep)
            if platform == "instagram":
                fields["shortcode"] = "".join(rng.choice(_B64) for _ in range(11))
            elif platform == "facebook":
                fields["pfbid"] = "pfbid0" + "".join(rng.choice(_ALNUM) for _ in range(44))
                page = fields.get("permalink_url", "").split("/posts/")[0]
                fields["permalink_url"] = f"{page}/posts/{fields['pfbid']}"
            elif platform == "linkedin":
                fields["activity"] = str(rng.randrange(7 * 10**18, 8 * 10**18))
            return post_id, fields

        tag = f"bulk:{self.store.count('posts')}"
        docs = self.seed_history(
            platform,
            account_id,
            count=count,
            days=days,
            make=lambda i, _: make(i, self.rand(tag, platform, account_id, i)),
        )
        return [(d["id"], d["created_at"]) for d in docs]

    # --- counters ------------------------------------------------------------------------
    def incr(self, name: str, by: int = 1) -> int:
        with self._lock:
            doc = self.store.get("counters", name) or {"n": 0}
            doc["n"] += by
            self.store.put("counters", name, doc)
            return doc["n"]

    def counter(self, name: str) -> int:
        return (self.store.get("counters", name) or {"n": 0})["n"]

    def counters(self) -> dict[str, int]:
        """Every counter except the id sequences."""
        out = {}
        for name in self.store.ids("counters"):
            doc = self.store.get("counters", name)
            if doc is not None and not name.startswith("id:"):
                out[name] = int(doc["n"])
        return out

    def count_publish(self, platform: str, account_id: str, text: str) -> None:
        """Count a really published post; a same-text post within 24 h counts as a duplicate."""
        self.incr(f"published:{platform}:{account_id}")
        self.incr(f"published:{platform}")
        key = hashlib.sha256(f"{platform}|{account_id}|{text.strip()}".encode()).hexdigest()
        seen = self.store.get("fingerprints", key)
        now = self.now_ts()
        if seen and text.strip() and now - seen["at"] < 86400:
            self.incr(f"duplicates:{platform}:{account_id}")
            self.incr(f"duplicates:{platform}")
        self.store.put("fingerprints", key, {"at": now})

    # --- rate limits (sliding windows on the sandbox clock) -------------------------------
    def rate_hit(
        self, key: str, limit: int, window_seconds: float, *, cost: int = 1
    ) -> tuple[bool, int, float]:
        """Record a call against `key`. Returns (allowed, remaining, reset_epoch)."""
        with self._lock:
            now = self.now_ts()
            q = self._windows[key]
            while q and q[0] <= now - window_seconds:
                q.popleft()
            if len(q) + cost > limit:
                reset = q[0] + window_seconds if q else now + window_seconds
                return False, max(0, limit - len(q)), reset
            for _ in range(cost):
                q.append(now)
            reset = q[0] + window_seconds
            return True, limit - len(q), reset

    def rate_peek(self, key: str, limit: int, window_seconds: float) -> tuple[int, int, float]:
        """(used, remaining, reset_epoch) without recording a call."""
        with self._lock:
            now = self.now_ts()
            q = self._windows[key]
            while q and q[0] <= now - window_seconds:
                q.popleft()
            reset = q[0] + window_seconds if q else now + window_seconds
            return len(q), max(0, limit - len(q)), reset

    # --- faults --------------------------------------------------------------------------
    def add_fault(self, platform: str, fault: Fault) -> Fault:
        with self._lock:
            fault.id = fault.id or secrets.token_hex(4)
            self.faults[platform].append(fault)
        return fault

    def clear_faults(self, platform: str | None = None) -> None:
        with self._lock:
            if platform is None:
                self.faults.clear()
            else:
                self.faults.pop(platform, None)

    def take_fault(self, platform: str, path: str, *, lost: bool = False) -> Fault | None:
        """The fault that applies to this call, if any (consumes one use of it). `lost`
        picks the "response lost after accept" faults, which act after the handler ran."""
        with self._lock:
            for fault in list(self.faults.get(platform, [])):
                if (fault.kind == "lost") != lost:
                    continue
                if fault.endpoint and fault.endpoint not in path:
                    continue
                if fault.rate is not None and self._rng.random() >= fault.rate:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults[platform].remove(fault)
                return fault
        return None

    def set_down(self, platform: str, down: bool) -> None:
        with self._lock:
            (self.down.add if down else self.down.discard)(platform)
            self._save_meta()

    # --- seeding -------------------------------------------------------------------------
    @property
    def seeded(self) -> bool:
        return self._seeded

    def mark_seeded(self) -> None:
        self._seeded = True
        self._save_meta()

    def reset(self) -> None:
        with self._lock:
            self.store.clear()
            self._windows.clear()
            self.faults.clear()
            self.down.clear()
            self._offset = 0.0
            self._seeded = False


_GROWTH_FIELDS = frozenset(
    {
        "platform",
        "id",
        "account_id",
        "created_at",
        "potential_views",
        "tau_hours",
        "like_rate",
        "comment_rate",
        "share_rate",
        "save_rate",
        "reach_rate",
        "deleted",
    }
)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_B64 = _ALNUM + "-_"


def _bulk_id(platform: str, account_id: str, rng: random.Random) -> str:
    """A post id in the platform's format (C§1.6, §2.5, §3.6, §4.6, §5.5, §6.5)."""
    if platform == "youtube":
        return "".join(rng.choice(_B64) for _ in range(11))
    if platform == "facebook":
        return f"{account_id}_{rng.randrange(10**15, 10**16)}"
    if platform == "instagram":
        return str(rng.randrange(17_800_000_000_000_000, 17_999_999_999_999_999))
    return str(rng.randrange(7 * 10**18, 8 * 10**18))  # TikTok, LinkedIn, X: 19 digits


def pkce_matches(challenge: str, method: str, verifier: str) -> bool:
    import base64

    if method.upper() == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    elif method.lower() == "plain":
        computed = verifier
    else:
        return False
    return secrets.compare_digest(computed, challenge)
