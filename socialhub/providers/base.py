"""One interface for all six platforms.

A provider builds requests, parses responses and classifies errors; `Provider.request`
is the one place that sends (timeouts, error mapping, quota recording). OAuth mechanics
go through authlib's httpx OAuth2Client. Endpoints, scopes and quirks are class
attributes, overridden per platform in one module each.

Base URLs: every URL is built with `self.url(host, path)`. Against the real platform that
is `https://<host><path>`; in sandbox mode it is `<sandbox>/<host><path>`. Nothing else
differs between the two, so there is no sandbox branch in provider logic.
"""

from __future__ import annotations

import functools
import json
import logging
import ssl
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import certifi
import httpx
from authlib.deprecate import AuthlibDeprecationWarning

# authlib now prefers the httpx2 fork and warns on every import when it falls back to
# httpx, which is the stack we chose; silence exactly that notice, nothing else.
warnings.filterwarnings(
    "ignore", message="The httpx module is deprecated", category=AuthlibDeprecationWarning
)

from authlib.integrations.base_client.errors import OAuthError as AuthlibOAuthError  # noqa: E402
from authlib.integrations.httpx_client import OAuth2Client  # noqa: E402

# Re-exported: provider modules import errors and data types from here.
from socialhub.providers.errors import (  # noqa: F401, E402
    AuthExpired,
    AuthRevoked,
    InvalidPostUrl,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    PermissionMissing,
    ProviderError,
    RateLimited,
    RefreshUnavailable,
    StepPending,
    TransientError,
)
from socialhub.providers.publish_contract import PublishContract  # noqa: E402
from socialhub.providers.types import (  # noqa: F401, E402
    AccountInfo,
    ConnectedAccount,
    ContentLimits,
    Credentials,
    MediaRef,
    PostMetrics,
    PostPage,
    PostRef,
    PublishRequest,
    PublishResult,
    QuotaReading,
    QuotaSink,
    RemotePost,
    StepSaver,
    TokenSet,
    expires_in,
    utcnow,
)

log = logging.getLogger(__name__)


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every provider client: loading the CA bundle costs ~50 ms
    of CPU, and a metric sync creates a client per call (contexts are safe to share)."""
    return ssl.create_default_context(cafile=certifi.where())


def retry_after(headers: httpx.Headers) -> datetime | None:
    """RFC 9110 Retry-After: delay seconds or an HTTP date."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return utcnow() + timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _raise_for_server_trouble(resp: httpx.Response) -> httpx.Response:
    """A token endpoint's 5xx or 429 is the platform's trouble, not a verdict on the grant:
    raise it as an HTTP error (mapped by classify_error, so transient or rate-limited) before
    authlib reads the body as an OAuth error such as invalid_grant."""
    if resp.status_code >= 500 or resp.status_code == 429:
        resp.raise_for_status()
    return resp


# --- the provider base ----------------------------------------------------------------------


