"""LinkedIn wire pieces shared by the OAuth, posts and reading parts of the sandbox module.

Error body (CONTRACTS §5.4): {"status", "serviceErrorCode", "code", "message"}.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.core import Sandbox, TokenError
from socialhub.sandbox.platform import bearer_token, json_response

PLATFORM = "linkedin"
WWW = "www.linkedin.com"
API = "api.linkedin.com"
BRAND = "LinkedIn"
COLOR = "#0a66c2"

ALL_SCOPES = (
    "openid",
    "profile",
    "email",
    "w_member_social",
    "r_member_social",
    "r_member_postAnalytics",
    "r_organization_social",
    "w_organization_social",
    "rw_organization_admin",
)
# What mint_token grants by default: what a self-serve app gets plus member analytics.
DEFAULT_SCOPES = ("openid", "profile", "email", "w_member_social", "r_member_postAnalytics")

# Reading a member's own posts: LinkedIn restricts r_member_social; the sandbox also lets
# w_member_social read back what the app itself can write (documented sandbox choice).
MEMBER_READ = ("r_member_social", "w_member_social")
ORG_READ = ("r_organization_social", "w_organization_social", "rw_organization_admin")
ORG_WRITE = ("w_organization_social",)

BATCH_LIMIT = 20  # socialActions BATCH_GET and organizationalEntityShareStatistics shares=List(...)
VIDEO_PART_BYTES = 4 * 1024 * 1024
URN_RE = re.compile(r"^urn:li:(share|ugcPost|activity|person|organization|image|video):([A-Za-z0-9_-]+)$")
VERSION_RE = re.compile(r"^(\d{4})(\d{2})(?:\.?\d{2})?$")


class LiError(Exception):
    """A LinkedIn API error; rendered by `error_response`."""

    def __init__(
        self, status: int, code: str, message: str, service_code: int | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.service_code = service_code
        self.extra = extra


def error_body(
    status: int, code: str, message: str, service_code: int | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    body.update(extra)
    return body


def error_response(err: LiError) -> Response:
    return json_response(
        error_body(err.status, err.code, err.message, err.service_code, **err.extra), err.status
    )


def validation(message: str, field: str | None = None) -> LiError:
    """422: a field of the request body is not acceptable."""
    extra: dict[str, Any] = {"errorDetailType": "com.linkedin.common.error.BadRequest"}
    if field:
        extra["errorDetails"] = {
            "inputErrors": [
                {
                    "description": message,
                    "input": {"inputPath": {"fieldPath": field}},
                    "code": "INVALID_VALUE",
                }
            ]
        }
    return LiError(422, "UNPROCESSABLE_ENTITY", message, 0, **extra)


def bad_request(message: str) -> LiError:
    return LiError(400, "ILLEGAL_ARGUMENT", message, 0)


def not_found(message: str) -> LiError:
    return LiError(404, "NOT_FOUND", message, 0)


def access_denied(message: str) -> LiError:
    return LiError(403, "ACCESS_DENIED", message, 100)


TOKEN_ERRORS = {
    "invalid": (65600, "INVALID_ACCESS_TOKEN", "Invalid access token"),
    "revoked": (65601, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user"),
    "expired": (65602, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired"),
}


def token_error(kind: str) -> LiError:
    service, code, message = TOKEN_ERRORS.get(kind, TOKEN_ERRORS["invalid"])
    return LiError(401, code, message, service)


def version_error(request: Request, now: datetime) -> LiError | None:
    """426 when LinkedIn-Version is missing, malformed, in the future or sunset (> ~12 months)."""
    raw = request.headers.get("linkedin-version", "").strip()
    if not raw:
        return LiError(
            426,
            "VERSION_MISSING",
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
        )
    match = VERSION_RE.match(raw)
    if not match:
        return LiError(426, "NONEXISTENT_VERSION", f"Requested version {raw} is not active")
    year, month = int(match.group(1)), int(match.group(2))
    age = (now.year * 12 + now.month) - (year * 12 + month)
    # A version lives about a year: sunset once 12 months old (mid-month), never from the future.
    if not 1 <= month <= 12 or age < 0 or age > 12 or (age == 12 and now.day >= 15):
        return LiError(426, "NONEXISTENT_VERSION", f"Requested version {raw} is not active")
    return None


def person_urn(member_id: str) -> str:
    return f"urn:li:person:{member_id}"


def parse_urn(value: str) -> tuple[str, str] | None:
    match = URN_RE.match(value or "")
    return (match.group(1), match.group(2)) if match else None


def parse_list(value: str | None) -> list[str]:
    """Rest.li 2.0 `List(a,b)` (already URL-decoded) or a plain comma list."""
    if not value:
        return []
    value = value.strip()
    if value.startswith("List(") and value.endswith(")"):
        value = value[5:-1]
    return [v.strip() for v in value.split(",") if v.strip()]


class ApiAuth:
    """Bearer check, daily member-per-app limit and scope check for api.linkedin.com."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def token(self, request: Request) -> dict[str, Any]:
        value = bearer_token(request)
        if not value:
            raise LiError(401, "EMPTY_ACCESS_TOKEN", "Empty oauth2 access token", 65604)
        try:
            doc = self.sb.check_token(PLATFORM, value)
        except TokenError as exc:
            raise token_error(exc.kind) from exc
        self._count_daily(doc)
        return doc

    def _count_daily(self, doc: dict[str, Any]) -> None:
        # Daily per member per application, reset at 00:00 UTC on the sandbox clock.
        day = self.sb.now().strftime("%Y-%m-%d")
        key = f"linkedin:daily:{doc['client_id']}:{doc['account_id']}:{day}"
        limit = int(self.sb.config("linkedin.daily_calls_per_member"))
        allowed, _, _ = self.sb.rate_hit(key, limit, 2 * 86400)
        if not allowed:
            raise LiError(
                429,
                "TOO_MANY_REQUESTS",
                "Resource level throttle limit for calls to this resource is reached.",
                101,
            )

    @staticmethod
    def require_any(doc: dict[str, Any], scopes: tuple[str, ...], resource: str) -> None:
        if not set(scopes) & set(doc["scopes"]):
            raise access_denied(f"Not enough permissions to access: {resource}")

    def admin_orgs(self, member_id: str) -> list[str]:
        account = self.sb.account(PLATFORM, member_id) or {}
        return list(account.get("admin_orgs", []))
