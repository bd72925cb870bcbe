"""X (Twitter) API v2 sandbox (CONTRACTS §6).

Split by concern: common (problem JSON, rate windows, snowflakes), oauth (PKCE authorize,
token, refresh rotation, revoke), tweets (create/delete/lookup/timeline/users), media
(upload v2), module (routes on api.x.com, api.twitter.com, x.com, twitter.com; seed; faults).
"""

from socialhub.sandbox.platforms.x.module import X

__all__ = ["X"]
