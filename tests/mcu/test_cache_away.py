"""The cache degrades to a miss while Redis is away (mcu/cache.py): nothing done is
answered with a 500 because a count or a throttle counter could not be stored."""

import socket

from mcu.cache import ResilientRedisCache


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_call_answers_without_redis():
    cache = ResilientRedisCache(
        f"redis://127.0.0.1:{_closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}},
    )
    assert cache.get("k") is None
    assert cache.get("k", []) == []
    assert cache.get("k", default="d") == "d"
    assert cache.set("k", 1) is None
    assert cache.add("k", 1) is False
    assert cache.delete("k") is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set_many({"a": 1}) == []
    assert cache.has_key("k") is False
    cache.delete_many(["a"])
    try:
        cache.incr("k")
    except ValueError:
        pass
    else:
        raise AssertionError("incr of a missing key must raise ValueError, as Django's does")
