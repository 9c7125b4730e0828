"""Rate-limit counters on Django's Redis cache take the pipelined path, on one client;
`hit_and_peek` counts one limit and reads another, `hit_each` counts several (one round
trip on Redis)."""

from __future__ import annotations

import time

import pytest

from tinhso.core import ratelimit


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


def _hit_and_peek_counts_one_and_reads_the_other():
    for _ in range(2):
        ratelimit.hit("code", "C-1", "3/day")
    counted, peeked = ratelimit.hit_and_peek("ip", "203.0.113.9", "2/day", "code", "C-1", "3/day")
    assert counted.allowed and peeked.allowed  # 1 of 2; the code's next would be its 3rd
    ratelimit.hit("code", "C-1", "3/day")
    counted, peeked = ratelimit.hit_and_peek("ip", "203.0.113.9", "2/day", "code", "C-1", "3/day")
    assert counted.allowed and not peeked.allowed  # 2 of 2; the code's next would be a 4th
    counted, _ = ratelimit.hit_and_peek("ip", "203.0.113.9", "2/day", "code", "C-1", "3/day")
    assert not counted.allowed
    # the peek counted nothing: the code still stands at 3
    assert ratelimit.peek("code", "C-1", "4/day").allowed


def test_hit_and_peek_on_redis_counts_one_and_only_reads_the_other(redis_cache):
    assert hasattr(ratelimit._counters(), "count_hit_and_read")  # one round trip
    _hit_and_peek_counts_one_and_reads_the_other()


@pytest.mark.django_db
def test_hit_and_peek_on_the_database_cache_does_the_same():
    from django.core.cache import cache

    cache.clear()
    try:
        _hit_and_peek_counts_one_and_reads_the_other()
    finally:
        cache.clear()


def _hit_each_counts_every_key_and_refuses_the_one_over():
    ratelimit.hit("report", "u1", "2/day")
    ratelimit.hit("report", "u1", "2/day")
    account, device = ratelimit.hit_each("report", ["u1", "d-phone"], "2/day")
    assert not account.allowed and device.allowed  # the account's 3rd, the device's 1st
    assert account.retry_after > 0
    # both attempts were counted
    assert ratelimit.peek("report", "d-phone", "1/day").count == 2
    assert ratelimit.hit_each("report", [], "2/day") == []


def test_hit_each_on_redis_counts_every_key_in_one_round_trip(redis_cache):
    assert hasattr(ratelimit._counters(), "count_hits")
    _hit_each_counts_every_key_and_refuses_the_one_over()


@pytest.mark.django_db
def test_hit_each_on_the_database_cache_does_the_same():
    from django.core.cache import cache

    cache.clear()
    try:
        _hit_each_counts_every_key_and_refuses_the_one_over()
    finally:
        cache.clear()
