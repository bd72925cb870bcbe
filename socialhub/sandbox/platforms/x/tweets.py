"""X v2 tweets and users: create, delete, lookup, user timeline, users/me (CONTRACTS §6.2, §6.3).

Lookups answer 200 with `errors[]` entries for ids that do not exist, as X does.
Timeline pagination tokens are opaque: base32 of the boundary tweet id.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from twitter_text import parse_tweet

from socialhub.sandbox.core import Sandbox, parse_iso
from socialhub.sandbox.platform import json_response, read_json
from socialhub.sandbox.platforms.x.common import (
    PLATFORM,
    PROBLEMS,
    Ctx,
    XGuard,
    invalid_request,
    not_found_error,
    problem,
    snowflake,
)

TWEET_FIELDS = {
    "attachments",
    "author_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "non_public_metrics",
    "organic_metrics",
    "possibly_sensitive",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "source",
    "text",
    "withheld",
    "note_tweet",
}
USER_FIELDS = {
    "created_at",
    "description",
    "entities",
    "id",
    "location",
    "name",
    "pinned_tweet_id",
    "profile_image_url",
    "protected",
    "public_metrics",
    "url",
    "username",
    "verified",
    "verified_type",
    "withheld",
}


MAX_WEIGHTED = 280  # docs.x.com counting-characters; twitter-text config v3 maxWeightedTweetLength


def x_time(value: str) -> str:
    """X timestamps: 2026-11-23T14:00:00.000Z."""
    return parse_iso(value).strftime("%Y-%m-%dT%H:%M:%S.") + f"{parse_iso(value).microsecond // 1000:03d}Z"


def _fields(request: Request, name: str, allowed: set[str]) -> set[str]:
    raw = request.query_params.get(name, "")
    fields = {f for f in raw.split(",") if f}
    bad = sorted(fields - allowed)
    if bad:
        raise invalid_request(
            f"The `{name}` query parameter value [{bad[0]}] is not one of [{','.join(sorted(allowed))}]",
            {name: [raw]},
        )
    return fields


def _token(kind: str, tweet_id: str) -> str:
    return base64.b32encode(f"{kind}:{tweet_id}".encode()).decode().rstrip("=").lower()


def _untoken(value: str) -> tuple[str, int] | None:
    try:
        raw = base64.b32decode(value.upper() + "=" * (-len(value) % 8)).decode()
        kind, _, tweet_id = raw.partition(":")
        return (kind, int(tweet_id)) if kind in {"n", "p"} else None
    except (ValueError, UnicodeDecodeError):
        return None


class XTweets:
    """Tweets and users endpoints; mixed into the X module (uses self.sb, self.guard)."""

    sb: Sandbox
    guard: XGuard

    # --- rendering ----------------------------------------------------------------------
    def tweet(self, tweet_id: str) -> dict[str, Any] | None:
        doc = self.sb.post(PLATFORM, tweet_id)
        if doc is None or doc.get("deleted") or parse_iso(doc["created_at"]) > self.sb.now():
            return None
        return doc

    def tweet_json(
        self, doc: dict[str, Any], fields: set[str], viewer: str, errors: list[dict[str, Any]]
    ) -> dict:
        out: dict[str, Any] = {
            "id": doc["id"],
            "text": doc.get("text", ""),
            "edit_history_tweet_ids": [doc["id"]],
        }
        if "created_at" in fields:
            out["created_at"] = x_time(doc["created_at"])
        if "author_id" in fields:
            out["author_id"] = doc["account_id"]
        if "conversation_id" in fields:
            out["conversation_id"] = doc.get("conversation_id") or doc["id"]
        if "lang" in fields:
            out["lang"] = "en"
        if "attachments" in fields and doc.get("media_keys"):
            out["attachments"] = {"media_keys": doc["media_keys"]}
        if "referenced_tweets" in fields:
            refs = [{"type": "replied_to", "id": doc["reply_to"]}] if doc.get("reply_to") else []
            refs += [{"type": "quoted", "id": doc["quote_id"]}] if doc.get("quote_id") else []
            if refs:
                out["referenced_tweets"] = refs
        m = self.sb.metrics(doc)
        retweets = int(m["shares"] * 0.75)
        if "public_metrics" in fields:
            public = {
                "retweet_count": retweets,
                "reply_count": m["comments"],
                "like_count": m["likes"],
                "quote_count": m["shares"] - retweets,
                "bookmark_count": m["saves"],
            }
            if self.sb.config("x.public_impressions"):
                public["impression_count"] = m["views"]
            out["public_metrics"] = public
        if "non_public_metrics" in fields or "organic_metrics" in fields:
            if doc["account_id"] == viewer:
                private = {
                    "impression_count": m["views"],
                    "url_link_clicks": m["views"] // 80,
                    "user_profile_clicks": m["views"] // 120,
                }
                for name in {"non_public_metrics", "organic_metrics"} & fields:
                    out[name] = dict(private)
            else:
                for name in sorted({"non_public_metrics", "organic_metrics"} & fields):
                    errors.append(
                        {
                            "value": doc["id"],
                            "detail": f"Sorry, you are not authorized to access '{name}' on a Tweet.",
                            "title": "Field Authorization Error",
                            "resource_type": "tweet",
                            "parameter": "tweet.fields",
                            "field": name,
                            "resource_id": doc["id"],
                            "section": "data",
                            "type": PROBLEMS + "not-authorized-for-field",
                        }
                    )
        return out

    def user_json(self, account: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": account["id"],
            "name": account["display_name"],
            "username": account["username"],
        }
        if "profile_image_url" in fields:
            out["profile_image_url"] = account.get("profile_image_url")
        if "created_at" in fields:
            out["created_at"] = x_time(account["joined_at"])
        if "description" in fields:
            out["description"] = account.get("description", "")
        if "verified" in fields:
            out["verified"] = False
        if "protected" in fields:
            out["protected"] = False
        if "public_metrics" in fields:
            tweets = self.sb.posts(PLATFORM, account["id"])
            out["public_metrics"] = {
                "followers_count": self.sb.followers(account),
                "following_count": account.get("following", 0),
                "tweet_count": account.get("tweets_base", 0) + len(tweets),
                "listed_count": account.get("listed", 0),
                "like_count": account.get("likes_given", 0),
                "media_count": sum(1 for t in tweets if t.get("media_keys")),
            }
        return out

    # --- tweets -------------------------------------------------------------------------
    async def create_tweet(self, request: Request, ctx: Ctx) -> Response:
        self.guard.tweet_caps(ctx)
        try:
            body = await read_json(request)
        except ValueError as exc:
            raise invalid_request(str(exc)) from exc
        if not isinstance(body, dict):
            raise invalid_request("The request body must be a JSON object.")
        text = body.get("text")
        media = body.get("media") or {}
        if text is not None and not isinstance(text, str):
            raise invalid_request("$.text: must be a string", {"text": [text]})
        if (
            not text
            and not media.get("media_ids")
            and not body.get("quote_tweet_id")
            and not body.get("poll")
        ):
            raise invalid_request(
                "Post text is required when no media, poll or quote is given.", {"text": [text]}
            )
        # X's own rule, through the twitter-text port (config v3: 280 weighted, CJK and emoji
        # 2, every URL 23), never through the provider's code, so a contract test can fail.
        parsed = parse_tweet(text) if text else None
        if parsed is not None and parsed.weightedLength > MAX_WEIGHTED:
            raise invalid_request(
                f"Your Tweet text is too long: {parsed.weightedLength} weighted characters, the limit is "
                f"{MAX_WEIGHTED}.",
                {"text": [text]},
            )
        me = ctx.tok["account_id"]
        media_keys = self._check_media(media.get("media_ids"), me) if media else []
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to is not None and self.tweet(str(reply_to)) is None:
            raise invalid_request(
                "The Tweet you are replying to does not exist.", {"reply.in_reply_to_tweet_id": [reply_to]}
            )
        quote = body.get("quote_tweet_id")
        if quote is not None and self.tweet(str(quote)) is None:
            raise invalid_request("The quoted Tweet does not exist.", {"quote_tweet_id": [quote]})
        if text and text.strip():
            horizon = self.sb.now() - timedelta(hours=24)
            for doc in self.sb.posts(PLATFORM, me):
                if parse_iso(doc["created_at"]) < horizon:
                    break
                if doc.get("text", "").strip() == text.strip():
                    raise problem(
                        403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
                    )
        now = self.sb.now()
        tweet_id = snowflake(int(now.timestamp() * 1000), int(self.sb.new_id("x:tweet", 7)))
        self.sb.add_post(
            PLATFORM,
            tweet_id,
            me,
            created_at=now,
            text=text or "",
            media_keys=media_keys,
            reply_to=str(reply_to) if reply_to else None,
            quote_id=str(quote) if quote else None,
        )
        return json_response(
            {"data": {"id": tweet_id, "text": text or "", "edit_history_tweet_ids": [tweet_id]}}, 201
        )

    def _check_media(self, media_ids: Any, me: str) -> list[str]:
        if not isinstance(media_ids, list) or not 1 <= len(media_ids) <= 4:
            raise invalid_request(
                "media.media_ids must hold 1 to 4 media ids.", {"media.media_ids": [media_ids]}
            )
        docs = [self.usable_media(str(mid), me) for mid in media_ids]  # type: ignore[attr-defined]
        kinds = [d["kind"] if d else None for d in docs]
        if None in kinds or (len(docs) > 1 and any(k != "image" for k in kinds)):
            raise invalid_request("Your media IDs are invalid.", {"media.media_ids": media_ids})
        return [d["media_key"] for d in docs if d]

    async def delete_tweet(self, request: Request, ctx: Ctx) -> Response:
        tweet_id = request.path_params["id"]
        doc = self.tweet(tweet_id) if tweet_id.isdigit() else None
        if doc is None:
            err = not_found_error(tweet_id, "tweet", "id")
            raise problem(404, "Not Found Error", err["detail"], "resource-not-found")
        if doc["account_id"] != ctx.tok["account_id"]:
            raise problem(
                403,
                "Forbidden",
                "You are not allowed to delete a Tweet that is not yours.",
                "not-authorized-for-resource",
            )
        self.sb.update_post(PLATFORM, tweet_id, deleted=True)
        return json_response({"data": {"deleted": True}})

    async def lookup_tweets(self, request: Request, ctx: Ctx) -> Response:
        raw = request.query_params.get("ids", "")
        ids = [i for i in raw.split(",") if i]
        if not 1 <= len(ids) <= 100:
            raise invalid_request(
                f"The number of values in the `ids` query parameter list [{len(ids)}] is not between 1 and 100",
                {"ids": [raw]},
            )
        bad = [i for i in ids if not i.isdigit() or len(i) > 19]
        if bad:
            raise invalid_request(
                f"The `ids` query parameter value [{bad[0]}] does not match ^[0-9]{{1,19}}$", {"ids": [raw]}
            )
        fields = _fields(request, "tweet.fields", TWEET_FIELDS)
        self.guard.check_usage_cap(ctx)
        data, errors = [], []
        for tweet_id in ids:
            doc = self.tweet(tweet_id)
            if doc is None:
                errors.append(not_found_error(tweet_id, "tweet", "ids"))
            else:
                data.append(self.tweet_json(doc, fields, ctx.tok["account_id"], errors))
        self.guard.count_reads(ctx, len(data))
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return json_response(body)

    async def get_tweet(self, request: Request, ctx: Ctx) -> Response:
        tweet_id = request.path_params["id"]
        if not tweet_id.isdigit():
            raise invalid_request(
                f"The `id` query parameter value [{tweet_id}] does not match ^[0-9]{{1,19}}$",
                {"id": [tweet_id]},
            )
        fields = _fields(request, "tweet.fields", TWEET_FIELDS)
        self.guard.check_usage_cap(ctx)
        doc = self.tweet(tweet_id)
        if doc is None:
            return json_response({"errors": [not_found_error(tweet_id, "tweet", "id")]})
        self.guard.count_reads(ctx, 1)
        errors: list[dict[str, Any]] = []
        body: dict[str, Any] = {"data": self.tweet_json(doc, fields, ctx.tok["account_id"], errors)}
        if errors:
            body["errors"] = errors
        return json_response(body)

    # --- users --------------------------------------------------------------------------
    async def users_me(self, request: Request, ctx: Ctx) -> Response:
        fields = _fields(request, "user.fields", USER_FIELDS)
        account = self.sb.account(PLATFORM, ctx.tok["account_id"])
        return json_response({"data": self.user_json(account or {}, fields)})

    async def get_user(self, request: Request, ctx: Ctx) -> Response:
        fields = _fields(request, "user.fields", USER_FIELDS)
        user_id = request.path_params["id"]
        account = self.sb.account(PLATFORM, user_id)
        if account is None:
            return json_response({"errors": [not_found_error(user_id, "user", "id")]})
        return json_response({"data": self.user_json(account, fields)})

    async def user_tweets(self, request: Request, ctx: Ctx) -> Response:
        q = request.query_params
        user_id = request.path_params["id"]
        try:
            max_results = int(q.get("max_results", 10))
        except ValueError as exc:
            raise invalid_request(
                "max_results must be a number", {"max_results": [q.get("max_results")]}
            ) from exc
        if not 5 <= max_results <= 100:
            raise invalid_request(
                f"The `max_results` query parameter value [{max_results}] is not between 5 and 100",
                {"max_results": [str(max_results)]},
            )
        fields = _fields(request, "tweet.fields", TWEET_FIELDS)
        self.guard.check_usage_cap(ctx)
        if self.sb.account(PLATFORM, user_id) is None:
            return json_response({"errors": [not_found_error(user_id, "user", "id")]})
        docs = sorted(self.sb.posts(PLATFORM, user_id), key=lambda d: int(d["id"]), reverse=True)
        for name, keep in (
            ("since_id", lambda d, v: int(d["id"]) > int(v)),
            ("until_id", lambda d, v: int(d["id"]) < int(v)),
            ("start_time", lambda d, v: parse_iso(d["created_at"]) >= parse_iso(v)),
            ("end_time", lambda d, v: parse_iso(d["created_at"]) <= parse_iso(v)),
        ):
            if q.get(name):
                try:
                    docs = [d for d in docs if keep(d, q[name])]
                except ValueError as exc:
                    raise invalid_request(f"Invalid {name}", {name: [q[name]]}) from exc
        token = q.get("pagination_token")
        if token:
            parsed = _untoken(token)
            if parsed is None:
                raise invalid_request(
                    "The `pagination_token` query parameter value is not valid", {"pagination_token": [token]}
                )
            kind, boundary = parsed
            if kind == "n":
                page = [d for d in docs if int(d["id"]) < boundary][:max_results]
            else:
                page = [d for d in docs if int(d["id"]) > boundary][-max_results:]
        else:
            page = docs[:max_results]
        errors: list[dict[str, Any]] = []
        data = [self.tweet_json(d, fields, ctx.tok["account_id"], errors) for d in page]
        self.guard.count_reads(ctx, len(data))
        meta: dict[str, Any] = {"result_count": len(data)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
            if int(page[-1]["id"]) > int(docs[-1]["id"]):
                meta["next_token"] = _token("n", page[-1]["id"])
            if int(page[0]["id"]) < int(docs[0]["id"]):
                meta["previous_token"] = _token("p", page[0]["id"])
        body: dict[str, Any] = {"meta": meta}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return json_response(body)
