"""The cache never takes the desk down with it.

Redis holds only what can be rebuilt (queue counts, the API's throttle counters, the
calendar version). When it is away, reads miss and writes are dropped, with a warning in
the log, instead of a 500 after the work was done (issue 12: «Redis down during ingest»).
Throttling is off while Redis is away (its counters are in the cache); the login lockout
keeps working (django-axes counts in the database).
"""

from __future__ import annotations

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

AWAY = (RedisConnectionError, RedisTimeoutError, OSError)

# method: what it answers when Redis is away
FALLBACKS = {
    "add": False,
    "get": None,  # replaced by the caller's default below
    "set": None,
    "touch": False,
    "delete": False,
    "get_many": {},
    "has_key": False,
    "set_many": [],
    "delete_many": None,
    "clear": False,
}


def _resilient(name: str, method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except AWAY as exc:
            logger.warning("cache %s skipped, Redis is away: %s", name, exc)
            if name == "get":
                return kwargs.get("default", args[1] if len(args) > 1 else None)
            if name in ("incr", "decr"):
                raise ValueError("cache unavailable") from exc
            fallback = FALLBACKS.get(name)
            return type(fallback)() if isinstance(fallback, dict | list) else fallback

    return wrapper


class ResilientRedisCache(RedisCache):
    """Django's Redis cache whose calls degrade to a miss while Redis is away."""


for _name in (*FALLBACKS, "incr", "decr"):
    setattr(ResilientRedisCache, _name, _resilient(_name, getattr(RedisCache, _name)))
