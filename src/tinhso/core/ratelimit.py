"""The one rate limiter: counters in the shared cache, keyed by what is being limited.

    from tinhso.core import ratelimit

    ratelimit.enforce("onestop_lookup", client_ip(request), "30/min")  # raises RateLimited
    decision = ratelimit.hit("accounts_register", ip, settings.ACCOUNTS_REGISTER_RATE)
    if not decision.allowed: ...                                      # decision.retry_after

    class MyThrottle(ratelimit.ClientRateThrottle):                   # DRF views
        scope = "signing_verify"
        rate = "60/min"

Counters live in the shared cache, which the settings point at the database (or Redis
when REDIS_URL / CACHE_URL is set) so that every web process shares them; never a
per-process memory cache. On the database a hit is one upsert, on Redis one pipeline
(`DatabaseCache.count_hit`). The window slides: the count of the previous fixed window
is weighted by how much of it still overlaps, so a client cannot double its allowance at
a window boundary. The client is `tinhso.core.middleware.client_ip` (X-Forwarded-For only
from TRUSTED_PROXIES), the same address the audit trail records.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

from tinhso.core.errors import DomainError

_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str | Rate) -> Rate:
        """'30/min', '10/day', '5/15min', '100/h' → Rate."""
        if isinstance(text, Rate):
            return text
        return _parse_rate(str(text))


@functools.lru_cache(maxsize=256)  # a few settings, read on every request
def _parse_rate(text: str) -> Rate:
    match = _RATE_RE.match(text.lower())
    unit = match and (_UNITS.get(match.group(3)) or _UNITS.get(match.group(3).rstrip("s")))
    if not match or not unit:
        raise ValueError(f"not a rate: {text!r} (e.g. '30/min', '10/day')")
    return Rate(int(match.group(1)), int(match.group(2) or 1) * unit)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: float  # the sliding estimate, this attempt included when counted
    retry_after: int  # seconds until an attempt would be allowed again (0 when allowed)


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message = "Bạn đã thao tác quá nhiều lần. Vui lòng thử lại sau ít phút."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


def _keys(scope: str, key: str, period: int, now: float) -> tuple[str, str, float]:
    digest = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()[:40]
    window = int(now // period)
    elapsed = (now - window * period) / period
    base = f"rl:{scope}:{digest}:{period}"
    return f"{base}:{window}", f"{base}:{window - 1}", elapsed


def _estimate(previous: int, current: int, elapsed: float) -> float:
    return previous * (1.0 - elapsed) + current


def _retry_after(rate: Rate, previous: int, current: int, now: float) -> int:
    """Seconds until the estimate drops back under the limit (at most one window)."""
    elapsed_seconds = now % rate.period
    if previous > 0 and current < rate.limit:
        # the previous window's weight falls linearly over this window
        needed = 1.0 - (rate.limit - current) / previous
        return max(1, math.ceil(needed * rate.period - elapsed_seconds))
    return max(1, math.ceil(rate.period - elapsed_seconds))


class _CacheCounters:
    """Counters on any Django cache (Redis): add/incr/get. The database cache counts in
    its own table with the same four methods (`tinhso.core.cache.DatabaseCache`)."""

    def count_hit(self, key: str, previous_key: str, timeout: int) -> tuple[int, int]:
        if cache.add(key, 1, timeout=timeout):
            current = 1
        else:
            try:
                current = int(cache.incr(key))
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=timeout)
                current = 1
        return current, int(cache.get(previous_key, 0))

    def read_counts(self, keys: list[str]) -> dict[str, int]:
        return cache.get_many(keys)

    def uncount(self, key: str) -> None:
        try:
            if int(cache.get(key, 0)) > 0:
                cache.decr(key)
        except ValueError:
            pass

    def forget_counts(self, keys: list[str]) -> None:
        cache.delete_many(keys)


class _RedisCounters(_CacheCounters):
    """Counters on Django's Redis cache (keys made as the cache makes them, without its
    memcached-safety scan: ours are hex digests), sent by the backend's client: a hit is one
    round trip (a pipeline: start the window's counter with its expiry if it is new, add
    one, read the previous window), a read one MGET."""

    def __init__(self, backend: RedisCache) -> None:
        self.backend = backend

    def _client(self) -> Any:
        return self.backend._cache.get_client(write=True)  # one kept (core.cache.RedisCache)

    def _hit(self, key: str, previous_key: str, timeout: int, pipe: Any = None) -> Any:
        """A pipeline that starts the window's counter with its expiry if it is new, adds
        one and reads the previous window; more commands may follow before it is sent."""
        name = self.backend.make_key(key)
        pipe = pipe or self._client().pipeline(transaction=False)
        pipe.set(name, 0, ex=timeout, nx=True)
        pipe.incr(name)
        pipe.get(self.backend.make_key(previous_key))
        return pipe

    def count_hit(self, key: str, previous_key: str, timeout: int) -> tuple[int, int]:
        _, current, previous = self._hit(key, previous_key, timeout).execute()
        return int(current), int(previous or 0)

    def count_hits(self, windows: list[tuple[str, str]], timeout: int) -> list[tuple[int, int]]:
        """`count_hit` of each (key, previous_key), in one round trip."""
        pipe = None
        for key, previous_key in windows:
            pipe = self._hit(key, previous_key, timeout, pipe)
        replies = pipe.execute() if pipe is not None else []
        return [(int(replies[k + 1]), int(replies[k + 2] or 0)) for k in range(0, len(replies), 3)]

    def count_hit_and_read(
        self, key: str, previous_key: str, timeout: int, read_keys: list[str]
    ) -> tuple[int, int, dict[str, int]]:
        """`count_hit` and `read_counts` in one round trip."""
        pipe = self._hit(key, previous_key, timeout)
        pipe.mget([self.backend.make_key(k) for k in read_keys])
        _, current, previous, values = pipe.execute()
        read = {k: int(v) for k, v in zip(read_keys, values, strict=True) if v}
        return int(current), int(previous or 0), read

    def read_counts(self, keys: list[str]) -> dict[str, int]:
        names = [self.backend.make_key(key) for key in keys]
        values = self._client().mget(names)
        # counters are stored as plain integers (Django's Redis serializer leaves ints as is)
        return {key: int(value) for key, value in zip(keys, values, strict=True) if value}


def _counters() -> Any:
    backend = caches[DEFAULT_CACHE_ALIAS]  # `cache` is a proxy: isinstance needs the backend
    if hasattr(backend, "count_hit"):
        return backend
    if isinstance(backend, RedisCache):
        return _RedisCounters(backend)
    return _CacheCounters()


def _decide(rate: Rate, now: float, current: int, previous: int, elapsed: float) -> Decision:
    """The decision once `current` hits are counted in this window (a peek passes the
    count with the attempt it asks about)."""
    estimate = _estimate(previous, current, elapsed)
    if estimate <= rate.limit:
        return Decision(True, estimate, 0)
    return Decision(False, estimate, _retry_after(rate, previous, current, now))


def peek(scope: str, key: str, rate: str | Rate) -> Decision:
    """Would one more attempt be allowed? Counts nothing."""
    rate = Rate.parse(rate)
    now = time.time()
    current_key, previous_key, elapsed = _keys(scope, key, rate.period, now)
    values = _counters().read_counts([current_key, previous_key])
    current, previous = int(values.get(current_key, 0)), int(values.get(previous_key, 0))
    return _decide(rate, now, current + 1, previous, elapsed)


def hit(scope: str, key: str, rate: str | Rate) -> Decision:
    """Count one attempt of `key` in `scope`; allowed while within `rate`."""
    rate = Rate.parse(rate)
    now = time.time()
    current_key, previous_key, elapsed = _keys(scope, key, rate.period, now)
    current, previous = _counters().count_hit(current_key, previous_key, 2 * rate.period + 1)
    return _decide(rate, now, current, previous, elapsed)


def hit_each(scope: str, keys: list[str], rate: str | Rate) -> list[Decision]:
    """`hit` each key (one attempt counted for its account, its device and its address),
    in one round trip where the counters can (Redis)."""
    rate = Rate.parse(rate)
    now = time.time()
    windows = [_keys(scope, key, rate.period, now) for key in keys]
    counters = _counters()
    timeout = 2 * rate.period + 1
    if hasattr(counters, "count_hits"):
        counts = counters.count_hits(
            [(current, previous) for current, previous, _ in windows], timeout
        )
    else:
        counts = [
            counters.count_hit(current, previous, timeout) for current, previous, _ in windows
        ]
    return [
        _decide(rate, now, current, previous, elapsed)
        for (current, previous), (_c, _p, elapsed) in zip(counts, windows, strict=True)
    ]


def hit_and_peek(
    scope: str, key: str, rate: str | Rate, peek_scope: str, peek_key: str, peek_rate: str | Rate
) -> tuple[Decision, Decision]:
    """`hit` one counter and `peek` at another, in one round trip where the counters can
    (Redis): the public lookup counts its caller and reads its dossier code's count
    together, instead of asking the store twice per lookup."""
    counters = _counters()
    if not hasattr(counters, "count_hit_and_read"):
        return hit(scope, key, rate), peek(peek_scope, peek_key, peek_rate)
    rate, peek_rate = Rate.parse(rate), Rate.parse(peek_rate)
    now = time.time()
    current_key, previous_key, elapsed = _keys(scope, key, rate.period, now)
    peek_current, peek_previous, peek_elapsed = _keys(peek_scope, peek_key, peek_rate.period, now)
    current, previous, values = counters.count_hit_and_read(
        current_key, previous_key, 2 * rate.period + 1, [peek_current, peek_previous]
    )
    return (
        _decide(rate, now, current, previous, elapsed),
        _decide(
            peek_rate,
            now,
            values.get(peek_current, 0) + 1,
            values.get(peek_previous, 0),
            peek_elapsed,
        ),
    )


def refund(scope: str, key: str, rate: str | Rate) -> None:
    """Take back one counted attempt (e.g. count only failures: hit first, refund on success)."""
    rate = Rate.parse(rate)
    current_key, _previous, _elapsed = _keys(scope, key, rate.period, time.time())
    _counters().uncount(current_key)


def reset(scope: str, key: str, rate: str | Rate) -> None:
    rate = Rate.parse(rate)
    current_key, previous_key, _elapsed = _keys(scope, key, rate.period, time.time())
    _counters().forget_counts([current_key, previous_key])


def enforce(scope: str, key: str, rate: str | Rate, message: str | None = None) -> Decision:
    """`hit`, raising RateLimited (429, code `rate_limited`) when over the limit."""
    decision = hit(scope, key, rate)
    if not decision.allowed:
        raise RateLimited(message, retry_after=decision.retry_after)
    return decision


class ClientRateThrottle(BaseThrottle):
    """A DRF throttle counting per client IP (signed-in users too) in the shared store.

    Subclasses set `scope` and either `rate` (e.g. "60/min") or `rate_setting`, the name
    of a setting read at request time."""

    scope = "default"
    rate: str | None = None
    rate_setting = ""

    def get_rate(self) -> Rate:
        from django.conf import settings

        return Rate.parse(self.rate or getattr(settings, self.rate_setting, None) or "60/min")

    @property
    def num_requests(self) -> int:
        return self.get_rate().limit

    def get_ident(self, request) -> str:
        from tinhso.core.middleware import client_ip

        return client_ip(getattr(request, "_request", request)) or "unknown"

    def allow_request(self, request, view) -> bool:
        self.decision = hit(self.scope, self.get_ident(request), self.get_rate())
        return self.decision.allowed

    def allow_request_and_peek(
        self, request, peek_scope: str, peek_key: str, peek_rate: str | Rate
    ) -> tuple[bool, Decision]:
        """`allow_request`, reading another limit's count in the same round trip
        (`hit_and_peek`): (allowed, the other limit's decision)."""
        self.decision, peeked = hit_and_peek(
            self.scope, self.get_ident(request), self.get_rate(), peek_scope, peek_key, peek_rate
        )
        return self.decision.allowed, peeked

    def wait(self) -> float | None:
        decision = getattr(self, "decision", None)
        return float(decision.retry_after) if decision is not None else None
