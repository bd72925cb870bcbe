"""Graph API building blocks shared by the Meta sandbox: the error envelope, the `fields`
syntax (field expansion), cursor paging, Meta timestamps and usage headers."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from socialhub.sandbox.platform import json_response

# Every permission the sandbox knows; a dialog asking for another one shows an error page.
KNOWN_SCOPES = frozenset(
    {
        "public_profile",
        "email",
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_posts",
        "pages_manage_engagement",
        "pages_read_user_engagement",
        "pages_manage_metadata",
        "publish_video",
        "read_insights",
        "business_management",
        "instagram_basic",
        "instagram_content_publish",
        "instagram_manage_insights",
        "instagram_manage_comments",
        "ads_read",
        "ads_management",
    }
)
IG_READ = ("instagram_basic",)
IG_PUBLISH = ("instagram_basic", "instagram_content_publish", "pages_read_engagement")
IG_INSIGHTS = ("instagram_basic", "instagram_manage_insights", "pages_read_engagement")
PAGE_LIST = ("pages_show_list",)
PAGE_READ = ("pages_read_engagement",)
PAGE_WRITE = ("pages_manage_posts", "pages_read_engagement")
PAGE_INSIGHTS = ("read_insights",)

MAX_IDS = 50
DEFAULT_LIMIT, MAX_LIMIT = 25, 100


class GraphError(Exception):
    """A Graph API error; rendered as Meta's envelope by `render`."""

    def __init__(
        self,
        message: str,
        code: int,
        *,
        subcode: int | None = None,
        type_: str = "OAuthException",
        status: int | None = None,
        transient: bool | None = None,
        user_title: str | None = None,
        user_msg: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type_
        # The Graph answers permission errors (#200-#299) with 403, everything else with 400
        # unless a caller says otherwise (500 for server errors).
        self.status = status if status is not None else (403 if 200 <= code <= 299 else 400)
        self.transient = transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        if self.transient is not None:
            err["is_transient"] = self.transient
        if self.user_title:
            err["error_user_title"] = self.user_title
        if self.user_msg:
            err["error_user_msg"] = self.user_msg
        err["fbtrace_id"] = fbtrace_id()
        return {"error": err}

    def render(self, extra_headers: dict[str, str] | None = None) -> Response:
        headers = (
            {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_request"'} if self.code == 190 else {}
        )
        headers.update(extra_headers or {})
        headers.update(self.headers)
        return json_response(self.body(), self.status, headers=headers)


def fbtrace_id() -> str:
    return secrets.token_urlsafe(8).replace("-", "A").replace("_", "B")[:11]


def not_found(obj_id: str) -> GraphError:
    return GraphError(
        f"Unsupported get request. Object with ID '{obj_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation "
        "at https://developers.facebook.com/docs/graph-api",
        100,
        subcode=33,
        type_="GraphMethodException",
    )


def bad_param(message: str, *, user_msg: str | None = None) -> GraphError:
    return GraphError(f"(#100) {message}", 100, user_msg=user_msg)


def unknown_path(path: str) -> GraphError:
    return GraphError(f"Unknown path components: {path}", 2500)


def meta_time(value: datetime | float) -> str:
    """Graph timestamps: 2019-04-05T07:56:32+0000."""
    dt = datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else value.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S+0000")


# --- field expansion: "id,insights.metric(reach,views),reactions.summary(total_count).limit(0),x{a,b}"


@dataclass
class Field:
    name: str
    mods: dict[str, str] = field(default_factory=dict)
    sub: list[Field] | None = None


def parse_fields(text: str | None) -> list[Field]:
    """Parse a Graph `fields` value; raise GraphError on unbalanced syntax.

    A JSON array of field strings (what Meta's own SDKs send) means the same as the comma list.
    """
    if not text:
        return []
    items = json_list(text)
    if items is not None:
        text = ",".join(items)
    parser = _FieldParser(text)
    fields = parser.parse_list(end=None)
    return fields


class _FieldParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self) -> GraphError:
        return bad_param(
            f'Syntax error "Expected end of string instead of "{self.text[self.pos : self.pos + 1]}"." '
            f"at character {self.pos}: {self.text}"
        )

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_-"):
            self.pos += 1
        if start == self.pos:
            raise self.error()
        return self.text[start : self.pos]

    def args(self) -> str:
        depth, start = 1, self.pos
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                value = self.text[start : self.pos]
                self.pos += 1
                return value
            self.pos += 1
        raise self.error()

    def parse_list(self, end: str | None) -> list[Field]:
        out: list[Field] = []
        while self.pos < len(self.text):
            if self.text[self.pos] in ", ":
                self.pos += 1
                continue
            if end is not None and self.text[self.pos] == end:
                self.pos += 1
                return out
            out.append(self.parse_field())
        if end is not None:
            raise self.error()
        return out

    def parse_field(self) -> Field:
        fld = Field(self.name())
        while self.pos < len(self.text) and self.text[self.pos] in ".{":
            if self.text[self.pos] == "{":
                self.pos += 1
                fld.sub = self.parse_list(end="}")
                continue
            self.pos += 1
            mod = self.name()
            if self.pos < len(self.text) and self.text[self.pos] == "(":
                self.pos += 1
                fld.mods[mod] = self.args()
            else:
                fld.mods[mod] = ""
        return fld


def json_list(value: Any) -> list[str] | None:
    """The items of a Graph list parameter sent as a JSON array string (`["a","b"]`), else None.

    Meta's Python and Node SDKs JSON-encode every list parameter; the Graph API accepts that
    form wherever it accepts a comma-separated list.
    """
    if not isinstance(value, str) or not value.lstrip().startswith("["):
        return None
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise bad_param(f"Invalid JSON array: {value[:80]}") from exc
    if not isinstance(parsed, list) or not all(isinstance(v, str | int) for v in parsed):
        raise bad_param("A list parameter must be a JSON array of strings.")
    return [str(v).strip() for v in parsed if str(v).strip()]


def split_csv(value: str) -> list[str]:
    """A plain comma list (OAuth dialog scopes are never JSON)."""
    return [v.strip() for v in value.split(",") if v.strip()]


def split_list(value: Any) -> list[str]:
    """A Graph list parameter: comma-separated (`a,b`) or a JSON array (`["a","b"]`)."""
    items = json_list(value)
    if items is not None:
        return items
    return split_csv(str(value or ""))


# --- cursor paging ------------------------------------------------------------------------


def encode_cursor(item_id: str) -> str:
    return base64.urlsafe_b64encode(item_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_param("The after or before cursor is invalid.") from exc


def read_limit(params: dict[str, Any]) -> int:
    raw = params.get("limit")
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError as exc:
        raise bad_param("Param limit must be a number.") from exc
    return max(1, min(MAX_LIMIT, value))


def paginate(
    items: list[dict[str, Any]], params: dict[str, Any], request: Request
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Slice `items` by after/before cursors and limit; build Graph's `paging` object."""
    limit = read_limit(params)
    ids = [str(i["id"]) for i in items]
    start = 0
    if params.get("after"):
        anchor = decode_cursor(params["after"])
        start = ids.index(anchor) + 1 if anchor in ids else len(ids)
    elif params.get("before"):
        anchor = decode_cursor(params["before"])
        end = ids.index(anchor) if anchor in ids else 0
        start = max(0, end - limit)
        page = items[start:end]
        return page, _paging(page, start, start + len(page) < len(items), request, params)
    page = items[start : start + limit]
    return page, _paging(page, start, start + len(page) < len(items), request, params)


def _paging(
    page: list[dict[str, Any]], start: int, more: bool, request: Request, params: dict[str, Any]
) -> dict[str, Any]:
    if not page:
        return {}
    cursors = {"before": encode_cursor(str(page[0]["id"])), "after": encode_cursor(str(page[-1]["id"]))}
    paging: dict[str, Any] = {"cursors": cursors}
    base = str(request.url).split("?")[0]
    keep = {k: v for k, v in request.query_params.items() if k not in {"after", "before"}}
    keep.setdefault("limit", str(read_limit(params)))
    if more:
        paging["next"] = f"{base}?{urlencode({**keep, 'after': cursors['after']})}"
    if start > 0:
        paging["previous"] = f"{base}?{urlencode({**keep, 'before': cursors['before']})}"
    return paging


# --- usage headers -------------------------------------------------------------------------


def usage_numbers(used: int, limit: int) -> dict[str, int]:
    pct = min(100, round(100 * used / max(1, limit)))
    return {"call_count": pct, "total_cputime": pct * 2 // 5, "total_time": pct * 3 // 5}


def buc_header(entries: dict[str, dict[str, Any]]) -> dict[str, str]:
    """X-Business-Use-Case-Usage: {"<object id>":[{"type","call_count",...}]}."""
    return {
        "X-Business-Use-Case-Usage": json.dumps({k: [v] for k, v in entries.items()}, separators=(",", ":"))
    }


def app_usage_header(numbers: dict[str, int]) -> dict[str, str]:
    return {"X-App-Usage": json.dumps(numbers, separators=(",", ":"))}
