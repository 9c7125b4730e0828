"""Rate-limit counters on Django's Redis cache take the pipelined path, on one client."""

from __future__ import annotations

import os
import time

import pytest

from tinhso.core import ratelimit

REDIS = "redis://127.0.0.1:6379/3"


@pytest.fixture
def redis_cache(settings):
    import redis
    from django.core.cache import caches

    try:
        redis.Redis.from_url(REDIS, socket_timeout=1).ping()
    except redis.exceptions.RedisError:
        if os.environ.get("CI"):  # .ci/run starts Redis: a missing server is a failure there
            raise
        pytest.skip("no Redis server at 127.0.0.1:6379 right now (.ci/run starts one)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": "tinhso-test-counters",
        }
    }
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


def test_django_redis_cache_gets_the_pipelined_counters_on_one_client(redis_cache):
    # `django.core.cache.cache` is a proxy: the check must look at the backend behind it
    # (it did not, and every hit cost three round trips and three new redis clients).
    counters = ratelimit._counters()
    assert isinstance(counters, ratelimit._RedisCounters)
    assert counters._client() is ratelimit._counters()._client()


def test_counts_read_back_through_the_cache_are_the_pipelined_ones(redis_cache):
    for _ in range(3):
        ratelimit.hit("probe", "203.0.113.7", "10/day")
    assert ratelimit.peek("probe", "203.0.113.7", "10/day").count >= 4  # 3 counted + this one
    assert not ratelimit.peek("probe", "203.0.113.7", "3/day").allowed
    # the counter is the cache's own value: Django's API reads the same number
    current_key = ratelimit._keys("probe", "203.0.113.7", 86400, time.time())[0]
    assert redis_cache.get(current_key) == 3
