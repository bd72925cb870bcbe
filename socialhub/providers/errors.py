"""The small set of platform errors the rest of the app understands."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar


class ProviderError(Exception):
    """A platform call failed. `message` is written for a creator, not a developer."""

    kind: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        platform: str = "",
        status: int | None = None,
        code: str | int | None = None,
        retry_at: datetime | None = None,
        raw: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.status = status
        self.code = code
        self.retry_at = retry_at
        self.raw = raw

    def __str__(self) -> str:
        return self.message


class AuthExpired(ProviderError):
    kind = "auth_expired"


class RefreshUnavailable(AuthExpired):
    """The platform gives no way to renew this token; the creator must reconnect in time."""

    kind = "refresh_unavailable"


class AuthRevoked(ProviderError):
    kind = "auth_revoked"


class PermissionMissing(ProviderError):
    kind = "permission_missing"


class RateLimited(ProviderError):
    """The platform asks us to wait (`retry_at`). `app_wide` when the limit is the whole app's
    (YouTube's project quota) rather than one account's. `closes_gate=False` for a cap on one
    kind of call only (Instagram's posts per 24 h): the caller waits, other calls go on."""

    kind = "rate_limited"

    def __init__(
        self, message: str, *, app_wide: bool = False, closes_gate: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.app_wide = app_wide
        self.closes_gate = closes_gate


class TransientError(ProviderError):
    kind = "transient"


class InvalidRequest(ProviderError):
    kind = "invalid_request"


class NotFound(InvalidRequest):
    kind = "not_found"


class StepPending(ProviderError):
    """Not an error: a publishing step must wait on the platform (a container still processing,
    a video still in review). The caller saves the steps and comes back at `retry_at`; no
    worker sleeps in a loop. The steps dict passed to publish already holds what was done."""

    kind = "pending"


class OutcomeUnknown(ProviderError):
    """The irreversible "create the post" call may or may not have happened: it was sent and no
    answer came (timeout, connection reset), or an earlier attempt stopped after its
    "about to create" marker. Never simply send it again: reconcile with find_published."""

    kind = "unknown"


class InvalidPostUrl(ValueError):
    """A pasted URL is not a post URL of any platform we know (or of this platform)."""
