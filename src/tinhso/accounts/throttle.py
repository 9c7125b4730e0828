"""The growing delay after repeated failures (passwords, one-time codes).

No hard lock: the first LOGIN_MAX_FAILURES failures are free, then each further failure
makes the next attempt wait LOGIN_DELAY_SECONDS, doubled at every failure, up to
LOGIN_LOCKOUT_MINUTES. A guesser gets about a hundred tries a day; the owner waits minutes.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def max_failures() -> int:
    return int(getattr(settings, "LOGIN_MAX_FAILURES", 5))


def delay_after(failures: int) -> timedelta:
    """How long the next attempt must wait after `failures` consecutive failures."""
    free = max_failures()
    if failures < free:
        return timedelta(0)
    first = float(getattr(settings, "LOGIN_DELAY_SECONDS", 30))
    longest = timedelta(minutes=float(getattr(settings, "LOGIN_LOCKOUT_MINUTES", 15)))
    exponent = min(failures - free, 32)  # bounded: 2**32 * 30 s is far past any cap
    return min(longest, timedelta(seconds=first * 2**exponent))
