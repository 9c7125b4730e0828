"""A small fixed-window counter in Django's cache, for the anonymous payment callback.

Stands in until the platform's shared limiter (core.ratelimit) exists; it counts in the
configured cache (shared between processes when CACHES points at the database or Redis).
The client address is REMOTE_ADDR: the address of whoever connected, never a header the
client chose.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(scope: str, ident: str, window: int) -> str:
    return f"tinhso:payments:rl:{scope}:{ident}:{int(time.time() // window)}"


def count(scope: str, ident: str, *, window: int) -> int:
    """How many hits `ident` has in the current window of `scope`."""
    return int(cache.get(_key(scope, ident, window)) or 0)


def hit(scope: str, ident: str, *, window: int) -> int:
    """Count one hit and return the total in the current window."""
    key = _key(scope, ident, window)
    if cache.add(key, 1, timeout=window + 1):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        return 1
