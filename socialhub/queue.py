"""Redis connection and RQ queues, shared by the web app, services and workers."""

from __future__ import annotations

from functools import lru_cache

from redis import Redis
from rq import Queue

from socialhub.config import get_settings

QUEUES = ("default", "publish", "sync")


@lru_cache(maxsize=4)
def _redis_for(url: str) -> Redis:
    return Redis.from_url(url, health_check_interval=30)


def get_redis() -> Redis:
    url = get_settings().redis_url
    if not url:
        raise RuntimeError(
            "REDIS_URL is not set. `socialhub up` starts an embedded Redis and sets it for you; "
            "running pieces separately needs REDIS_URL."
        )
    return _redis_for(url)


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=get_redis())


def reset_redis_cache() -> None:
    _redis_for.cache_clear()