class Provider(PublishContract):
    """Base class: OAuth metadata and the shared transport. One subclass per platform."""

    platform: ClassVar[str] = ""
    label: ClassVar[str] = ""

    AUTHORIZE_HOST: ClassVar[str] = ""
    AUTHORIZE_PATH: ClassVar[str] = ""
    TOKEN_HOST: ClassVar[str] = ""
    TOKEN_PATH: ClassVar[str] = ""
    REVOKE_HOST: ClassVar[str | None] = None
    REVOKE_PATH: ClassVar[str | None] = None
    SCOPES: ClassVar[tuple[str, ...]] = ()
    SCOPE_SEPARATOR: ClassVar[str] = " "
    USE_PKCE: ClassVar[bool] = False
    TOKEN_AUTH_METHOD: ClassVar[str] = "client_secret_post"  # or client_secret_basic
    EXTRA_AUTHORIZE_PARAMS: ClassVar[dict[str, str]] = {}
    # How many post ids one metrics call may carry.
    MAX_IDS_PER_CALL: ClassVar[int] = 1
    # Calls get_account makes (the account snapshot of a metric sync), and the largest page
    # list_posts accepts (the "import recent posts" listing).
    ACCOUNT_CALLS: ClassVar[int] = 1
    LIST_PAGE_MAX: ClassVar[int] = 100
    LIMITS: ClassVar[ContentLimits] = ContentLimits(caption_max=2200)
    # Meta renews long-lived tokens by exchanging them; no refresh token is involved.
    RENEWS_WITHOUT_REFRESH_TOKEN: ClassVar[bool] = False
    # Whether accounts have an @handle (LinkedIn members have only a name).
    HAS_HANDLES: ClassVar[bool] = True
    # Refresh this long before expiry (the refresh job uses it).
    REFRESH_MARGIN: ClassVar[timedelta] = timedelta(hours=1)
    # Whether publishing reads the file (`MediaRef.path`) rather than letting the platform
    # pull `MediaRef.url`: with S3 the engine downloads the file to the worker only then.
    MEDIA_FROM_FILE: ClassVar[bool] = True

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        base_url: str | None = None,
        timeout: float = 20.0,
        quota_sink: QuotaSink | None = None,
        transport: httpx.BaseTransport | None = None,
        scopes: tuple[str, ...] | None = None,
    ) -> None:
        self.scopes = tuple(scopes) if scopes is not None else self.SCOPES
        self.client_id = client_id
        self.client_secret = client_secret
        self.base_url = base_url.rstrip("/") if base_url else None  # None: real hosts
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self.quota_sink = quota_sink
        self._transport = transport
        self.http = httpx.Client(
            timeout=self.timeout, transport=transport, follow_redirects=False, verify=shared_ssl_context()
        )

    def close(self) -> None:
        self.http.close()

    @classmethod
    def options(cls, settings: Any) -> dict[str, Any]:
        """Constructor options a platform takes from the settings (none by default)."""
        return {}

    # --- addressing -------------------------------------------------------------------
    @property
    def is_sandbox(self) -> bool:
        return self.base_url is not None

    def url(self, host: str, path: str = "") -> str:
        if self.base_url:
            return f"{self.base_url}/{host}{path}"
        return f"https://{host}{path}"

    # --- OAuth ------------------------------------------------------------------------
    def oauth_client(self, redirect_uri: str | None = None, **kwargs: Any) -> OAuth2Client:
        client = OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method=self.TOKEN_AUTH_METHOD,
            scope=self.SCOPE_SEPARATOR.join(self.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256" if self.USE_PKCE else None,
            timeout=self.timeout,
            transport=self._transport,
            **kwargs,
        )
        for hook in ("access_token_response", "refresh_token_response"):
            client.register_compliance_hook(hook, _raise_for_server_trouble)
        self.configure_oauth_client(client)
        return client

    def configure_oauth_client(self, client: OAuth2Client) -> None:
        """Register compliance hooks for a platform's non-standard token responses."""

    def authorization_url(self, *, state: str, redirect_uri: str, code_verifier: str | None) -> str:
        with self.oauth_client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                self.url(self.AUTHORIZE_HOST, self.AUTHORIZE_PATH),
                state=state,
                code_verifier=code_verifier if self.USE_PKCE else None,
                **self.EXTRA_AUTHORIZE_PARAMS,
            )
        return url

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        """Trade an authorization code for tokens (override for non-standard platforms)."""
        with self.oauth_client(redirect_uri) as client:
            token = self._oauth_call(
                lambda: client.fetch_token(
                    self.url(self.TOKEN_HOST, self.TOKEN_PATH),
                    code=code,
                    code_verifier=code_verifier if self.USE_PKCE else None,
                )
            )
        return self.token_set(token)

    def connect(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> list[ConnectedAccount]:
        """Finish an authorization: exchange the code, read the account(s) it gives."""
        tokens = self.exchange_code(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        account = self.get_account(Credentials(access_token=tokens.access_token, account_id=""))
        return [ConnectedAccount(account=account, tokens=tokens)]

    def refresh(self, creds: Credentials) -> TokenSet:
        """New tokens before expiry. Raise AuthExpired/AuthRevoked when it cannot be done."""
        if not creds.refresh_token:
            raise RefreshUnavailable(
                f"{self.label} gives no refresh token; reconnect the account to renew access.",
                platform=self.platform,
            )
        with self.oauth_client() as client:
            token = self._oauth_call(
                lambda: client.refresh_token(
                    self.url(self.TOKEN_HOST, self.TOKEN_PATH), refresh_token=creds.refresh_token
                )
            )
        tokens = self.token_set(token)
        if tokens.refresh_token is None:  # platforms that do not rotate keep the old one
            tokens.refresh_token = creds.refresh_token
        return tokens

    def revoke(self, creds: Credentials) -> bool:
        """Revoke at the platform. False when the platform has no revoke endpoint."""
        if not self.REVOKE_HOST or not self.REVOKE_PATH:
            return False
        with self.oauth_client() as client:
            resp = self._oauth_call(
                lambda: client.revoke_token(
                    self.url(self.REVOKE_HOST, self.REVOKE_PATH), token=creds.access_token
                )
            )
        self._record_quota(resp, creds)
        if resp.status_code >= 400:  # authlib returns the response as it came
            raise self.classify_error(resp)
        return True

    def token_set(self, token: dict[str, Any]) -> TokenSet:
        scope = token.get("scope") or ""
        scopes = scope if isinstance(scope, list) else [s for s in scope.replace(",", " ").split() if s]
        return TokenSet(
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            expires_at=expires_in(token.get("expires_in")),
            refresh_expires_at=expires_in(
                token.get("refresh_expires_in") or token.get("refresh_token_expires_in")
            ),
            scopes=scopes,
        )

    def _oauth_call(self, fn: Callable[[], Any]) -> Any:
        """Run an authlib call, mapping its failures into our error set."""
        try:
            return fn()
        except AuthlibOAuthError as exc:
            raise self.classify_oauth_error(exc.error or "", exc.description or "") from exc
        except httpx.TimeoutException as exc:
            raise TransientError(f"{self.label} did not answer in time.", platform=self.platform) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"Could not reach {self.label}.", platform=self.platform) from exc
        except httpx.HTTPStatusError as exc:
            raise self.classify_error(exc.response) from exc
        except (ValueError, KeyError) as exc:
            raise TransientError(
                f"{self.label} sent a response we could not read.", platform=self.platform
            ) from exc

    def classify_oauth_error(self, error: str, description: str) -> ProviderError:
        if error == "invalid_grant":
            return AuthRevoked(
                f"{self.label} refused the authorization ({description or error}). Please reconnect.",
                platform=self.platform,
                code=error,
            )
        if error in {"invalid_client", "unauthorized_client"}:
            return InvalidRequest(
                f"{self.label} rejected SocialHub's app credentials ({description or error}).",
                platform=self.platform,
                code=error,
            )
        if error in {"temporarily_unavailable", "server_error"}:
            return TransientError(
                f"{self.label} is temporarily unavailable.", platform=self.platform, code=error
            )
        return InvalidRequest(f"{self.label}: {description or error}", platform=self.platform, code=error)

    # --- the one place that sends ---------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        creds: Credentials | None = None,
        expect_json: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        kwargs.setdefault("timeout", self.timeout)
        try:
            resp = self.http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(f"{self.label} did not answer in time.", platform=self.platform) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"Could not reach {self.label}.", platform=self.platform) from exc
        self._record_quota(resp, creds)
        if resp.status_code >= 400:
            raise self.classify_error(resp)
        if expect_json and resp.content:
            try:
                resp.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise TransientError(
                    f"{self.label} sent a response we could not read.",
                    platform=self.platform,
                    status=resp.status_code,
                ) from exc
        return resp

    def get_json(self, method: str, url: str, *, creds: Credentials | None = None, **kwargs: Any) -> Any:
        resp = self.request(method, url, creds=creds, **kwargs)
        return resp.json() if resp.content else {}

    def _record_quota(self, resp: httpx.Response, creds: Credentials | None) -> None:
        if self.quota_sink is None:
            return
        try:
            readings = self.quota_readings(resp, creds)
        except Exception:  # a quota header we cannot read must not fail the call
            log.warning("could not read %s quota headers", self.platform, exc_info=True)
            return
        for reading in readings:
            try:
                self.quota_sink(self.platform, reading)
            except Exception:  # recording use must never make a good call look failed
                log.warning("could not record a %s quota reading", self.platform, exc_info=True)

    # --- per-platform hooks ----------------------------------------------------------------
    def classify_error(self, resp: httpx.Response) -> ProviderError:
        """Turn an error response into one of our errors (override per platform)."""
        status = resp.status_code
        if status == 401:
            return AuthExpired(
                f"{self.label} no longer accepts this login. Please reconnect.",
                platform=self.platform,
                status=status,
            )
        if status == 403:
            return PermissionMissing(
                f"{self.label} denied access to this action.", platform=self.platform, status=status
            )
        if status == 404:
            return NotFound(f"{self.label} could not find that item.", platform=self.platform, status=status)
        if status == 429:
            return RateLimited(
                f"{self.label} rate limit reached; will retry later.",
                platform=self.platform,
                status=status,
                retry_at=retry_after(resp.headers),
            )
        if status >= 500:
            return TransientError(
                f"{self.label} had a server error ({status}).", platform=self.platform, status=status
            )
        return InvalidRequest(
            f"{self.label} rejected the request ({status}).", platform=self.platform, status=status
        )

    def quota_readings(self, resp: httpx.Response, creds: Credentials | None) -> Iterable[QuotaReading]:
        """Rate-limit or quota readings found on a response (headers or body)."""
        return ()

    # --- account and content (each platform implements these) ---------------------------
    def get_account(self, creds: Credentials) -> AccountInfo:
        raise NotImplementedError

    def list_posts(self, creds: Credentials, *, cursor: str | None = None, limit: int = 25) -> PostPage:
        raise NotImplementedError

    def fetch_metrics(self, creds: Credentials, post_ids: list[str]) -> dict[str, PostMetrics]:
        """Metrics for many posts in as few calls as the platform allows (MAX_IDS_PER_CALL).
        A post the platform no longer has is absent from the answer."""
        raise NotImplementedError

    def metric_calls(self, n_posts: int) -> int:
        """The fewest calls the contract allows for the metrics of n posts (the sync's yardstick)."""
        return -(-n_posts // self.MAX_IDS_PER_CALL)

    @classmethod
    def parse_post_url(cls, url: str) -> PostRef:
        """The post key in a pasted URL, or InvalidPostUrl saying what is wrong."""
        raise NotImplementedError

    def resolve_post(self, creds: Credentials, ref: PostRef) -> RemotePost:
        """Find the platform post id for a PostRef (shortcodes, pfbids... need a lookup)."""
        raise NotImplementedError

    # --- content checks (shared) ---------------------------------------------------------
    def caption_length(self, text: str) -> int:
        unit = self.LIMITS.caption_unit
        if unit == "utf16":
            return len(text.encode("utf-16-le")) // 2
        if unit == "bytes":
            return len(text.encode())
        return len(text)

    def validate(self, request: PublishRequest) -> list[str]:
        """Every reason this platform would refuse the post, in a creator's words."""
        limits = self.LIMITS
        problems: list[str] = []
        length = self.caption_length(request.caption)
        if length > limits.caption_max:
            problems.append(
                f"{self.label} allows {limits.caption_max} {limits.caption_unit.replace('utf16', 'characters')} "
                f"in a caption; this one has {length}."
            )
        if limits.requires_media and not request.media:
            problems.append(f"{self.label} posts need a photo or video.")
        if len(request.media) > limits.max_media:
            problems.append(f"{self.label} takes at most {limits.max_media} media file(s) per post here.")
        for media in request.media:
            if media.kind not in limits.media_kinds:
                problems.append(f"{self.label} does not accept {media.kind} posts.")
                continue
            types = limits.image_types if media.kind == "image" else limits.video_types
            if media.mime_type not in types:
                problems.append(
                    f"{self.label} accepts {', '.join(sorted(types))} for {media.kind}s, not {media.mime_type}."
                )
            cap = limits.max_image_bytes if media.kind == "image" else limits.max_video_bytes
            if cap and media.size_bytes > cap:
                problems.append(f"{self.label} accepts {media.kind}s up to {cap // (1024 * 1024)} MB.")
            if media.kind == "video" and media.duration_seconds is not None:
                if limits.min_video_seconds and media.duration_seconds < limits.min_video_seconds:
                    problems.append(
                        f"{self.label} videos must be at least {limits.min_video_seconds:g} s long."
                    )
                if limits.max_video_seconds and media.duration_seconds > limits.max_video_seconds:
                    problems.append(
                        f"{self.label} videos may be at most {limits.max_video_seconds:g} s long."
                    )
        return problems
