"""The consumers' limits are the province's, whichever data-plane process a call lands on."""

from __future__ import annotations

import os
import time

import pytest

from tinhso.gateway import limits
from tinhso.gateway.limits import RateLimiter

CONSUMER = 7


def test_calls_on_different_processes_count_against_one_rate_limit():
    first = RateLimiter.create(processes=2)
    second = first.for_process(1)
    assert first.take(CONSUMER, per_minute=3, per_day=100) is None
    assert second.take(CONSUMER, per_minute=3, per_day=100) is None
    assert first.take(CONSUMER, per_minute=3, per_day=100) is None
    assert second.take(CONSUMER, per_minute=3, per_day=100) == "gateway_rate_limited"
    assert first.take(CONSUMER, per_minute=3, per_day=100) == "gateway_rate_limited"
    assert first.take(CONSUMER + 1, per_minute=3, per_day=100) is None  # another consumer


def test_a_forked_process_counts_in_the_same_table():
    """The table is shared memory made before the fork, as `gateway serve` forks."""
    limiter = RateLimiter.create(processes=2)
    child = os.fork()
    if child == 0:  # the other data-plane process: five calls, then gone
        taken = [limiter.for_process(1).take(CONSUMER, 100, 5) for _ in range(5)]
        os._exit(0 if taken == [None] * 5 else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert limiter.take(CONSUMER, per_minute=100, per_day=5) == "gateway_quota_exceeded"


def test_a_refused_call_is_not_counted():
    limiter = RateLimiter.create()
    assert limiter.take(CONSUMER, per_minute=1, per_day=100) is None
    for _ in range(3):
        assert limiter.take(CONSUMER, per_minute=1, per_day=100) == "gateway_rate_limited"
    assert limiter.take(CONSUMER, per_minute=100, per_day=2) is None  # the 2nd of the day


def test_the_minute_slides(monkeypatch):
    """The previous minute weighs by how much of it is still within the last 60 s."""
    now = [1_800_000_000.0]  # a minute's start
    monkeypatch.setattr(limits.time, "time", lambda: now[0])
    limiter = RateLimiter.create(processes=2)
    other = limiter.for_process(1)
    for _ in range(5):
        assert other.take(CONSUMER, per_minute=10, per_day=1000) is None
    for _ in range(5):
        assert limiter.take(CONSUMER, per_minute=10, per_day=1000) is None
    assert limiter.take(CONSUMER, per_minute=10, per_day=1000) == "gateway_rate_limited"
    now[0] += 60 + 15  # next minute, 15 s in: 10 x 45/60 = 7.5 of the last 60 s
    assert [limiter.take(CONSUMER, 10, 1000) for _ in range(3)] == [None, None, None]
    assert other.take(CONSUMER, 10, 1000) == "gateway_rate_limited"  # 3 + 7.5 >= 10
    now[0] += 30  # 45 s in: 10 x 15/60 = 2.5 of the previous minute, 3 of this one
    assert [other.take(CONSUMER, 10, 1000) for _ in range(5)] == [None] * 5
    assert limiter.take(CONSUMER, 10, 1000) == "gateway_rate_limited"  # 8 + 2.5
    now[0] += 120  # two minutes later: nothing of those minutes is left
    assert [limiter.take(CONSUMER, 10, 1000) for _ in range(10)] == [None] * 10


def test_the_quota_counts_the_local_day_and_starts_again_the_next(monkeypatch):
    day = time.mktime((2026, 12, 2, 23, 59, 0, 0, 0, -1))
    now = [day]
    monkeypatch.setattr(limits.time, "time", lambda: now[0])
    limiter = RateLimiter.create(processes=2)
    limiter.seed({CONSUMER: 3})  # read from the message log at start
    assert limiter.for_process(1).take(CONSUMER, 100, 4) is None
    assert limiter.take(CONSUMER, 100, 4) == "gateway_quota_exceeded"
    now[0] += 120  # past midnight
    assert limiter.take(CONSUMER, 100, 4) is None


def test_the_day_seed_is_counted_once_however_many_processes_read_it():
    limiter = RateLimiter.create(processes=2)
    limiter.seed({CONSUMER: 3})
    limiter.for_process(1).seed({CONSUMER: 3})
    limiter.seed({CONSUMER: 4})  # a later reload of the configuration
    assert [limiter.take(CONSUMER, 100, 5) for _ in range(3)] == [
        None,
        None,
        "gateway_quota_exceeded",
    ]


@pytest.mark.parametrize("rows_apart", [limits.ROWS])
def test_consumers_sharing_a_row_do_not_inherit_each_others_counts(rows_apart):
    limiter = RateLimiter.create()
    assert limiter.take(CONSUMER, per_minute=1, per_day=100) is None
    assert limiter.take(CONSUMER + rows_apart, per_minute=1, per_day=100) is None
