"""The rate gate: a per-platform, per-account "blocked until" kept in Redis.

Set from the platforms' own signals (a RateLimited error with its retry time, a quota
reading that says the bucket is spent) and checked before any I/O, so no call is spent on an
account the platform has already told us to leave alone. An account key of "" is the whole
app (YouTube's daily quota belongs to the Google Cloud project, not to a channel).

Redis is the right home: the gate is shared by every worker and web process, it expires by
itself, and losing it costs at most one refused call that sets it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis import Redis

from socialhub.providers.errors import RateLimited
from socialhub.providers.types import QuotaReading

PREFIX = "socialhub:gate"
APP_WIDE = ""
# When a platform says "slow down" without saying until when.
DEFAULT_BLOCK = timedelta(seconds=60)

# Keep the later of the stored and the new time; the key expires when the block ends.
_SET_LATER = """
local cur = redis.call('HGET', KEYS[1], 'until')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'until', ARGV[1], 'reason', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(ARGV[1]) * 1000) + 1000)
return 1
"""


@dataclass(frozen=True)
class Block:
    platform: str
    account_key: str
    until: datetime
    reason: str


def _key(platform: str, account_key: str) -> str:
    return f"{PREFIX}:{platform}:{account_key or '*'}"


def _redis() -> Redis:
    from socialhub.queue import get_redis

    return get_redis()


def block(
    platform: str, account_key: str, until: datetime, reason: str, *, conn: Redis | None = None
) -> bool:
    """Block calls for this account (or the whole app with APP_WIDE) until `until`.
    An earlier time never shortens a longer block. True when the gate moved."""
    if until <= datetime.now(UTC):
        return False
    r = conn or _redis()
    return bool(r.eval(_SET_LATER, 1, _key(platform, account_key), f"{until.timestamp():.3f}", reason[:500]))


def blocked(platform: str, account_key: str, *, conn: Redis | None = None) -> Block | None:
    """The block in force for this account or for the whole app, the later of the two."""
    r = conn or _redis()
    now = datetime.now(UTC).timestamp()
    found: Block | None = None
    keys = [account_key, APP_WIDE] if account_key else [APP_WIDE]
    pipe = r.pipeline()
    for k in keys:
        pipe.hgetall(_key(platform, k))
    for k, row in zip(keys, pipe.execute(), strict=True):
        if not row:
            continue
        until = float(row.get(b"until", 0))
        if until <= now:
            continue
        if found is None or until > found.until.timestamp():
            reason = row.get(b"reason", b"").decode()
            found = Block(platform, k, datetime.fromtimestamp(until, UTC), reason)
    return found


def check(platform: str, account_key: str, *, label: str = "", conn: Redis | None = None) -> None:
    """Raise RateLimited (with the time) when the gate is closed; no I/O to the platform."""
    gate = blocked(platform, account_key, conn=conn)
    if gate is not None:
        name = label or platform
        raise RateLimited(
            f"{name} asked us to wait until {gate.until:%H:%M} UTC ({gate.reason or 'rate limit'}).",
            platform=platform,
            retry_at=gate.until,
            code="gate",
        )


def clear(platform: str, account_key: str, *, conn: Redis | None = None) -> None:
    (conn or _redis()).delete(_key(platform, account_key))


def block_from_error(exc: RateLimited, account_key: str, *, conn: Redis | None = None) -> datetime:
    """Close the gate from a RateLimited answer; returns the time it opens again."""
    until = exc.retry_at or datetime.now(UTC) + DEFAULT_BLOCK
    scope = APP_WIDE if exc.app_wide else account_key
    block(exc.platform, scope, until, exc.message, conn=conn)
    return until


def block_from_reading(platform: str, reading: QuotaReading, *, conn: Redis | None = None) -> bool:
    """A quota reading that says the bucket is spent closes the gate for its account."""
    if reading.blocked_until is None:
        return False
    return block(platform, reading.account_key, reading.blocked_until, f"{reading.bucket} spent", conn=conn)
